"""How each release reads kdump.conf, makedumpfile --check-params, and the findings collector."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from ...records import dataclass
from .profiles import _MDF_LONG, RULES, Finding


# --- reading ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Entry:
    lineno: int
    opt: str
    val: str


_EL7_STRIP = re.compile(r"^[ \t\r\f\v]*([^# \t][^#]+)")  # read_strip_comments' sed
_READ = re.compile(r"([^ \t]+)[ \t]*(.*)\Z", re.S)  # bash `read opt val` (IFS blanks)


def _bash_read(s: str) -> Tuple[str, str]:
    s = s.strip(" \t")
    m = _READ.match(s)
    if not m:
        return "", ""
    return m.group(1), m.group(2).rstrip(" \t")


def _read_el7(lines: Sequence[str]) -> List[_Entry]:
    """RHEL 7 read_strip_comments + `while read config_opt config_val`."""
    out = []
    for n, raw in enumerate(lines, 1):
        m = _EL7_STRIP.match(raw)
        if not m:
            continue
        opt, val = _bash_read(m.group(1))
        if opt:
            out.append(_Entry(n, opt, val))
    return out


def _read_modern(lines: Sequence[str], strips_quotes: bool) -> List[_Entry]:
    """kdump_read_conf: s/#.*//; s/\\s*$//; s/^\\s*//; s/\\(\\S\\+\\)\\s*\\(.*\\)/\\1 \\2/p, then read -r."""
    out = []
    for n, raw in enumerate(lines, 1):
        body = raw.split("#", 1)[0].strip(" \t\r\f\v")
        if not body:
            continue
        m = re.match(r"(\S+)\s*(.*)\Z", body, re.S)
        if m is None:  # only Unicode whitespace left (U+2028...): sed's s///p prints nothing then
            continue
        opt, val = _bash_read(m.group(1) + " " + m.group(2))
        if strips_quotes and len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1]
        out.append(_Entry(n, opt, val))
    return out


def _split_lines(text: str) -> List[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# --- makedumpfile --check-params ------------------------------------------------
def _makedumpfile_problems(args: Sequence[str], short: str) -> List[str]:
    """makedumpfile's own messages for a command line; an empty list: it passes.

    Mirrors getopt_long + parse_dump_level + set_message_level +
    check_param_for_creating_dumpfile of makedumpfile 1.7.x for the options a
    core_collector uses; anything it does not model is accepted.
    """
    invalid = ["Commandline parameter is invalid.", "Try `makedumpfile --help' for more information."]
    takes_arg = {c: short[i + 1 : i + 2] == ":" for i, c in enumerate(short) if c != ":"}
    flags: Dict[str, str] = {}
    positional: List[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            positional.extend(args[i + 1 :])
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            if name not in _MDF_LONG:
                # getopt_long takes an unambiguous abbreviation
                matches = [full for full in _MDF_LONG if full.startswith(name)]
                if len(matches) != 1:
                    return invalid
                name = matches[0]
            if _MDF_LONG[name] and not eq:
                i += 1
                if i >= len(args):
                    return invalid
                val = args[i]
            flags[name] = val
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c not in takes_arg:
                    return invalid
                if takes_arg[c]:
                    val = a[j + 1 :]
                    if not val:
                        i += 1
                        if i >= len(args):
                            return invalid
                        val = args[i]
                    flags[c] = val
                    break
                flags[c] = ""
                j += 1
        else:
            positional.append(a)
        i += 1
    if "d" in flags:
        for part in flags["d"].split(","):
            if not part:
                continue
            level = _atoi(part)
            if level < 0 or level > 31:
                return [f"Dump_level({level}) is invalid."]
    if "message-level" in flags:
        level = _atoi(flags["message-level"])
        if level < 0 or level > 31:
            return [f"Message_level({level}) is invalid."]
    compress = any(c in flags for c in "clpz")
    if compress and "E" in flags:
        return invalid
    if "F" in flags and "split" in flags:
        return invalid
    if "split" in flags:
        ok = len(positional) > 2
    elif "F" in flags:
        ok = len(positional) == 1
    else:
        ok = len(positional) == 2
    return [] if ok else invalid


def _atoi(s: str) -> int:
    m = re.match(r"\s*([+-]?\d+)", s)
    return int(m.group(1)) if m else 0


# --- checks ----------------------------------------------------------------------
class _Out:
    def __init__(self) -> None:
        self.items: List[Finding] = []

    def add(
        self,
        lineno: Optional[int],
        directive: Optional[str],
        severity: str,
        message: str,
        rule: str,
        origin: str,
        needs_host: bool = False,
        detail: str = "",
    ) -> None:
        assert rule in RULES, rule
        self.items.append(Finding(lineno, directive, severity, message, rule, origin, needs_host, detail))
