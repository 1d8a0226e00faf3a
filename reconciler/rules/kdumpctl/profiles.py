"""Per-release profiles of kdumpctl + mkdumprd, the rule table and the Finding type."""

from __future__ import annotations

from typing import Dict, FrozenSet, Iterable, Optional, Tuple

from ...records import dataclass

CONF_PATH = "/etc/kdump.conf"
DEFAULT_SSHKEY = "/root/.ssh/kdump_id_rsa"
DEFAULT_PATH = "/var/crash/"
FAILURE_ACTIONS: Tuple[str, ...] = ("reboot", "halt", "poweroff", "shell", "dump_to_rootfs")
FINAL_ACTIONS: Tuple[str, ...] = ("reboot", "halt", "poweroff")
DEPRECATED: FrozenSet[str] = frozenset(
    {"net", "options", "link_delay", "disk_timeout", "debug_mem_level", "blacklist"}
)

_FS7 = frozenset({"raw", "ext2", "ext3", "ext4", "minix", "btrfs", "xfs", "nfs", "ssh"})
_COMMON = frozenset(
    {
        "sshkey",
        "path",
        "core_collector",
        "kdump_post",
        "kdump_pre",
        "extra_bins",
        "extra_modules",
        "default",
        "force_rebuild",
        "force_no_rebuild",
        "dracut_args",
        "fence_kdump_args",
        "fence_kdump_nodes",
    }
)
_MODERN = _COMMON | {"failure_action", "final_action", "auto_reset_crashkernel"}

# makedumpfile getopt strings: 1.6.2 (bundled with RHEL 7 kexec-tools) has no -z
# (zstd came with 1.7.0); later ones are makedumpfile.c main() of 1.7.x.
_MDF_SHORT_16 = "b:cDd:eEFfg:hi:lL:pRvXx:"
_MDF_SHORT_17 = "b:cDd:eEFfg:hi:lL:pRvXx:z"
_MDF_LONG = {
    # name -> takes an argument
    "split": False,
    "reassemble": False,
    "xen-syms": True,
    "xen-vmcoreinfo": True,
    "message-level": True,
    "vtop": True,
    "dump-dmesg": False,
    "partial-dmesg": False,
    "config": True,
    "help": False,
    "diskset": True,
    "cyclic-buffer": True,
    "eppic": True,
    "non-mmap": False,
    "mem-usage": False,
    "splitblock-size": True,
    "work-dir": True,
    "num-threads": True,
    "check-params": False,
    "dry-run": False,
    "show-stats": False,
}


@dataclass(frozen=True)
class Profile:
    """The kdump.conf behaviour of one release's kdumpctl + mkdumprd."""

    release: str
    package: str  # what the release ships (see docs/kdumpctl-rules.md for how sure we are)
    source: str  # the code read: repository @ commit
    generation: str  # "el7" (check_config) | "check_config" (9.0 rework) | "parse_config" (2022-03+)
    targets: FrozenSet[str]
    options: FrozenSet[str]  # accepted non-target directives
    # "default-only": RHEL 7; "separate": default and failure_action both exist and
    # may not be combined (cc95f0a); "alias": default warns and sets failure_action (d5faaee)
    default_handling: str
    ssh_g_check: bool  # check_ssh_config compares the host with `ssh -G` (b802dbf)
    # ssh target without "@": "mkdumprd" (Bad ssh dump target), "silent"
    # (check_ssh_config returns 1 without a message), "message" (v1.0.5x wording)
    ssh_no_at: str
    check_params: bool  # mkdumprd runs makedumpfile --check-params (a1c2812)
    params_after_first_space: bool  # verify_core_collector `${1#* }` (bare "makedumpfile" fails)
    strips_quotes: bool  # one pair of "" stripped (kdump-utils 1.0.59+, 1a73387)
    leading_blank_error: bool  # cb3d1c1 .. 08276e9
    duplicate_check: bool  # 08276e9
    # check_fs_modified runs even when check_files_modified found kdump.conf changed (7418611)
    fs_check_after_change: bool
    makedumpfile_short: str
    unverified: FrozenSet[str] = frozenset()  # directives upstream accepts, downstream not read


def _p(**kw) -> Profile:
    return Profile(**kw)


