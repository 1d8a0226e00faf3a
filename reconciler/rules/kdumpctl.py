"""What the real kdumpctl / mkdumprd of each RHEL release accepts in /etc/kdump.conf.

Pure module: text in, findings out.  No I/O, no imports from the rest of
rtkdump, Python 3.8 compatible.  Host-dependent checks go through a
``HostView`` (plain callables), so the same code serves ``rtkdump validate``
(``host=None``: state-only rules) and ``rtkdump plan`` (a HostView built from
the facts), and the simulated kdumpctl.

Every rule is reproduced from the shell code of one release; the rule ids are
the rows of docs/kdumpctl-rules.md, which gives the file, function and commit
each rule was read from.  Messages are the real tool's wording without the
``kdump: `` prefix that the 8.x/9.x/10.x logger adds (RHEL 7 prints bare
lines).  ``origin`` says who prints them: ``kdumpctl``, ``mkdumprd`` (run by
kdumpctl start when the kdump initramfs is rebuilt, which every kdump.conf
change causes), ``makedumpfile`` (``--check-params``, called by mkdumprd), or
``rtkdump`` for our own refusals of text the real tool accepts but reads
differently from what was meant (quotes, RHEL 7's ``cut -d' '``, ...).

The real tool stops at the first error; ``check_kdump_conf`` reports every
problem, in file order, so one run shows everything to fix.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

__all__ = [
    "CONF_PATH",
    "DEFAULT_SSHKEY",
    "FAILURE_ACTIONS",
    "FINAL_ACTIONS",
    "PROFILES",
    "RELEASES",
    "RULES",
    "Finding",
    "HostView",
    "Profile",
    "check_kdump_conf",
    "profile",
    "render_value",
    "rtkdump_verdict",
    "tool_verdict",
]

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


# --- host view -------------------------------------------------------------------
Pred = Callable[[str], bool]


@dataclass
class HostView:
    """Host facts the host-dependent rules need.  A None field = unknown: the rule is skipped.

    ``mountpoint(target)`` is where a fs/nfs target (as written: device,
    UUID=, LABEL=, host:/export) is mounted now, or None if it is not mounted;
    ``fstab(target)`` is ``(mountpoint, fstype, noauto)`` of its /etc/fstab
    line or None.  ``ssh_hostname(user@host)`` is the ``hostname`` line of
    ``ssh -G`` (default: the host part lower-cased, which is what OpenSSH does
    when no ssh_config HostName applies).
    """

    hostname: Optional[str] = None
    ip_addrs: Optional[Sequence[str]] = None
    exists: Optional[Pred] = None  # test -e
    is_file: Optional[Pred] = None  # test -f
    is_dir: Optional[Pred] = None  # test -d
    is_executable: Optional[Pred] = None  # test -x
    is_block_device: Optional[Pred] = None  # test -b
    readable_device: Optional[Pred] = None  # dd if=dev count=1 works
    device_fstype: Optional[Callable[[str], str]] = None  # lsblk FSTYPE, "" when none
    mountpoint: Optional[Callable[[str], Optional[str]]] = None
    fstab: Optional[Callable[[str], Optional[Tuple[str, str, bool]]]] = None
    module_exists: Optional[Pred] = None
    ssh_hostname: Optional[Callable[[str], str]] = None
    initrd_exists: bool = True  # kdump initramfs already built (every start after the first)
    conf_changed: bool = True  # kdump.conf newer than that initramfs (rtkdump just wrote it)

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> HostView:
        """Build from plain data (corpus fixtures, simhost facts).

        Keys: ``hostname``, ``ips``, ``files`` {path: "x" executable | "f" plain},
        ``dirs`` [abs paths], ``block_devices`` [..], ``unreadable`` [..],
        ``device_fstype`` {dev: fstype}, ``mounted`` {target: mountpoint},
        ``fstab`` {target: [mountpoint, fstype, noauto]}, ``modules`` [..],
        ``ssh_config`` {host: HostName}, ``initrd_exists`` and ``conf_changed`` bools.
        Missing keys are unknown, except that a given ``files``/``dirs``/... list
        is the complete truth.
        """
        files: Dict[str, str] = dict(d.get("files", {}) or {})  # type: ignore[arg-type]
        dirs = {_norm(p) for p in (d.get("dirs") or [])}  # type: ignore[union-attr]
        blocks = set(d.get("block_devices") or [])  # type: ignore[arg-type]
        unreadable = set(d.get("unreadable") or [])  # type: ignore[arg-type]
        fstypes: Dict[str, str] = dict(d.get("device_fstype", {}) or {})  # type: ignore[arg-type]
        mounted: Dict[str, str] = dict(d.get("mounted", {}) or {})  # type: ignore[arg-type]
        fstab_d: Dict[str, Sequence[object]] = dict(d.get("fstab", {}) or {})  # type: ignore[arg-type]
        modules = set(d.get("modules") or [])  # type: ignore[arg-type]
        ssh_cfg: Dict[str, str] = dict(d.get("ssh_config", {}) or {})  # type: ignore[arg-type]

        def ssh_host(dest: str) -> str:
            host = dest.rsplit("@", 1)[-1]
            return _default_ssh_hostname(ssh_cfg.get(host, host))

        def fstab(t: str) -> Optional[Tuple[str, str, bool]]:
            row = fstab_d.get(t)
            return None if row is None else (str(row[0]), str(row[1]), bool(row[2]))

        return cls(
            hostname=d.get("hostname"),  # type: ignore[arg-type]
            ip_addrs=d.get("ips"),  # type: ignore[arg-type]
            exists=lambda p: p in files or _norm(p) in dirs,
            is_file=lambda p: p in files,
            is_dir=lambda p: _norm(p) in dirs,
            is_executable=lambda p: files.get(p) == "x" or _norm(p) in dirs,
            is_block_device=lambda p: p in blocks,
            readable_device=lambda p: p in blocks and p not in unreadable,
            device_fstype=lambda p: fstypes.get(p, ""),
            mountpoint=lambda t: mounted.get(t),
            fstab=fstab,
            module_exists=(lambda m: m in modules) if "modules" in d else None,
            ssh_hostname=ssh_host,
            initrd_exists=bool(d.get("initrd_exists", True)),
            conf_changed=bool(d.get("conf_changed", True)),
        )


def _norm(path: str) -> str:
    return posixpath.normpath("/" + path.strip("/")) if path else "/"


def _default_ssh_hostname(dest: str) -> str:
    """The ``hostname`` line of ``ssh -G dest`` when no ssh_config HostName applies.

    OpenSSH ssh.c main(): ``if (!is_addr(host)) lowercase(host); else`` the address
    is rewritten to its canonical form (so ``2001:DB8:0::1`` becomes ``2001:db8::1``).
    """
    host = dest.rsplit("@", 1)[-1]
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return host.lower()
    mapped = getattr(addr, "ipv4_mapped", None)
    # inet_ntop writes a v4-mapped address with a dotted quad, Python does not
    return f"::ffff:{mapped}" if mapped is not None else addr.compressed


# --- reading ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Entry:
    lineno: int
    opt: str
    val: str


_EL7_STRIP = re.compile(r"^[ \t\r\f\v]*([^# \t][^#]+)")  # read_strip_comments' sed
_READ = re.compile(r"([^ \t]+)[ \t]*(.*)\Z", re.S)  # bash `read opt val` (IFS blanks)


def _bash_read(s: str) -> Tuple[str, str]:
    s = s.strip(" \t")
    m = _READ.match(s)
    if not m:
        return "", ""
    return m.group(1), m.group(2).rstrip(" \t")


def _read_el7(lines: Sequence[str]) -> List[_Entry]:
    """RHEL 7 read_strip_comments + `while read config_opt config_val`."""
    out = []
    for n, raw in enumerate(lines, 1):
        m = _EL7_STRIP.match(raw)
        if not m:
            continue
        opt, val = _bash_read(m.group(1))
        if opt:
            out.append(_Entry(n, opt, val))
    return out


def _read_modern(lines: Sequence[str], strips_quotes: bool) -> List[_Entry]:
    """kdump_read_conf: s/#.*//; s/\\s*$//; s/^\\s*//; s/\\(\\S\\+\\)\\s*\\(.*\\)/\\1 \\2/p, then read -r."""
    out = []
    for n, raw in enumerate(lines, 1):
        body = raw.split("#", 1)[0].strip(" \t\r\f\v")
        if not body:
            continue
        m = re.match(r"(\S+)\s*(.*)\Z", body, re.S)
        assert m is not None
        opt, val = _bash_read(m.group(1) + " " + m.group(2))
        if strips_quotes and len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1]
        out.append(_Entry(n, opt, val))
    return out


