"""Build fixture hosts: a tree of files plus recorded command outputs, in each release's real formats.

A fixture host is what ``Host.open(root)`` replays (see reconciler/host.py,
RecordedRunner).  The outputs are written in the formats of
../shared/reference (BLS grubby on 8/9, C grubby on 7; rpm/systemctl exit
codes), so the planner is tested through the same parsers a real host feeds.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

SAMPLES = Path(__file__).parent / "fixtures" / "samples"
GiB = 1024**3
MiB = 1024**2

RELEASES = {
    "7.9": dict(
        rt="3.10.0-1160.rt56.1131.el7.x86_64",
        std="3.10.0-1160.el7.x86_64",
        pretty="Red Hat Enterprise Linux Server 7.9 (Maipo)",
        name="Red Hat Enterprise Linux Server",
        redhat_release="Red Hat Enterprise Linux Server release 7.9 (Maipo)",
        kdump_conf="kdump.conf.rhel7",
        sysconfig="sysconfig-kdump.rhel7.9.x86_64.constructed",
        boot_image="/vmlinuz-{k}",
        nvra="kexec-tools-2.0.15-51.el7_9.3.x86_64",
    ),
    "8.10": dict(
        rt="4.18.0-553.rt7.342.el8_10.x86_64",
        std="4.18.0-553.el8_10.x86_64",
        pretty="Red Hat Enterprise Linux 8.10 (Ootpa)",
        name="Red Hat Enterprise Linux",
        redhat_release="Red Hat Enterprise Linux release 8.10 (Ootpa)",
        kdump_conf="kdump.conf.upstream-2021-01-9462a7d",
        sysconfig="sysconfig-kdump.rhel8.x86_64.constructed",
        boot_image="(hd0,msdos1)/vmlinuz-{k}",
        nvra="kexec-tools-2.0.26-14.el8.x86_64",
    ),
    "9.2": dict(
        rt="5.14.0-284.11.1.rt14.296.el9_2.x86_64",
        std="5.14.0-284.11.1.el9_2.x86_64",
        pretty="Red Hat Enterprise Linux 9.2 (Plow)",
        name="Red Hat Enterprise Linux",
        redhat_release="Red Hat Enterprise Linux release 9.2 (Plow)",
        kdump_conf="kdump.conf.upstream-2021-11-73ced7f",
        sysconfig="sysconfig-kdump.upstream-2022-05-218d991.x86_64",
        boot_image="(hd0,gpt2)/vmlinuz-{k}",
        nvra="kexec-tools-2.0.25-13.el9_2.x86_64",
    ),
    "9.4": dict(
        rt="5.14.0-427.20.1.el9_4.x86_64+rt",
        std="5.14.0-427.20.1.el9_4.x86_64",
        pretty="Red Hat Enterprise Linux 9.4 (Plow)",
        name="Red Hat Enterprise Linux",
        redhat_release="Red Hat Enterprise Linux release 9.4 (Plow)",
        kdump_conf="kdump.conf.upstream-2021-11-73ced7f",
        sysconfig="sysconfig-kdump.upstream-2022-05-218d991.x86_64",
        boot_image="(hd0,gpt2)/vmlinuz-{k}",
        nvra="kexec-tools-2.0.27-8.el9.x86_64",
    ),
    "10.0": dict(
        rt="6.12.0-55.9.1.el10_0.x86_64+rt",
        std="6.12.0-55.9.1.el10_0.x86_64",
        pretty="Red Hat Enterprise Linux 10.0 (Coughlan)",
        name="Red Hat Enterprise Linux",
        redhat_release="Red Hat Enterprise Linux release 10.0 (Coughlan)",
        kdump_conf="kdump.conf.kdump-utils-current.x86_64",
        sysconfig="sysconfig-kdump.kdump-utils-current.x86_64",
        boot_image="(hd0,gpt2)/vmlinuz-{k}",
        nvra="kexec-tools-2.0.29-5.el10.x86_64",
    ),
    "10.1": dict(
        rt="6.12.0-124.45.1.el10_1.x86_64+rt",
        std="6.12.0-124.45.1.el10_1.x86_64",
        pretty="Red Hat Enterprise Linux 10.1 (Coughlan)",
        name="Red Hat Enterprise Linux",
        redhat_release="Red Hat Enterprise Linux release 10.1 (Coughlan)",
        kdump_conf="kdump.conf.kdump-utils-current.x86_64",
        sysconfig="sysconfig-kdump.kdump-utils-current.x86_64",
        boot_image="(hd0,gpt2)/vmlinuz-{k}",
        nvra="kexec-tools-2.0.29-5.el10.x86_64",
    ),
}
MACHINE_ID = "4d684a4a6166439a867e701ded4f7e10"
BASE_ARGS = [
    "ro",
    "root=/dev/mapper/rhel-root",
    "resume=/dev/mapper/rhel-swap",
    "rd.lvm.lv=rhel/root",
    "rd.lvm.lv=rhel/swap",
]
RT_ARGS = [
    "skew_tick=1",
    "isolcpus=managed_irq,domain,2-7",
    "intel_pstate=disable",
    "nosoftlockup",
    "tsc=reliable",
    "nohz=on",
    "nohz_full=2-7",
    "rcu_nocbs=2-7",
    "irqaffinity=0,1",
]
PACKAGE_NVRA = {
    "rt-setup": "rt-setup-2.1-5.el{m}.x86_64",
    "realtime-setup": "realtime-setup-2.5-2.el{m}.x86_64",
    "kdump-utils": "kdump-utils-1.0.54-1.el{m}.x86_64",
    "system-config-kdump": "system-config-kdump-2.0.13-{m}.el{m}.noarch",
}


@dataclass
class Entry:
    kernel_release: str
    args: List[str]

    @property
    def kernel(self) -> str:
        return f"/boot/vmlinuz-{self.kernel_release}"


@dataclass
class FixtureHost:
    """Everything a fixture host answers; tweak fields, then ``write(root)``."""

    release: str = "9.4"
    ram: int = 8 * GiB
    installed: Tuple[str, ...] = ()
    entries: List[Entry] = field(default_factory=list)
    default_index: Optional[int] = 0
    running_release: Optional[str] = None  # None: the default entry's kernel
    running_args: Optional[List[str]] = None  # None: the default entry's args
    reserved: Sequence[int] = ()  # sizes of "Crash kernel" regions in the running kernel
    iomem_hidden: bool = False  # non-root view: all-zero addresses
    kexec_loaded: bool = False
    kdump_conf: Optional[str] = None  # None: absent (or the stock file when kexec-tools is installed)
    sysconfig: Optional[str] = None
    enabled: str = "not-found"  # enabled | disabled | masked | not-found
    active: str = "inactive"
    product_name: Optional[str] = "PowerEdge R740"
    dirs: Tuple[str, ...] = ()
    files: Dict[str, str] = field(default_factory=dict)  # host path -> text (e.g. rtkdump's new-kernel hook)
    boot_id: str = "5a0bd0b0-3c1e-4f6e-9f4e-7a9a6f0e2d11"

    def __post_init__(self):
        info = RELEASES[self.release]
        if not self.entries:
            self.entries = [
                Entry(info["rt"], BASE_ARGS + RT_ARGS),
                Entry(info["std"], list(BASE_ARGS)),
                Entry(f"0-rescue-{MACHINE_ID}", list(BASE_ARGS)),
            ]
        if "kexec-tools" in self.installed:
            if self.kdump_conf is None:
                self.kdump_conf = (SAMPLES / info["kdump_conf"]).read_text()
            if self.sysconfig is None:
                self.sysconfig = (SAMPLES / info["sysconfig"]).read_text()
            if self.enabled == "not-found":
                self.enabled = "disabled"

    @property
    def major(self) -> int:
        return int(self.release.split(".")[0])

    @property
    def info(self) -> dict:
        return RELEASES[self.release]

    def set_crashkernel(self, value: Optional[str], which: str = "rt") -> None:
        """Put crashkernel=value on the RT entries ("rt") or all linux entries ("all")."""
        for e in self.entries:
            if which == "rt" and e.kernel_release != self.info["rt"]:
                continue
            e.args = [a for a in e.args if not a.startswith("crashkernel=")]
            if value:
                e.args.append(f"crashkernel={value}")

    # -- output formats ------------------------------------------------------
    def grubby_info(self) -> str:
        out = []
        bls = self.major >= 8
        for i, e in enumerate(self.entries):
            args = [a for a in e.args if not a.startswith("root=")]
            root = next((a[5:] for a in e.args if a.startswith("root=")), None)
            initrd = f"/boot/initramfs-{e.kernel_release}.img"
            if "+rt" in e.kernel_release or "0-rescue" in e.kernel_release:
                title_ver = self.info["pretty"].split(" ")[-2:]
            else:
                title_ver = self.info["pretty"].split(" ")[-2:]
            title = f"{self.info['name']} ({e.kernel_release}) {' '.join(title_ver)}"
            out.append(f"index={i}")
            if bls:
                out += [f'kernel="{e.kernel}"', f'args="{" ".join(args)}"']
                if root:
                    out.append(f'root="{root}"')
                out += [f'initrd="{initrd}"', f'title="{title}"', f'id="{MACHINE_ID}-{e.kernel_release}"']
            else:
                out += [f"kernel={e.kernel}", f'args="{" ".join(args)}"']
                if root:
                    out.append(f"root={root}")
                out += [f"initrd={initrd}", f"title={title}"]
        return "\n".join(out) + "\n"

    def grubby_argv(self, *args: str) -> List[str]:
        if self.major >= 8:
            return [
                "grubby",
                "--bls-directory",
                "{root}/boot/loader/entries",
                "--env",
                "{root}/boot/grub2/grubenv",
                *args,
            ]
        return ["grubby", "--config-file", "{root}/boot/grub2/grub.cfg", *args]

    def rpm_query(self, names: Sequence[str]) -> dict:
        lines, missing = [], 0
        for name in names:
            if name in self.installed:
                if name == "kexec-tools":
                    lines.append(self.info["nvra"])
                else:
                    lines.append(PACKAGE_NVRA.get(name, name + "-1.0-1.el{m}.x86_64").format(m=self.major))
            else:
                lines.append(f"package {name} is not installed")
                missing += 1
        return {"returncode": missing, "stdout": "\n".join(lines) + "\n", "stderr": ""}

    def is_enabled(self) -> dict:
        if self.enabled == "not-found":
            return {
                "returncode": 1,
                "stdout": "",
                "stderr": "Failed to get unit file state for kdump.service: No such file or directory\n",
            }
        ok = self.enabled in ("enabled", "enabled-runtime")
        return {"returncode": 0 if ok else 1, "stdout": self.enabled + "\n", "stderr": ""}

    def is_active(self) -> dict:
        word = self.active
        if self.enabled == "not-found" and self.major == 7:
            word = "unknown"
        return {"returncode": 0 if word == "active" else 3, "stdout": word + "\n", "stderr": ""}

    def iomem(self) -> str:
        lines = [
            "00000000-00000fff : Reserved",
            "00001000-0009ffff : System RAM",
            "000a0000-000fffff : Reserved",
            "  000f0000-000fffff : System ROM",
        ]
        low_end = min(self.ram, 3 * GiB) - 1
        lines.append(f"00100000-{low_end:08x} : System RAM")
        lines += [
            "  01000000-01e01d07 : Kernel code",
            "  02000000-029d7fff : Kernel rodata",
            "  02a00000-02e7d6bf : Kernel data",
            "  03335000-037fffff : Kernel bss",
        ]
        start = 0x2A000000
        for size in self.reserved:
            lines.append(f"  {start:08x}-{start + size - 1:08x} : Crash kernel")
            start += size
        lines.append("c0000000-febfffff : PCI Bus 0000:00")
        if self.ram > 3 * GiB:
            lines.append(f"100000000-{0x100000000 + self.ram - 3 * GiB - 1:x} : System RAM")
        text = "\n".join(lines) + "\n"
        if self.iomem_hidden:
            import re

            text = re.sub(r"[0-9a-f]+-[0-9a-f]+ :", "00000000-00000000 :", text)
        return text

    def default_entry(self) -> Optional[Entry]:
        if self.default_index is None or self.default_index >= len(self.entries):
            return None
        return self.entries[self.default_index]

    # -- write the tree --------------------------------------------------------
    def release_packages(self) -> Tuple[str, ...]:
        """`packages: recommended` on this release (the reconciler's release table)."""
        from reconciler.rules.releases import profile

        major, minor = (int(x) for x in self.release.split("."))
        row = profile(major, minor)
        return row.packages if row else ()

    def write(self, root: Path, packages: Optional[Sequence[str]] = None) -> Path:
        root = Path(root)
        if packages is None:
            packages = self.release_packages()
        info = self.info
        major, minor = self.release.split(".")

        def put(path: str, text: str) -> None:
            p = root / path.lstrip("/")
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)

        put(
            "/etc/os-release",
            f'NAME="{info["name"]}"\nVERSION="{self.release}"\nID="rhel"\n'
            f'ID_LIKE="fedora"\nVERSION_ID="{self.release}"\nPRETTY_NAME="{info["pretty"]}"\n',
        )
        put("/etc/redhat-release", info["redhat_release"] + "\n")
        default = self.default_entry()
        running_release = self.running_release or (default.kernel_release if default else info["rt"])
        running_entry = next((e for e in self.entries if e.kernel_release == running_release), default)
        args = (
            self.running_args
            if self.running_args is not None
            else (running_entry.args if running_entry else [])
        )
        put(
            "/proc/cmdline",
            " ".join([f"BOOT_IMAGE={info['boot_image'].format(k=running_release)}"] + args) + "\n",
        )
        put("/proc/iomem", self.iomem())
        mem_kb = (self.ram - 180 * MiB) // 1024
        put("/proc/meminfo", f"MemTotal:       {mem_kb} kB\nMemFree:        {mem_kb // 2} kB\n")
        put("/proc/sys/kernel/osrelease", running_release + "\n")
        put("/proc/sys/kernel/random/boot_id", self.boot_id + "\n")
        put("/sys/kernel/kexec_crash_size", f"{self.reserved[0] if self.reserved else 0}\n")
        put("/sys/kernel/kexec_crash_loaded", "1\n" if self.kexec_loaded else "0\n")
        if ".rt" in running_release or running_release.endswith("+rt"):
            put("/sys/kernel/realtime", "1\n")
        if self.product_name is not None:
            put("/sys/class/dmi/id/product_name", self.product_name + "\n")
            put(
                "/sys/class/dmi/id/sys_vendor", ("IBM" if "LS21" in self.product_name else "Dell Inc.") + "\n"
            )
        if self.kdump_conf is not None:
            put("/etc/kdump.conf", self.kdump_conf)
        if self.sysconfig is not None:
            put("/etc/sysconfig/kdump", self.sysconfig)
        for d in self.dirs:
            (root / d.lstrip("/")).mkdir(parents=True, exist_ok=True)
        for path, text in self.files.items():
            put(path, text)
        recorded = self.recorded(packages)
        put("/.rtkdump-recorded/commands.json", json.dumps(recorded, indent=1) + "\n")
        return root

    def recorded(self, packages: Sequence[str]) -> List[dict]:
        default = self.default_entry()
        rec: List[Dict] = [
            {"argv": ["rpm", "--root", "{root}", "-q", *packages], **self.rpm_query(packages)},
            {
                "argv": self.grubby_argv("--info=ALL"),
                "returncode": 0,
                "stdout": self.grubby_info(),
                "stderr": "",
            },
            {
                "argv": self.grubby_argv("--default-kernel"),
                "returncode": 0,
                "stdout": (default.kernel + "\n") if default else "",
                "stderr": "",
            },
            {"argv": ["systemctl", "--root", "{root}", "is-enabled", "kdump.service"], **self.is_enabled()},
            {"argv": ["systemctl", "--root", "{root}", "is-active", "kdump.service"], **self.is_active()},
        ]
        from reconciler.rules.releases import profile

        row = profile(self.major, int(self.release.split(".")[1]))
        kdump = row.kdump_package if row else "kexec-tools"
        if row and row.get_default_crashkernel and kdump in self.installed:
            # kdumpctl prints the value with echo -n (no newline)
            answer = {"returncode": 0, "stdout": row.crashkernel_default, "stderr": ""}
            rec.append({"argv": ["kdumpctl", "get-default-crashkernel"], **answer})
        return rec


