"""rtkdump's own text checks and the helpers both check generations share."""

from __future__ import annotations

import re
from typing import Optional, Sequence, Tuple

from .hostview import HostView, Pred
from .profiles import Profile
from .reading import _Entry, _Out


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
