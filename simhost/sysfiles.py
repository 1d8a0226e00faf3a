"""Files a running RHEL shows that only matter to readers that skip a command: mountinfo, CPU lists, grubby-bls.

- ``/proc/self/mountinfo``: ``/`` and ``/boot`` as separate mounts, as the
  ``/etc/fstab`` written by create says (and as the grubby stand-in assumes:
  the BLS prefix is ``/boot``).  The format is proc(5)'s.
- ``/sys/devices/system/cpu/{possible,present,online,isolated,nohz_full}``:
  written at every boot from the booted command line's ``isolcpus=`` (its CPU
  list, after any ``managed_irq,domain,`` flags) and ``nohz_full=``, as the
  kernel does (Documentation/ABI/testing/sysfs-devices-system-cpu).
- ``/usr/sbin/grubby`` (RHEL 8+): the real grubby-bls script of Fedora dist-git
  rpms/grubby 68f872a (``data/grubby-bls.fedora-68f872a``, GPL-2.0), the
  revision whose read path (``sort -Vr``, only ``$kernelopts`` expanded) the
  grubby stand-in follows.  It is never run: the stand-in on PATH is; it is
  there so a reader can tell which grubby-bls the host has, as on a real host.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Optional

from .host import Host

GRUBBY_BLS = Path(__file__).parent / "data" / "grubby-bls.fedora-68f872a"


def write_mountinfo(host: Host) -> None:
    host.write(
        "/proc/self/mountinfo",
        "1 0 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/rhel-root rw,attr2,inode64,noquota\n"
        "60 1 8:1 / /boot rw,relatime shared:29 - xfs /dev/sda1 rw,attr2,inode64,noquota\n",
    )


def write_grubby_script(host: Host, bls: bool) -> None:
    if bls:
        host.write("/usr/sbin/grubby", GRUBBY_BLS.read_text(encoding="utf-8"), 0o755)


def _cpu_list_arg(args: List[str], key: str) -> Optional[str]:
    value = None
    for arg in args:
        if arg.startswith(key + "="):
            value = arg.split("=", 1)[1]
    if value is None:
        return None
    # isolcpus=[flag,...,]cpu-list: the flags are words, the list digits, commas and dashes
    parts = value.split(",")
    while parts and not re.fullmatch(r"[0-9-]+", parts[0]):
        parts.pop(0)
    return ",".join(parts)


def write_cpu_lists(host: Host, args: List[str]) -> None:
    ncpu = int(host.meta.get("cpus", 8))
    every = f"0-{ncpu - 1}" if ncpu > 1 else "0"
    for name in ("possible", "present", "online"):
        host.write(f"/sys/devices/system/cpu/{name}", every + "\n")
    host.write("/sys/devices/system/cpu/isolated", (_cpu_list_arg(args, "isolcpus") or "") + "\n")
    nohz = _cpu_list_arg(args, "nohz_full")
    host.write("/sys/devices/system/cpu/nohz_full", (nohz if nohz else "(null)") + "\n")
