"""rt-setup-kdump (RHEL 7/8 rt-setup) and realtime-setup-kdump (RHEL 9 realtime-setup) stand-in.

Written from the real script (clrkwllms/realtime-setup @24d598f `realtime-setup-kdump`, which is
the rt-setup 2.1 script with rt- renamed): the name printed is the command's own (`me=$(basename
$0)`); `fatal` prints "NAME:  WORDS" and exits 255 (`exit -1`); the RT entries are the
`grubby --info=ALL` indexes whose kernel matches the awk regex `.rt.*.el8.x86_64` (hard-wired to
el8; on RHEL 7 [inferred] `el7`), and grubby runs only `if [ ! -z $kernels ]`, so when nothing
matches (8.10's `…el8_10…`, every RHEL 9 kernel) the script still rewrites KDUMP_KERNELVER and
exits 0.  RHEL 10's realtime-setup 2.5 ships no such script.
The simulator always runs as root, so the root check never fires.
"""
# ruff: noqa: UP031  (printf formats mirror the C/yum/kernel originals on purpose)

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from typing import Optional, Sequence, TextIO

from . import grubby
from .host import installed_command
from .pkg import rpm_argv


def usage(out: TextIO, me: str) -> None:
    out.write(
        f"usage: {me} [-g|--grub] [-r|--rhel] [-v|--verbose] [-h|--help]\n"
        "       --grub    - add crashkernel arg to rt grub entries\n"
        "       --rhel    - use the RHEL-8 kernel as the kdump kernel\n"
        "                   (the default is to use the RHEL-RT kernel)\n"
        "       --verbose - print out actions\n"
        "       --help    - print this message\n"
    )


def fatal(out: TextIO, me: str, text: str) -> int:
    out.write(f"{me}:  {' '.join(text.split())}\n")  # echo "$me: " $1 (unquoted $1 is word-split)
    return 255


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    me = os.path.basename(sys.argv[0]) if argv is None else "rt-setup-kdump"
    argv = list(sys.argv[1:] if argv is None else argv)
    host, rc = installed_command(me, err)
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
        elif a in ("-h", "--help"):
            usage(out, me)
            return 255
        else:
            err.write(
                f"getopt: unrecognized option '{a}'\n"
                if a.startswith("--")
                else f"getopt: invalid option -- '{a.lstrip('-')[:1]}'\n"
            )
            usage(out, me)
            return 255
    if not host.exists("/etc/sysconfig/kdump"):
        out.write("  File /etc/sysconfig/kdump not found.\n")
        out.write("  Please, check your kexec-tools installation.\n")
        return 1
    if not grub:
        out.write("Not performing changes to /etc/grub.conf\n\n")
        if "crashkernel" not in host.cmdline():
            out.write(
                "  Kernel DOES NOT have memory reserved for kdump kernel...\n"
                "  Use --grub option to enable crashkernel option on kernel command line\n\n"
            )
    pkg = "kernel" if rhel else "kernel-rt"
    proc = subprocess.run(rpm_argv(["-q", "--last", pkg]), capture_output=True, text=True)
    first = (proc.stdout.splitlines() or [""])[0].split()
    # latest_package_ver: $($rpmcmd $pkg | head -1 | awk '{print $1}'); echo ${ver#$pkg-}
    ver = (
        first[0][len(pkg) + 1 :] if first and first[0].startswith(pkg + "-") else (first[0] if first else "")
    )
    if not ver:
        return fatal(out, me, f"  Can't find {pkg} package information!")
    if verbose:
        out.write(f"  making kernel-{ver} the kdump kernel\n")
    # vmlinux_ver: the first /boot/vmlinuz-* (glob order) that starts with vmlinuz-$ver
    boot = sorted(p.name for p in host.path("/boot").glob(f"vmlinuz-{glob_escape(ver)}*"))
    if not boot:
        return fatal(out, me, "  Can't get vmlinux version!")
    kver = boot[0][len("vmlinuz-") :]
    text = host.read("/etc/sysconfig/kdump") or ""
    shutil.copy2(host.path("/etc/sysconfig/kdump"), host.path("/etc/sysconfig/kdump.save"))
    text = re.sub(r"^KDUMP_KERNELVER.*$", f'KDUMP_KERNELVER="{kver}"', text, flags=re.M)
    host.write("/etc/sysconfig/kdump", text)
    if grub:
        info = io.StringIO()
        grubby.main(["--info=ALL"], info, io.StringIO())
        regex = re.compile(r".rt.*.el%d.x86_64" % (7 if rel.major == 7 else 8))
        indexes, idx = [], None
        for line in info.getvalue().splitlines():
            if line.startswith("index="):
                idx = line.split("=", 1)[1]
            elif line.startswith("kernel=") and idx is not None and regex.search(line.split("=", 1)[1]):
                indexes.append(idx)
        if not indexes:
            return 0  # `if [ ! -z $kernels ]` skips grubby; `exit $?` is then 0
        if verbose:
            out.write(f"  adding 'crashkernel=auto' arg to grub entries: {','.join(indexes)}\n")
        return grubby.main([f"--update-kernel={','.join(indexes)}", "--args=crashkernel=auto"], out, err)
    return 0


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
