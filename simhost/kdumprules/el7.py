"""RHEL 7 (kexec-tools 2.0.15): check_config, check_default_config, check_rebuild, check_files_modified."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from .common import _EL7_TARGET_LINE, _SSH_CASE_WARNING, _fence_check, _files_check, _no_rebuild_warning
from .hostview import HostView, _default_ssh_hostname
from .mkdumprd import _mkdumprd
from .profiles import CONF_PATH, DEFAULT_SSHKEY, DEPRECATED, FAILURE_ACTIONS, Profile
from .reading import _Entry, _Out


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
