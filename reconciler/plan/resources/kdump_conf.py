"""/etc/kdump.conf rendered canonically from the state, diffed against the host's, and the local dump path."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from ...formats import kdumpconf
from ...rules import kdumpctl
from ..model import ADD, CHANGE, Action, FileWrite, Unchanged, unified_diff
from . import Outcome, PlanContext

PATH = "/etc/kdump.conf"
HEADER = (
    "Managed by rtkdump: edits here are replaced on the next `rtkdump apply`.\n"
    "Change the rtkdump state file instead (see `man kdump.conf` for the directives)."
)


def desired_directives(ctx: PlanContext, values: Tuple[str, ...]) -> List[Tuple[str, str]]:
    """The directives of the file we want, in kdumpctl's documented order."""
    return [(name, value) for name, value, _ in desired_lines(ctx)]


def desired_lines(ctx: PlanContext) -> List[Tuple[str, str, str]]:
    """``(directive, value, state field it comes from)`` of the file we want.

    state/kdump.py ``candidate`` writes the same lines for ``rtkdump validate``.
    """
    spec = ctx.desired.dump
    release = ctx.release
    target = spec.target
    out: List[Tuple[str, str, str]] = []
    if target.kind == "raw":
        out.append(("raw", target.device or "", "dump.target.device"))
    elif target.kind == "fs":
        out.append((target.fstype or "", target.device or "", "dump.target.device"))
    elif target.kind == "nfs":
        out.append(("nfs", target.server or "", "dump.target.server"))
    elif target.kind == "ssh":
        out.append(("ssh", target.server or "", "dump.target.server"))
        if target.sshkey:
            out.append(("sshkey", target.sshkey, "dump.target.sshkey"))
    out.append(("path", spec.path, "dump.path"))
    out.append(
        (
            "core_collector",
            spec.core_collector or kdumpconf.default_core_collector(target.kind, release.major),
            "dump.core_collector" if spec.core_collector else "dump.target.type",
        )
    )
    if spec.failure_action:
        # RHEL 7's kdumpctl knows this directive only by its old name
        out.append(
            (
                "default" if release.major <= 7 else "failure_action",
                spec.failure_action,
                "dump.failure_action",
            )
        )
    if spec.final_action:
        if release.major <= 7:
            raise ctx.plan_error(
                "final_action is not a RHEL 7 kdump.conf directive (kdumpctl would refuse the file)",
                "dump.final_action",
                hint="remove it for RHEL 7 hosts; after a dump RHEL 7 always reboots",
            )
        out.append(("final_action", spec.final_action, "dump.final_action"))
    extra = dict(spec.extra)
    for name, value in spec.extra:
        if name == "auto_reset_crashkernel":
            continue
        out.append((name, value, f"dump.extra.{name}"))
    # Where auto_reset_crashkernel exists (RHEL 9, 10), kdump rewrites crashkernel= on EVERY entry
    # (custom values and non-RT entries included) at each kexec-tools/kdump-utils update and for every
    # new kernel (92-crashkernel.install) unless it is "no".  rtkdump owns crashkernel=: one owner.
    if ctx.profile.auto_reset_crashkernel:
        asked = extra.get("auto_reset_crashkernel")
        if ctx.desired.present and asked == "yes":
            raise ctx.plan_error(
                "auto_reset_crashkernel yes would let kdump rewrite crashkernel= on every boot entry at each "
                "kexec-tools/kdump-utils update and new kernel, against what this state sets",
                "dump.extra.auto_reset_crashkernel",
                hint="delete dump.extra.auto_reset_crashkernel: rtkdump writes `no` and keeps crashkernel= itself",
            )
        out.append(
            (
                "auto_reset_crashkernel",
                "no" if ctx.desired.present else (asked or "yes"),
                "dump.extra.auto_reset_crashkernel",
            )
        )
    elif "auto_reset_crashkernel" in extra:
        ctx.note(
            "info",
            f"auto_reset_crashkernel is not a RHEL {release.major} directive: left out of {PATH} "
            "(kdump there never resets crashkernel=)",
        )
    return out


