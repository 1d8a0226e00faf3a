"""Boot a real Debian kernel under QEMU (TCG) with a busybox initramfs, and get its files out.

The guest's init (``INIT`` below) copies the running kernel's /proc/iomem, /proc/cmdline,
/proc/meminfo and /sys/kernel/kexec_crash_{size,loaded} to a 9p share, optionally loads a
capture kernel with ``kexec -p`` and crashes with sysrq. The capture kernel is the same kernel
with the same initramfs; its init sees ``rtkdump_capture=1`` and saves /proc/vmcore with
makedumpfile into ``var/crash/127.0.0.1-<date>/vmcore`` on the share, the layout kdump writes.

9p is used because the Debian kernel has it (as modules, insmodded from the initramfs) and it
needs no file system image on the host side: the guest writes straight into a host directory.
Nothing here touches the build machine's /boot, /etc or /proc: the kernel is read from a tree
(``/`` or an extracted linux-image .deb), and everything built goes under a temp dir.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

# The 9p stack and virtio-pci: modules in Debian's kernel (CONFIG_NET_9P=m, CONFIG_VIRTIO_PCI=m).
WANTED_MODULES = ("virtio_pci", "9pnet_virtio", "9p")
# Copied into the initramfs with their shared libraries (kexec-tools, makedumpfile packages).
GUEST_PROGRAMS = ("/usr/sbin/kexec", "/usr/bin/makedumpfile")
BUSYBOX = "/usr/bin/busybox"  # busybox-static: no libraries needed
# Where a linux-image .deb may have been extracted (dpkg-deb -x) instead of installed, so that
# CI does not have to write the build machine's /boot.
KERNEL_ROOT_ENV = "RTKDUMP_KERNEL_ROOT"
DEFAULT_KERNEL_ROOTS = ("/", "/var/cache/rtkdump-kernel-test/root")

CAPTURE_APPEND = "rtkdump_capture=1 irqpoll nr_cpus=1 reset_devices"

INIT = r"""#!/bin/busybox sh
# rtkdump kernel test guest init (busybox sh). Every line it says goes to the serial console.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
say() { echo "rtkdump-guest: $*"; }
fail() { say "FAILED: $*"; sync; poweroff -f; }
for m in $(cat /etc/modules.order); do insmod "/lib/modules/$m" || say "insmod $m failed"; done
mkdir -p /out /in
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /out || fail "mount 9p out"
arg() { for w in $(cat /proc/cmdline); do case "$w" in "$1"=*) echo "${w#*=}"; return;; esac; done; }
snap() {  # the files rtkdump reads, as the kernel shows them now
    d="/out/$1"; mkdir -p "$d/proc" "$d/sys/kernel"
    cat /proc/iomem > "$d/proc/iomem"
    cat /proc/cmdline > "$d/proc/cmdline"
    cat /proc/meminfo > "$d/proc/meminfo"
    cat /sys/kernel/kexec_crash_size > "$d/sys/kernel/kexec_crash_size"
    cat /sys/kernel/kexec_crash_loaded > "$d/sys/kernel/kexec_crash_loaded"
    say "$1: crash_size=$(cat /sys/kernel/kexec_crash_size) loaded=$(cat /sys/kernel/kexec_crash_loaded)"
}
if [ "$(arg rtkdump_capture)" = 1 ]; then
    say "capture kernel: /proc/vmcore is $(stat -c %s /proc/vmcore) bytes"
    snap capture
    dir="/out/var/crash/127.0.0.1-$(date +%Y-%m-%d-%H:%M:%S)"
    mkdir -p "$dir"
    stat -c %s /proc/vmcore > "$dir/proc-vmcore-size"
    # kdump's own order: write vmcore-incomplete, rename when complete
    if makedumpfile -l --message-level 1 -d 31 /proc/vmcore "$dir/vmcore-incomplete"; then
        mv "$dir/vmcore-incomplete" "$dir/vmcore"
    else
        say "makedumpfile failed; saving the ELF head with dd"
        dd if=/proc/vmcore of="$dir/vmcore-incomplete" bs=1M count=4 2>/dev/null
        mv "$dir/vmcore-incomplete" "$dir/vmcore"
    fi
    makedumpfile --dump-dmesg /proc/vmcore "$dir/vmcore-dmesg.txt" >/dev/null 2>&1
    say "saved $dir/vmcore ($(stat -c %s "$dir/vmcore") bytes)"
    sync; umount /out; poweroff -f