PROFILES: Dict[str, Profile] = {
    "7.9": _p(
        release="7.9",
        package="kexec-tools-2.0.15-51.el7",
        source="eurolinux-enterprise-linux-sources/kexec-tools@kexec-tools-2.0.15-33.el7 (6d811f7, RHEL 7.7)",
        generation="el7",
        targets=_FS7,
        options=_COMMON,
        default_handling="default-only",
        ssh_g_check=False,
        ssh_no_at="mkdumprd",
        check_params=False,
        params_after_first_space=True,
        strips_quotes=False,
        leading_blank_error=True,
        duplicate_check=False,
        fs_check_after_change=False,
        makedumpfile_short=_MDF_SHORT_16,
    ),
    "8.10": _p(
        release="8.10",
        package="kexec-tools-2.0.26-14.el8_10",
        source="rhkdump/kdump-utils@471c136 (Fedora Release 2.0.26-7, 2023-06-14)",
        generation="parse_config",
        targets=_FS7 | {"virtiofs"},
        options=_MODERN,
        default_handling="alias",
        ssh_g_check=True,
        ssh_no_at="silent",
        check_params=True,
        params_after_first_space=True,
        strips_quotes=False,
        leading_blank_error=False,
        duplicate_check=True,
        fs_check_after_change=False,
        makedumpfile_short=_MDF_SHORT_17,
        # RHEL 8 keeps crashkernel=auto and its downstream kdumpctl was not read;
        # linux-system-roles writes auto_reset_crashkernel only on EL >= 9.
        unverified=frozenset({"auto_reset_crashkernel", "virtiofs"}),
    ),
    "9.0": _p(
        release="9.0",
        package="kexec-tools-2.0.23-9.el9",
        source="rhkdump/kdump-utils@59fcb8a (Fedora Release 2.0.23-5, 2022-02-14)",
        generation="check_config",
        targets=_FS7,
        options=_MODERN,
        default_handling="separate",
        ssh_g_check=False,
        ssh_no_at="mkdumprd",
        check_params=True,
        params_after_first_space=True,
        strips_quotes=False,
        leading_blank_error=False,
        duplicate_check=True,
        fs_check_after_change=False,
        makedumpfile_short=_MDF_SHORT_17,
    ),
    "9.2": _p(
        release="9.2",
        package="kexec-tools-2.0.25-13.el9_2",
        source="rhkdump/kdump-utils@bc4196a (Fedora Release 2.0.25-4, 2022-12-07)",
        generation="parse_config",
        targets=_FS7 | {"virtiofs"},
        options=_MODERN,
        default_handling="separate",
        ssh_g_check=True,
        ssh_no_at="silent",
        check_params=True,
        params_after_first_space=True,
        strips_quotes=False,
        leading_blank_error=False,
        duplicate_check=True,
        fs_check_after_change=False,
        makedumpfile_short=_MDF_SHORT_17,
    ),
    "9.4": _p(
        release="9.4",
        package="kexec-tools-2.0.27-8.el9_4",
        source="rhkdump/kdump-utils@00d40c4 (Fedora Release 2.0.27-5, 2023-12-11)",
        generation="parse_config",
        targets=_FS7 | {"virtiofs"},
        options=_MODERN,
        default_handling="alias",
        ssh_g_check=True,
        ssh_no_at="silent",
        check_params=True,
        params_after_first_space=True,
        strips_quotes=False,
        leading_blank_error=False,
        duplicate_check=True,
        fs_check_after_change=True,
        makedumpfile_short=_MDF_SHORT_17,
    ),
    "10.0": _p(
        release="10.0",
        package="kdump-utils-1.0.51-11.el10_0",
        source="rhkdump/kdump-utils@v1.0.51 (e9c84d7)",
        generation="parse_config",
        targets=_FS7 | {"virtiofs"},
        options=_MODERN,
        default_handling="alias",
        ssh_g_check=True,
        ssh_no_at="message",
        check_params=True,
        params_after_first_space=False,
        strips_quotes=False,
        leading_blank_error=False,
        duplicate_check=True,
        fs_check_after_change=True,
        makedumpfile_short=_MDF_SHORT_17,
    ),
    "10.1": _p(
        release="10.1",
        package="kdump-utils-1.0.54 (not confirmed)",
        source="rhkdump/kdump-utils@v1.0.54 (d5ddc85)",
        generation="parse_config",
        targets=_FS7 | {"virtiofs"},
        options=_MODERN,
        default_handling="alias",
        ssh_g_check=True,
        ssh_no_at="message",
        check_params=True,
        params_after_first_space=False,
        strips_quotes=False,
        leading_blank_error=False,
        duplicate_check=True,
        fs_check_after_change=True,
        makedumpfile_short=_MDF_SHORT_17,
    ),
}
RELEASES: Tuple[str, ...] = tuple(PROFILES)


def profile(release: str) -> Profile:
    try:
        return PROFILES[release]
    except KeyError:
        raise ValueError(f"unknown release {release!r} (one of {', '.join(RELEASES)})") from None