def _split_lines(text: str) -> List[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# --- makedumpfile --check-params ------------------------------------------------
def _makedumpfile_problems(args: Sequence[str], short: str) -> List[str]:
    """makedumpfile's own messages for a command line; an empty list: it passes.

    Mirrors getopt_long + parse_dump_level + set_message_level +
    check_param_for_creating_dumpfile of makedumpfile 1.7.x for the options a
    core_collector uses; anything it does not model is accepted.
    """
    invalid = ["Commandline parameter is invalid.", "Try `makedumpfile --help' for more information."]
    takes_arg = {c: short[i + 1 : i + 2] == ":" for i, c in enumerate(short) if c != ":"}
    flags: Dict[str, str] = {}
    positional: List[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            positional.extend(args[i + 1 :])
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            if name not in _MDF_LONG:
                # getopt_long takes an unambiguous abbreviation
                matches = [full for full in _MDF_LONG if full.startswith(name)]
                if len(matches) != 1:
                    return invalid
                name = matches[0]
            if _MDF_LONG[name] and not eq:
                i += 1
                if i >= len(args):
                    return invalid
                val = args[i]
            flags[name] = val
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c not in takes_arg:
                    return invalid
                if takes_arg[c]:
                    val = a[j + 1 :]
                    if not val:
                        i += 1
                        if i >= len(args):
                            return invalid
                        val = args[i]
                    flags[c] = val
                    break
                flags[c] = ""
                j += 1
        else:
            positional.append(a)
        i += 1
    if "d" in flags:
        for part in flags["d"].split(","):
            if not part:
                continue
            level = _atoi(part)
            if level < 0 or level > 31:
                return [f"Dump_level({level}) is invalid."]
    if "message-level" in flags:
        level = _atoi(flags["message-level"])
        if level < 0 or level > 31:
            return [f"Message_level({level}) is invalid."]
    compress = any(c in flags for c in "clpz")
    if compress and "E" in flags:
        return invalid
    if "F" in flags and "split" in flags:
        return invalid
    if "split" in flags:
        ok = len(positional) > 2
    elif "F" in flags:
        ok = len(positional) == 1
    else:
        ok = len(positional) == 2
    return [] if ok else invalid


def _atoi(s: str) -> int:
    m = re.match(r"\s*([+-]?\d+)", s)
    return int(m.group(1)) if m else 0


# --- checks ----------------------------------------------------------------------
class _Out:
    def __init__(self) -> None:
        self.items: List[Finding] = []

    def add(
        self,
        lineno: Optional[int],
        directive: Optional[str],
        severity: str,
        message: str,
        rule: str,
        origin: str,
        needs_host: bool = False,
        detail: str = "",
    ) -> None:
        assert rule in RULES, rule
        self.items.append(Finding(lineno, directive, severity, message, rule, origin, needs_host, detail))


def check_kdump_conf(text: str, release: str, host: Optional[HostView] = None) -> List[Finding]:
    """Findings for ``text`` as /etc/kdump.conf on ``release``, in file order.

    Without ``host`` only the rules that depend on the text alone run.
    """
    prof = profile(release)
    lines = _split_lines(text)
    out = _Out()
    _check_rtkdump_text(lines, prof, out)
    if prof.generation == "el7":
        entries = _read_el7(lines)
        _check_el7(lines, entries, prof, host, out)
    else:
        entries = _read_modern(lines, prof.strips_quotes)
        _check_modern(lines, entries, prof, host, out)
    return sorted(out.items, key=lambda f: (f.lineno is None, f.lineno or 0))


def _check_rtkdump_text(lines: Sequence[str], prof: Profile, out: _Out) -> None:
    """Text the real tool accepts but reads differently from what it looks like."""
    for n, raw in enumerate(lines, 1):
        if "\r" in raw:
            out.add(
                n,
                None,
                "error",
                "rtkdump: carriage return in kdump.conf (RHEL 7 keeps it in the value)",
                "carriage-return",
                "rtkdump",
            )
        body = raw.lstrip(" \t")
        if not body or body.startswith("#"):
            continue
        content, hash_, _comment = body.partition("#")
        m = re.match(r"([^ \t]+)([ \t]*)(.*)\Z", content.rstrip(" \t\r"), re.S)
        if not m:
            continue
        opt, sep, val = m.group(1), m.group(2), m.group(3)
        if len(val) >= 2 and val.startswith('"') and val.endswith('"'):
            kept = "keeps the quotes as part of the value" if not prof.strips_quotes else "strips them"
            out.add(
                n,
                opt,
                "error",
                f"rtkdump: quoted value: RHEL {prof.release} {kept}; kdump-utils before 1.0.59 "
                "keep them, 1.0.59+ strip them: write the value without quotes",
                "quoted-value",
                "rtkdump",
            )
        if hash_ and val:
            out.add(
                n,
                opt,
                "warning",
                "rtkdump: everything from '#' on is a comment; the value ends before it",
                "hash-in-value",
                "rtkdump",
            )
        if prof.generation == "el7" and val and sep != " " and opt in _EL7_CUT_FIELD2:
            out.add(
                n,
                opt,
                "error",
                f"rtkdump: RHEL 7 reads '{opt}' with `grep ^{opt} | cut -d' ' -f2`: "
                "the value must follow the name after exactly one space",
                "el7-separator",
                "rtkdump",
            )
        if prof.generation == "el7" and "\\" in val:
            out.add(
                n,
                opt,
                "error",
                "rtkdump: RHEL 7 kdumpctl and mkdumprd read kdump.conf with `read` (no -r), "
                "which removes backslashes from the value",
                "el7-backslash",
                "rtkdump",
            )
        if opt == "core_collector" and "\t" in val:
            out.add(
                n,
                opt,
                "error",
                "rtkdump: tab in core_collector: mkdumprd splits the command at the first space only",
                "collector-tab",
                "rtkdump",
            )
        if opt in prof.unverified:
            out.add(
                n,
                opt,
                "error",
                f"rtkdump: '{opt}' is accepted by the nearest upstream code ({prof.source}) but not "
                f"verified on RHEL {prof.release}'s own build",
                "unverified-directive",
                "rtkdump",
            )
        if opt == "auto_reset_crashkernel" and val and val not in ("yes", "no"):
            out.add(
                n,
                opt,
                "warning",
                "rtkdump: kdumpctl only compares auto_reset_crashkernel with 'no': any other value means yes",
                "auto-reset-value",
                "rtkdump",
            )


# RHEL 7 directives read with `grep ^opt $conf | cut -d' ' -f2[-]` somewhere
# (mkdumprd SAVE_PATH, check_files_modified, get_option_value, save_raw's path).
_EL7_CUT_FIELD2 = frozenset(
    {"path", "kdump_post", "kdump_pre", "core_collector", "extra_bins", "fence_kdump_nodes"}
)
_SSH_CASE_WARNING = (
    "rtkdump: ssh host not as `ssh -G` prints it (upper case, or an address not in canonical form): "
    "accepted here, refused by kdumpctl of RHEL 8.10 and 9.2+; write it in lower case / canonical form"
)
_EL7_TARGET_LINE = re.compile(r"^(?:raw|ssh[ \t]|nfs|ext[234]|xfs|btrfs|minix|dracut_args .*--mount)")


def _check_el7(
    lines: Sequence[str], entries: Sequence[_Entry], prof: Profile, host: Optional[HostView], out: _Out
) -> None:
    # check_config: awk counts target lines of the raw file.
    count = 0
    for n, raw in enumerate(lines, 1):
        if _EL7_TARGET_LINE.match(raw):
            count += 1
            if count > 1:
                out.add(
                    n,
                    raw.split()[0],
                    "error",
                    "More than one dump targets specified.",
                    "multiple-targets",
                    "kdumpctl",
                )
    mounts = [(n, raw) for n, raw in enumerate(lines, 1) if re.match(r"^dracut_args .*--mount", raw)]
    if sum(raw.count("--mount") for _, raw in mounts) > 1:
        out.add(
            mounts[-1][0],
            "dracut_args",
            "error",
            'Multiple mount targets specified in one "dracut_args".',
            "multiple-mounts",
            "kdumpctl",
        )
    for n, raw in enumerate(lines, 1):
        if re.match(r"^[ \t]+[a-z]", raw):
            out.add(
                n,
                raw.split()[0],
                "error",
                f"No whitespaces are allowed before a kdump option name in {CONF_PATH}",
                "leading-blank",
                "kdumpctl",
            )
    seen: Dict[str, int] = {}
    for e in entries:
        if e.opt in prof.targets or e.opt in prof.options:
            if not e.val:
                out.add(
                    e.lineno,
                    e.opt,
                    "error",
                    f"Invalid kdump config value for option {e.opt}.",
                    "empty-value",
                    "kdumpctl",
                )
            if e.opt in seen:
                out.add(
                    e.lineno,
                    e.opt,
                    "error",
                    f"rtkdump: '{e.opt}' given twice (line {seen[e.opt]}): RHEL 7 has no duplicate check "
                    "and kdumpctl, mkdumprd and the capture kernel do not pick the same line",
                    "el7-duplicate",
                    "rtkdump",
                )
            seen.setdefault(e.opt, e.lineno)
        elif e.opt in DEPRECATED:
            out.add(
                e.lineno,
                e.opt,
                "error",
                f"Deprecated kdump config option: {e.opt}. Refer to kdump.conf manpage for alternatives.",
                "deprecated-option",
                "kdumpctl",
            )
        else:
            out.add(
                e.lineno, e.opt, "error", f"Invalid kdump config option {e.opt}", "unknown-option", "kdumpctl"
            )
    for e in entries:
        if e.opt == "ssh" and "@" in e.val and e.val.split("@", 1)[1] != _default_ssh_hostname(e.val):
            out.add(e.lineno, "ssh", "warning", _SSH_CASE_WARNING, "ssh-case-portability", "rtkdump")
    # check_default_config: awk '$1 ~ /^default$/ {print $2;}' -> one word per line.
    defaults = [
        (n, (raw.split() + ["", ""])[1]) for n, raw in enumerate(lines, 1) if raw.split()[:1] == ["default"]
    ]
    joined = "\n".join(w for _, w in defaults)
    if joined and joined not in FAILURE_ACTIONS:
        out.add(
            defaults[-1][0],
            "default",
            "error",
            "Usage kdump.conf: default {reboot|halt|poweroff|shell|dump_to_rootfs}",
            "failure-action-value",
            "kdumpctl",
        )
    last = {e.opt: e for e in entries}
    if host is not None:
        _fence_check(last.get("fence_kdump_nodes"), host, out, exact_ip=False)
        raw_e = next((e for e in entries if e.opt == "raw"), None)
        if raw_e and raw_e.val and host.is_block_device and not host.is_block_device(raw_e.val):
            out.add(
                raw_e.lineno,
                "raw",
                "error",
                f"raw partition {raw_e.val} not found",
                "raw-missing",
                "kdumpctl",
                True,
            )
        for e in entries:
            if e.opt == "sshkey" and e.val and host.is_file and not host.is_file(e.val):
                out.add(
                    e.lineno,
                    "sshkey",
                    "warning",
                    f"WARNING: '{e.val}' doesn't exist, using default value '{DEFAULT_SSHKEY}'",
                    "sshkey-missing",
                    "kdumpctl",
                    True,
                )
    # check_rebuild: `grep ^opt $conf` | echo | cut -d' ' -f2.
    values = {}
    for opt in ("force_no_rebuild", "force_rebuild"):
        hits = [(n, raw) for n, raw in enumerate(lines, 1) if raw.startswith(opt)]
        if not hits:
            values[opt] = "0"
            continue
        words = " ".join(raw for _, raw in hits).split()
        values[opt] = words[1] if len(words) > 1 else words[0]
        if values[opt] not in ("0", "1"):
            out.add(hits[0][0], opt, "error", f"Error: {opt} value is invalid", "rebuild-value", "kdumpctl")
    nr = next((e for e in entries if e.opt == "force_no_rebuild"), None)
    if values["force_no_rebuild"] == "1" and values["force_rebuild"] == "1":
        out.add(
            last["force_rebuild"].lineno if "force_rebuild" in last else None,
            "force_rebuild",
            "error",
            "Error: force_rebuild and force_no_rebuild are enabled simultaneously in kdump.conf",
            "rebuild-both",
            "kdumpctl",
        )
    elif values["force_no_rebuild"] == "1":
        _no_rebuild_warning(nr, out)
        return
    # check_system_modified -> check_files_modified (only when a kdump initramfs exists).
    if host is not None and host.initrd_exists:
        bins: List[Tuple[int, str, str]] = []
        for n, raw in enumerate(lines, 1):
            for opt, allw in (("kdump_post", False), ("kdump_pre", False), ("extra_bins", True)):
                if raw.startswith(opt):
                    fields = raw.split(" ")
                    vals = [w for w in fields[1:] if w] if allw else fields[1:2]
                    bins.extend((n, opt, w) for w in vals if w and not w.startswith("#"))
        _files_check(bins, host, out, exists=host.is_file)
    _mkdumprd(lines, entries, prof, host, out)


def _no_rebuild_warning(entry: Optional[_Entry], out: _Out) -> None:
    out.add(
        entry.lineno if entry else None,
        "force_no_rebuild",
        "warning",
        "rtkdump: force_no_rebuild 1: mkdumprd does not run, so its dump target, dump path and "
        "core_collector checks are skipped and the old initramfs is used",
        "no-rebuild-skips-checks",
        "rtkdump",
    )


def _fence_check(entry: Optional[_Entry], host: HostView, out: _Out, exact_ip: bool) -> None:
    if entry is None or host.hostname is None:
        return
    ips = " ".join(host.ip_addrs or ())
    for node in entry.val.split():
        if node == host.hostname:
            out.add(
                entry.lineno,
                entry.opt,
                "error",
                f"Option fence_kdump_nodes cannot contain {host.hostname}",
                "fence-self",
                "kdumpctl",
                True,
            )
            return
        # RHEL 7: `echo $ipaddrs | grep $node`; later: `echo "$ipaddrs " | grep -q "$node "`.
        pattern = re.escape(node).replace(r"\.", ".") + (" " if exact_ip else "")
        if re.search(pattern, ips + (" " if exact_ip else "")):
            out.add(
                entry.lineno,
                entry.opt,
                "error",
                f"Option fence_kdump_nodes cannot contain {node}",
                "fence-self",
                "kdumpctl",
                True,
            )
            return


def _files_check(
    bins: Sequence[Tuple[int, str, str]], host: HostView, out: _Out, exists: Optional[Pred]
) -> None:
    """check_exist then check_executable over kdump_post, kdump_pre, extra_bins."""
    if exists is not None:
        for n, opt, path in bins:
            if not exists(path):
                out.add(n, opt, "error", f"Error: {path} not found.", "file-missing", "kdumpctl", True)
                return
    if host.is_executable is not None:
        for n, opt, path in bins:
            if not host.is_executable(path):
                out.add(
                    n,
                    opt,
                    "error",
                    f"Error: {path} is not executable.",
                    "file-not-executable",
                    "kdumpctl",
                    True,
                )
                return


def _check_modern(
    lines: Sequence[str], entries: Sequence[_Entry], prof: Profile, host: Optional[HostView], out: _Out
) -> None:
    opt_set: Dict[str, _Entry] = {}
    values: Dict[str, str] = {}

    def set_config(e: _Entry, key: str, val: str) -> bool:
        if not val:
            out.add(
                e.lineno,
                e.opt,
                "error",
                f"Invalid kdump config value for option '{key}'",
                "empty-value",
                "kdumpctl",
            )
            return False
        if key in opt_set:
            if key in ("_target", "_fstype"):
                out.add(
                    e.lineno,
                    e.opt,
                    "error",
                    "More than one dump targets specified",
                    "multiple-targets",
                    "kdumpctl",
                )
            else:
                out.add(
                    e.lineno,
                    e.opt,
                    "error",
                    f"Duplicated kdump config value of option {key}",
                    "duplicate-option",
                    "kdumpctl",
                )
            return False
        opt_set[key] = e
        values[key] = val
        return True

    new = prof.generation == "parse_config"
    for e in entries:
        key = e.opt
        if e.opt == "dracut_args" and "--mount" in e.val:
            if e.val.count("--mount") != 1:
                out.add(
                    e.lineno,
                    e.opt,
                    "error",
                    'Multiple mount targets specified in one "dracut_args".',
                    "multiple-mounts",
                    "kdumpctl",
                )
                continue
            if new:
                if not set_config(e, "_fstype", "dracut_args") or not set_config(e, "_target", e.val):
                    continue
            else:
                key = "_target"
        elif e.opt in prof.targets:
            if new and not set_config(e, "_fstype", e.opt):
                continue
            key = "_target"
        elif e.opt == "sshkey" and new:
            if not e.val:
                set_config(e, "sshkey", "")
                continue
            if host is not None and host.is_file is not None and not host.is_file(e.val):
                out.add(
                    e.lineno,
                    e.opt,
                    "warning",
                    f"WARNING: '{e.val}' doesn't exist, using default value '{DEFAULT_SSHKEY}'",
                    "sshkey-missing",
                    "kdumpctl",
                    True,
                )
        elif e.opt == "default" and prof.default_handling == "alias":
            out.add(
                e.lineno,
                e.opt,
                "warning",
                "WARNING: Option 'default' was renamed 'failure_action' and will be removed in the future.",
                "default-renamed",
                "kdumpctl",
                detail=f"Please update {CONF_PATH} to use option 'failure_action' instead.",
            )
            if not set_config(e, "failure_action", e.val):
                continue
        elif e.opt in prof.options:
            pass
        elif e.opt in DEPRECATED:
            out.add(
                e.lineno,
                e.opt,
                "error",
                f"Deprecated kdump config option: {e.opt}. Refer to kdump.conf manpage for alternatives.",
                "deprecated-option",
                "kdumpctl",
            )
            continue
        else:
            out.add(
                e.lineno, e.opt, "error", f"Invalid kdump config option {e.opt}", "unknown-option", "kdumpctl"
            )
            continue
        set_config(e, key, e.val)

    target = opt_set.get("_fstype") or opt_set.get("_target")
    fstype = target.opt if target is not None else None
    # check_failure_action_config
    if prof.default_handling == "separate":
        fa, de = opt_set.get("failure_action"), opt_set.get("default")
        if fa is not None and de is not None:
            out.add(
                max(fa.lineno, de.lineno),
                "failure_action",
                "error",
                "Cannot specify 'failure_action' and 'default' option together",
                "default-and-failure-action",
                "kdumpctl",
            )
        else:
            chosen = de or fa
            if chosen is not None and values[chosen.opt] not in FAILURE_ACTIONS:
                out.add(
                    chosen.lineno,
                    chosen.opt,
                    "error",
                    f"Usage kdump.conf: {chosen.opt} {{reboot|halt|poweroff|shell|dump_to_rootfs}}",
                    "failure-action-value",
                    "kdumpctl",
                )
    elif "failure_action" in values and values["failure_action"] not in FAILURE_ACTIONS:
        fa = opt_set["failure_action"]
        out.add(
            fa.lineno,
            fa.opt,
            "error",
            "Usage kdump.conf: failure_action {reboot|halt|poweroff|shell|dump_to_rootfs}",
            "failure-action-value",
            "kdumpctl",
        )
    if "final_action" in values and values["final_action"] not in FINAL_ACTIONS:
        out.add(
            opt_set["final_action"].lineno,
            "final_action",
            "error",
            "Usage kdump.conf: final_action {reboot|halt|poweroff}",
            "final-action-value",
            "kdumpctl",
        )
    if host is not None:
        _fence_check(opt_set.get("fence_kdump_nodes"), host, out, exact_ip=True)
    # check_ssh_config (parse_config generation) / 9.0 only warns about sshkey
    if fstype == "ssh" and target is not None:
        dest = values.get("_target", "")
        if "@" not in dest:
            if prof.ssh_no_at == "message":
                out.add(
                    target.lineno,
                    "ssh",
                    "error",
                    f"Please verify that {CONF_PATH} contains 'ssh <user>@<host>' and that it is "
                    "properly formatted.",
                    "ssh-no-at",
                    "kdumpctl",
                )
            elif prof.ssh_no_at == "silent":
                out.add(
                    target.lineno,
                    "ssh",
                    "error",
                    "Starting kdump: [FAILED]",
                    "ssh-no-at",
                    "kdumpctl",
                    detail="check_ssh_config returns 1 without a message of its own",
                )
        elif prof.ssh_g_check:
            resolve = host.ssh_hostname if host is not None and host.ssh_hostname else _default_ssh_hostname
            if dest.split("@", 1)[1] != resolve(dest):
                out.add(
                    target.lineno,
                    "ssh",
                    "error",
                    f"Invalid ssh destination {dest} provided.",
                    "ssh-hostname",
                    "kdumpctl",
                    needs_host=dest.split("@", 1)[1] == _default_ssh_hostname(dest),
                    detail="compared with the hostname line of `ssh -G`, which OpenSSH lower-cases",
                )
        elif dest.split("@", 1)[1] != _default_ssh_hostname(dest):
            out.add(target.lineno, "ssh", "warning", _SSH_CASE_WARNING, "ssh-case-portability", "rtkdump")
    if not new and host is not None and host.is_file is not None:
        sk = opt_set.get("sshkey")
        if sk is not None and not host.is_file(values["sshkey"]):
            out.add(
                sk.lineno,
                "sshkey",
                "warning",
                f"WARNING: '{values['sshkey']}' doesn't exist, using default value '{DEFAULT_SSHKEY}'",
                "sshkey-missing",
                "kdumpctl",
                True,
            )
    # save_raw
    if fstype == "raw" and host is not None:
        dev = values.get("_target", "")
        if host.is_block_device is not None and not host.is_block_device(dev):
            out.add(
                target.lineno if target else None,
                "raw",
                "error",
                f"raw partition {dev} not found",
                "raw-missing",
                "kdumpctl",
                True,
            )
        elif host.device_fstype is not None and host.device_fstype(dev):
            out.add(
                target.lineno if target else None,
                "raw",
                "warning",
                f"Warning: Detected '{host.device_fstype(dev)}' signature on {dev}, data loss is expected.",
                "raw-signature",
                "kdumpctl",
                True,
            )
    # check_rebuild (9.0) / need_initrd_rebuild
    rebuild = {}
    for opt in ("force_no_rebuild", "force_rebuild"):
        rebuild[opt] = values.get(opt, "0")
        if rebuild[opt] not in ("0", "1"):
            out.add(
                opt_set[opt].lineno,
                opt,
                "error",
                f"Error: {opt} value is invalid",
                "rebuild-value",
                "kdumpctl",
            )
    if rebuild["force_no_rebuild"] == "1" and rebuild["force_rebuild"] == "1":
        out.add(
            opt_set["force_rebuild"].lineno,
            "force_rebuild",
            "error",
            "Error: force_rebuild and force_no_rebuild are enabled simultaneously in kdump.conf",
            "rebuild-both",
            "kdumpctl",
        )
    elif rebuild["force_no_rebuild"] == "1":
        _no_rebuild_warning(opt_set.get("force_no_rebuild"), out)
        return
    # check_files_modified runs from check_system_modified / is_system_modified, which
    # return "rebuild" at once when there is no kdump initramfs yet.
    if host is not None and host.initrd_exists:
        bins = []
        for opt in ("kdump_post", "kdump_pre", "extra_bins"):
            if opt in opt_set:
                bins.extend((opt_set[opt].lineno, opt, w) for w in values[opt].split())
        _files_check(bins, host, out, exists=host.exists)
        if "extra_modules" in opt_set and host.module_exists is not None:
            for mod in values["extra_modules"].split():
                if not host.module_exists(mod):
                    out.add(
                        opt_set["extra_modules"].lineno,
                        "extra_modules",
                        "warning",
                        f"Module {mod} not found",
                        "module-missing",
                        "kdumpctl",
                        True,
                    )
    _mkdumprd(lines, entries, prof, host, out)


def _save_path(entries: Sequence[_Entry], lines: Sequence[str], prof: Profile) -> str:
    if prof.generation == "el7":
        # SAVE_PATH=$(grep ^path $conf_file | cut -d' ' -f2); echo $SAVE_PATH | tr -s /
        vals = [raw.split(" ")[1] if " " in raw else raw for raw in lines if raw.startswith("path")]
        # the unquoted `echo $SAVE_PATH` collapses blanks (and joins several path lines)
        path = " ".join(" ".join(vals).split()) or DEFAULT_PATH
    else:
        path = next((e.val for e in reversed(entries) if e.opt == "path" and e.val), "") or DEFAULT_PATH
    return re.sub(r"/+", "/", path)


def _mkdumprd(
    lines: Sequence[str], entries: Sequence[_Entry], prof: Profile, host: Optional[HostView], out: _Out
) -> None:
    """mkdumprd's checks: the main `while read config_opt config_val` loop + handle_default_dump_target."""
    el7 = prof.generation == "el7"
    save_path = _save_path(entries, lines, prof)
    if el7:
        ssh_target = any(re.match(r"^ssh[ \t].*@", raw) for raw in lines)
        raw_target = any(raw.startswith("raw") for raw in lines)
    else:
        last: Dict[str, str] = {}
        for e in entries:
            if e.val:
                last[e.opt] = e.val
        ssh_target = "@" in last.get("ssh", "")
        raw_target = bool(last.get("raw"))
    fs_kinds = {"ext2", "ext3", "ext4", "xfs", "btrfs", "minix", "nfs"} | (
        {"virtiofs"} if "virtiofs" in prof.targets else set()
    )
    user_target = False
    bad_ssh = any(e.opt == "ssh" and e.val and "@" not in e.val for e in entries)
    for e in entries:
        if e.opt in fs_kinds and e.val:
            user_target = True
            _fs_target(e, save_path, prof, host, out)
        elif e.opt == "raw" and e.val:
            user_target = True
            if host is not None and host.readable_device is not None and not host.readable_device(e.val):
                out.add(e.lineno, "raw", "error", f"Bad raw disk {e.val}", "raw-unreadable", "mkdumprd", True)
        elif e.opt == "ssh" and e.val:
            user_target = True
            if "@" not in e.val and prof.ssh_no_at == "mkdumprd":
                out.add(e.lineno, "ssh", "error", f"Bad ssh dump target {e.val}", "ssh-no-at", "mkdumprd")
        elif e.opt == "dracut_args" and "--mount" in e.val:
            user_target = True
        elif e.opt == "core_collector" and e.val and not bad_ssh:
            # (with an ssh target lacking "@" the run already fails on that line; the
            # collector would be judged as if for a local target, which is only noise)
            _verify_core_collector(e, prof, ssh_target, raw_target, out)
    # RHEL 7's `[ ! -d $_path ]` is unquoted: a path with a blank makes test(1) fail with a
    # syntax error, which `if` takes as "exists" -- nothing is reported.
    checkable = not (el7 and " " in save_path)
    if (
        not user_target
        and checkable
        and host is not None
        and host.is_dir is not None
        and not host.is_dir(save_path)
    ):
        pe = next((e for e in reversed(entries) if e.opt == "path"), None)
        lineno = pe.lineno if pe else None
        mkdumprd_says = f"Dump path {save_path} does not exist."
        # With an initramfs, check_system_modified looks at the dump file system before
        # mkdumprd runs -- unless check_files_modified already saw a change (RHEL 7 .. 9.2
        # return at once then; 9.4+ go on since 7418611).
        if host.initrd_exists and (prof.fs_check_after_change or not host.conf_changed):
            if el7:
                out.add(
                    lineno,
                    "path",
                    "error",
                    f"Dump path {save_path} does not exist",
                    "path-missing",
                    "kdumpctl",
                    True,
                    detail="check_dump_fs_modified (df finds nothing)",
                )
            else:
                out.add(
                    lineno,
                    "path",
                    "error",
                    "Dump target is invalid",
                    "path-missing",
                    "kdumpctl",
                    True,
                    detail=f"check_fs_modified; a rebuild would fail with '{mkdumprd_says}'",
                )
        else:
            out.add(lineno, "path", "error", mkdumprd_says, "path-missing", "mkdumprd", True)


def _fs_target(e: _Entry, save_path: str, prof: Profile, host: Optional[HostView], out: _Out) -> None:
    if host is None or host.mountpoint is None:
        return
    mnt = host.mountpoint(e.val)
    if prof.generation == "el7":
        if mnt is None:
            out.add(
                e.lineno,
                e.opt,
                "error",
                f"Dump target {e.val} is probably not mounted.",
                "target-not-mounted",
                "mkdumprd",
                True,
            )
            return
        full = re.sub(r"/+", "/", f"{mnt}/{save_path}")
        if host.is_dir is not None and not host.is_dir(full):
            out.add(
                e.lineno,
                e.opt,
                "error",
                f"Dump path {full} does not exist.",
                "path-missing",
                "mkdumprd",
                True,
            )
        return
    row = host.fstab(e.val) if host.fstab is not None else None
    if row is not None:
        fst = "nfs" if row[1].startswith("nfs") else row[1]
        if fst and fst != e.opt:
            out.add(
                e.lineno,
                e.opt,
                "error",
                f'"{e.val}" have a wrong type config "{e.opt}", expected "{fst}"',
                "target-wrong-type",
                "mkdumprd",
                True,
            )
            return
        if mnt is None and not row[2]:
            out.add(
                e.lineno,
                e.opt,
                "error",
                f'Dump target "{e.val}" is neither mounted nor configured as "noauto"',
                "target-not-mounted",
                "mkdumprd",
                True,
            )
            return
        mnt = mnt or row[0]
    if mnt is None or host.is_dir is None:
        return  # mkdumprd mounts it on a temporary directory: unknown here
    if not host.is_dir(f"{mnt}/{save_path}"):
        shown = re.sub(r"/+", "/", f"{mnt}/{save_path}") if prof.release == "9.0" else save_path
        out.add(
            e.lineno,
            e.opt,
            "error",
            f'Dump path "{shown}" does not exist in dump target "{e.val}"',
            "path-missing",
            "mkdumprd",
            True,
        )


def _verify_core_collector(e: _Entry, prof: Profile, ssh_target: bool, raw_target: bool, out: _Out) -> None:
    val = e.val
    cmd = val.split(" ", 1)[0]
    if prof.params_after_first_space:
        params = val.split(" ", 1)[1] if " " in val else val  # ${1#* }
    else:
        params = val[len(cmd) :]  # ${1#"${_cmd}"}
    if cmd != "makedumpfile":
        if raw_target:
            out.add(
                e.lineno,
                e.opt,
                "warning",
                "Warning: specifying a non-makedumpfile core collector, you will have to recover the "
                "vmcore manually.",
                "non-makedumpfile-raw",
                "mkdumprd",
            )
        return
    flattened = ssh_target or raw_target
    # strstr: [[ $1 =~ -F ]] (RHEL 7 tests the whole value, later ones the parameters)
    if flattened and "-F" not in (val if prof.generation == "el7" else params):
        out.add(
            e.lineno,
            e.opt,
            "error",
            'The specified dump target needs makedumpfile "-F" option.',
            "needs-F",
            "mkdumprd",
        )
        return
    words = params.split() + (["vmcore"] if flattened else ["vmcore", "dumpfile"])
    problems = _makedumpfile_problems(words, prof.makedumpfile_short)
    if not problems:
        return
    if prof.check_params:
        out.add(
            e.lineno,
            e.opt,
            "error",
            "makedumpfile parameter check failed.",
            "check-params",
            "mkdumprd",
            detail="makedumpfile --check-params: " + " ".join(problems),
        )
    elif not flattened and "F" in _short_flags(params.split()):
        out.add(
            e.lineno,
            e.opt,
            "error",
            "rtkdump: makedumpfile -F writes the flattened format to stdout; with a file system target "
            "the capture kernel passes a dump file and makedumpfile refuses (RHEL 7 has no "
            "--check-params to catch it at start)",
            "el7-flattened-fs",
            "rtkdump",
            detail=" ".join(problems),
        )
    else:
        out.add(
            e.lineno,
            e.opt,
            "error",
            "rtkdump: the capture kernel's makedumpfile would refuse these options (RHEL 7 has no "
            "--check-params to catch it at start)",
            "el7-makedumpfile",
            "rtkdump",
            detail=" ".join(problems),
        )


def _short_flags(words: Sequence[str]) -> str:
    return "".join(w[1:] for w in words if w.startswith("-") and not w.startswith("--"))


# --- rendering -------------------------------------------------------------------
def render_value(value: str, release: str) -> str:
    """The text to write after ``<directive> `` on ``release``; ValueError when it cannot be written.

    Never quote: no supported release strips quotes (kdump-utils 1.0.59+ does),
    and a value with spaces needs none (the value is the rest of the line on
    every release).  So a value that must be quoted to mean what it says, or
    that is itself wrapped in quotes, is refused rather than rendered two ways.
    """
    profile(release)
    if not isinstance(value, str) or value == "":
        raise ValueError("empty kdump.conf value: kdumpctl refuses it ('Invalid kdump config value')")
    if any(c in value for c in "\n\r"):
        raise ValueError(f"kdump.conf value must be one line: {value!r}")
    if "#" in value:
        raise ValueError(f"'#' starts a comment in kdump.conf on every release: {value!r}")
    if value != value.strip(" \t"):
        raise ValueError(f"leading/trailing blanks are dropped by kdumpctl: {value!r}")
    if "\t" in value:
        raise ValueError(
            f"tab in a kdump.conf value: RHEL 7 splits on single spaces, write spaces: {value!r}"
        )
    if value.startswith('"') or value.endswith('"'):
        raise ValueError(
            f"quoted kdump.conf value {value!r}: kept literally before kdump-utils 1.0.59, stripped after; "
            "write it without quotes"
        )
    if "\\" in value and release == "7.9":
        raise ValueError(f"backslash in a RHEL 7 kdump.conf value (`read` without -r drops it): {value!r}")
    if "  " in value and release == "7.9":
        # harmless for kdumpctl, but the RHEL 7 `cut -d' '` readers see empty fields
        raise ValueError(f"double space in a RHEL 7 kdump.conf value: {value!r}")
    return value