fi
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro in /in || fail "mount 9p in"
snap boot
if [ "$(arg rtkdump_load)" = 1 ]; then
    kexec -p /in/vmlinuz --initrd=/in/initrd.img --append="$(cat /in/capture-append)" > /out/kexec.log 2>&1
    echo $? > /out/kexec.rc
    say "kexec -p exited $(cat /out/kexec.rc): $(cat /out/kexec.log)"
    snap loaded
fi
if [ "$(arg rtkdump_crash)" = 1 ]; then
    say "crashing: echo c > /proc/sysrq-trigger"
    sync
    echo c > /proc/sysrq-trigger
fi
say "done, powering off"
sync; umount /out; poweroff -f
"""


class GuestUnavailable(Exception):
    """What is missing to boot a guest (the test skips with this)."""


@dataclass(frozen=True)
class Kernel:
    release: str
    image: Path
    modules: Path  # lib/modules/<release>


def find_kernel(roots: Optional[Sequence[str]] = None) -> Kernel:
    """A Debian amd64 kernel image with its modules: installed, or from an extracted .deb."""
    if roots is None:
        env = os.environ.get(KERNEL_ROOT_ENV)
        roots = (env,) if env else DEFAULT_KERNEL_ROOTS
    tried = []
    for root in roots:
        images = glob.glob(os.path.join(root, "boot", "vmlinuz-*")) + glob.glob(
            os.path.join(root, "usr/lib/modules/*/vmlinuz")
        )
        for image in sorted(images, key=_version_key, reverse=True):  # the newest kernel first
            release = (
                os.path.basename(image)[len("vmlinuz-") :]
                if "/boot/" in image
                else os.path.basename(os.path.dirname(image))
            )
            for mods in (
                os.path.join(root, "lib/modules", release),
                os.path.join(root, "usr/lib/modules", release),
            ):
                if os.path.isdir(os.path.join(mods, "kernel")) and os.access(image, os.R_OK):
                    return Kernel(release, Path(image), Path(mods))
            tried.append(image)
    raise GuestUnavailable(
        "no kernel image with its modules under "
        + ", ".join(roots)
        + (f" (images without modules: {', '.join(tried)})" if tried else "")
        + f"; apt-get install linux-image-amd64, or dpkg-deb -x a linux-image .deb and set {KERNEL_ROOT_ENV}"
    )


def _version_key(path: str) -> List:
    """Natural order, so that 6.1.0-57 sorts after 6.1.0-9."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def find_qemu() -> str:
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        raise GuestUnavailable("qemu-system-x86_64 not found (apt-get install qemu-system-x86)")
    return qemu


# --- the initramfs -------------------------------------------------------------------
def module_depends(ko: Path) -> List[str]:
    """The ``depends=`` of a .ko's .modinfo section (the deb ships no modules.dep: depmod makes it)."""
    m = re.search(rb"(?:^|\x00)depends=([^\x00]*)\x00", ko.read_bytes())
    return [d for d in m.group(1).decode().split(",") if d] if m else []


def module_load_order(modules: Path, wanted: Iterable[str]) -> List[Path]:
    """The .ko files for ``wanted`` and everything they depend on, dependencies first."""
    index: Dict[str, Path] = {}
    for ko in modules.glob("kernel/**/*.ko"):
        index[ko.name[:-3].replace("-", "_")] = ko
    order: List[Path] = []
    seen = set()

    def visit(name: str) -> None:
        key = name.replace("-", "_")
        if key in seen:
            return
        seen.add(key)
        if key not in index:
            builtin = (modules / "modules.builtin").read_text()
            if re.search(rf"/{re.escape(name)}\.ko$", builtin, re.M) or re.search(
                rf"/{re.escape(key)}\.ko$", builtin, re.M
            ):
                return  # built into the kernel: nothing to load
            raise GuestUnavailable(f"kernel module {name} not found under {modules}")
        for dep in module_depends(index[key]):
            visit(dep)
        order.append(index[key])

    for name in wanted:
        visit(name)
    return order


