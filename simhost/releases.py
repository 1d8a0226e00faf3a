"""Per-release facts of the simulated RHEL for Real Time hosts.

Everything that differs between 7.9, 8.10, 9.2 and 9.4 lives here so the
rest of the simulator can ask ``release.major`` / ``release.bls`` instead of
comparing strings.  Sources: shared/reference/platform-facts.md (§1.6 kernel
names, §3.2 crashkernel defaults, §4.1/§5.1 stock files, §7 outputs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

RELEASES = ("7.9", "8.10", "9.2", "9.4")


@dataclass(frozen=True)
class Pkg:
    """One RPM of the simulated repository."""

    name: str
    version: str
    release: str
    arch: str = "x86_64"
    summary: str = ""
    # (path, kind, source) kind: "config" (noreplace), "file", "dir", "exe", "ghost"
    files: Tuple[Tuple[str, str, str], ...] = ()
    provides: Tuple[str, ...] = ()

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"

    @property
    def nvra(self) -> str:
        return f"{self.nvr}.{self.arch}"

    @property
    def filename(self) -> str:
        return f"{self.nvra}.rpm"


@dataclass(frozen=True)
class Release:
    version: str
    major: int
    minor: int
    os_name: str
    pretty_name: str
    redhat_release: str
    codename: str
    rt_kver: str
    std_kver: str
    rt_rpm: Tuple[str, str]  # (version, release) of kernel-rt
    std_rpm: Tuple[str, str]
    kexec_tools: Tuple[str, str]
    rt_setup: Tuple[str, str]
    system_config_kdump: Tuple[str, str]
    kdump_conf: str  # data file names
    sysconfig: str
    kdump_service: str
    sysconfig_remove_extra: str = ""
    release_pkg: str = "redhat-release"
    extra: Dict[str, str] = field(default_factory=dict)

    # -- derived ---------------------------------------------------------
    @property
    def bls(self) -> bool:
        return self.major >= 8

    @property
    def dist(self) -> str:
        return self.rt_rpm[1].rsplit(".", 1)[-1]

    @property
    def kdumpctl_prefix(self) -> str:
        """RHEL 7 kdumpctl prints bare lines on stdout; 8/9 use kdump-logger.

        RHEL 8 is treated like 9 (the minor where the logger arrived is
        [unverified] in platform-facts §7; 8.10 certainly has it).
        """
        return "" if self.major == 7 else "kdump: "

    @property
    def title_os(self) -> str:
        return "Red Hat Enterprise Linux Server" if self.major == 7 else "Red Hat Enterprise Linux"

    def title(self, kver: str) -> str:
        return f"{self.title_os} ({kver}) {self.version} ({self.codename})"

    @property
    def kernel_pkg_names(self) -> Tuple[str, str]:
        """(rt, std) names of the packages that own /boot/vmlinuz-*."""
        if self.major == 7:
            return ("kernel-rt", "kernel")
        return ("kernel-rt-core", "kernel-core")

    @property
    def dnf_lock_style(self) -> str:
        return "yum" if self.major == 7 else "dnf"


RELEASE_DATA: Dict[str, Release] = {
    "7.9": Release(
        version="7.9", major=7, minor=9,
        os_name="Red Hat Enterprise Linux Server",
        pretty_name="Red Hat Enterprise Linux Server 7.9 (Maipo)",
        redhat_release="Red Hat Enterprise Linux Server release 7.9 (Maipo)",
        codename="Maipo",
        rt_kver="3.10.0-1160.rt56.1131.el7.x86_64",
        std_kver="3.10.0-1160.el7.x86_64",
        rt_rpm=("3.10.0", "1160.rt56.1131.el7"),
        std_rpm=("3.10.0", "1160.el7"),
        kexec_tools=("2.0.15", "51.el7_9.3"),
        rt_setup=("2.0", "9.el7"),
        system_config_kdump=("2.0.13", "17.el7"),
        kdump_conf="kdump.conf.rhel7",
        sysconfig="sysconfig-kdump.rhel7.9.x86_64.constructed",
        kdump_service="kdump.service.rhel7",
        release_pkg="redhat-release-server",
    ),
    "8.10": Release(
        version="8.10", major=8, minor=10,
        os_name="Red Hat Enterprise Linux",
        pretty_name="Red Hat Enterprise Linux 8.10 (Ootpa)",
        redhat_release="Red Hat Enterprise Linux release 8.10 (Ootpa)",
        codename="Ootpa",
        rt_kver="4.18.0-553.rt7.342.el8_10.x86_64",
        std_kver="4.18.0-553.el8_10.x86_64",
        rt_rpm=("4.18.0", "553.rt7.342.el8_10"),
        std_rpm=("4.18.0", "553.el8_10"),
        kexec_tools=("2.0.26", "14.el8"),
        rt_setup=("2.1", "5.el8"),
        system_config_kdump=("3.0.5", "2.el8"),
        kdump_conf="kdump.conf.upstream-2021-01-9462a7d",
        sysconfig="sysconfig-kdump.rhel8.x86_64.constructed",
        # RHEL 8.7+ appends ignition.firstboot (platform-facts §5.1)
        sysconfig_remove_extra=" ignition.firstboot",
        kdump_service="kdump.service.upstream-2020-10-0084806",
    ),
    "9.2": Release(
        version="9.2", major=9, minor=2,
        os_name="Red Hat Enterprise Linux",
        pretty_name="Red Hat Enterprise Linux 9.2 (Plow)",
        redhat_release="Red Hat Enterprise Linux release 9.2 (Plow)",
        codename="Plow",
        rt_kver="5.14.0-284.11.1.rt14.296.el9_2.x86_64",
        std_kver="5.14.0-284.11.1.el9_2.x86_64",
        rt_rpm=("5.14.0", "284.11.1.rt14.296.el9_2"),
        std_rpm=("5.14.0", "284.11.1.el9_2"),
        kexec_tools=("2.0.25", "13.el9_2"),
        rt_setup=("2.1", "4.el9"),
        system_config_kdump=("3.0.5", "3.el9"),
        kdump_conf="kdump.conf.upstream-2021-11-73ced7f",
        sysconfig="sysconfig-kdump.upstream-2022-05-218d991.x86_64",
        kdump_service="kdump.service.upstream-2020-10-0084806",
    ),
    "9.4": Release(
        version="9.4", major=9, minor=4,
        os_name="Red Hat Enterprise Linux",
        pretty_name="Red Hat Enterprise Linux 9.4 (Plow)",
        redhat_release="Red Hat Enterprise Linux release 9.4 (Plow)",
        codename="Plow",
        rt_kver="5.14.0-427.20.1.el9_4.x86_64+rt",
        std_kver="5.14.0-427.20.1.el9_4.x86_64",
        rt_rpm=("5.14.0", "427.20.1.el9_4"),
        std_rpm=("5.14.0", "427.20.1.el9_4"),
        kexec_tools=("2.0.27", "8.el9"),
        rt_setup=("2.1", "4.el9"),
        system_config_kdump=("3.0.5", "3.el9"),
        kdump_conf="kdump.conf.upstream-2021-11-73ced7f",
        sysconfig="sysconfig-kdump.upstream-2022-05-218d991.x86_64",
        kdump_service="kdump.service.upstream-2020-10-0084806",
    ),
}


def get(version: str) -> Release:
    try:
        return RELEASE_DATA[version]
    except KeyError:
        raise ValueError(f"unknown release {version!r}: choose one of {', '.join(RELEASES)}") from None


def is_rt_kver(kver: str) -> bool:
    """platform-facts §1.6: `.rt<digits>.` in the uname or a `+rt` suffix."""
    import re

    return bool(re.search(r"\.rt\d+\.", kver)) or kver.endswith("+rt")


def repo_packages(rel: Release) -> List[Pkg]:
    """The packages of one release's repository (payload paths; sources are data names)."""
    maj = rel.major
    kt_files: List[Tuple[str, str, str]] = [
        ("/etc/kdump.conf", "config", rel.kdump_conf),
        ("/etc/sysconfig/kdump", "config", "@sysconfig"),
        ("/usr/lib/systemd/system/kdump.service", "file", rel.kdump_service),
        ("/usr/bin/kdumpctl", "exe", "@kdumpctl"),
        ("/var/crash", "dir", ""),
    ]
    if maj == 7:
        # RHEL 7 still ships /sbin as a symlink; kexec lives in /usr/sbin
        kt_files.append(("/usr/sbin/kexec", "exe", "@kexec"))
    else:
        kt_files.append(("/usr/sbin/kexec", "exe", "@kexec"))
    rt_files: List[Tuple[str, str, str]] = [
        ("/usr/bin/kernel-is-rt", "exe", "@kernel-is-rt"),
        ("/etc/security/limits.d/realtime.conf", "config", "@limits"),
    ]
    if maj in (7, 8):
        rt_files.append(("/usr/bin/rt-setup-kdump", "exe", "@rt-setup-kdump"))
    pkgs = [
        Pkg("kexec-tools", *rel.kexec_tools, arch="x86_64",
            summary="The kexec/kdump userspace component", files=tuple(kt_files)),
        Pkg("rt-setup", *rel.rt_setup, arch="x86_64",
            summary="Setup RHEL for Real Time", files=tuple(rt_files)),
        Pkg("system-config-kdump", *rel.system_config_kdump, arch="noarch",
            summary="A graphical interface for configuring kernel crash dumping",
            files=(("/usr/bin/system-config-kdump", "exe", "@system-config-kdump"),)),
    ]
    rtn, stdn = rel.kernel_pkg_names
    for kind, name, (ver, relno), kver in (
        ("rt", rtn, rel.rt_rpm, rel.rt_kver),
        ("std", stdn, rel.std_rpm, rel.std_kver),
    ):
        files = (
            (f"/boot/vmlinuz-{kver}", "file", "@vmlinuz"),
            (f"/boot/System.map-{kver}", "file", "@empty"),
            (f"/boot/config-{kver}", "file", "@empty"),
            (f"/lib/modules/{kver}", "dir", ""),
        )
        pkgs.append(Pkg(name, ver, relno, files=files, summary=f"The Linux kernel ({kind})",
                        provides=(f"kernel-uname-r = {kver}",)))
        if maj >= 8:
            meta = "kernel-rt" if kind == "rt" else "kernel"
            pkgs.append(Pkg(meta, ver, relno, summary="The Linux kernel (meta package)"))
    relpkg_ver = {7: ("7.9", "7.el7"), 8: ("8.10", "1.0.el8"), 9: (rel.version, "0.13.el9" if rel.minor == 2 else "0.5.el9")}[maj]
    pkgs.append(Pkg(rel.release_pkg, relpkg_ver[0], relpkg_ver[1],
                    summary=f"{rel.os_name} release file",
                    provides=(f"system-release = {rel.version}", f"system-release(releasever) = {rel.major if maj >= 8 else '7Server'}",
                              "redhat-release")))
    return pkgs


def installed_at_create(rel: Release) -> List[str]:
    """Package names recorded in the rpmdb of a fresh host (the kernels + release package)."""
    names = [rel.release_pkg]
    rtn, stdn = rel.kernel_pkg_names
    names += [rtn, stdn]
    if rel.major >= 8:
        names += ["kernel-rt", "kernel"]
    return names


def optional_payload_names() -> Tuple[str, ...]:
    return ("kexec-tools", "rt-setup", "system-config-kdump")


def find(rel: Release, name: str) -> Optional[Pkg]:
    for p in repo_packages(rel):
        if p.name == name:
            return p
    return None
