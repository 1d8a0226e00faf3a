"""Be polite on a real-time box: lowest CPU and I/O priority, housekeeping CPUs only.

``rtkdump apply`` runs from cron on machines whose point is latency.  Before
any work the process lowers itself, and every command it starts inherits that
(nice value, scheduling policy, I/O priority and CPU affinity all survive
fork and exec):

* ``os.nice`` up to 19;
* ``SCHED_IDLE`` (sched(7): lower than nice 19; any process may switch itself
  to it);
* I/O priority class idle: the ``ioprio_set`` syscall (ioprio_set(2);
  ``IOPRIO_WHO_PROCESS``, class 3), through ctypes since Python has no binding;
  no ``ionice`` process is started;
* CPU affinity: the online CPUs minus ``/sys/devices/system/cpu/isolated``
  and ``nohz_full`` (the CPUs the RT workload owns), read through the Host so
  that ``--root`` reads the tree's, intersected with the affinity we were given.

Every step that is not permitted or not possible is skipped with a note;
nothing here ever fails the run.
"""

from __future__ import annotations

import os
from typing import List, Optional, Set

from .host import Host

# ioprio_set(2) syscall numbers (asm/unistd.h); other architectures: skipped with a note
_IOPRIO_SET = {"x86_64": 251, "aarch64": 30, "ppc64le": 273, "ppc64": 273, "s390x": 282}
_IOPRIO_WHO_PROCESS = 1
_IOPRIO_CLASS_IDLE = 3
_IOPRIO_CLASS_SHIFT = 13


def parse_cpu_list(text: str) -> Set[int]:
    """A sysfs CPU list ("0-3,8,10-11"; "" or "(null)" is empty). Raises ValueError."""
    text = text.strip()
    out: Set[int] = set()
    if not text or text == "(null)":
        return out
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.update(range(int(lo), int(hi) + 1))
        else:
            out.add(int(part))
    return out


def housekeeping_cpus(host: Host) -> Optional[Set[int]]:
    """Online CPUs minus isolated and nohz_full ones; None when there is no online list.

    Raises OSError when the list exists but cannot be read.
    """
    base = "/sys/devices/system/cpu/"
    try:
        online = parse_cpu_list(host.read_text(base + "online"))
    except (FileNotFoundError, ValueError):
        return None  # a tree without sysfs (a fixture host): nothing to restrict
    for name in ("isolated", "nohz_full"):
        try:
            online -= parse_cpu_list(host.read_text(base + name))
        except (OSError, ValueError):
            pass  # the file exists only on kernels with the feature: nothing isolated
    return online


def _set_ioprio_idle() -> Optional[str]:
    number = _IOPRIO_SET.get(os.uname().machine)
    if number is None:
        return f"I/O priority left as is: no ioprio_set number for {os.uname().machine}"
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        value = _IOPRIO_CLASS_IDLE << _IOPRIO_CLASS_SHIFT
        if libc.syscall(number, _IOPRIO_WHO_PROCESS, 0, value) != 0:
            return f"I/O priority left as is: ioprio_set: {os.strerror(ctypes.get_errno())}"
    except (OSError, AttributeError, ImportError) as exc:
        return f"I/O priority left as is: {exc}"
    return None


def be_polite(host: Host) -> List[str]:
    """Lower this process (and so its children) on every axis it can; the notes say what was not done."""
    notes: List[str] = []
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if current < 19:
            os.nice(19 - current)
    except OSError as exc:
        notes.append(f"nice left as is: {exc.strerror}")
    idle = getattr(os, "SCHED_IDLE", None)
    if idle is not None:
        try:
            os.sched_setscheduler(0, idle, os.sched_param(0))
        except OSError as exc:
            notes.append(f"scheduling policy left as is: SCHED_IDLE: {exc.strerror}")
    ioprio = _set_ioprio_idle()
    if ioprio:
        notes.append(ioprio)
    try:
        wanted = housekeeping_cpus(host)
    except OSError as exc:
        notes.append(f"CPU affinity left as is: /sys/devices/system/cpu/online: {exc.strerror}")
        return notes
    if wanted is None:
        return notes
    try:
        allowed = os.sched_getaffinity(0)
        cpus = allowed & wanted
        if not cpus:
            notes.append("CPU affinity left as is: no housekeeping CPU among the ones allowed to rtkdump")
        elif cpus != allowed:
            os.sched_setaffinity(0, cpus)
    except OSError as exc:
        notes.append(f"CPU affinity left as is: {exc.strerror}")
    return notes
