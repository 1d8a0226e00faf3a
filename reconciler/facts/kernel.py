"""Pure parsers for the running kernel: /proc/cmdline, /proc/iomem, /sys/kernel/kexec_crash_*, uname -r.

The effective crashkernel= of a command line is not computed here; see
``reconciler.crashkernel.effective_crashkernel``.
"""

from __future__ import annotations

import re
from typing import List, Optional

from ..host import CommandResult
from .model import CrashRegion, CrashReservation, KernelCmdline, ParseError, RunningKernel, is_rt_release

__all__ = [
    "parse_iomem_crash",
    "parse_kexec_crash_loaded",
    "parse_kexec_crash_size",
    "parse_proc_cmdline",
    "running_kernel",
]


def parse_proc_cmdline(text: str) -> KernelCmdline:
    """/proc/cmdline -> tokens split on whitespace, order and duplicates kept.

    Quotes are not interpreted: ``key="a b"`` gives the tokens ``key="a`` and
    ``b"``, like grubby-bls's own word splitting.
    """
    if "\x00" in text:
        raise ParseError("/proc/cmdline contains a NUL byte (is this /proc/<pid>/cmdline?)")
    return KernelCmdline(tokens=tuple(text.split()))


_IOMEM_LINE = re.compile(r"^(\s*)([0-9a-f]+)-([0-9a-f]+) : (.*)$")
_CRASH_NAMES = ("Crash kernel", "Crash kernel (low)")


def parse_iomem_crash(text: str) -> Optional[CrashReservation]:
    """/proc/iomem -> the "Crash kernel" regions (any depth, file order).

    * no "Crash kernel" line: ``CrashReservation(())`` (names are shown even in
      the non-root view, so this is known);
    * "Crash kernel" lines whose addresses are all zero (a reader without
      CAP_SYS_ADMIN): None, i.e. "there is a reservation, size unknown";
    * no line of iomem shape at all: ParseError.
    """
    shaped = 0
    regions: List[CrashRegion] = []
    zeroed = 0
    for line_no, raw in enumerate(text.splitlines(), 1):
        m = _IOMEM_LINE.match(raw.rstrip("\r"))
        if not m:
            continue
        shaped += 1
        name = m.group(4)
        if name not in _CRASH_NAMES:
            continue
        start, end = int(m.group(2), 16), int(m.group(3), 16)
        if start == 0 and end == 0:
            zeroed += 1
            continue
        if end < start:
            raise ParseError(f"/proc/iomem line {line_no}: end below start: {raw!r}")
        regions.append(CrashRegion(start=start, end=end, name=name))
    if not shaped:
        raise ParseError("no line looks like /proc/iomem ('<start>-<end> : <name>')")
    if zeroed and regions:
        raise ParseError("/proc/iomem mixes zeroed and real 'Crash kernel' addresses")
    if zeroed:
        return None
    return CrashReservation(regions=tuple(regions))


def parse_iomem_system_ram(text: str) -> Optional[int]:
    """Bytes of the top-level "System RAM" regions of /proc/iomem; None in the non-root (all-zero) view.

    The kernel matches crashkernel= ranges against this total (memblock_phys_mem_size), rounded up
    to 128 MiB (kernel/crash_reserve.c parse_crashkernel_mem), not against MemTotal, which leaves
    out the kernel's own reservations and the crash region itself.
    """
    total = 0
    zeroed = False
    for raw in text.splitlines():
        m = _IOMEM_LINE.match(raw.rstrip("\r"))
        if not m or m.group(1) or m.group(4) != "System RAM":
            continue
        start, end = int(m.group(2), 16), int(m.group(3), 16)
        if start == 0 and end == 0:
            zeroed = True
            continue
        total += end - start + 1
    if zeroed and not total:
        return None
    if not total:
        raise ParseError("/proc/iomem has no top-level System RAM line")
    return total


def _single_value(text: str, what: str) -> str:
    value = text.strip()
    if not value:
        raise ParseError(f"{what} is empty")
    return value


def parse_default_crashkernel(result: CommandResult) -> str:
    """``kdumpctl get-default-crashkernel``: the value alone, printed with ``echo -n`` (no newline)."""
    if result.returncode != 0:
        raise ParseError(result.stderr.strip() or f"exit {result.returncode}")
    words = result.stdout.split()
    if len(words) != 1 or not re.match(r"^[0-9][0-9A-Za-z:,@-]*$", words[0]):
        raise ParseError(f"not a crashkernel value: {result.stdout.strip()!r}")
    return words[0]


def parse_kexec_crash_size(text: str) -> int:
    """/sys/kernel/kexec_crash_size -> bytes reserved (decimal; 0 = nothing reserved)."""
    value = _single_value(text, "kexec_crash_size")
    if not re.fullmatch(r"[0-9]+", value):
        raise ParseError(f"kexec_crash_size is not a decimal byte count: {value!r}")
    return int(value)


def parse_kexec_crash_loaded(text: str) -> bool:
    """/sys/kernel/kexec_crash_loaded -> whether a crash kernel is loaded ("0" or "1")."""
    value = _single_value(text, "kexec_crash_loaded")
    if value not in ("0", "1"):
        raise ParseError(f"kexec_crash_loaded is neither 0 nor 1: {value!r}")
    return value == "1"


_RT_INFIX = re.compile(r"\.rt[0-9]+\.")


def running_kernel(osrelease_text: str, realtime_flag: Optional[bool]) -> RunningKernel:
    """/proc/sys/kernel/osrelease (= ``uname -r``) plus whether /sys/kernel/realtime exists.

    ``realtime_flag`` is None when existence of /sys/kernel/realtime is unknown.
    The kernel is RT when the release carries ``.rtN.`` (RHEL 7/8/9.0-9.2) or
    ends with ``+rt`` (9.3+), or when /sys/kernel/realtime exists.
    """
    release = osrelease_text.strip()
    if not release or any(ch.isspace() for ch in release):
        raise ParseError(f"kernel release is not a single word: {osrelease_text!r}")
    reasons = []
    if is_rt_release(release):
        m = _RT_INFIX.search(release)
        if m:
            reasons.append(f"uname -r contains {m.group(0)}")
        elif release.endswith("+rt"):
            reasons.append("uname -r ends with +rt")
        else:
            reasons.append(f"uname -r {release} matches the RT release pattern")
    if realtime_flag:
        reasons.append("/sys/kernel/realtime exists")
    if reasons:
        return RunningKernel(release=release, is_rt=True, evidence=" and ".join(reasons))
    if realtime_flag is None:
        evidence = f"no RT marker in uname -r {release} (/sys/kernel/realtime not checked)"
    else:
        evidence = f"no RT marker in uname -r {release} and no /sys/kernel/realtime"
    return RunningKernel(release=release, is_rt=False, evidence=evidence)
