"""`rtkdump apply`: walk the plan's actions for real, across the reboot barrier, resumably.

One apply at a time (a lock); each round gathers the facts, plans, and runs the
first phase; then plans again from fresh facts, until the host is converged or
the next thing needs a reboot.  After a reboot the next apply simply starts
over from the facts: nothing is replayed from the journal, which only records
intent and history and guards against reboot loops and repeated crash tests.
A saved plan goes through the same loop: it runs only when it is the plan
derived now, and for one round.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Dict, List, Optional

from ..errors import ApplyError, RtkdumpError
from ..facts import HOOK_PATHS, Facts, PendingFacts
from ..host import Host
from ..plan.model import Action, Plan
from ..plan.planner import gather_for, make_plan
from ..records import dataclass
from ..state.model import DesiredState
from .barrier import ALREADY_ASKED, REBOOT, RebootBarrier, reboot_action
from .crashtest import CrashTest, refuse_unless_loaded
from .journal import Backups, Journal, git_commit_of
from .lock import HostLock
from .report import EXIT_ERROR, EXIT_OK, EXIT_WAITING, ApplyReport
from .runner import retrying_runner
from .saved import check_saved

# the files rtkdump replaces (write_atomic): their stale temp files are cleaned at each apply
MANAGED_FILES = ("/etc/kdump.conf", "/etc/sysconfig/kdump", *HOOK_PATHS)
# a start or restart loads kdump from the files as they are now: it pays any pending restart
KDUMP_STARTS = ("service:kdump.service:restart", "service:kdump.service:running")


def _quiet(line: str) -> None:
    pass


@dataclass
class ApplyOptions:
    crash_test: bool = False  # --crash-test --yes-crash-this-host
    lock_timeout: float = 60.0
    max_rounds: int = 6
    sleep: Callable[[float], None] = time.sleep
    progress: Callable[[str], None] = _quiet


class Executor:
    def __init__(
        self,
        host: Host,
        desired: DesiredState,
        options: ApplyOptions,
        saved: Optional[Dict[str, Any]] = None,
        early: Optional[PendingFacts] = None,
    ):
        self.host = host
        # a gather started before the lock (its commands ran while rtkdump loaded): used for the
        # first round only if no other apply held the lock meanwhile
        self.early = early
        self.desired = desired
        self.options = options
        self.saved = saved
        self.run_id = (
            time.strftime("%Y%m%dT%H%M%S") + "-" + os.urandom(4).hex()
        )  # (uuid would map libuuid for 8 hex digits)
        self.journal = Journal(host, self.run_id)
        self.backups = Backups(host, self.run_id)
        self.report = ApplyReport(run_id=self.run_id, state_file=desired.source, kdump_wanted=desired.present)
        self.reboot_barrier = RebootBarrier(desired, self.journal)
        self.crash_test = CrashTest(desired, self.journal, forced=options.crash_test)
        self.started = False
        self.facts_current = False  # the last gather still describes the host: nothing ran since

    # one place that says what happened
    def say(self, line: str) -> None:
        self.options.progress(line)

    def execute(self, action: Action) -> None:
        self.facts_current = False
        self.say(f"  {action.symbol} {action.summary}")
        run = retrying_runner(self.host, action.retry, self.options.sleep, self.say)
        if action.notifies:
            # before the write: a run killed after it still owes the restart (facts/history.py)
            self.journal.append(
                "restart-pending",
                by=action.id,
                notifies=list(action.notifies),
                boot_id=self.facts.boot_id.get(),
            )
        self.host.fault("action.start")
        try:
            results = action.execute(self.host, run=run, backup=self.backups)
        except ApplyError as exc:
            self.journal.append(
                "action-failed", action=action.id, message=exc.message, stderr=exc.stderr[-4000:]
            )
            self.report.failed = {
                "id": action.id,
                "summary": action.summary,
                "message": exc.message,
                "stderr": exc.stderr,
            }
            if action.resource in ("service", "verify"):
                own = exc.stderr.strip().splitlines()[-8:]
                status = self.service_status().splitlines()
                if "" in status:  # the unit header, then only the newest log lines
                    cut = status.index("")
                    status = status[:cut] + status[cut + 1 :][-6:]
                exc.stderr = "\n".join(own + status)
            done = ", ".join(d["id"] for d in self.report.done) or "nothing"
            exc.message += f" (already changed in this run: {done})"
            raise
        self.host.fault("action.done")
        out = "".join(r.stdout + r.stderr for r in results)[-4000:]
        self.journal.append("action-done", action=action.id, summary=action.summary, output=out)
        if action.id in KDUMP_STARTS:
            self.journal.append("restart-done", action=action.id, boot_id=self.facts.boot_id.get())
        self.report.done.append({"id": action.id, "summary": action.summary})

    def service_status(self) -> str:
        result = self.host.run(self.host.systemctl("status", "kdump.service", "--no-pager", "-n", "10"))
        return "systemctl status kdump.service:\n" + (result.stdout + result.stderr).strip()

    def plan(self) -> Plan:
        early, self.early = self.early, None
        self.facts: Facts = early.facts() if early is not None else gather_for(self.host, self.desired)
        self.facts_current = True
        return make_plan(self.desired, self.facts, self.host)

    def run(self) -> ApplyReport:
        with HostLock(self.host, self.options.lock_timeout, self.options.sleep) as lock:
            if self.early is not None and (lock.waited or self.early.journal_moved()):
                self.early.discard()  # another apply ran meanwhile: what it changed must be seen
                self.early = None
            self.host.clean_stale_temps(MANAGED_FILES)  # what a killed write left behind
            try:
                report = self._run()
            except RtkdumpError as exc:
                self.report.result = "failed"
                self.report.exit_code = EXIT_ERROR
                exc.already_changed = [d["id"] for d in self.report.done]
                try:
                    self.end("failed", message=exc.message)
                except RtkdumpError:
                    pass  # the journal itself failed (ENOSPC): the first error is the one to report
                raise
        # what `--textfile-dir` reports on, without a second gather when nothing ran since the last
        report.final_facts = self.facts if self.facts_current else None
        return report

    def begin(self, plan: Plan) -> None:
        """Journal the run once it does something: a converged no-op run (cron, every few
        minutes) leaves no trace and changes no byte on the host."""
        if self.started:
            return
        self.started = True
        extra = {"saved_plan": True} if self.saved is not None else {}
        self.journal.append(
            "run-started",
            state_file=self.desired.source,
            state_sha256=self.desired.sha256,
            git_commit=git_commit_of(self.host, self.desired.source),
            plan_fingerprint=plan.fingerprint,
            boot_id=plan.boot_id,
            **extra,
        )

    def end(self, result: str, **fields: Any) -> None:
        if self.started:
            self.journal.append("run-finished", result=result, **fields)

    def _run(self) -> ApplyReport:
        for warning in self.journal.warnings():
            self.say(warning)
            self.report.notes.append(warning)
        plan = self.plan()
        self.first_plan = plan
        if self.saved is not None:
            check_saved(self.saved, plan, self.desired, self.facts)
        self.check_crash_test_result()
        previous: Optional[List[str]] = None
        for _ in range(self.options.max_rounds):
            phase = plan.phases[0]
            if not phase:
                return self.finish(plan)
            ids = [a.id for a in phase]
            if ids == previous:
                raise ApplyError(
                    "the host did not change although every action reported success: " + ", ".join(ids),
                    hint="run `rtkdump plan` and check the commands above by hand",
                )
            self.begin(plan)
            for action in phase:
                self.execute(action)
            previous = ids
            plan = self.plan()
            if self.saved is not None and plan.phases[0]:
                return self.saved_plan_done(plan)
        raise ApplyError(
            f"not converged after {self.options.max_rounds} rounds",
            hint="run `rtkdump plan` to see what keeps changing",
        )

    def saved_plan_done(self, plan: Plan) -> ApplyReport:
        """A saved plan runs one round; what the facts ask for next is for a new plan."""
        self.report.remaining = [a.summary for a in plan.actions]
        self.report.result, self.report.exit_code = "saved-plan-done", EXIT_WAITING
        self.end("saved-plan-done")
        return self.report

    def finish(self, plan: Plan) -> ApplyReport:
        self.report.notes += [f"{n.level}: {n.message}" for n in plan.notes]
        if plan.barriers:
            return self.barrier(plan)
        self.report.result, self.report.exit_code = "converged", EXIT_OK
        if self.saved is None and self.crash_test.wanted():
            return self.trigger_crash_test(plan)
        self.end("converged", changed=len(self.report.done))
        return self.report

    # --- the reboot barrier ------------------------------------------------------------
    def barrier(self, plan: Plan) -> ApplyReport:
        reason = plan.barriers[0].reason
        boot_id = self.facts.boot_id.get()
        self.report.barrier = reason
        self.report.remaining = [a.summary for p in plan.phases[1:] for a in p]
        decision = self.reboot_barrier.decide(reason, boot_id, self.started)
        if decision.journal_barrier:
            self.begin(plan)
            self.journal.append(
                "barrier-reached", reason=reason, boot_id=boot_id, plan_fingerprint=plan.fingerprint
            )
        if decision.kind == ALREADY_ASKED:
            self.report.notes.append("a reboot was already requested in this boot; not asking again")
            self.report.result, self.report.exit_code = "rebooting", EXIT_WAITING
            return self.report
        if decision.kind != REBOOT:
            self.report.result, self.report.exit_code = "waiting-for-reboot", EXIT_WAITING
            self.end("waiting-for-reboot")
            return self.report
        self.begin(plan)
        self.journal.append("reboot-requested", key=decision.key, boot_id=boot_id, reason=reason)
        self.say(f"  rebooting: {reason}")
        self.facts_current = False
        reboot_action(self.host, reason).execute(self.host)
        self.report.result, self.report.exit_code = "rebooting", EXIT_WAITING
        self.end("rebooting")
        return self.report

    # --- the crash test --------------------------------------------------------------
    def trigger_crash_test(self, plan: Plan) -> ApplyReport:
        refuse_unless_loaded(self.facts.kexec_crash_loaded.get())
        self.begin(plan)
        record = self.crash_test.record_trigger(self.host, self.facts.boot_id.get())
        self.report.crash_test = {"triggered_at": record["time"], "boot_id": record["boot_id"]}
        action = self.crash_test.action()
        self.say(f"  {action.summary}")
        self.report.result, self.report.exit_code = "crash-test-triggered", EXIT_WAITING
        self.end("crash-test-triggered")
        self.facts_current = False
        action.execute(self.host)
        return self.report

    def check_crash_test_result(self) -> None:
        """After the crash test's reboot: look for a vmcore written since the trigger; record pass/fail once."""
        boot_id = self.facts.boot_id.get()
        triggered = self.crash_test.pending_result(boot_id)
        if triggered is None:
            return
        verdict = self.crash_test.verdict(self.host, triggered)
        self.begin(self.first_plan)
        self.crash_test.record_result(triggered, verdict, boot_id)
        self.report.crash_test = {"triggered_at": triggered["time"], **verdict}
        self.say(f"  crash test {verdict['outcome']}: {verdict['detail']}")
        if verdict["outcome"] == "fail":
            raise ApplyError(
                f"crash test failed: {verdict['detail']}",
                hint="check the kdump kernel's console output; the journal has the trigger time",
            )


def apply_state(
    host: Host, desired: DesiredState, options: ApplyOptions, early: Optional[PendingFacts] = None
) -> ApplyReport:
    return Executor(host, desired, options, early=early).run()


def apply_saved_plan(
    host: Host,
    saved: Dict[str, Any],
    desired: DesiredState,
    options: ApplyOptions,
    early: Optional[PendingFacts] = None,
) -> ApplyReport:
    """Run the saved plan through the same loop; refused unless it is the plan derived now."""
    return Executor(host, desired, options, saved=saved, early=early).run()
