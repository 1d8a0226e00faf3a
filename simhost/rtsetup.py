"""rt-setup-kdump stand-in (RHEL 7/8 rt-setup), after platform-facts §6.

The simulator always runs as root, so the root check never fires.
"""

# ruff: noqa: UP031  (printf formats mirror the C/yum/kernel originals on purpose)

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from typing import Optional, Sequence, TextIO

from . import grubby
from .host import installed_command
from .pkg import rpm_argv

NAME = "rt-setup-kdump"


def usage(out: TextIO) -> None:
    out.write(f"usage: {NAME} [-g|--grub] [-r|--rhel] [-v|--verbose] [-h|--help]\n")


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    host, rc = installed_command(NAME, err)
    if host is None:
        return rc
    rel = host.release
    grub = rhel = verbose = False
    for a in argv:
        if a in ("-g", "--grub"):
            grub = True
        elif a in ("-r", "--rhel"):
            rhel = True
        elif a in ("-v", "--verbose"):
            verbose = True
        else:
            usage(out)
            return 255
    if not host.exists("/etc/sysconfig/kdump"):
        out.write("  File /etc/sysconfig/kdump not found.\n")
        out.write("  Please, check your kexec-tools installation.\n")
        return 1
    if not grub:
        out.write("Not performing changes to /etc/grub.conf\n")
        if "crashkernel" not in host.cmdline():
            out.write("  Kernel DOES NOT have memory reserved for kdump kernel...\n")
    pkg = "kernel" if rhel else "kernel-rt"
    proc = subprocess.run(rpm_argv(["-q", "--last", pkg]), capture_output=True, text=True)
    first = (proc.stdout.splitlines() or [""])[0].split()
    ver = first[0][len(pkg) + 1:] if first and first[0].startswith(pkg + "-") else (first[0] if first else "")
    boot = sorted(p.name for p in host.path("/boot").glob(f"vmlinuz-{ver}*")) if ver else []
    if not boot:
        out.write("  Can't get vmlinux version!\n")
        return 255
    kver = boot[0][len("vmlinuz-"):]
    if verbose:
        out.write(f"  Using kernel version {kver}\n")
    text = host.read("/etc/sysconfig/kdump") or ""
    shutil.copy2(host.path("/etc/sysconfig/kdump"), host.path("/etc/sysconfig/kdump.save"))
    text = re.sub(r"^KDUMP_KERNELVER.*$", f'KDUMP_KERNELVER="{kver}"', text, flags=re.M)
    host.write("/etc/sysconfig/kdump", text)
    if grub:
        info = io.StringIO()
        grubby.main(["--info=ALL"], info, io.StringIO())
        regex = re.compile(r".rt.*.el%d.x86_64" % rel.major)
        indexes, idx = [], None
        for line in info.getvalue().splitlines():
            if line.startswith("index="):
                idx = line.split("=", 1)[1]
            elif line.startswith("kernel=") and idx is not None and regex.search(line.split("=", 1)[1]):
                indexes.append(idx)
        rc = grubby.main([f"--update-kernel={','.join(indexes)}", "--args=crashkernel=auto"], out, err)
        if rc != 0:
            return rc
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