def shared_libraries(program: str) -> List[str]:
    """The libraries ldd resolves for ``program``, the dynamic loader included."""
    out = subprocess.run(["ldd", program], capture_output=True, text=True, check=True, timeout=30).stdout
    libs = []
    for line in out.splitlines():
        m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


class CpioWriter:
    """A newc ("070701") cpio archive, the format the kernel unpacks as an initramfs."""

    def __init__(self) -> None:
        self.parts: List[bytes] = []
        self.ino = 1
        self.dirs = set()

    def _entry(self, name: str, mode: int, data: bytes = b"") -> None:
        name_b = name.encode() + b"\0"
        fields = (self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0)
        header = b"070701" + b"".join(f"{f:08x}".encode() for f in fields)
        self.ino += 1
        blob = header + name_b
        blob += b"\0" * (-len(blob) % 4)
        blob += data + b"\0" * (-len(data) % 4)
        self.parts.append(blob)

    def mkdir(self, path: str) -> None:
        path = path.strip("/")
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in self.dirs:
                self.dirs.add(d)
                self._entry(d, stat.S_IFDIR | 0o755)

    def add_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        path = path.strip("/")
        if "/" in path:
            self.mkdir(path.rsplit("/", 1)[0])
        self._entry(path, stat.S_IFREG | mode, data)

    def add_symlink(self, path: str, target: str) -> None:
        path = path.strip("/")
        if "/" in path:
            self.mkdir(path.rsplit("/", 1)[0])
        self._entry(path, stat.S_IFLNK | 0o777, target.encode())

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return b"".join(self.parts)


def build_initramfs(kernel: Kernel, dest: Path) -> Path:
    """Write the guest's initramfs (uncompressed newc cpio) to ``dest``."""
    for prog in (BUSYBOX, *GUEST_PROGRAMS):
        if not os.access(prog, os.X_OK):
            pkg = {
                "/usr/bin/busybox": "busybox-static",
                "/usr/sbin/kexec": "kexec-tools",
                "/usr/bin/makedumpfile": "makedumpfile",
            }[prog]
            raise GuestUnavailable(f"{prog} not found (apt-get install {pkg})")
    cpio = CpioWriter()
    for d in ("proc", "sys", "dev", "out", "in", "tmp", "sbin", "usr/bin", "usr/sbin", "etc", "lib64"):
        cpio.mkdir(d)
    cpio.add_file("init", INIT.encode(), 0o755)
    cpio.add_file("bin/busybox", Path(BUSYBOX).read_bytes(), 0o755)
    cpio.add_symlink("bin/sh", "busybox")
    copied = set()
    for prog in GUEST_PROGRAMS:
        cpio.add_file(prog, Path(prog).read_bytes(), 0o755)
        for lib in shared_libraries(prog):
            real = os.path.realpath(lib)
            if lib in copied:
                continue
            copied.add(lib)
            cpio.add_file(lib, Path(real).read_bytes(), 0o755)
    order = []
    for ko in module_load_order(kernel.modules, WANTED_MODULES):
        rel = ko.relative_to(kernel.modules).as_posix()
        cpio.add_file(f"lib/modules/{rel}", ko.read_bytes())
        order.append(rel)
    cpio.add_file("etc/modules.order", ("\n".join(order) + "\n").encode())
    dest.write_bytes(cpio.finish())
    return dest


# --- one boot --------------------------------------------------------------------------
@dataclass
class Boot:
    """One QEMU run: what went in, how long it took, what the guest wrote."""

    name: str
    memory: str
    append: str
    out: Path  # the 9p share the guest wrote to
    console: Path
    seconds: float = 0.0
    returncode: Optional[int] = None
    timed_out: bool = False
    extra: Dict[str, str] = field(default_factory=dict)

    def snapshot(self, which: str = "boot") -> Path:
        """The directory with proc/ and sys/kernel/ as the guest's kernel showed them."""
        return self.out / which

    def console_text(self) -> str:
        return self.console.read_text(errors="replace") if self.console.exists() else ""

    def vmcores(self) -> List[Path]:
        return sorted(self.out.glob("var/crash/*/vmcore"))


