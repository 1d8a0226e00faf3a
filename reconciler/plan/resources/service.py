"""kdump.service: enabled before the barrier; started (or restarted once) after it; then verified."""

from __future__ import annotations

from typing import List, Tuple

from ...facts import KDUMP_UNIT
from ..model import ADD, REMOVE, RESTART, SERVICE_RETRY, VERIFY, Action, Unchanged
from . import Outcome, PlanContext

LOADED = "/sys/kernel/kexec_crash_loaded"


def enable(ctx: PlanContext, will_install: bool) -> Outcome:
    out = Outcome()
    want = ctx.desired.service.enabled and ctx.desired.present
    fact = ctx.facts.kdump_enabled
    ident = f"service:{KDUMP_UNIT}:enabled"
    if not fact.known:
        ctx.unknown(fact, f"whether {KDUMP_UNIT} is enabled")
        return out
    state = fact.known_value
    if state.state.startswith("masked"):
        if want or ctx.desired.service.running:
            raise ctx.plan_error(
                f"{KDUMP_UNIT} is masked: someone turned it off on purpose, rtkdump will not override that",
                "service",
                hint=f"systemctl unmask {KDUMP_UNIT}, or set service.enabled/running: false",
            )
        out.unchanged.append(Unchanged(ident, "service", f"{KDUMP_UNIT} is masked"))
        return out
    if want and not state.enabled:
        if not state.exists and not will_install:
            raise ctx.plan_error(
                f"{KDUMP_UNIT} does not exist and no package in the state provides it",
                "packages",
                hint="add kexec-tools to packages",
            )
        out.actions.append(
            Action(
                id=ident,
                symbol=ADD,
                resource="service",
                summary=f"enable {KDUMP_UNIT}",
                why=f"is-enabled says {state.state}"
                + (" (kexec-tools installs the unit first)" if not state.exists else "")
                + (
                    " (a link under /run: gone after the next boot)"
                    if state.state == "enabled-runtime"
                    else ""
                ),
                before=state.state,
                after="enabled",
                argv=(tuple(ctx.host.systemctl("enable", KDUMP_UNIT)),),
            )
        )
    elif not want and state.enabled:
        out.actions.append(
            Action(
                id=ident,
                symbol=REMOVE,
                resource="service",
                summary=f"disable {KDUMP_UNIT}",
                why="state: absent" if not ctx.desired.present else "service.enabled: false",
                before=state.state,
                after="disabled",
                argv=(tuple(ctx.host.systemctl("disable", KDUMP_UNIT)),),
            )
        )
    else:
        out.unchanged.append(Unchanged(ident, "service", f"{KDUMP_UNIT} is {state.state}"))
    return out


def run(ctx: PlanContext, config_changed: List[str]) -> Outcome:
    """Start/restart/stop, then verify. ``config_changed``: ids of actions that notify a restart."""
    out = Outcome()
    ident = f"service:{KDUMP_UNIT}:running"
    want = ctx.desired.service.running and ctx.desired.present
    fact = ctx.facts.kdump_active
    if not fact.known:
        ctx.unknown(fact, f"whether {KDUMP_UNIT} is active")
        active = False
    else:
        active = fact.known_value.active
    loaded = ctx.facts.kexec_crash_loaded.get()
    if not want:
        if active:
            out.actions.append(
                Action(
                    id=ident,
                    symbol=REMOVE,
                    resource="service",
                    summary=f"stop {KDUMP_UNIT}",
                    why="state: absent" if not ctx.desired.present else "service.running: false",
                    before="active",
                    after="inactive",
                    argv=(tuple(ctx.host.systemctl("stop", KDUMP_UNIT)),),
                )
            )
        else:
            out.unchanged.append(Unchanged(ident, "service", f"{KDUMP_UNIT} is not running"))
        return out
    if active and not config_changed and loaded:
        out.unchanged.append(
            Unchanged(ident, "service", f"{KDUMP_UNIT} is active and the crash kernel is loaded")
        )
        out.unchanged.append(Unchanged("verify:kexec_crash_loaded", "verify", f"{LOADED} is 1"))
        return out
    if active:
        why = (
            ("configuration changed: " + ", ".join(config_changed))
            if config_changed
            else f"active but {LOADED} is not 1 (crash kernel not loaded)"
        )
        out.actions.append(
            Action(
                id=f"service:{KDUMP_UNIT}:restart",
                symbol=RESTART,
                resource="service",
                summary=f"restart {KDUMP_UNIT}",
                why=why,
                before="active",
                after="active",
                argv=(tuple(ctx.host.systemctl("restart", KDUMP_UNIT)),),
                retry=SERVICE_RETRY,
            )
        )
    else:
        state = fact.known_value.state if fact.known else "unknown"
        out.actions.append(
            Action(
                id=ident,
                symbol=ADD,
                resource="service",
                summary=f"start {KDUMP_UNIT}",
                why=f"is-active says {state}",
                before=state,
                after="active",
                argv=(tuple(ctx.host.systemctl("start", KDUMP_UNIT)),),
                retry=SERVICE_RETRY,
            )
        )
    out.actions.append(verify_action())
    return out


def verify_action() -> Action:
    return Action(
        id="verify:kexec_crash_loaded",
        symbol=VERIFY,
        resource="verify",
        summary=f"verify the crash kernel is loaded ({LOADED} = 1)",
        why="kdump is only armed when kexec has loaded the capture kernel",
        expect=(LOADED, "1"),
    )


def restart_reasons(actions) -> Tuple[str, ...]:
    return tuple(a.id for a in actions if f"service:{KDUMP_UNIT}:restart" in a.notifies)
