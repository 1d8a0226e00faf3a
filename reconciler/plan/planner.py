"""desired + facts -> Plan: ordered phases separated by reboot barriers.

Order, and why:
1. packages (everything else needs kexec-tools);
2. crashkernel= on the targeted entries (takes effect at the next boot);
3. the local dump directory, /etc/kdump.conf, /etc/sysconfig/kdump;
4. kdump.service enabled, so the next boot arms kdump by itself;
-- reboot barrier, when the running kernel lacks the reservation --
5. kdump.service started, or restarted once if its configuration changed;
6. verify: /sys/kernel/kexec_crash_loaded = 1.
"""

from __future__ import annotations

from typing import Tuple

from ..facts import FactRequest, Facts, gather
from ..host import Host
from ..state.model import DesiredState
from .model import Barrier, Plan
from .resources import Outcome, PlanContext, kdump_conf, new_kernels, packages, service, sysconfig
from .resources import boot_entries as crashkernel_res


def fact_request(desired: DesiredState) -> FactRequest:
    target = desired.dump.target
    devices: Tuple[str, ...] = ()
    if target.kind in ("raw", "fs") and target.device and target.device.startswith("/dev/"):
        devices = (target.device,)
    files: Tuple[str, ...] = ()
    if desired.present:
        extra = dict(desired.dump.extra)
        for name in ("kdump_pre", "kdump_post", "extra_bins"):
            files += tuple(extra.get(name, "").split())
        if target.kind == "ssh" and target.sshkey:
            files += (target.sshkey,)
    return FactRequest(
        packages=desired.packages if desired.present else (),
        files=files,
        dump_path=desired.dump.path if target.kind == "local" and desired.present else None,
        devices=devices,
    )


def gather_for(host: Host, desired: DesiredState) -> Facts:
    return gather(host, fact_request(desired))


def make_plan(desired: DesiredState, facts: Facts, host: Host) -> Plan:
    ctx = PlanContext(desired=desired, facts=facts, host=host)
    release = ctx.release
    ctx.profile  # noqa: B018  (refuses a distribution or major version rtkdump does not know, first)
    plan = Plan(
        state_file=desired.source,
        state_sha256=desired.sha256,
        host=host.describe(),
        release=release.version_id,
        facts_fingerprint=facts.fingerprint(),
        fact_digests=facts.digests(),
        boot_id=facts.boot_id.get(),
    )
    outcomes = []

    def take(outcome: Outcome) -> Outcome:
        outcomes.append(outcome)
        plan.unchanged.extend(outcome.unchanged)
        return outcome

    if not desired.present:
        # turning kdump off: stop and disable first, then drop the reservation
        run = take(service.run(ctx, []))
        enabled = take(service.enable(ctx, will_install=False))
        boot = take(crashkernel_res.check(ctx))
        hook = take(new_kernels.check(ctx, ()))
        plan.phases = [run.actions + enabled.actions + boot.actions + hook.actions]
        if boot.barrier:
            plan.barriers.append(Barrier(boot.barrier))
            plan.phases.append([])
        plan.notes = ctx.notes
        return plan

    pkgs = take(packages.check(ctx))
    boot = take(crashkernel_res.check(ctx))
    conf = take(kdump_conf.check(ctx, ctx.crashkernel_values))
    sysconf = take(sysconfig.check(ctx))
    hook = take(new_kernels.check(ctx, ctx.crashkernel_values))
    will_install = bool(pkgs.actions)
    enabled = take(service.enable(ctx, will_install))
    before = pkgs.actions + boot.actions + conf.actions + sysconf.actions + hook.actions + enabled.actions
    changed = list(service.restart_reasons(before))
    run = take(service.run(ctx, changed))
    if boot.barrier:
        plan.phases = [before, run.actions]
        plan.barriers.append(Barrier(boot.barrier))
    else:
        plan.phases = [before + run.actions]
    plan.notes = ctx.notes
    return plan


def plan_for(host: Host, desired: DesiredState) -> Plan:
    """Gather the facts and plan: the whole of `rtkdump plan`, and the first step of apply."""
    return make_plan(desired, gather_for(host, desired), host)
