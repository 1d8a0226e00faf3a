"""/etc/sysconfig/kdump: KDUMP_COMMANDLINE_APPEND merged by tokens, the LS21 quirk, KDUMP_KERNELVER.

The file is a shell fragment the admin and the package both edit, so rtkdump
changes only the assignments it manages and keeps every other byte.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from ...facts.model import BootLoader
from ...formats import sysconfig as sc
from ..model import CHANGE, Action, FileWrite, Unchanged, unified_diff
from . import Outcome, PlanContext

PATH = "/etc/sysconfig/kdump"
ACPI_NOIRQ = "acpi=noirq"


def append_tokens(ctx: PlanContext) -> Tuple[List[str], List[str]]:
    """Tokens to ensure in / remove from KDUMP_COMMANDLINE_APPEND, the LS21 quirk included."""
    spec = ctx.desired.sysconfig
    ensure, remove = list(spec.append_ensure), list(spec.append_remove)
    quirk = ctx.desired.ls21_acpi_noirq
    if quirk == "on":
        ensure.append(ACPI_NOIRQ)
    elif quirk == "off":
        remove.append(ACPI_NOIRQ)
    else:
        dmi = ctx.facts.dmi.get()
        if dmi is None or not dmi.product_name:
            ctx.note(
                "unknown",
                "could not check the DMI product name (/sys/class/dmi/id/product_name): "
                "the IBM LS21 acpi=noirq quirk is not applied",
            )
        elif dmi.is_ibm_ls21:
            ctx.note(
                "info",
                f"DMI product name {dmi.product_name!r} is an IBM LS21: adding acpi=noirq "
                "to the capture kernel (RHEL for Real Time 7 guide, section 3.2)",
            )
            ensure.append(ACPI_NOIRQ)
        else:
            # acpi=noirq can break booting on machines that do not need it
            remove.append(ACPI_NOIRQ)
    return ensure, remove


def desired_kernelver(ctx: PlanContext, loader: Optional[BootLoader]) -> Optional[str]:
    spec = ctx.desired.sysconfig
    if spec.kernelver == "unmanaged":
        return None
    if spec.kernelver == "running":
        return ""  # empty: kdumpctl uses `uname -r`, the running kernel
    if loader is None:
        raise ctx.plan_error(
            "cannot choose the capture kernel without the boot entries", "sysconfig.kernelver"
        )
    releases = [e.release for e in loader.linux_entries() if e.release and not e.is_rescue]
    if spec.kernelver == "latest-rt":
        rt = [r for r in releases if any(e.release == r and e.is_rt for e in loader.entries)]
        if not rt:
            raise ctx.plan_error(
                "kernelver latest-rt: no RT kernel boot entry found",
                "sysconfig.kernelver",
                hint="install kernel-rt or use `running`",
            )
        return max(rt, key=_version_key)
    if spec.kernelver_value not in releases:
        raise ctx.plan_error(
            f"kernelver {spec.kernelver_value!r} has no boot entry (/boot/vmlinuz-{spec.kernelver_value})",
            "sysconfig.kernelver",
            hint="installed kernels: " + ", ".join(releases),
        )
    return spec.kernelver_value


def _version_key(release: str):
    import re

    return [int(p) if p.isdigit() else p for p in re.split(r"[.\-+_]", release)]


def check(ctx: PlanContext) -> Outcome:
    out = Outcome()
    fact = ctx.facts.sysconfig
    current = ctx.require(fact, f"read {PATH}", hint=f"make {PATH} a readable regular file (or remove it)")
    if current is None:
        pkgs = ctx.facts.packages.get()
        if pkgs is not None and "kexec-tools" in pkgs.installed and "kexec-tools" not in pkgs.missing:
            ctx.note(
                "warning",
                f"{PATH} is missing although kexec-tools is installed: rtkdump edits that file "
                "but does not invent it; restore it with `yum/dnf reinstall kexec-tools`",
            )
        else:
            ctx.note(
                "info",
                f"{PATH} does not exist yet: kexec-tools installs it; "
                "`rtkdump apply` checks KDUMP_COMMANDLINE_APPEND right after installing",
            )
        return out
    ensure, remove = append_tokens(ctx)
    loader = ctx.facts.bootloader.get()
    updated = current
    changes = []
    append_now = current.get("KDUMP_COMMANDLINE_APPEND") or ""
    append_new = sc.merge_tokens(append_now, ensure, remove)
    if append_new != append_now:
        updated = updated.set("KDUMP_COMMANDLINE_APPEND", append_new)
        changes.append("KDUMP_COMMANDLINE_APPEND")
    else:
        out.unchanged.append(
            Unchanged(
                f"sysconfig:{PATH}:KDUMP_COMMANDLINE_APPEND",
                "sysconfig",
                "KDUMP_COMMANDLINE_APPEND already has "
                + (" ".join(ensure) if ensure else "the wanted tokens")
                + (f" and none of {' '.join(remove)}" if remove else ""),
            )
        )
    kernelver = desired_kernelver(ctx, loader)
    if kernelver is not None:
        now = current.get("KDUMP_KERNELVER")
        if (now or "") != kernelver:
            updated = updated.set("KDUMP_KERNELVER", kernelver)
            changes.append("KDUMP_KERNELVER")
        else:
            out.unchanged.append(
                Unchanged(
                    f"sysconfig:{PATH}:KDUMP_KERNELVER",
                    "sysconfig",
                    f"KDUMP_KERNELVER is already {kernelver!r}",
                )
            )
    if not changes:
        return out
    out.actions.append(
        Action(
            id=f"file:{PATH}",
            symbol=CHANGE,
            resource="sysconfig",
            summary=f"edit {PATH} ({', '.join(changes)})",
            why="; ".join(changes) + " differ from the state (other lines kept byte for byte)",
            before=current.text,
            after=updated.text,
            diff=unified_diff(PATH, current.text, updated.text),
            write=FileWrite(PATH, updated.text, 0o644),
            notifies=("service:kdump.service:restart",),
        )
    )
    return out
