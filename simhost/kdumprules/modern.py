"""8.10, 9.x, 10.x: check_config (9.0) / parse_config + _set_config (2022-03+) and the checks after it."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from .common import _SSH_CASE_WARNING, _fence_check, _files_check, _no_rebuild_warning
from .hostview import HostView, _default_ssh_hostname
from .mkdumprd import _mkdumprd
from .profiles import CONF_PATH, DEFAULT_SSHKEY, DEPRECATED, FAILURE_ACTIONS, FINAL_ACTIONS, Profile
from .reading import _Entry, _Out


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
        bins: List[Tuple[int, str, str]] = []
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
