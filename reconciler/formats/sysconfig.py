"""/etc/sysconfig/kdump: a shell fragment that kdumpctl sources (``. /etc/sysconfig/kdump``).

Pure functions only.  The parser understands the subset of shell that these
files are written in, and refuses (ParseError) anything else rather than
guessing what the shell would do:

- blank lines and ``#`` comment lines (so ``#KDUMP_BOOTDIR="/boot"`` sets nothing);
- ``NAME=word`` and ``export NAME=word``, optionally indented, optionally
  followed by blanks and a ``# comment``; ``export NAME`` alone is a no-op;
- ``word`` is any mix of ``"double"``, ``'single'`` and unquoted parts, with
  backslash escapes as the shell reads them.

Refused: a quoted value spanning lines, a trailing ``\\`` continuation,
``$``/backtick expansion outside single quotes (the value would depend on the
environment), operators (``; & | < > ( )``), commands, several words.

The last assignment of a name wins, as in the shell.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

from ..errors import ParseError
from ..records import dataclass

__all__ = [
    "Assignment",
    "ParseError",
    "SysconfigFile",
    "merge_tokens",
    "parse_sysconfig",
    "tokens_equal",
]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ASSIGN = re.compile(r"([ \t]*)(export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=")
_EXPORT_ONLY = re.compile(r"[ \t]*export(?:[ \t]+[A-Za-z_][A-Za-z0-9_]*)+[ \t]*(?:#.*)?\Z")
_OPERATORS = ";&|<>()"
_DQ_ESCAPABLE = '$`"\\'
# What set() refuses: it would end the quoted word, start an expansion, or an escape.
_FORBIDDEN = ("\n", "\0", '"', "\\", "$", "`")


@dataclass(frozen=True)
class Assignment:
    """One ``NAME=value`` line. ``start``/``end`` delimit the value word in the file text."""

    name: str
    value: str  # quotes and escapes removed
    lineno: int  # 1-based
    start: int  # offset of the value word in SysconfigFile.text
    end: int
    quote: str  # '"', "'" or "" (how the word starts)
    exported: bool = False


def _read_word(line: str, i: int, lineno: int) -> Tuple[str, int]:
    """Shell word starting at ``line[i]``: (value, index after the word)."""
    out: List[str] = []
    n = len(line)
    while i < n:
        c = line[i]
        if c in " \t":
            break
        if c in _OPERATORS:
            raise ParseError(f"line {lineno}: shell operator {c!r} is not supported")
        if c == "'":
            j = line.find("'", i + 1)
            if j < 0:
                raise ParseError(
                    f"line {lineno}: unterminated single quote (multi-line values are not supported)"
                )
            out.append(line[i + 1 : j])
            i = j + 1
        elif c == '"':
            i += 1
            while True:
                if i >= n:
                    raise ParseError(
                        f"line {lineno}: unterminated double quote (multi-line values are not supported)"
                    )
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\":
                    if i + 1 >= n:
                        raise ParseError(f"line {lineno}: line continuation inside quotes is not supported")
                    if line[i + 1] in _DQ_ESCAPABLE:
                        out.append(line[i + 1])
                        i += 2
                        continue
                elif c in "$`":
                    raise ParseError(f"line {lineno}: shell expansion ({c}) is not supported")
                out.append(c)
                i += 1
        elif c == "\\":
            if i + 1 >= n:
                raise ParseError(f"line {lineno}: line continuation is not supported")
            out.append(line[i + 1])
            i += 2
        elif c in "$`" or (c == "~" and line[i - 1] in "=:"):  # tilde expansion in assignments
            raise ParseError(f"line {lineno}: shell expansion ({c}) is not supported")
        else:
            out.append(c)
            i += 1
    return "".join(out), i


def _parse(text: str) -> Tuple[Assignment, ...]:
    assignments: List[Assignment] = []
    offset = 0
    for lineno, line in enumerate(text.split("\n"), 1):
        base, offset = offset, offset + len(line) + 1
        body = line.lstrip(" \t")
        if not body or body.startswith("#"):
            continue
        m = _ASSIGN.match(line)
        if not m:
            if _EXPORT_ONLY.match(line):
                continue
            raise ParseError(f"line {lineno}: not a NAME=value assignment: {line.strip()[:60]!r}")
        start = m.end()
        value, end = _read_word(line, start, lineno)
        rest = line[end:].lstrip(" \t")
        if rest and not rest.startswith("#"):
            raise ParseError(f"line {lineno}: unexpected text after the value of {m.group(3)}: {rest[:40]!r}")
        quote = line[start] if start < len(line) and line[start] in "\"'" else ""
        assignments.append(
            Assignment(m.group(3), value, lineno, base + start, base + end, quote, bool(m.group(2)))
        )
    return tuple(assignments)


@dataclass(frozen=True)
class SysconfigFile:
    """The original text and its assignments; ``set`` edits one value's bytes only."""

    text: str
    assignments: Tuple[Assignment, ...]

    def _last(self, name: str) -> Optional[Assignment]:
        for a in reversed(self.assignments):
            if a.name == name:
                return a
        return None

    def get(self, name: str) -> Optional[str]:
        """The value the shell would see (the last assignment), or None if never assigned."""
        a = self._last(name)
        return a.value if a else None

    def __contains__(self, name: object) -> bool:
        return any(a.name == name for a in self.assignments)

    def names(self) -> List[str]:
        """Assigned names, each once, in order of first assignment."""
        seen: List[str] = []
        for a in self.assignments:
            if a.name not in seen:
                seen.append(a.name)
        return seen

    def set(self, name: str, value: str) -> SysconfigFile:
        """A new file whose text differs only in the value of ``name``'s last assignment.

        The original quote style is kept (an unquoted value becomes double-quoted;
        a single-quoted one becomes double-quoted only if the new value contains
        ``'``).  An absent name is appended as ``NAME="value"`` on a new line.
        Refuses (ValueError) a bad name and values containing a newline, NUL,
        ``"``, backslash, ``$`` or backtick.
        """
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"{name!r} is not a shell variable name")
        if not isinstance(value, str):
            raise ValueError(f"value for {name} must be a str, not {type(value).__name__}")
        bad = [c for c in _FORBIDDEN if c in value]
        if bad:
            raise ValueError(f"value for {name} contains a character that is not allowed: {bad[0]!r}")
        a = self._last(name)
        if a is None:
            sep = "\n" if self.text and not self.text.endswith("\n") else ""
            return parse_sysconfig(f'{self.text}{sep}{name}="{value}"\n')
        if a.quote == "'" and "'" not in value:
            word = f"'{value}'"
        else:
            word = f'"{value}"'
        return parse_sysconfig(self.text[: a.start] + word + self.text[a.end :])


