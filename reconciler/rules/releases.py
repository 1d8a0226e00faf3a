"""The release table: every per-release fact rtkdump's rules read, in one place.

Each row is a RHEL family from a minor on; ``profile_for`` picks the row for a
host's os-release and refuses what rtkdump does not know (exit 1), so a RHEL 12
or a Debian host never plans with another release's rules.  Sources are the
research notes (shared/reference/research/releases.md, anchors.md) and the
upstream code they cite; ``docs/releases.md`` is rendered from this table and
says which facts are inferred.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

from ..errors import PlanError
from ..records import dataclass

# One rule for every release: RHEL 7/8/9.0-9.2 put ".rtN." inside the version
# (their debug RT kernel adds "+debug": 4.18.0-353.rt7.138.el8.x86_64+debug); 9.3+ and 10
# end in "+rt", "+rt-debug", "+rt-64k" or "+rt-64k-debug" (LEAPP determine_kernel_type_from_uname;
# kernel-rt variants of the kernel SRPM).
RT_KERNEL = re.compile(r"\.rt\d+\.|\+rt(?:-64k)?(?:-debug)?$")
# The same rule as a shell `case` pattern list, for hooks that run without rtkdump.
RT_KERNEL_CASE = "*.rt[0-9]*.*|*+rt|*+rt-debug|*+rt-64k|*+rt-64k-debug"


def is_rt_kernel(release: str) -> bool:
    return bool(RT_KERNEL.search(release))


@dataclass(frozen=True)
class ReleaseProfile:
    family: int
    first_minor: int
    # `packages: recommended`: the RT setup package and the kdump userspace of this release
    packages: Tuple[str, ...]
    package_manager: str  # yum | dnf
    bls: bool  # boot entries are BLS snippets edited by grubby-bls
    crashkernel_default: str  # the release's own default (kdumpctl get-default-crashkernel where it exists)
    crashkernel_auto: bool  # crashkernel=auto is a valid kernel argument
    get_default_crashkernel: bool  # `kdumpctl get-default-crashkernel` exists
    auto_reset_crashkernel: bool  # kdump.conf has auto_reset_crashkernel (and 92-crashkernel.install resets)
    kdump_package: str  # the package that owns kdumpctl and kdump.service
    new_kernel_args: str  # where a new kernel entry's arguments come from
    new_kernel_hook_dir: str  # where a hook runs for every new kernel
    # the /etc/sysconfig/kernel DEFAULTKERNEL a new kernel-rt needs to become the default entry
    # (with UPDATEDEFAULT=yes); None: it becomes the default anyway (8: any version without "+";
    # 9.0-9.2: anything but +debug).  7: new-kernel-pkg compares the package name; 9.4+/10:
    # 20-grub.install (b9c80be) makes an rt/64k/uki version default only with kernel-rt-core.
    defaultkernel_rt: Optional[str]
    inferred: Tuple[str, ...] = ()  # which of the above are inferred, not read from a source

    @property
    def label(self) -> str:
        return f"RHEL {self.family}.{self.first_minor}+"


# Newest row last within a family.
RELEASES: Tuple[ReleaseProfile, ...] = (
    ReleaseProfile(
        family=7,
        first_minor=0,
        packages=("rt-setup", "kexec-tools", "system-config-kdump"),
        package_manager="yum",
        bls=False,
        crashkernel_default="auto",
        crashkernel_auto=True,
        get_default_crashkernel=False,
        auto_reset_crashkernel=False,
        kdump_package="kexec-tools",
        new_kernel_args="new-kernel-pkg --copy-default: the default entry's arguments",
        new_kernel_hook_dir="/etc/kernel/postinst.d",
        defaultkernel_rt="kernel-rt",
    ),
    ReleaseProfile(
        family=8,
        first_minor=0,
        packages=("rt-setup", "kexec-tools"),  # system-config-kdump is not in RHEL 8
        package_manager="dnf",
        bls=True,
        crashkernel_default="auto",
        crashkernel_auto=True,
        get_default_crashkernel=False,
        auto_reset_crashkernel=False,
        kdump_package="kexec-tools",
        new_kernel_args="kernel-install: options $kernelopts from grubenv",
        new_kernel_hook_dir="/etc/kernel/install.d",
        defaultkernel_rt=None,
        inferred=("new_kernel_hook_dir",),
    ),
    ReleaseProfile(
        family=9,
        first_minor=0,
        packages=("realtime-setup", "kexec-tools"),
        package_manager="dnf",
        bls=True,
        crashkernel_default="1G-4G:192M,4G-64G:256M,64G-:512M",
        crashkernel_auto=False,
        get_default_crashkernel=True,
        auto_reset_crashkernel=True,
        kdump_package="kexec-tools",
        new_kernel_args="kernel-install: /etc/kernel/cmdline, else /proc/cmdline",
        new_kernel_hook_dir="/etc/kernel/install.d",
        defaultkernel_rt=None,
    ),
    ReleaseProfile(
        family=9,
        first_minor=3,
        packages=("realtime-setup", "kexec-tools"),
        package_manager="dnf",
        bls=True,
        crashkernel_default="1G-4G:192M,4G-64G:256M,64G-:512M",
        crashkernel_auto=False,
        get_default_crashkernel=True,
        auto_reset_crashkernel=True,
        kdump_package="kexec-tools",
        new_kernel_args="kernel-install: /etc/kernel/cmdline, else /proc/cmdline",
        new_kernel_hook_dir="/etc/kernel/install.d",
        defaultkernel_rt="kernel-rt-core",
    ),
    ReleaseProfile(
        family=10,
        first_minor=0,
        packages=("realtime-setup", "kdump-utils", "kexec-tools"),
        package_manager="dnf",
        bls=True,
        # the RHEL 10 documentation's value (kdump-utils 1.0.51 itself still had 1G-4G: fe18f93 is 1.0.53)
        crashkernel_default="2G-64G:256M,64G-:512M",
        crashkernel_auto=False,
        get_default_crashkernel=True,
        auto_reset_crashkernel=True,
        kdump_package="kdump-utils",
        new_kernel_args="kernel-install: /etc/kernel/cmdline, else /proc/cmdline",
        new_kernel_hook_dir="/etc/kernel/install.d",
        defaultkernel_rt="kernel-rt-core",
        inferred=("crashkernel_default",),
    ),
    ReleaseProfile(
        family=10,
        first_minor=1,
        packages=("realtime-setup", "kdump-utils", "kexec-tools"),
        package_manager="dnf",
        bls=True,
        # kdump-utils 1.0.54 (fe18f93): nothing is reserved under 2 GiB
        crashkernel_default="2G-64G:256M,64G-:512M",
        crashkernel_auto=False,
        get_default_crashkernel=True,
        auto_reset_crashkernel=True,
        kdump_package="kdump-utils",
        new_kernel_args="kernel-install: /etc/kernel/cmdline, else /proc/cmdline",
        new_kernel_hook_dir="/etc/kernel/install.d",
        defaultkernel_rt="kernel-rt-core",
    ),
)

# os-release IDs rtkdump plans for, and what they are.  Anything else is refused.
DISTRIBUTIONS = {
    "rhel": "Red Hat Enterprise Linux",
    "centos": "CentOS Linux / CentOS Stream (same packages as RHEL)",
    "almalinux": "AlmaLinux (a RHEL rebuild)",
    "rocky": "Rocky Linux (a RHEL rebuild)",
}


def profile(family: int, minor: int) -> Optional[ReleaseProfile]:
    rows = [r for r in RELEASES if r.family == family and r.first_minor <= minor]
    return rows[-1] if rows else None


def profile_for(os_id: str, family: int, minor: int, where: str = "/etc/os-release") -> ReleaseProfile:
    """The row for this host, or a PlanError naming what was found and what is supported."""
    families = sorted({r.family for r in RELEASES})
    supported = ", ".join(f"RHEL {f}" for f in families)
    if os_id not in DISTRIBUTIONS:
        raise PlanError(
            f"{where} says ID={os_id} {family}.{minor}: rtkdump manages RHEL for Real Time "
            f"({supported}) and its rebuilds ({', '.join(sorted(DISTRIBUTIONS))}), not this distribution",
            hint="run rtkdump on a RHEL (or CentOS Stream, AlmaLinux, Rocky Linux) host, or point --root at one",
        )
    row = profile(family, minor)
    if row is None:
        raise PlanError(
            f"{where} says {DISTRIBUTIONS[os_id]} {family}.{minor}: this rtkdump knows {supported} only",
            hint="use an rtkdump release that supports this major version",
        )
    return row


def markdown() -> str:
    """docs/releases.md, rendered from the table (tests/test_releases_doc.py keeps the file in step)."""
    fields = [
        ("packages (`packages: recommended`)", lambda r: " ".join(r.packages)),
        ("package manager", lambda r: r.package_manager),
        ("boot entries", lambda r: "BLS (grubby-bls)" if r.bls else "grub.cfg (C grubby)"),
        ("crashkernel default", lambda r: f"`{r.crashkernel_default}`"),
        ("`crashkernel=auto` valid", lambda r: "yes" if r.crashkernel_auto else "no"),
        ("`kdumpctl get-default-crashkernel`", lambda r: "yes" if r.get_default_crashkernel else "no"),
        (
            "`auto_reset_crashkernel` (rtkdump writes `no`)",
            lambda r: "yes" if r.auto_reset_crashkernel else "no",
        ),
        ("kdumpctl comes from", lambda r: r.kdump_package),
        ("a new kernel's arguments", lambda r: r.new_kernel_args),
        ("rtkdump's new-kernel hook in", lambda r: f"`{r.new_kernel_hook_dir}`"),
        (
            "DEFAULTKERNEL a new kernel-rt needs",
            lambda r: f"`{r.defaultkernel_rt}`" if r.defaultkernel_rt else "none",
        ),
    ]
    out = [
        "# Per-release facts",
        "",
        "Rendered from `reconciler/rules/releases.py`, the one table every rule reads",
        "(`python -m reconciler.rules.releases > docs/releases.md`; a test keeps this file in step).",
        "Sources: `shared/reference/research/releases.md` and the upstream code it cites, the real",
        "kdump-utils and grub2 sources read for `simhost/` (simhost/README.md). *Inferred* marks a",
        "fact no source showed directly.",
        "",
        "| | " + " | ".join(r.label for r in RELEASES) + " |",
        "|---|" + "---|" * len(RELEASES),
    ]
    for title, get in fields:
        out.append(f"| {title} | " + " | ".join(get(r) for r in RELEASES) + " |")
    out += [
        "",
        "Inferred: " + "; ".join(f"{r.label} {', '.join(r.inferred)}" for r in RELEASES if r.inferred) + ".",
        "",
        f"RT kernels (`crashkernel.entries: realtime`), on every release: `{RT_KERNEL.pattern}`, i.e. the",
        "`.rtN.` infix of RHEL 7, 8 and 9.0-9.2 (their debug RT kernel adds `+debug`) and the `+rt`,",
        "`+rt-debug`, `+rt-64k`, `+rt-64k-debug` suffixes of 9.3+ and 10. Rescue entries are never RT.",
        "",
        "Distributions: "
        + "; ".join(f"`{k}` ({v})" for k, v in DISTRIBUTIONS.items())
        + ". Any other os-release ID, or a major version not in the table, makes `plan` and `apply` exit 1.",
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
