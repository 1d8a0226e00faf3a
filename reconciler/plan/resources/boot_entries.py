"""crashkernel= on the targeted boot entries, and whether the running kernel has the reservation.

Two different questions, kept apart:
- *configured*: do the targeted entries carry the desired crashkernel= (grubby)?
- *active*: does the running kernel have memory reserved (/proc/cmdline,
  /proc/iomem "Crash kernel", /sys/kernel/kexec_crash_size)?
The next boot's state is the default entry's args; when it differs from the
running kernel's, everything that needs the reservation waits behind a reboot
barrier that says why.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from ...facts.model import BootEntry, BootLoader
from ...rules import crashkernel as ck
from ..model import CHANGE, REMOVE, Action, Unchanged
from . import Outcome, PlanContext

FIELD = "crashkernel.value"


def mib(n: int) -> str:
    return f"{n / ck.MiB:.0f} MiB"


def kernel_ram(ctx: PlanContext, mem_total: int) -> int:
    """The RAM size the kernel matches crashkernel= ranges against: System RAM rounded up to 128 MiB.

    MemTotal is smaller (the kernel's own reservations, the crash region itself): on a 1 GiB or
    4 GiB machine it falls into the tier below the one the kernel picks.  MemTotal is the fallback
    when /proc/iomem is hidden (non-root view).
    """
    ram = ctx.facts.system_ram.get()
    if not isinstance(ram, int) or ram <= 0:
        return mem_total
    step = 128 * ck.MiB
    return -(-ram // step) * step


def resolve_values(ctx: PlanContext) -> Tuple[str, ...]:
    """The concrete crashkernel= values for this host (``recommended`` resolved per release)."""
    values = ctx.desired.crashkernel.values
    if values != ("recommended",):
        return values
    release = ctx.release
    profile = ctx.profile
    if profile.get_default_crashkernel:
        # kdump's own answer for this host (it adds 64M with SME/SEV, knows the arch), else the table
        asked = ctx.facts.default_crashkernel
        if asked.known:
            ctx.note(
                "info",
                f"crashkernel recommended on RHEL {release.version_id} = {asked.known_value} "
                "(kdumpctl get-default-crashkernel)",
            )
            return (asked.known_value,)
        ctx.note(
            "info",
            f"crashkernel recommended on RHEL {release.version_id} = {profile.crashkernel_default} "
            f"(the release table: kdumpctl get-default-crashkernel could not be asked: {asked.unknown})",
        )
        return (profile.crashkernel_default,)
    memory = ctx.facts.memory
    if not memory.known:
        ctx.unknown(memory, "the RAM size (recommended falls back to auto)")
    ram = memory.known_value.mem_total if memory.known else None
    resolved = ck.recommended_values(release.major, ram)
    ctx.note(
        "info", f"crashkernel recommended on RHEL {release.version_id} with this RAM = {' '.join(resolved)}"
    )
    return resolved


def check_values(ctx: PlanContext, values: Tuple[str, ...]) -> None:
    """Refuse values that would reserve nothing (or can't be written) on this host."""
    release = ctx.release
    parsed = [ck.parse_crashkernel(v) for v in values]
    if any(p.kind == "auto" for p in parsed):
        if not ctx.profile.crashkernel_auto:
            raise ctx.plan_error(
                f"crashkernel=auto is not supported on RHEL {release.major} (removed from the kernel)",
                FIELD,
                hint=f"use `recommended` (here: {ctx.profile.crashkernel_default}) or an explicit size",
            )
    if len(values) > 1:
        raise ctx.plan_error(
            "a ,high + ,low pair cannot be written with grubby: both tokens have the key `crashkernel`, "
            "and grubby keeps only one token per key (BLS grubby deletes the first when it adds the second)",
            FIELD,
            hint="use a single value, e.g. `512M,high` (the kernel then reserves a default 256M low region too)",
        )
    memory = ctx.facts.memory
    if not memory.known:
        ctx.unknown(memory, "whether the crashkernel value reserves memory for this RAM size")
        return
    ram = kernel_ram(ctx, memory.known_value.mem_total)
    predicted = ck.predicted_reservation(values, release.major, ram)
    if predicted is None:
        return
    if predicted == 0:
        if parsed[0].kind == "auto":
            threshold = ck.RHEL7_AUTO_THRESHOLD if release.major <= 7 else ck.RHEL8_AUTO_THRESHOLD
            raise ctx.plan_error(
                f"crashkernel=auto reserves no memory on RHEL {release.major} with {mib(ram)} of RAM "
                f"(it needs at least {mib(threshold)}; RHEL for Real Time 7 guide)",
                FIELD,
                hint=f"set an explicit size, e.g. `{' '.join(ck.recommended_values(release.major, ram))}`, "
                "or use `recommended`, which picks it for you",
            )
        raise ctx.plan_error(
            f"crashkernel={' '.join(values)} reserves nothing on this host ({mib(ram)} of RAM): "
            "no range matches, or the size is not smaller than the RAM",
            FIELD,
            hint="add a range that covers this RAM size or use `recommended`",
        )
    ctx.note("info", f"crashkernel={' '.join(values)} will reserve about {mib(predicted)} on this host")


def target_entries(ctx: PlanContext, loader: BootLoader) -> List[BootEntry]:
    spec = ctx.desired.crashkernel
    linux = [e for e in loader.linux_entries()]
    if spec.entries == "realtime":
        chosen = [e for e in linux if e.is_rt]
        if not chosen:
            raise ctx.plan_error(
                "no real-time kernel boot entry found (none with .rtN. or +rt in its kernel)",
                "crashkernel.entries",
                hint="install kernel-rt, or target other entries (entries: default | all | a list)",
            )
        return chosen
    if spec.entries == "all":
        return [e for e in linux if not e.is_rescue]
    if spec.entries == "default":
        entry = loader.default_entry()
        if entry is None:
            raise ctx.plan_error(
                f"the default boot entry cannot be found (grubby --default-kernel gave {loader.default_kernel!r})",
                "crashkernel.entries",
                hint="fix the boot loader default (grubby --set-default) or list the kernels",
            )
        return [entry]
    chosen = []
    for wanted in spec.entry_list:
        match = [e for e in linux if e.kernel == wanted or e.release == wanted]
        if not match:
            known = ", ".join(e.release or "?" for e in linux)
            raise ctx.plan_error(
                f"no boot entry for {wanted!r}", "crashkernel.entries", hint=f"boot entries here: {known}"
            )
        for e in match:
            if e not in chosen:
                chosen.append(e)
    return chosen


def _update_argv(
    ctx: PlanContext, bls: bool, entry: BootEntry, values: Tuple[str, ...]
) -> Tuple[Tuple[str, ...], ...]:
    current = entry.arg_values("crashkernel")
    calls = []
    if not bls:
        # C grubby replaces only the FIRST same-key token in place; drop the extras first
        for _ in current[1:]:
            calls.append(
                tuple(ctx.host.grubby(False, f"--update-kernel={entry.kernel}", "--remove-args=crashkernel"))
            )
    calls.append(
        tuple(ctx.host.grubby(bls, f"--update-kernel={entry.kernel}", f"--args=crashkernel={values[0]}"))
    )
    return tuple(calls)


def _remove_argv(ctx: PlanContext, bls: bool, entry: BootEntry) -> Tuple[Tuple[str, ...], ...]:
    count = 1 if bls else len(entry.arg_values("crashkernel"))  # BLS removes every match at once
    return tuple(
        tuple(ctx.host.grubby(bls, f"--update-kernel={entry.kernel}", "--remove-args=crashkernel"))
        for _ in range(count)
    )


def _describe(values: Tuple[str, ...]) -> str:
    return " ".join(f"crashkernel={v}" for v in values) if values else "no crashkernel="


def check(ctx: PlanContext) -> Outcome:
    out = Outcome()
    loader = ctx.require(
        ctx.facts.bootloader,
        "read the boot entries",
        hint="rtkdump needs grubby (and root) to read the boot loader",
    )
    bls = loader.style == "bls"
    targets = target_entries(ctx, loader)
    if not ctx.desired.present:
        return _check_absent(ctx, loader, targets, bls)

    values = resolve_values(ctx)
    check_values(ctx, values)
    ctx.crashkernel_values = values
    for entry in targets:
        current = ck.effective_crashkernel(entry.args)
        ident = f"boot-entry:{entry.kernel}:crashkernel"
        if current == values:
            out.unchanged.append(
                Unchanged(ident, "crashkernel", f"{entry.kernel} already has {_describe(values)}")
            )
            continue
        out.actions.append(
            Action(
                id=ident,
                symbol=CHANGE,
                resource="crashkernel",
                summary=f"{entry.kernel}: {_describe(current)} -> {_describe(values)}",
                why=("a different value is set" if current else "the entry has no crashkernel=")
                + f" ({'RT entry' if entry.is_rt else 'targeted entry'} {entry.index})",
                before=" ".join(entry.arg_values("crashkernel")) or None,
                after=" ".join(values),
                argv=_update_argv(ctx, bls, entry, values),
                needs_reboot=True,
            )
        )
    out.barrier = _barrier_reason(ctx, loader, targets, values)
    return out


def _next_boot_values(
    loader: BootLoader, targets: List[BootEntry], values
) -> Tuple[Optional[BootEntry], Tuple[str, ...]]:
    default = loader.default_entry()
    if default is None:
        return None, ()
    if default in targets:
        return default, values
    return default, ck.effective_crashkernel(default.args)


def _barrier_reason(ctx: PlanContext, loader: BootLoader, targets: List[BootEntry], values) -> Optional[str]:
    default, next_values = _next_boot_values(loader, targets, values)
    if default is None:
        ctx.note(
            "warning",
            f"grubby names no usable default entry ({loader.default_kernel!r}): "
            "cannot tell which kernel boots next",
        )
    elif default not in targets:
        ctx.note(
            "warning",
            f"the default boot entry {default.kernel} is not a targeted kernel: the next boot "
            f"gets {_describe(next_values)}, not the desired {_describe(values)}",
        )
    cmdline = ctx.facts.cmdline
    if not cmdline.known:
        ctx.unknown(cmdline, "the running kernel's command line")
        return None
    running_values = ck.effective_crashkernel(cmdline.known_value.tokens)
    running = ctx.facts.running_kernel.get()
    kernel_name = running.release if running else "the running kernel"
    reserved = _reserved_bytes(ctx)
    if running_values != values:
        if default is not None and default not in targets:
            # a reboot boots the default entry, which does not get the value: never promise it helps
            raise ctx.plan_error(
                f"the default boot entry {default.kernel} is not a targeted kernel "
                f"(crashkernel.entries: {ctx.desired.crashkernel.entries}): rebooting would boot it with "
                f"{_describe(next_values)}, so the reservation would still be missing",
                "crashkernel.entries",
                hint="make a targeted kernel the default (grubby --set-default=/boot/vmlinuz-<RT kernel>; on "
                "RHEL 9.3+ and 10 also DEFAULTKERNEL=kernel-rt-core in /etc/sysconfig/kernel so updates keep it), "
                "or target the default entry too (crashkernel.entries: all)",
            )
        has = f"has {_describe(running_values)}" if running_values else "has no crashkernel="
        res = (
            ""
            if reserved is None
            else (
                f" and {mib(reserved)} reserved" if reserved else " and no Crash kernel region in /proc/iomem"
            )
        )
        return f"{_describe(values)} takes effect at the next boot; {kernel_name} {has}{res}"
    if reserved is None:
        return None  # said in the notes; the verify action will tell
    if reserved == 0:
        raise ctx.plan_error(
            f"the running kernel booted with {_describe(values)} but reserved no memory "
            "(/proc/iomem has no Crash kernel region, kexec_crash_size is 0); a reboot will not change that",
            FIELD,
            hint="check `dmesg | grep -i crashkernel` for why the kernel refused, then pick another size",
        )
    return None


def _reserved_bytes(ctx: PlanContext) -> Optional[int]:
    """Bytes reserved in the running kernel: /proc/iomem first, kexec_crash_size when iomem is hidden."""
    iomem = ctx.facts.iomem_crash
    if iomem.known:
        return iomem.known_value.total
    size = ctx.facts.kexec_crash_size
    if size.known:
        return size.value
    ctx.unknown(iomem, "whether crash memory is reserved now")
    ctx.unknown(size, "whether crash memory is reserved now")
    return None


def _check_absent(ctx: PlanContext, loader: BootLoader, targets: List[BootEntry], bls: bool) -> Outcome:
    out = Outcome()
    for entry in targets:
        ident = f"boot-entry:{entry.kernel}:crashkernel"
        current = entry.arg_values("crashkernel")
        if not current:
            out.unchanged.append(Unchanged(ident, "crashkernel", f"{entry.kernel} has no crashkernel="))
            continue
        out.actions.append(
            Action(
                id=ident,
                symbol=REMOVE,
                resource="crashkernel",
                summary=f"{entry.kernel}: remove {' '.join('crashkernel=' + v for v in current)}",
                why="state: absent",
                before=" ".join(current),
                argv=_remove_argv(ctx, bls, entry),
                needs_reboot=True,
            )
        )
    reserved = _reserved_bytes(ctx)
    default = loader.default_entry()
    keeps = default is not None and default not in targets and default.arg_values("crashkernel")
    if keeps and default is not None:
        # rebooting would not release anything: never put a barrier that a reboot cannot clear
        ctx.note(
            "warning",
            f"the default boot entry {default.kernel} is not targeted and keeps "
            f"crashkernel={' '.join(default.arg_values('crashkernel'))}: "
            "memory stays reserved after the next boot",
        )
    elif reserved:
        out.barrier = f"{mib(reserved)} stay reserved for the crash kernel until the next boot"
    return out