def check(ctx: PlanContext, values: Tuple[str, ...]) -> Outcome:
    out = Outcome()
    release = ctx.release
    fact = ctx.facts.kdump_conf
    rules_release = kdumpctl.release_for(release.major, release.minor)
    lines = desired_lines(ctx)
    for name, value, at in lines:
        try:
            kdumpctl.render_value(value, rules_release)
        except ValueError as exc:
            raise ctx.plan_error(f"{name}: {exc}", at) from None
    directives = [(name, value) for name, value, _ in lines]
    wanted = kdumpconf.render_kdump_conf(directives, HEADER)
    _check_wanted(ctx, wanted, lines, rules_release)
    _dump_path(ctx, out)
    if not fact.known:
        ctx.unknown(fact, PATH)
        return out
    current = fact.known_value
    before = None if current is None else current.text
    if current is not None:
        for p in kdumpctl.check_kdump_conf(current.text, rules_release):
            if p.origin == "rtkdump":
                continue
            where = f"line {p.lineno}: " if p.lineno else ""
            ctx.note("warning", f"current {PATH} {where}{p.origin} would say: {p.message}")
    if before == wanted:
        out.unchanged.append(
            Unchanged(f"file:{PATH}", "kdump.conf", "already has exactly the desired directives")
        )
        return out
    if current is None:
        why = "the file does not exist (kexec-tools installs a stock one; this replaces it)"
    else:
        have = current.directives()
        why = (
            "directives differ"
            if have != directives
            else "same directives; comments/layout differ from the canonical file"
        )
    if ("auto_reset_crashkernel", "no") in directives:
        why += "; auto_reset_crashkernel no: rtkdump owns crashkernel=, kdump must not rewrite the entries"
    out.actions.append(
        Action(
            id=f"file:{PATH}",
            symbol=ADD if current is None else CHANGE,
            resource="kdump.conf",
            summary=f"write {PATH} ({', '.join(n for n, _ in directives)})",
            why=why,
            before=before,
            after=wanted,
            diff=unified_diff(PATH, before, wanted),
            write=FileWrite(PATH, wanted, 0o644),
            notifies=("service:kdump.service:restart",),
        )
    )
    return out


def _dump_path(ctx: PlanContext, out: Outcome) -> None:
    spec = ctx.desired.dump
    if spec.target.kind in ("fs", "nfs") and ctx.desired.present:
        where = spec.target.device if spec.target.kind == "fs" else spec.target.server
        rel = kdumpctl.release_for(ctx.release.major, ctx.release.minor)
        said = (
            f"Dump path <mountpoint>{spec.path} does not exist."
            if rel == "7.9"
            else f'Dump path "{spec.path}" does not exist in dump target "{where}"'
        )
        ctx.note(
            "info",
            f"{spec.path} must exist inside the dump target {where}: rtkdump does not mount it, so it "
            f"cannot check; mkdumprd mounts it at kdump start and refuses with '{said}' -- create the "
            "directory on that file system",
        )
    if spec.target.kind != "local":
        if spec.target.kind in ("raw", "fs"):
            dev = spec.target.device or ""
            if dev.startswith("/dev/"):
                exists = ctx.facts.paths.get(dev)
                if exists is not None and exists.known and not exists.value:
                    ctx.note(
                        "warning", f"dump device {dev} does not exist on this host: kdump will fail to start"
                    )
        return
    fact = ctx.facts.paths.get(spec.path)
    ident = f"directory:{spec.path}"
    if fact is None or not fact.known:
        return
    if fact.value:
        out.unchanged.append(Unchanged(ident, "dump-path", f"local dump directory {spec.path} exists"))
        return
    out.actions.append(
        Action(
            id=ident,
            symbol=ADD,
            resource="dump-path",
            summary=f"create local dump directory {spec.path}",
            why="kdumpctl refuses to start when the local dump path does not exist",
            after=spec.path,
            mkdir=spec.path,
        )
    )


def _host_view(ctx: PlanContext) -> kdumpctl.HostView:
    """What the plan knows of the host for kdumpctl's host rules; None fields are skipped.

    The local dump path is not given: rtkdump creates it (``_dump_path``).
    """
    kinds: Dict[str, Optional[str]] = {p: (f.value if f.known else None) for p, f in ctx.facts.files.items()}

    def known(p: str, want: Tuple[str, ...]) -> bool:
        kind = kinds.get(p)
        return True if kind is None else kind in want  # unknown: do not refuse

    return kdumpctl.HostView(
        exists=lambda p: known(p, ("dir", "file", "exec")),
        is_file=lambda p: known(p, ("file", "exec")),
        is_executable=lambda p: known(p, ("dir", "exec")),
        initrd_exists=True,  # check the hooks now, not only from the second start on
    )


def _check_wanted(ctx: PlanContext, wanted: str, lines: List[Tuple[str, str, str]], rel: str) -> None:
    """A safety net: never write a file the real kdumpctl of this release refuses."""
    body = kdumpconf.parse_kdump_conf(wanted)
    offset = next((ln.lineno for ln in body.lines if ln.directive is not None), 1) - 1
    for f in kdumpctl.check_kdump_conf(wanted, rel, _host_view(ctx)):
        index = (f.lineno or 0) - offset - 1
        at = lines[index][2] if 0 <= index < len(lines) else "dump"
        who = "rtkdump" if f.origin == "rtkdump" else f"{f.origin} of RHEL {ctx.release.version_id}"
        message = f.message.replace("rtkdump: ", "")
        if f.severity == "error":
            detail = f" ({f.detail})" if f.detail else ""
            raise ctx.plan_error(
                f"{who} would refuse the {PATH} this state means: {message}{detail}",
                at,
                hint=f"see docs/kdumpctl-rules.md, rule {f.rule}",
            )
        if f.needs_host or f.origin != "rtkdump":
            ctx.note("warning", f"{PATH} line {f.lineno} ({at}): {who} will say: {message}")
