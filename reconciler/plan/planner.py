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

from typing import List

from ..facts import Facts, gather
from ..host import Host
from ..state.model import DesiredState
from .model import Barrier, Plan, RebootPolicy, reboot_key
from .request import fact_request
from .resources import Outcome, PlanContext, crash_test, kdump_conf, new_kernels, packages, service, sysconfig
from .resources import boot_entries as crashkernel_res


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
        plan.reboot = reboot_policy(ctx, plan)
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
    changed = list(service.restart_reasons(before)) + owed_restarts(ctx)
    run = take(service.run(ctx, changed))
    if boot.barrier:
        plan.phases = [before, run.actions]
        plan.barriers.append(Barrier(boot.barrier))
    else:
        plan.phases = [before + run.actions]
    pending = crash_test.check(ctx)
    if pending:
        plan.crash_test, plan.crash_test_condition = pending
    plan.reboot = reboot_policy(ctx, plan)
    plan.notes = ctx.notes
    return plan


def reboot_policy(ctx: PlanContext, plan: Plan) -> RebootPolicy:
    """The state's reboot policy and, for the first barrier, how many reboots the loop guard leaves."""
    spec = ctx.desired.reboot
    left = spec.max_reboots
    if plan.barriers and ctx.facts.history.known:
        key = reboot_key(ctx.desired.sha256, plan.barriers[0].reason)
        left -= sum(1 for k, _ in ctx.facts.history.known_value.reboots if k == key)
    return RebootPolicy(spec.policy, spec.max_reboots, max(left, 0))


def owed_restarts(ctx: PlanContext) -> List[str]:
    """Restarts a failed or killed run still owes: from the journal, and from kdump's initramfs age."""
    out = []
    past = ctx.require(
        ctx.facts.history,
        "read rtkdump's journal",
        hint="/var/lib/rtkdump/journal.jsonl must be a regular file (move it away to start a new history)",
    )
    if past.pending_restart:
        out.append(f"a restart notified by {past.pending_restart} never ran")
    age = ctx.facts.kdump_initramfs
    if not age.known:
        ctx.unknown(age, "whether kdump's initramfs is older than its configuration")
    elif age.value is not None and age.value.exists and age.value.newer:
        out.append(
            f"{age.value.image} is older than {', '.join(age.value.newer)} (kdumpctl would rebuild it)"
        )
    return out


def plan_for(host: Host, desired: DesiredState) -> Plan:
    """Gather the facts and plan: the whole of `rtkdump plan`, and the first step of apply."""
    return make_plan(desired, gather_for(host, desired), host)