# rule id -> (what, checkable with the state alone?)
RULES: Dict[str, Tuple[str, bool]] = {
    "leading-blank": ("blank before a directive name", True),
    "unknown-option": ("directive not accepted by this release", True),
    "deprecated-option": ("deprecated directive (net, options, link_delay, ...)", True),
    "empty-value": ("directive without a value", True),
    "multiple-targets": ("more than one dump target", True),
    "multiple-mounts": ("more than one --mount in one dracut_args", True),
    "duplicate-option": ("directive given twice", True),
    "default-renamed": ("'default' renamed 'failure_action'", True),
    "default-and-failure-action": ("'default' and 'failure_action' together", True),
    "failure-action-value": ("failure_action/default value", True),
    "final-action-value": ("final_action value", True),
    "rebuild-value": ("force_rebuild / force_no_rebuild value", True),
    "rebuild-both": ("force_rebuild and force_no_rebuild both 1", True),
    "ssh-no-at": ("ssh target without user@", True),
    "ssh-hostname": ("ssh host differs from what `ssh -G` prints (case, aliases)", True),
    "needs-F": ("ssh/raw target with makedumpfile but no -F", True),
    "check-params": ("makedumpfile --check-params refuses the core_collector", True),
    "non-makedumpfile-raw": ("raw target with a non-makedumpfile core_collector", True),
    "fence-self": ("fence_kdump_nodes names this host", False),
    "sshkey-missing": ("sshkey file missing", False),
    "file-missing": ("kdump_pre/kdump_post/extra_bins file missing", False),
    "file-not-executable": ("kdump_pre/kdump_post/extra_bins not executable", False),
    "module-missing": ("extra_modules module not found", False),
    "raw-missing": ("raw target is not a block device", False),
    "raw-unreadable": ("raw target cannot be read", False),
    "raw-signature": ("raw target carries a file system signature", False),
    "target-not-mounted": ("file system target not mounted", False),
    "target-wrong-type": ("target's fstab type differs from the directive", False),
    "path-missing": ("dump path missing (local, or inside the fs/nfs target)", False),
    # rtkdump's own refusals: the real tool accepts the text but reads it differently
    "quoted-value": ("value in double quotes", True),
    "hash-in-value": ("'#' ends the value: inline comment", True),
    "carriage-return": ("CR in a line", True),
    "el7-separator": ("RHEL 7 reads the value with cut -d' ' -f2", True),
    "el7-duplicate": ("RHEL 7 has no duplicate check", True),
    "el7-flattened-fs": ("-F with a file target on RHEL 7 (no --check-params)", True),
    "el7-makedumpfile": ("RHEL 7 capture-kernel makedumpfile would refuse the options", True),
    "el7-backslash": ("RHEL 7 `read` without -r drops backslashes", True),
    "collector-tab": ("tab inside core_collector", True),
    "unverified-directive": ("directive not verified on this release's downstream build", True),
    "no-rebuild-skips-checks": ("force_no_rebuild 1 skips every mkdumprd check", True),
    "auto-reset-value": ("auto_reset_crashkernel value other than yes/no", True),
    "ssh-case-portability": ("upper-case ssh host: accepted here, refused by 8.10/9.2+", True),
}


@dataclass(frozen=True)
class Finding:
    lineno: Optional[int]  # 1-based line of the file, None when not tied to a line
    directive: Optional[str]
    severity: str  # "error": kdumpctl start fails; "warning": it goes on
    message: str  # the real tool's message (rtkdump's own for origin "rtkdump")
    rule: str  # key of RULES
    origin: str  # "kdumpctl" | "mkdumprd" | "makedumpfile" | "rtkdump"
    needs_host: bool = False  # True: only found with a HostView (rtkdump plan)
    detail: str = ""  # extra lines the tool prints (makedumpfile's own), or why


def tool_verdict(findings: Iterable[Finding]) -> str:
    """ "refuse" when the real kdumpctl start would fail, else "accept"."""
    bad = any(f.severity == "error" and f.origin != "rtkdump" for f in findings)
    return "refuse" if bad else "accept"


def rtkdump_verdict(findings: Iterable[Finding]) -> str:
    """ "refuse" when rtkdump must not write this text (real errors and our own)."""
    return "refuse" if any(f.severity == "error" for f in findings) else "accept"


def release_for(major: int, minor: int) -> str:
    """The profile of a host's RHEL ``major.minor``: the nearest release at or below it.

    9.0, 9.2 and 9.4 differ (``default`` vs ``failure_action``, ``ssh -G``,
    virtiofs); 9.1 behaves as 9.0, 9.3 as 9.2, 9.5+ as 9.4 (not read), 7.x as
    7.9's code (7.7 read), 8.x as 8.10's, 10.2+ as 10.1.
    """
    rows = [r for r in PROFILES if int(r.split(".")[0]) == major]
    if not rows:
        raise ValueError(f"no kdumpctl profile for RHEL {major} (one of {', '.join(PROFILES)})")
    fitting = [r for r in rows if int(r.split(".")[1]) <= minor] or rows[:1]
    return max(fitting, key=lambda r: int(r.split(".")[1]))
