"""The opt-in crash test as a plan item: apply will panic the host, so the plan must say so.

``verify.crash_test: once`` is pending until the journal (read through the host
as the ``history`` fact) records a trigger for this state file's sha256.  The
action is the one apply runs (apply/crashtest.py builds it from here), shown
after verify with the condition under which apply carries it out.
"""

from __future__ import annotations

from typing import Optional, Tuple

from ..model import VERIFY, Action
from . import PlanContext

SYSRQ = "/proc/sysrq-trigger"
CONDITION = (
    "after every action above is done and /sys/kernel/kexec_crash_loaded is 1; once for this state file "
    "(journalled before the write, checked for a vmcore after the reboot)"
)


def crash_test_action(forced: bool = False) -> Action:
    return Action(
        id="crash-test:sysrq",
        symbol=VERIFY,
        resource="crash-test",
        summary="crash test: echo c > /proc/sysrq-trigger (the host panics, kdump captures, it reboots)",
        why="verify.crash_test: once" if not forced else "--crash-test --yes-crash-this-host",
        proc_write=(SYSRQ, "c"),
    )


def check(ctx: PlanContext) -> Optional[Tuple[Action, str]]:
    """The crash test apply will trigger, with its condition; None when none is pending."""
    if not ctx.desired.present or ctx.desired.crash_test != "once":
        return None
    past = ctx.require(ctx.facts.history, "read rtkdump's journal (which crash tests ran)")
    if ctx.desired.sha256 in past.crash_tests:
        return None
    return crash_test_action(), CONDITION
