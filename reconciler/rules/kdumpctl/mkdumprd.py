"""mkdumprd's checks: dump target, dump path, verify_core_collector."""

from __future__ import annotations

import re
from typing import Dict, Optional, Sequence

from .hostview import HostView
from .profiles import DEFAULT_PATH, Profile
from .reading import _Entry, _makedumpfile_problems, _Out


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
