"""The bits of bash, sed and grep semantics grubby-bls's read path depends on, reproduced in Python.

Word splitting on bash's IFS, ``echo`` of words, command substitution, sed BRE ``s///`` and bash
glob patterns: ``bls.py`` reads entries exactly as the script does with them.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

_IFS = re.compile(r"[ \t\n]+")  # bash's default IFS; \r, \v, \f are not in it
_ECHO_FLAGS = re.compile(r"-[neE]+")


def _words(text: str) -> List[str]:
    return [w for w in _IFS.split(text) if w]


def _echo(words: Sequence[str]) -> str:
    """bash ``echo`` of already-split words, without the trailing newline."""
    k = 0
    while k < len(words) and _ECHO_FLAGS.fullmatch(words[k]):
        k += 1
    return " ".join(words[k:])


def _echo_quoted(value: str) -> str:
    # echo "$value": one word; only a word made of -n/-e/-E flags changes (to nothing)
    return "" if _ECHO_FLAGS.fullmatch(value) else value


def _cmdsubst(output: str) -> str:
    return output.rstrip("\n")


def _lines(text: str) -> List[str]:
    # grep's lines: a final line without newline counts, the empty string after a final newline does not
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return parts


_CLASSES = {
    "alpha": "A-Za-z",
    "digit": "0-9",
    "alnum": "A-Za-z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "xdigit": "0-9A-Fa-f",
}


def _bracket(pat: str, i: int, escapes: bool) -> Tuple[Optional[str], int]:
    """A POSIX bracket expression starting at pat[i] == '[' -> (python class, index after); None if unclosed."""
    j = i + 1
    negate = False
    # a regex negates with '^' only; a bash pattern with '!' or '^'
    if j < len(pat) and (pat[j] == "^" or (pat[j] == "!" and not escapes)):
        negate = True
        j += 1
    parts: List[str] = []
    first = True
    while j < len(pat):
        c = pat[j]
        if c == "]" and not first:
            return ("[^" if negate else "[") + "".join(parts) + "]", j + 1
        first = False
        if c == "[" and j + 1 < len(pat) and pat[j + 1] == ":":
            end = pat.find(":]", j + 2)
            if end != -1 and pat[j + 2 : end] in _CLASSES:
                parts.append(_CLASSES[pat[j + 2 : end]])
                j = end + 2
                continue
        if c == "\\" and escapes and j + 1 < len(pat) and pat[j + 1] in "nt\\":
            parts.append({"n": "\\n", "t": "\\t", "\\": "\\\\"}[pat[j + 1]])
            j += 2
            continue
        if c == "-" and parts and j + 1 < len(pat) and pat[j + 1] != "]":
            parts.append("-")
        else:
            parts.append(re.escape(c))
        j += 1
    return None, i


def _bre(pat: str) -> str:
    """A GNU sed/grep basic regular expression -> a Python regex (the subset BLS values can hold)."""
    out: List[str] = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if c == "\\" and i + 1 < len(pat):
            nxt = pat[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt) or re.escape(nxt))
            i += 2
            continue
        if c == ".":
            out.append(".")
        elif c == "*":
            out.append("*" if out and out[-1] != "^" else re.escape("*"))
        elif c == "^" and i == 0:
            out.append("^")
        elif c == "$" and i == len(pat) - 1:
            out.append("$")
        elif c == "[":
            cls, end = _bracket(pat, i, escapes=True)
            if cls is not None:
                out.append(cls)
                i = end
                continue
            out.append(re.escape(c))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _sed_replacement(repl: str, matched: str) -> str:
    out: List[str] = []
    i = 0
    while i < len(repl):
        c = repl[i]
        if c == "&":
            out.append(matched)
        elif c == "\\" and i + 1 < len(repl):
            nxt = repl[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 1
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _sed_s_first(text: str, bre: str, repl: str) -> str:
    """``sed -e "s/BRE/REPL/"`` on one line (first match only)."""
    m = re.search(_bre(bre), text, re.DOTALL)
    if not m:
        return text
    return text[: m.start()] + _sed_replacement(repl, m.group(0)) + text[m.end() :]


def _escape_slash(text: str) -> str:
    # sed -e 's/\//\\\//g'
    return text.replace("/", "\\/")


def _bash_pattern(pat: str) -> str:
    """The right-hand side of ``[[ x = $pat ]]`` (unquoted: a glob pattern) -> a Python regex."""
    out: List[str] = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if c == "\\" and i + 1 < len(pat):
            out.append(re.escape(pat[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            cls, end = _bracket(pat, i, escapes=False)
            if cls is not None:
                out.append(cls)
                i = end
                continue
            out.append(re.escape(c))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _bash_matches(value: str, pattern: str) -> bool:
    return re.fullmatch(_bash_pattern(pattern), value, re.DOTALL) is not None


def _bash_int(text: str) -> Optional[int]:
    """A string of digits as bash arithmetic reads it (leading 0: octal; 64-bit wrap); None: an error."""
    if len(text) > 1 and text[0] == "0":
        if any(c in "89" for c in text):
            return None
        value = int(text, 8)
    else:
        value = int(text)
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value
