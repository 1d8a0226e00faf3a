#!/usr/bin/env python3
"""The floor: what any tool doing rtkdump's job on this host must do, in plain Python.

The same file reads as ``rtkdump apply`` on a converged host and the commands
that cannot be avoided (rpm -q, systemctl is-enabled / is-active, kdumpctl
get-default-crashkernel on 9+, grubby --info=ALL on RHEL 7), all started at
once; no parsing beyond what picking the files needs, no YAML, no schema.
It lowers itself the way rtkdump does (nice 19, SCHED_IDLE, idle I/O,
housekeeping CPUs) so both run in the same scheduling class.

    python3 benchmarks/floor.py ROOT STATE MAJOR
"""

import os
import subprocess
import sys


def read(root, path):
    try:
        with open(root + path, "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def cpus(text):
    out = set()
    for part in text.decode().strip().split(","):
        if part and part != "(null)":
            lo, _, hi = part.partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
    return out


def main():
    root, state, major = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.nice(19)
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except OSError:
        pass
    try:  # ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << 13) on x86_64
        import ctypes

        ctypes.CDLL(None, use_errno=True).syscall(251, 1, 0, 3 << 13)
    except (OSError, AttributeError):
        pass
    base = "/sys/devices/system/cpu/"
    keep = cpus(read(root, base + "online")) - cpus(read(root, base + "isolated")) - cpus(read(root, base + "nohz_full"))
    if keep & os.sched_getaffinity(0):
        os.sched_setaffinity(0, keep & os.sched_getaffinity(0))
    read("", state)
    for path in (
        "/etc/os-release", "/proc/sys/kernel/osrelease", "/sys/kernel/realtime", "/proc/cmdline",
        "/proc/iomem", "/sys/kernel/kexec_crash_size", "/sys/kernel/kexec_crash_loaded", "/proc/meminfo",
        "/sys/class/dmi/id/product_name", "/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/board_name",
        "/proc/sys/kernel/random/boot_id", "/etc/kdump.conf", "/etc/sysconfig/kdump", "/etc/sysconfig/kernel",
        "/boot/grub2/grubenv", "/var/lib/rtkdump/journal.jsonl",
    ):
        read(root, path)
    if major >= 8:
        read(root, "/usr/sbin/grubby")
        read(root, "/proc/self/mountinfo")
        entries = root + "/boot/loader/entries"
        for name in sorted(os.listdir(entries)):
            read(entries, "/" + name)
    else:
        read(root, "/boot/grub2/grub.cfg")
    packages = {7: ["rt-setup", "kexec-tools"], 8: ["rt-setup", "kexec-tools"],
                9: ["realtime-setup", "kexec-tools"], 10: ["realtime-setup", "kdump-utils", "kexec-tools"]}[major]
    argvs = [
        ["rpm", "--root", root, "-q"] + packages,
        ["systemctl", "--root", root, "is-enabled", "kdump.service"],
        ["systemctl", "--root", root, "is-active", "kdump.service"],
    ]
    if major >= 9:
        argvs.append(["kdumpctl", "get-default-crashkernel"])
    if major == 7:
        argvs.append(["grubby", "--config-file", root + "/boot/grub2/grub.cfg", "--info=ALL"])
    env = dict(os.environ, LC_ALL="C")
    procs = [subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
             for a in argvs]
    for proc in procs:
        proc.communicate(timeout=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
