"""crashkernel= syntax, what a value reserves for a given RAM size, and per-release defaults.

Kernel rules (Documentation/admin-guide/kdump/kdump.rst, kernel/crash_reserve.c):
- ``size[KMG][@offset]``; ``range1:size1[,range2:size2...][@offset]`` with
  ``range = start-[end]``, end exclusive, empty end = infinity;
- ``size,high`` / ``size,low`` (x86_64 & co.); ``auto`` only in RHEL 7/8 kernels;
- units are binary; a size >= total RAM is rejected; no matching range = 0.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence, Tuple

from ..records import dataclass

KiB, MiB, GiB, TiB = 1024, 1024**2, 1024**3, 1024**4
_UNITS = {"": 1, "K": KiB, "M": MiB, "G": GiB, "T": TiB, "P": 1024**5, "E": 1024**6}
_SIZE = r"[0-9]+[KMGTPE]?"
SIZE_RE = re.compile(rf"^({_SIZE})$")

# RHEL 9's kexec-tools default (kdump_get_arch_recommend_crashkernel, x86_64).
RHEL9_DEFAULT = "1G-4G:192M,4G-64G:256M,64G-:512M"
# The RHEL for Real Time 7 Tuning Guide: crashkernel=auto reserves nothing under 4 GB.
RHEL7_AUTO_THRESHOLD = 4 * GiB
# RHEL 8: "crashkernel=auto works only when the available memory is more than 1GB".
RHEL8_AUTO_THRESHOLD = 1 * GiB


def parse_size(text: str) -> int:
    """memparse(): ``256M`` -> bytes. Raises ValueError."""
    m = re.fullmatch(r"([0-9]+)([KMGTPE]?)", text)
    if not m:
        raise ValueError(f"{text!r} is not a size (a number with an optional K, M, G or T suffix)")
    return int(m.group(1)) * _UNITS[m.group(2)]


def format_size(n: int) -> str:
    for unit, mult in (("T", TiB), ("G", GiB), ("M", MiB), ("K", KiB)):
        if n >= mult and n % mult == 0:
            return f"{n // mult}{unit}"
    return str(n)


@dataclass(frozen=True)
class CrashkernelValue:
    text: str
    kind: str  # "auto" | "size" | "ranges" | "high" | "low"
    size: int = 0  # for size/high/low
    offset: Optional[int] = None
    ranges: Tuple[Tuple[int, Optional[int], int], ...] = ()  # (start, end exclusive|None, size)

    def reserved_for(self, ram: int) -> Optional[int]:
        """Bytes this value reserves on a machine with ``ram`` bytes; None for ``auto``."""
        if self.kind == "auto":
            return None
        if self.kind in ("size", "high", "low"):
            return self.size if self.size < ram else 0
        for start, end, size in self.ranges:
            if ram >= start and (end is None or ram < end):
                return size if size < ram else 0
        return 0


def parse_crashkernel(text: str) -> CrashkernelValue:
    """Parse one crashkernel= value. Raises ValueError naming what is wrong."""
    if not text:
        raise ValueError("empty crashkernel value")
    if text == "auto":
        return CrashkernelValue(text, "auto")
    for suffix in (",high", ",low"):
        if text.endswith(suffix):
            size_text = text[: -len(suffix)]
            if not SIZE_RE.match(size_text):
                raise ValueError(f"{text!r}: expected SIZE{suffix}, e.g. 512M{suffix}")
            return CrashkernelValue(text, suffix[1:], parse_size(size_text))
    body, _, offset_text = text.partition("@")
    offset = None
    if _:
        if not SIZE_RE.match(offset_text):
            raise ValueError(f"{text!r}: the offset after @ must be a size, e.g. @16M")
        offset = parse_size(offset_text)
    if ":" not in body:
        if not SIZE_RE.match(body):
            raise ValueError(
                f"{text!r} is not crashkernel syntax: use auto, a size (256M), "
                "a range list (1G-4G:192M,4G-64G:256M,64G-:512M), or SIZE,high / SIZE,low"
            )
        return CrashkernelValue(text, "size", parse_size(body), offset)
    ranges = []
    last_end: Optional[int] = 0
    for part in body.split(","):
        m = re.fullmatch(rf"({_SIZE})-({_SIZE})?:({_SIZE})", part)
        if not m:
            raise ValueError(f"{text!r}: range {part!r} is not START-[END]:SIZE (e.g. 4G-64G:256M)")
        start = parse_size(m.group(1))
        end = parse_size(m.group(2)) if m.group(2) else None
        size = parse_size(m.group(3))
        if end is not None and end <= start:
            raise ValueError(f"{text!r}: range {part!r} ends before it starts")
        if last_end is None or start < last_end:
            raise ValueError(f"{text!r}: ranges must be in ascending order and must not overlap")
        last_end = end
        ranges.append((start, end, size))
    return CrashkernelValue(text, "ranges", ranges=tuple(ranges), offset=offset)


def rhel7_auto_size(ram: int) -> int:
    """RHEL 7 crashkernel=auto on x86_64: 161 MB + 64 MB per TB of RAM."""
    return 161 * MiB + 64 * MiB * (ram // TiB)


def auto_reservation(major: int, ram: int) -> Optional[int]:
    """What ``crashkernel=auto`` reserves on RHEL ``major``; 0 where it reserves nothing.

    None when auto is not a valid value at all (RHEL 9+).
    """
    if major <= 7:
        return rhel7_auto_size(ram) if ram >= RHEL7_AUTO_THRESHOLD else 0
    if major == 8:
        if ram <= RHEL8_AUTO_THRESHOLD:
            return 0
        for start, end, size in parse_crashkernel("1G-4G:192M,4G-64G:256M,64G-:512M").ranges:
            if ram >= start and (end is None or ram < end):
                return size
        return 0
    return None


def recommended_values(major: int, ram: Optional[int]) -> Tuple[str, ...]:
    """The release's own default, made to work on this host.

    RHEL 7/8: ``auto`` where auto reserves memory, else an explicit size
    (RHEL 7: what auto would have computed; RHEL 8: the 1G-4G tier).
    RHEL 9: kexec-tools' default range list.
    """
    if major >= 9:
        return (RHEL9_DEFAULT,)
    if ram is None:
        return ("auto",)
    if major <= 7:
        return ("auto",) if ram >= RHEL7_AUTO_THRESHOLD else (format_size(rhel7_auto_size(ram)),)
    return ("auto",) if ram > RHEL8_AUTO_THRESHOLD else ("192M",)


def predicted_reservation(values: Sequence[str], major: int, ram: int) -> Optional[int]:
    """Total bytes the kernel will reserve for these crashkernel= values; None if unknowable."""
    parsed = [parse_crashkernel(v) for v in values]
    plain = [p for p in parsed if p.kind in ("auto", "size", "ranges")]
    if plain:
        # a plain crashkernel= wins over ,high/,low; the last one counts
        p = plain[-1]
        if p.kind == "auto":
            return auto_reservation(major, ram)
        return p.reserved_for(ram)
    high = [p for p in parsed if p.kind == "high"]
    low = [p for p in parsed if p.kind == "low"]
    if not high:
        return 0  # ,low alone reserves nothing
    low_size = low[-1].size if low else 256 * MiB  # x86_64 default low size
    high_size = high[-1].reserved_for(ram)
    return high_size + low_size if high_size else 0


def effective_crashkernel(tokens: Sequence[str]) -> Tuple[str, ...]:
    """The crashkernel= values that count among args: the last of each kind, in kernel order."""
    last = {}
    for tok in tokens:
        key, sep, val = tok.partition("=")
        if key != "crashkernel" or not sep:
            continue
        kind = "high" if val.endswith(",high") else "low" if val.endswith(",low") else "plain"
        last[kind] = val
    return tuple(last[k] for k in ("plain", "high", "low") if k in last)
