"""Pure parsers for grubby output: ``--info=...``, ``--default-kernel``, ``--default-index``.

Both implementations are understood (platform-facts §1.2, §1.7):

* BLS grubby (RHEL 8/9): every value double-quoted, an ``id=`` line per entry;
* C grubby (RHEL 7, or RHEL 8/9 with grubby-deprecated): only ``args`` quoted,
  ``title`` unquoted with spaces and parentheses, ``non linux entry`` blocks.

Values are never shell-unquoted: exactly one leading and one trailing double
quote are removed, and inner quotes (which grubby does not escape) are kept.
Lines that are not ``key=value`` (stderr merged into stdout: ``grep: ...``,
``rpm-sort: Invalid input``, ``/usr/libexec/grubby/grubby-bls: line 37: ...``)
are skipped.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from .model import BootEntry, ParseError

__all__ = [
    "parse_grubby_default_index",
    "parse_grubby_default_kernel",
    "parse_grubby_info",
]

_ENTRY_KEYS = ("kernel", "args", "root", "initrd", "title", "id")
_KEY_VALUE = re.compile(r"^(index|kernel|args|root|initrd|title|id|boot)=(.*)$")
_NON_LINUX = "non linux entry"
_INDEX = re.compile(r"^[0-9]+$")


def _unquote(value: str) -> str:
    """Strip exactly one leading and one trailing double quote, when both are there."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


class _Block:
    def __init__(self, index: int, line_no: int):
        self.index = index
        self.line_no = line_no
        self.values: Dict[str, str] = {}
        self.non_linux = False

    def entry(self) -> BootEntry:
        v = self.values
        if self.non_linux:
            if "kernel" in v:
                raise ParseError(f"grubby entry index={self.index} is both a kernel and a 'non linux entry'")
            return BootEntry(index=self.index, title=v.get("title"), id=v.get("id"))
        if "kernel" not in v:
            raise ParseError(
                f"grubby entry index={self.index} (line {self.line_no}) has no kernel= line "
                "and is not a 'non linux entry' (truncated output?)"
            )
        return BootEntry(
            index=self.index,
            kernel=v["kernel"],
            args=tuple(v.get("args", "").split()),
            root=v.get("root"),
            initrds=tuple(v.get("initrd", "").split()),
            title=v.get("title"),
            id=v.get("id"),
        )


def parse_grubby_info(text: str) -> Tuple[BootEntry, ...]:
    """``grubby --info=ALL`` (or ``=DEFAULT``, ``=<path>``, ``=<index>``) -> entries in printed order.

    ``args`` are split on whitespace (order and duplicates kept; ``$tuned_params``
    stays a literal token); ``initrd`` may hold several paths (and
    ``$tuned_initrd``).  Empty output gives ``()``.
    """
    blocks: List[_Block] = []
    current: Optional[_Block] = None
    seen_index = set()
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if line.strip() == _NON_LINUX:
            if current is None:
                raise ParseError(f"grubby line {line_no}: 'non linux entry' before any index= line")
            current.non_linux = True
            continue
        m = _KEY_VALUE.match(line)
        if not m:
            continue  # noise: stderr merged in, legacy 'lba', blank lines
        key, value = m.group(1), m.group(2)
        if key == "index":
            value = _unquote(value)
            if not _INDEX.match(value):
                raise ParseError(f"grubby line {line_no}: index is not a number: {line!r}")
            index = int(value)
            if index in seen_index:
                raise ParseError(f"grubby line {line_no}: index={index} printed twice")
            seen_index.add(index)
            current = _Block(index, line_no)
            blocks.append(current)
            continue
        if current is None:
            if key == "boot":
                continue  # legacy grub (RHEL 6) header before the first entry
            raise ParseError(f"grubby line {line_no}: {key}= before any index= line: {line!r}")
        if key == "boot":
            continue
        if key in current.values:
            raise ParseError(f"grubby line {line_no}: second {key}= line in entry index={current.index}")
        current.values[key] = _unquote(value)
    return tuple(b.entry() for b in blocks)


_NOISE = re.compile(r"^[^\s:]+:(\s|$)")  # "prog: message", "/path/to/script: line 37: ..."
_ABS_PATH = re.compile(r"^/\S*$")


def _last_match(text: str, wanted: re.Pattern, what: str) -> Optional[str]:
    found = None
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if wanted.match(line):
            found = line
        elif not _NOISE.match(line):
            raise ParseError(f"grubby {what} line {line_no} is neither {what} nor a diagnostic: {line!r}")
    return found


def parse_grubby_default_kernel(text: str) -> Optional[str]:
    """``grubby --default-kernel`` -> the kernel path; None when grubby printed none.

    Empty output (e.g. grubby-bls with a dangling ``saved_entry``) gives None;
    stderr noise lines are skipped; the last absolute path wins.
    """
    return _last_match(text, _ABS_PATH, "default kernel")


_DEFAULT_INDEX = re.compile(r"^-?[0-9]+$")


def parse_grubby_default_index(text: str) -> Optional[int]:
    """``grubby --default-index`` -> the index; None for empty output (or a negative index)."""
    found = _last_match(text, _DEFAULT_INDEX, "default index")
    if found is None:
        return None
    value = int(found)
    return value if value >= 0 else None
