"""The reboot barrier at apply time: wait (manual), or reboot (automatic) with a reboot-loop guard.

The plan says *that* a reboot is needed and why; this decides what apply does
about it, from the state's reboot policy and the journal: journal the barrier
once per boot (not at every cron run while it waits), ask for at most one
reboot per boot, and at most ``reboot.max_reboots`` for the same state and
barrier reason, after which it is an error instead of a loop.
"""

from __future__ import annotations

from typing import Optional

from ..errors import ApplyError
from ..host import Host
from ..plan.model import RESTART, Action, reboot_key
from ..records import dataclass
from ..state.model import DesiredState
from .journal import Journal

WAIT, ALREADY_ASKED, REBOOT = "wait", "already-asked", "reboot"


@dataclass(frozen=True)
class BarrierDecision:
    kind: str  # WAIT | ALREADY_ASKED | REBOOT
    reason: str
    key: str  # the loop guard's key: this state + this barrier reason
    journal_barrier: bool  # first time this barrier is met in this boot (or the run did something)


class RebootBarrier:
    def __init__(self, desired: DesiredState, journal: Journal):
        self.desired = desired
        self.journal = journal

    def key(self, reason: str) -> str:
        return reboot_key(self.desired.sha256, reason)

    def decide(self, reason: str, boot_id: Optional[str], run_changed_something: bool) -> BarrierDecision:
        """What apply does at the barrier; raises ApplyError when the reboot-loop guard trips."""
        last = self.journal.last("barrier-reached")
        seen_this_boot = bool(last) and (last.get("boot_id"), last.get("reason")) == (boot_id, reason)  # type: ignore[union-attr]
        journal_barrier = run_changed_something or not seen_this_boot
        key = self.key(reason)
        if self.desired.reboot.policy != "automatic":
            return BarrierDecision(WAIT, reason, key, journal_barrier)
        asked = self.journal.find("reboot-requested", key=key)
        if any(e.get("boot_id") == boot_id for e in asked):
            return BarrierDecision(ALREADY_ASKED, reason, key, journal_barrier)
        if len(asked) >= self.desired.reboot.max_reboots:
            raise ApplyError(
                f"rebooted {len(asked)} times for this state and the barrier is still here: {reason}",
                hint="the reservation does not appear after a reboot: check `dmesg | grep -i crashkernel` and "
                "the boot loader default; reboot.max_reboots guards against a reboot loop",
            )
        return BarrierDecision(REBOOT, reason, key, journal_barrier)


def reboot_action(host: Host, reason: str) -> Action:
    return Action(
        id="host:reboot",
        symbol=RESTART,
        resource="reboot",
        summary="reboot the host",
        why=reason,
        argv=(tuple(host.systemctl("reboot")),),
    )
