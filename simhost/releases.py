"""Per-release facts of the simulated RHEL for Real Time hosts: the ONE table of the simulator.

Everything that differs between 7.9, 8.10, 9.2, 9.4, 10.0 and 10.1 lives here so the rest of
the simulator asks ``release.major`` / ``release.crashkernel_hook`` instead of comparing strings.
Sources (each field says which one it comes from; "[inferred]" marks what no source showed):

* platform-facts.md (§1.6 kernel names, §3.2 crashkernel defaults, §4.1/§5.1 stock files, §7 outputs);
* research/releases.md (package names per release, RT kernel naming, crashkernel defaults);
* rhkdump/kdump-utils git history (Fedora kexec-tools history + kdump-utils tags):
  kexec-tools.spec @ bc4196a (Release 2.0.25-4), @ 00d40c4 (Release 2.0.27-5), kdump-utils v1.0.51 /
  v1.0.54 (kdumpctl, kdump-utils.spec, 92-crashkernel.install, gen-kdump-{conf,sysconfig}.sh);
* grub2 dist-git (lsandov1/dist-git-grub2) 20-grub.install on rhel-8.8.0, rhel-9.4.0-…, rhel-10-main,
  and its patches 0036 (grub2-get-kernel-settings) / 0323 (b9c80be "Enable default kernel for updates");
* rhboot/grubby rhel-7.3 new-kernel-pkg (778ec42);
* AlmaLinux 10.0 vault package names (kexec-tools-2.0.29-2.el10, kdump-utils-1.0.51-11.el10_0,
  realtime-setup-2.5-2.el10), seen in public build recipes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

RELEASES = ("7.9", "8.10", "9.2", "9.4", "10.0", "10.1")


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
    recommends: Tuple[str, ...] = ()
    requires: Tuple[str, ...] = ()

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
    # RHEL 7/8 "rt-setup"; RHEL 9/10 "realtime-setup" (research §1.2; Fedora has an unrelated rt-setup)
    rt_setup_name: str
    rt_setup: Tuple[str, str]
    # the RT kdump helper in the RT setup package: rt-setup-kdump (7, 8), realtime-setup-kdump (9,
    # [inferred] from the Fedora realtime-setup 2.2/2.3 spec that RHEL 9's 2.1-4 was synced with),
    # none on 10 (realtime-setup 2.5 %files has no *-kdump)
    rt_setup_kdump: Optional[str]
    system_config_kdump: Optional[Tuple[str, str]]  # only RHEL 7 (research §1.4: "NOT IN EL8")
    kdump_conf: str  # data file names
    sysconfig: str
    kdump_service: str
    sysconfig_remove_extra: str = ""
    # RHEL 10: kdumpctl, kdump.conf, sysconfig, kdump.service and 92-crashkernel.install moved to
    # kdump-utils; kexec-tools only Recommends it (kdump-utils.spec v1.0.51, research §1.5)
    kdump_utils: Optional[Tuple[str, str]] = None
    # `kdumpctl get-default-crashkernel` value (x86_64, no SME/SEV); None: the verb does not exist.
    # 9: kdump-lib.sh since 34d27c4 (2021-11); 10: fe18f93 (2025-03, "in RHEL-10 ... erofs"),
    # also the RHEL 10 docs' value
    default_crashkernel: Optional[str] = None
    # What `kdumpctl _reset-crashkernel-for-installed_kernel KVER` (run by 92-crashkernel.install)
    # does: None (no hook: 7, 8 [inferred, LSR "reset-crashkernel only supports RHEL 9 and
    # later"]); "copy-running": Fedora kexec-tools 2.0.22..2.0.26-4 (bc4196a), copy the running
    # kernel's crashkernel= to the new entry, gated by auto_reset_crashkernel only; "default":
    # since 5b31b09 (2023-04) + 0ffce0e (2023-10), set the default value, gated by
    # auto_reset_crashkernel != no AND `systemctl is-enabled kdump`.
    crashkernel_hook: Optional[str] = None
    # who the hook's "Note if you don't want ... to manage" message names (kdump-utils since 200107e,
    # v1.0.52)
    hook_owner_word: str = "kexec-tools"
    # what feeds a new boot entry: "copy-default" (7: new-kernel-pkg --copy-default), "kernelopts"
    # (8: 20-grub.install writes the literal `options $kernelopts`), "cmdline" (9/10:
    # /etc/kernel/cmdline, else /usr/lib/kernel/cmdline, else /proc/cmdline minus BOOT_IMAGE/initrd)
    new_entry_options: str = "cmdline"
    # when a new kernel becomes the default (UPDATEDEFAULT=yes needed everywhere):
    # "package" (7: DEFAULTKERNEL == the package, new-kernel-pkg), "no-plus" (8.8 20-grub.install:
    # a kernel version with '+' never does), "no-plus-debug" (9.0-9.2, f2e9faa: '+debug' never does
    # [inferred which grub2 build 9.2 has]), "kernel-type" (9.4/10, b9c80be: versions matching
    # 64k|auto|rt|uki only when DEFAULTKERNEL names that type, e.g. kernel-rt-core)
    default_rule: str = "kernel-type"
    # the debug RT kernel of the release (research §2): `.rtN.…+debug` on 7/8/9.0-9.2,
    # `…+rt-debug` on 9.3+/10
    rt_debug_kver: str = ""
    # systemd version (message formats of systemctl / kernel-install)
    systemd: int = 252
    release_pkg: str = "redhat-release"
    release_pkg_evr: Tuple[str, str] = ("", "")
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
        """RHEL 7 kdumpctl prints bare lines on stdout; 8/9/10 use kdump-logger.

        RHEL 8 is treated like 9 (the minor where the logger arrived is
        [unverified] in platform-facts §7; 8.10 certainly has it).
        """
        return "" if self.major == 7 else "kdump: "

    @property
    def kdumpctl_package(self) -> str:
        """The package that owns /usr/bin/kdumpctl, kdump.conf and kdump.service."""
        return "kdump-utils" if self.kdump_utils else "kexec-tools"

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

    @property
    def kdump_payload_names(self) -> Tuple[str, ...]:
        """The kdump-related packages of the repository (not installed on a fresh host)."""
        names = ["kexec-tools"]
        if self.kdump_utils:
            names.append("kdump-utils")
        names.append(self.rt_setup_name)
        if self.system_config_kdump:
            names.append("system-config-kdump")
        return tuple(names)


RELEASE_DATA: Dict[str, Release] = {
    "7.9": Release(
        version="7.9",
        major=7,
        minor=9,
        os_name="Red Hat Enterprise Linux Server",
        pretty_name="Red Hat Enterprise Linux Server 7.9 (Maipo)",
        redhat_release="Red Hat Enterprise Linux Server release 7.9 (Maipo)",
        codename="Maipo",
        rt_kver="3.10.0-1160.rt56.1131.el7.x86_64",
        std_kver="3.10.0-1160.el7.x86_64",
        rt_rpm=("3.10.0", "1160.rt56.1131.el7"),
        std_rpm=("3.10.0", "1160.el7"),
        kexec_tools=("2.0.15", "51.el7_9.3"),
        rt_setup_name="rt-setup",
        rt_setup=("2.0", "9.el7"),
        rt_setup_kdump="rt-setup-kdump",
        system_config_kdump=("2.0.13", "17.el7"),
        kdump_conf="kdump.conf.rhel7",
        sysconfig="sysconfig-kdump.rhel7.9.x86_64.constructed",
        kdump_service="kdump.service.rhel7",
        new_entry_options="copy-default",
        default_rule="package",
        rt_debug_kver="3.10.0-1160.rt56.1131.el7.x86_64+debug",  # [inferred] from the 8 naming
        systemd=219,
        release_pkg="redhat-release-server",
        release_pkg_evr=("7.9", "7.el7"),
    ),
    "8.10": Release(
        version="8.10",
        major=8,
        minor=10,
        os_name="Red Hat Enterprise Linux",
        pretty_name="Red Hat Enterprise Linux 8.10 (Ootpa)",
        redhat_release="Red Hat Enterprise Linux release 8.10 (Ootpa)",
        codename="Ootpa",
        rt_kver="4.18.0-553.rt7.342.el8_10.x86_64",
        std_kver="4.18.0-553.el8_10.x86_64",
        rt_rpm=("4.18.0", "553.rt7.342.el8_10"),
        std_rpm=("4.18.0", "553.el8_10"),
        kexec_tools=("2.0.26", "14.el8"),
        rt_setup_name="rt-setup",
        rt_setup=("2.1", "5.el8"),
        rt_setup_kdump="rt-setup-kdump",
        system_config_kdump=None,
        kdump_conf="kdump.conf.upstream-2021-01-9462a7d",
        sysconfig="sysconfig-kdump.rhel8.x86_64.constructed",
        # RHEL 8.7+ appends ignition.firstboot (platform-facts §5.1)
        sysconfig_remove_extra=" ignition.firstboot",
        kdump_service="kdump.service.upstream-2020-10-0084806",
        new_entry_options="kernelopts",
        default_rule="no-plus",
        rt_debug_kver="4.18.0-553.rt7.342.el8_10.x86_64+debug",  # research §2: …rt7.138.el8.x86_64+debug
        systemd=239,
        release_pkg_evr=("8.10", "1.0.el8"),
    ),
    "9.2": Release(
        version="9.2",
        major=9,
        minor=2,
        os_name="Red Hat Enterprise Linux",
        pretty_name="Red Hat Enterprise Linux 9.2 (Plow)",
        redhat_release="Red Hat Enterprise Linux release 9.2 (Plow)",
        codename="Plow",
        rt_kver="5.14.0-284.11.1.rt14.296.el9_2.x86_64",
        std_kver="5.14.0-284.11.1.el9_2.x86_64",
        rt_rpm=("5.14.0", "284.11.1.rt14.296.el9_2"),
        std_rpm=("5.14.0", "284.11.1.el9_2"),
        kexec_tools=("2.0.25", "13.el9_2"),
        rt_setup_name="realtime-setup",
        rt_setup=("2.1", "4.el9"),  # [inferred] the "Sync RHEL 9 and Fedora versions" build
        rt_setup_kdump="realtime-setup-kdump",
        system_config_kdump=None,
        kdump_conf="kdump.conf.upstream-2021-11-73ced7f",
        sysconfig="sysconfig-kdump.upstream-2022-05-218d991.x86_64",
        kdump_service="kdump.service.upstream-2020-10-0084806",
        default_crashkernel="1G-4G:192M,4G-64G:256M,64G-:512M",
        # [inferred] 9.2's 2.0.25 predates 5b31b09 (2023-04-26)
        crashkernel_hook="copy-running",
        new_entry_options="cmdline",
        default_rule="no-plus-debug",
        rt_debug_kver="5.14.0-284.11.1.rt14.296.el9_2.x86_64+debug",
        release_pkg_evr=("9.2", "0.13.el9"),
    ),
    "9.4": Release(
        version="9.4",
        major=9,
        minor=4,
        os_name="Red Hat Enterprise Linux",
        pretty_name="Red Hat Enterprise Linux 9.4 (Plow)",
        redhat_release="Red Hat Enterprise Linux release 9.4 (Plow)",
        codename="Plow",
        rt_kver="5.14.0-427.20.1.el9_4.x86_64+rt",
        std_kver="5.14.0-427.20.1.el9_4.x86_64",
        rt_rpm=("5.14.0", "427.20.1.el9_4"),
        std_rpm=("5.14.0", "427.20.1.el9_4"),
        kexec_tools=("2.0.27", "8.el9"),
        rt_setup_name="realtime-setup",
        rt_setup=("2.1", "4.el9"),  # [inferred]
        rt_setup_kdump="realtime-setup-kdump",
        system_config_kdump=None,
        kdump_conf="kdump.conf.upstream-2021-11-73ced7f",
        sysconfig="sysconfig-kdump.upstream-2022-05-218d991.x86_64",
        kdump_service="kdump.service.upstream-2020-10-0084806",
        default_crashkernel="1G-4G:192M,4G-64G:256M,64G-:512M",
        crashkernel_hook="default",  # Fedora 2.0.27-5 (00d40c4) has 5b31b09 and 0ffce0e
        new_entry_options="cmdline",
        default_rule="kernel-type",
        rt_debug_kver="5.14.0-427.20.1.el9_4.x86_64+rt-debug",
        release_pkg_evr=("9.4", "0.5.el9"),
    ),
    "10.0": Release(
        version="10.0",
        major=10,
        minor=0,
        os_name="Red Hat Enterprise Linux",
        pretty_name="Red Hat Enterprise Linux 10.0 (Coughlan)",
        redhat_release="Red Hat Enterprise Linux release 10.0 (Coughlan)",
        codename="Coughlan",
        rt_kver="6.12.0-55.9.1.el10_0.x86_64+rt",  # research §2 [obs DPDK notes]
        std_kver="6.12.0-55.9.1.el10_0.x86_64",
        rt_rpm=("6.12.0", "55.9.1.el10_0"),
        std_rpm=("6.12.0", "55.9.1.el10_0"),
        kexec_tools=("2.0.29", "2.el10"),  # AlmaLinux 10.0 BaseOS
        kdump_utils=("1.0.51", "11.el10_0"),  # AlmaLinux 10.0 BaseOS
        rt_setup_name="realtime-setup",
        rt_setup=("2.5", "2.el10"),  # AlmaLinux 10.0 devel SRPM
        rt_setup_kdump=None,
        system_config_kdump=None,
        kdump_conf="kdump.conf.kdump-utils-1.0.51.x86_64",
        sysconfig="sysconfig-kdump.kdump-utils-1.0.51.x86_64",
        kdump_service="kdump.service.kdump-utils-1.0.51",
        # fe18f93 is in v1.0.53; 10.0's 1.0.51 carries it as a backport per its commit text and the
        # RHEL 10 docs [inferred]
        default_crashkernel="2G-64G:256M,64G-:512M",
        crashkernel_hook="default",
        hook_owner_word="kexec-tools",  # v1.0.51 text; 200107e changed it in v1.0.52
        new_entry_options="cmdline",
        default_rule="kernel-type",
        rt_debug_kver="6.12.0-55.9.1.el10_0.x86_64+rt-debug",
        systemd=257,
        release_pkg_evr=("10.0", "0.14.el10"),  # [inferred] release number
    ),
    "10.1": Release(
        version="10.1",
        major=10,
        minor=1,
        os_name="Red Hat Enterprise Linux",
        pretty_name="Red Hat Enterprise Linux 10.1 (Coughlan)",
        redhat_release="Red Hat Enterprise Linux release 10.1 (Coughlan)",
        codename="Coughlan",
        # research §1.6/§2: a real 10.1 host's 6.12.0-124.45.1.el10_1 [obs]; the +rt name follows 10.0
        rt_kver="6.12.0-124.45.1.el10_1.x86_64+rt",
        std_kver="6.12.0-124.45.1.el10_1.x86_64",
        rt_rpm=("6.12.0", "124.45.1.el10_1"),
        std_rpm=("6.12.0", "124.45.1.el10_1"),
        kexec_tools=("2.0.29", "2.el10"),  # [inferred] unchanged from 10.0
        kdump_utils=("1.0.54", "7.el10"),  # [inferred] version; behaviour modelled on v1.0.54
        rt_setup_name="realtime-setup",
        rt_setup=("2.5", "2.el10"),  # [inferred] unchanged from 10.0
        rt_setup_kdump=None,
        system_config_kdump=None,
        kdump_conf="kdump.conf.kdump-utils-1.0.51.x86_64",
        sysconfig="sysconfig-kdump.kdump-utils-1.0.51.x86_64",
        kdump_service="kdump.service.kdump-utils-1.0.51",
        default_crashkernel="2G-64G:256M,64G-:512M",  # obs: 10.1 "crashkernel=2G-64G:256M,64G-:512M now"
        crashkernel_hook="default",
        hook_owner_word="kdump-utils",
        new_entry_options="cmdline",
        default_rule="kernel-type",
        rt_debug_kver="6.12.0-124.45.1.el10_1.x86_64+rt-debug",
        systemd=257,
        release_pkg_evr=("10.1", "0.3.el10"),  # [inferred] release number
    ),
}


def get(version: str) -> Release:
    try:
        return RELEASE_DATA[version]
    except KeyError:
        raise ValueError(f"unknown release {version!r}: choose one of {', '.join(RELEASES)}") from None


# research §2 / LEAPP determine_kernel_type_from_uname: 7/8/9.0-9.2 RT kernels carry `.rtN.` in the
# release (their debug build adds `+debug`); 9.3+/10 carry a `+rt`, `+rt-debug`, `+rt-64k` or
# `+rt-64k-debug` variant suffix.
_RT_INFIX = re.compile(r"\.rt\d+\.")
_RT_SUFFIX = re.compile(r"\+rt(-64k)?(-debug)?$")


def is_rt_kver(kver: str) -> bool:
    return bool(_RT_INFIX.search(kver) or _RT_SUFFIX.search(kver))


@dataclass(frozen=True)
class KernelName:
    """A kernel version split the way the RPM and the boot loader see it."""

    kver: str  # uname -r, e.g. 5.14.0-427.31.1.el9_4.x86_64+rt-debug
    version: str  # RPM Version (5.14.0)
    release: str  # RPM Release (427.31.1.el9_4)
    arch: str
    variant: str  # after '+': "", "rt", "rt-debug", "debug", "rt-64k", ...

    @property
    def rt(self) -> bool:
        return is_rt_kver(self.kver)

    @property
    def debug(self) -> bool:
        return self.variant.endswith("debug")

    def packages(self, major: int) -> Tuple[str, Optional[str]]:
        """(package owning the image, meta package or None), as the kernel SRPM names them.

        7: kernel-rt / kernel-rt-debug own /boot/vmlinuz-*; 8+: the *-core subpackage does and the
        bare name is a meta package.  9.3+ builds kernel-rt from the kernel SRPM, so the variant
        suffix is the package suffix (+rt-debug -> kernel-rt-debug).
        """
        if self.variant.startswith("rt"):
            base = "kernel-" + self.variant
        elif self.rt:
            base = "kernel-rt" + ("-debug" if self.debug else "")
        else:
            base = "kernel" + (f"-{self.variant}" if self.variant else "")
        if major == 7:
            return base, None
        return base + "-core", base


def parse_kver(kver: str) -> KernelName:
    m = re.fullmatch(r"([^-]+)-(.+)\.(x86_64|aarch64|ppc64le|s390x|noarch)(?:\+([A-Za-z0-9_-]+))?", kver)
    if not m:
        raise ValueError(
            f"bad kernel version {kver!r}: expected VERSION-RELEASE.ARCH[+VARIANT], "
            "e.g. 5.14.0-427.31.1.el9_4.x86_64+rt"
        )
    return KernelName(kver, m.group(1), m.group(2), m.group(3), m.group(4) or "")


def check_kver_for_release(rel: Release, kver: str) -> KernelName:
    """Refuse names the release never uses (x86_64 only; +rt suffixes only on 9.3+)."""
    k = parse_kver(kver)
    if k.arch != "x86_64":
        raise ValueError(f"{kver}: the simulated hosts are x86_64 (+rt-64k is aarch64 only)")
    suffix_era = rel.major >= 10 or (rel.major == 9 and rel.minor >= 3)
    if k.variant.startswith("rt") and not suffix_era:
        raise ValueError(
            f"{kver}: RHEL {rel.version} names RT kernels with `.rtN.` (e.g. {rel.rt_kver}); "
            "the +rt suffix starts with 9.3"
        )
    if k.variant not in ("", "rt", "rt-debug", "debug"):
        raise ValueError(f"{kver}: variant +{k.variant} does not exist on x86_64 RHEL {rel.version}")
    if suffix_era and _RT_INFIX.search(kver):
        raise ValueError(f"{kver}: RHEL {rel.version} RT kernels end in +rt (e.g. {rel.rt_kver})")
    return k


# -- repository contents ----------------------------------------------------------------------


def _kdump_files(rel: Release) -> List[Tuple[str, str, str]]:
    """Files of the package that owns kdumpctl (kexec-tools up to 9, kdump-utils on 10)."""
    files: List[Tuple[str, str, str]] = [
        ("/etc/kdump.conf", "config", rel.kdump_conf),
        ("/etc/sysconfig/kdump", "config", "@sysconfig"),
        ("/usr/lib/systemd/system/kdump.service", "file", rel.kdump_service),
        ("/usr/bin/kdumpctl", "exe", "@kdumpctl"),
        ("/var/crash", "dir", ""),
    ]
    if rel.crashkernel_hook:
        # kexec-tools.spec since 2.0.22-4 (6463641) / kdump-utils.spec: %{_prefix}/lib/kernel/install.d
        files.append(
            (
                "/usr/lib/kernel/install.d/92-crashkernel.install",
                "exe",
                "92-crashkernel.install.kexec-tools-2.0.22+",
            )
        )
    if rel.major >= 8:
        files.append(("/usr/lib/kernel/install.d/60-kdump.install", "exe", "@60-kdump.install"))
    return files


def _rt_setup_files(rel: Release) -> List[Tuple[str, str, str]]:
    files: List[Tuple[str, str, str]] = [
        ("/etc/security/limits.d/realtime.conf", "config", "@limits"),
    ]
    if rel.major <= 8:
        files.append(("/usr/bin/kernel-is-rt", "exe", "@kernel-is-rt"))
    else:
        # realtime-setup %files: %{_sbindir}/kernel-is-rt, %{_bindir}/realtime-setup
        files += [
            ("/usr/sbin/kernel-is-rt", "exe", "@kernel-is-rt"),
            ("/usr/bin/realtime-setup", "exe", "@realtime-setup"),
            ("/etc/sysconfig/realtime-setup", "config", "@realtime-setup-sysconfig"),
        ]
    if rel.rt_setup_kdump:
        files.append((f"/usr/bin/{rel.rt_setup_kdump}", "exe", "@rt-setup-kdump"))
    return files


def kernel_package(rel: Release, kver: str, name: str, ver: str, relno: str) -> Pkg:
    """The RPM that owns a kernel image (7: /boot/vmlinuz-*; 8+: /lib/modules/KVER/vmlinuz).

    On 8+ kernel-core ships the image in /lib/modules/KVER/vmlinuz and only %ghost-owns
    /boot/vmlinuz-KVER: 20-grub.install copies it there when kernel-install runs.
    """
    if rel.major == 7:
        files: Tuple[Tuple[str, str, str], ...] = (
            (f"/boot/vmlinuz-{kver}", "file", "@vmlinuz"),
            (f"/boot/System.map-{kver}", "file", "@empty"),
            (f"/boot/config-{kver}", "file", "@empty"),
            (f"/lib/modules/{kver}", "dir", ""),
        )
    else:
        files = (
            (f"/lib/modules/{kver}", "dir", ""),
            (f"/lib/modules/{kver}/vmlinuz", "file", "@vmlinuz"),
            (f"/lib/modules/{kver}/System.map", "file", "@empty"),
            (f"/lib/modules/{kver}/config", "file", "@empty"),
            (f"/boot/vmlinuz-{kver}", "ghost", ""),
        )
    # rpm refuses a second '-' in an EVR ("double separator"), so +rt-debug's Provides spells the
    # variant with '_' [inferred: how the real kernel.spec words it was not checked]
    uname = kver.split("-", 1)[0] + "-" + kver.split("-", 1)[1].replace("-", "_")
    return Pkg(
        name,
        ver,
        relno,
        files=files,
        summary=f"The Linux kernel ({kver})",
        provides=(f"kernel-uname-r = {uname}",),
    )


def repo_packages(rel: Release) -> List[Pkg]:
    """The packages of one release's repository (payload paths; sources are data names)."""
    maj = rel.major
    pkgs: List[Pkg] = []
    if rel.kdump_utils:
        # kexec-tools 2.0.29 on 10 is only /usr/sbin/kexec (+ vmcore-dmesg); it Recommends kdump-utils
        pkgs.append(
            Pkg(
                "kexec-tools",
                *rel.kexec_tools,
                arch="x86_64",
                summary="The kexec/kdump userspace component",
                files=(("/usr/sbin/kexec", "exe", "@kexec"), ("/usr/sbin/vmcore-dmesg", "exe", "@kexec")),
                recommends=("kdump-utils",),
            )
        )
        pkgs.append(
            Pkg(
                "kdump-utils",
                *rel.kdump_utils,
                arch="x86_64",
                summary="Kernel crash dump collection utilities",
                files=tuple(_kdump_files(rel)),
                requires=("kexec-tools >= 2.0.28-8",),
            )
        )
    else:
        pkgs.append(
            Pkg(
                "kexec-tools",
                *rel.kexec_tools,
                arch="x86_64",
                summary="The kexec/kdump userspace component",
                files=tuple(_kdump_files(rel) + [("/usr/sbin/kexec", "exe", "@kexec")]),
            )
        )
    pkgs.append(
        Pkg(
            rel.rt_setup_name,
            *rel.rt_setup,
            arch="x86_64",
            summary="Setup RHEL for Real Time" if maj <= 8 else "Setup RT/low-latency environment details",
            files=tuple(_rt_setup_files(rel)),
        )
    )
    if rel.system_config_kdump:
        pkgs.append(
            Pkg(
                "system-config-kdump",
                *rel.system_config_kdump,
                arch="noarch",
                summary="A graphical interface for configuring kernel crash dumping",
                files=(("/usr/bin/system-config-kdump", "exe", "@system-config-kdump"),),
            )
        )
    for kver, (ver, relno) in ((rel.rt_kver, rel.rt_rpm), (rel.std_kver, rel.std_rpm)):
        owner, meta = parse_kver(kver).packages(maj)
        pkgs.append(kernel_package(rel, kver, owner, ver, relno))
        if meta:
            pkgs.append(Pkg(meta, ver, relno, summary="The Linux kernel (meta package)"))
    pkgs.append(
        Pkg(
            rel.release_pkg,
            rel.release_pkg_evr[0],
            rel.release_pkg_evr[1],
            summary=f"{rel.os_name} release file",
            provides=(
                f"system-release = {rel.version}",
                f"system-release(releasever) = {rel.major if maj >= 8 else '7Server'}",
                "redhat-release",
            ),
        )
    )
    return pkgs


def installed_at_create(rel: Release) -> List[str]:
    """Package names recorded in the rpmdb of a fresh host (the kernels + release package)."""
    names = [rel.release_pkg]
    rtn, stdn = rel.kernel_pkg_names
    names += [rtn, stdn]
    if rel.major >= 8:
        names += ["kernel-rt", "kernel"]
    return names


def optional_payload_names(rel: Release) -> Tuple[str, ...]:
    return rel.kdump_payload_names


def find(rel: Release, name: str) -> Optional[Pkg]:
    for p in repo_packages(rel):
        if p.name == name:
            return p
    return None
