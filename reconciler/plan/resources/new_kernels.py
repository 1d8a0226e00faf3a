"""New kernels keep crashkernel=: a hook the platform runs for every kernel it installs.

rtkdump edits the entries that exist; what a *new* kernel entry gets is the platform's:
RHEL 7 copies the default entry's arguments (new-kernel-pkg --copy-default), RHEL 8 writes
``options $kernelopts``, RHEL 9/10 take /etc/kernel/cmdline or /proc/cmdline, and
92-crashkernel.install may reset it (rtkdump writes auto_reset_crashkernel no).  So after
``dnf update`` the new kernel-rt could boot with no reservation until the next apply and a
second reboot.  The hook closes that gap: on RHEL 8/9/10 a kernel-install plugin ordered
after 20-grub.install and 92-crashkernel.install, on RHEL 7 an /etc/kernel/postinst.d hook
(new-kernel-pkg --rpmposttrans runs it).  It is a managed file, planned and diffed like
kdump.conf, and it touches only kernels the state targets.
"""

from __future__ import annotations

from typing import Optional, Tuple

from ...facts import HOOK_PATHS
from ...rules.releases import RT_KERNEL_CASE, ReleaseProfile
from ..model import ADD, CHANGE, Action, FileWrite, Unchanged, unified_diff
from . import Outcome, PlanContext

# Both places are read on every host (facts.HOOK_PATHS): RHEL 7's postinst.d, then kernel-install's.
HEADER = """#!/bin/sh
# Managed by rtkdump: edits here are replaced on the next `rtkdump apply`.
# Change the rtkdump state file instead (crashkernel.value, crashkernel.entries).
"""


def hook_path(profile: ReleaseProfile) -> str:
    if profile.new_kernel_hook_dir.endswith("postinst.d"):
        return HOOK_PATHS[0]
    return HOOK_PATHS[1]


def render_hook(profile: ReleaseProfile, values: Optional[Tuple[str, ...]], entries: str) -> str:
    """The hook's text. ``values`` None: a no-op hook (kdump off, or no kernel a new one could be)."""
    postinst = hook_path(profile) == HOOK_PATHS[0]
    lines = [HEADER.rstrip("\n")]
    if postinst:
        lines += [
            "# Run by new-kernel-pkg --rpmposttrans for every installed kernel: HOOK KVER /boot/vmlinuz-KVER",
            'KVER="$1"',
        ]
    else:
        lines += [
            "# A kernel-install plugin (after 20-grub.install and 92-crashkernel.install):",
            "# PLUGIN add|remove KVER ENTRY_DIR KERNEL_IMAGE",
            '[ "$1" = add ] || exit 0',
            'KVER="$2"',
        ]
    if values is None:
        lines.append("exit 0  # this state gives new kernels no crashkernel=")
        return "\n".join(lines) + "\n"
    if entries == "realtime":
        lines += [
            "# crashkernel.entries: realtime: RT kernels only, their debug and 64k variants included",
            'case "$KVER" in',
            f"    {RT_KERNEL_CASE}) ;;",
            "    *) exit 0 ;;",
            "esac",
        ]
    args = " ".join(f"crashkernel={v}" for v in values)
    lines.append(f'exec grubby --update-kernel="/boot/vmlinuz-$KVER" --args="{args}"')
    return "\n".join(lines) + "\n"


def check(ctx: PlanContext, values: Tuple[str, ...]) -> Outcome:
    out = Outcome()
    profile = ctx.profile
    path = hook_path(profile)
    entries = ctx.desired.crashkernel.entries
    fact = ctx.facts.hooks.get(path)
    if fact is None or not fact.known:
        if fact is not None:
            ctx.unknown(fact, path)
        return out
    current = fact.known_value
    managed = ctx.desired.present and entries in ("realtime", "all")
    if not managed and current is None:
        why = "state: absent" if not ctx.desired.present else f"crashkernel.entries: {entries} names kernels"
        out.unchanged.append(Unchanged(f"file:{path}", "kernel-hook", f"no hook needed ({why})"))
        return out
    wanted = render_hook(profile, values if managed else None, entries)
    if current == wanted:
        out.unchanged.append(Unchanged(f"file:{path}", "kernel-hook", "already the hook this state needs"))
        return out
    if current is None:
        why = (
            "new kernels get their arguments from the platform "
            f"({profile.new_kernel_args}); without this hook a new "
            f"{'RT ' if entries == 'realtime' else ''}kernel could boot without the reservation"
        )
    else:
        why = "the hook differs from what this state needs"
    out.actions.append(
        Action(
            id=f"file:{path}",
            symbol=ADD if current is None else CHANGE,
            resource="kernel-hook",
            summary=f"write {path} (new kernels get crashkernel=)"
            if managed
            else f"write {path} (a no-op: new kernels get no crashkernel=)",
            why=why,
            before=current,
            after=wanted,
            diff=unified_diff(path, current, wanted),
            write=FileWrite(path, wanted, 0o755),
            mkdir=profile.new_kernel_hook_dir,
        )
    )
    _default_kernel_warning(ctx, profile, entries)
    return out


def _default_kernel_warning(ctx: PlanContext, profile: ReleaseProfile, entries: str) -> None:
    """Say when a new kernel-rt will not become the default entry (so a reboot keeps the old one)."""
    if entries != "realtime" or profile.defaultkernel_rt is None:
        return
    fact = ctx.facts.sysconfig_kernel
    if not fact.known or fact.known_value is None:
        return
    settings = fact.known_value
    want = profile.defaultkernel_rt
    if settings.get("UPDATEDEFAULT") == "yes" and settings.get("DEFAULTKERNEL") in (
        want,
        want.replace("-core", ""),
    ):
        return
    ctx.note(
        "warning",
        f"/etc/sysconfig/kernel has DEFAULTKERNEL={settings.get('DEFAULTKERNEL', '')} "
        f"UPDATEDEFAULT={settings.get('UPDATEDEFAULT', '')}: a newly installed kernel-rt will not become "
        f"the default boot entry (set DEFAULTKERNEL={want} and UPDATEDEFAULT=yes, or grubby --set-default "
        "after each kernel-rt update)",
    )