def parse_sysconfig(text: str) -> SysconfigFile:
    """Parse /etc/sysconfig/kdump; ``.text`` keeps every original byte."""
    if not isinstance(text, str):
        raise ParseError(f"sysconfig text must be str, not {type(text).__name__}")
    return SysconfigFile(text, _parse(text))


# --- KDUMP_COMMANDLINE_APPEND / _REMOVE token lists ------------------------------
# Tokens the kernel reads identically.  reset_devices is registered with
# __setup("reset_devices", ...) whose handler ignores whatever follows the name
# (init/main.c set_reset_devices sets reset_devices = 1 unconditionally), so
# "reset_devices=1" means exactly "reset_devices" and ensuring the one on a line
# that has the other (e.g. the stock x86_64 APPEND value) must change nothing.
# (Even "reset_devices=0" sets it, which is why only "=1" is listed here.)
_EQUIVALENT = {"reset_devices=1": "reset_devices"}


def _canon(token: str) -> str:
    return _EQUIVALENT.get(token, token)


def _key(token: str) -> str:
    return token.partition("=")[0]


def tokens_equal(a: str, b: str) -> bool:
    """Whether two kernel parameters mean the same (identical, or listed as equivalent)."""
    return _canon(a) == _canon(b)


def _check_items(kind: str, items: Sequence[str]) -> None:
    if isinstance(items, str):
        raise ValueError(f"{kind} must be a sequence of tokens, not a string")
    for item in items:
        if not isinstance(item, str) or not item or item != "".join(item.split()) or item.startswith("="):
            raise ValueError(f"{kind} item {item!r} is not one kernel parameter")


def merge_tokens(current: str, ensure: Sequence[str], remove: Sequence[str]) -> str:
    """Merge kernel-parameter tokens; the result is joined with single spaces.

    - ``current`` is split on whitespace; its tokens keep their order.
    - ``remove``: a bare ``key`` removes every ``key`` and ``key=...`` token, a
      ``key=value`` only tokens equal to it.  A token equal to an ``ensure`` item
      is never removed, so ensure wins and merging is idempotent.
    - ``ensure``: a token equal to the item already present -> nothing changes
      (other same-key tokens stay: some parameters, e.g. console=, may repeat);
      else the first token with the same key (bare or another value) is
      replaced in place and the other same-key tokens dropped; else appended.

    Quoted parameter values containing blanks (``foo="a b"``) are not supported.
    """
    _check_items("ensure", ensure)
    _check_items("remove", remove)
    tokens = current.split()
    keep = {_canon(e) for e in ensure}
    for item in remove:
        if "=" in item and not tokens_equal(item, _key(item)):
            tokens = [t for t in tokens if _canon(t) in keep or not tokens_equal(t, item)]
        else:
            key = _key(item)
            tokens = [t for t in tokens if _canon(t) in keep or _key(t) != key]
    for item in ensure:
        if any(tokens_equal(t, item) for t in tokens):
            continue
        key = _key(item)
        same = [i for i, t in enumerate(tokens) if _key(t) == key]
        if same:
            tokens[same[0]] = item
            drop = set(same[1:])
            tokens = [t for i, t in enumerate(tokens) if i not in drop]
        else:
            tokens.append(item)
    return " ".join(tokens)