class Guest:
    """A kernel + the initramfs built once; ``boot()`` runs QEMU for one step."""

    def __init__(self, workdir: Path, kernel: Optional[Kernel] = None):
        self.qemu = find_qemu()
        self.kernel = kernel or find_kernel()
        self.workdir = workdir
        self.share_in = workdir / "in"
        self.share_in.mkdir(parents=True, exist_ok=True)
        self.initrd = build_initramfs(self.kernel, self.share_in / "initrd.img")
        shutil.copyfile(self.kernel.image, self.share_in / "vmlinuz")
        self.boots: List[Boot] = []

    def boot(
        self,
        name: str,
        memory: str,
        append: str = "",
        *,
        load: bool = False,
        crash: bool = False,
        timeout: float = 240.0,
    ) -> Boot:
        out = self.workdir / f"out-{name}"
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        console = self.workdir / f"console-{name}.log"
        # panic=1: with -no-reboot a panic without a capture kernel ends QEMU instead of hanging
        cmdline = " ".join(
            filter(
                None,
                (
                    "console=ttyS0 panic=1 quiet loglevel=4",
                    append,
                    "rtkdump_load=1" if load else "",
                    "rtkdump_crash=1" if crash else "",
                ),
            )
        )
        # the capture kernel gets the same console and panic handling, plus the kdump tokens
        (self.share_in / "capture-append").write_text(f"console=ttyS0 panic=1 loglevel=4 {CAPTURE_APPEND}\n")
        argv = [
            self.qemu,
            "-machine",
            "pc",
            "-accel",
            "tcg",
            "-cpu",
            "qemu64",
            "-smp",
            "1",
            "-m",
            memory,
            "-nographic",
            "-no-reboot",
            "-monitor",
            "none",
            "-serial",
            f"file:{console}",
            "-kernel",
            str(self.kernel.image),
            "-initrd",
            str(self.initrd),
            "-append",
            cmdline,
            "-fsdev",
            f"local,id=out,path={out},security_model=none",
            "-device",
            "virtio-9p-pci,fsdev=out,mount_tag=out",
            "-fsdev",
            f"local,id=in,path={self.share_in},security_model=none,readonly=on",
            "-device",
            "virtio-9p-pci,fsdev=in,mount_tag=in",
            "-net",
            "none",
        ]
        boot = Boot(name=name, memory=memory, append=cmdline, out=out, console=console)
        start = time.monotonic()
        try:
            proc = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
            boot.returncode = proc.returncode
            boot.extra["qemu_output"] = proc.stdout.decode(errors="replace")[-2000:]
        except subprocess.TimeoutExpired:
            # subprocess.run kills the child it started on timeout; nothing else is touched
            boot.timed_out = True
        boot.seconds = time.monotonic() - start
        self.boots.append(boot)
        return boot


def read_snapshot(snapshot: Path) -> Dict[str, str]:
    """The five files rtkdump reads, as text, from a guest snapshot directory."""
    names = (
        "proc/iomem",
        "proc/cmdline",
        "proc/meminfo",
        "sys/kernel/kexec_crash_size",
        "sys/kernel/kexec_crash_loaded",
    )
    return {n: (snapshot / n).read_text() for n in names}


def iomem_crash_regions(iomem: str) -> List[Tuple[str, int, int]]:
    """(name, start, end) of each "Crash kernel" line of /proc/iomem, as the kernel prints them."""
    regions = []
    for line in iomem.splitlines():
        m = re.match(r"^\s*([0-9a-f]+)-([0-9a-f]+) : (Crash kernel.*)$", line)
        if m:
            regions.append((m.group(3), int(m.group(1), 16), int(m.group(2), 16)))
    return regions