def converged(release: str = "9.4", **kw) -> FixtureHost:
    """A host where states/default.yaml has nothing to do."""
    from reconciler.rules.crashkernel import parse_crashkernel, recommended_values

    ram = kw.pop("ram", 8 * GiB)
    host = FixtureHost(
        release=release,
        ram=ram,
        installed=FixtureHost(release=release).release_packages(),
        enabled="enabled",
        active="active",
        kexec_loaded=True,
        dirs=("/var/crash",),
        **kw,
    )
    values = recommended_values(host.major, ram - 180 * MiB)
    host.set_crashkernel(values[0])
    if values[0] == "auto":
        size = 161 * MiB if host.major == 7 else 256 * MiB
    else:
        size = parse_crashkernel(values[0]).reserved_for(ram - 180 * MiB)
    host.reserved = (size,)
    return host


def new_boot_id() -> str:
    return str(uuid.uuid4())


def main(argv=None) -> int:
    """Regenerate a bundled example host: ``python3 tests/fixturehost.py examples/rhel9-rt-host 9.4``."""
    import argparse
    import shutil

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("dest")
    parser.add_argument("release", choices=sorted(RELEASES))
    args = parser.parse_args(argv)
    dest = Path(args.dest)
    if dest.exists():
        shutil.rmtree(dest)
    FixtureHost(release=args.release).write(dest)
    (dest / "README.md").write_text(
        f"# A fresh RHEL {args.release} for Real Time host (fixture)\n\n"
        "Files as the host shows them plus, in `.rtkdump-recorded/commands.json`, the outputs of the\n"
        "commands rtkdump runs (`rpm -q`, `grubby`, `systemctl`), so `rtkdump plan --root` works on any\n"
        "Linux machine. Nothing is installed yet: no kexec-tools, no crashkernel=, no reservation.\n"
        f"Regenerate with `python3 tests/fixturehost.py <this directory> {args.release}`.\n"
    )
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
