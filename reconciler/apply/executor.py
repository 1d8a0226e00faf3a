"""`rtkdump apply`: walk the plan's actions for real, across the reboot barrier, resumably.

One apply at a time (a lock); each round gathers the facts, plans, and runs the
first phase; then plans again from fresh facts, until the host is converged or
the next thing needs a reboot.  After a reboot the next apply simply starts
over from the facts: nothing is replayed from the journal, which only records
intent and history and guards against reboot loops and repeated crash tests.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import tenacity

from ..errors import ApplyError
from ..facts import Facts
from ..host import CommandResult, Host
from ..plan.model import Action, Plan, RetryPolicy
from ..plan.planner import gather_for, make_plan
from ..state.model import DesiredState
from .journal import BACKUPS, Journal

LOCK_FILE = "/run/rtkdump.lock"
SYSRQ = "/proc/sysrq-trigger"
EXIT_OK, EXIT_ERROR, EXIT_WAITING = 0, 1, 2


@dataclass
class ApplyOptions:
    crash_test: bool = False  # --crash-test --yes-crash-this-host
    lock_timeout: float = 60.0
    max_rounds: int = 6
    sleep: Callable[[float], None] = time.sleep
    progress: Callable[[str], None] = lambda line: None


@dataclass
class ApplyReport:
    run_id: str
    state_file: str
    result: str = "running"  # converged | waiting-for-reboot | rebooting | crash-test-triggered | failed
    exit_code: int = EXIT_ERROR
    done: List[Dict] = field(default_factory=list)
    failed: Optional[Dict] = None
    barrier: Optional[str] = None
    remaining: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    crash_test: Optional[Dict] = None
    kdump_wanted: bool = True  # False for `state: absent`

    def to_json(self) -> Dict:
        return {"format": "rtkdump-apply/1", **self.__dict__}


# --- the lock --------------------------------------------------------------------
class HostLock:
    """flock on /run/rtkdump.lock (under --root when given); waits a bounded time."""

    def __init__(self, host: Host, timeout: float, sleep: Callable[[float], None] = time.sleep):
        self.host = host
        self.timeout = timeout
        self.sleep = sleep
        self.fd: Optional[int] = None

    def __enter__(self) -> HostLock:
        fd = self.host.open_lock_file(LOCK_FILE)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
                    os.close(fd)
                    raise ApplyError(
                        f"another rtkdump apply holds {LOCK_FILE} ({holder}); waited {self.timeout:g}s",
                        hint="let it finish, or check that process; the lock is released when it exits",
                    ) from None
                self.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S')}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


# --- running one action -------------------------------------------------------------
def retrying_runner(host: Host, policy: RetryPolicy, sleep: Callable[[float], None],
                    progress: Callable[[str], None]) -> Callable[[Sequence[str]], CommandResult]:
    """host.run, retried with exponential backoff while the failure is transient (a lock)."""

    def run(argv: Sequence[str]) -> CommandResult:
        if policy.attempts <= 1:
            return host.run(argv)
        retryer = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.attempts),
            wait=tenacity.wait_exponential(multiplier=policy.initial_delay, max=policy.max_delay),
            retry=tenacity.retry_if_result(lambda r: not r.ok and policy.is_transient(r)),
            retry_error_callback=lambda state: state.outcome.result(),
            sleep=sleep,
            before_sleep=lambda state: progress(
                f"    transient failure (attempt {state.attempt_number}/{policy.attempts}), retrying: "
                + ((state.outcome.result().stderr or state.outcome.result().stdout).strip().splitlines() or [""])[-1]
            ),
        )
        return retryer(host.run, argv)

    return run


class Backups:
    """Copies of files before rtkdump replaces them: /var/lib/rtkdump/backups/<run-id>/<path>."""

    def __init__(self, host: Host, run_id: str):
        self.host = host
        self.dir = f"{BACKUPS}/{run_id}"

    def __call__(self, path: str) -> None:
        self.host.copy_file(path, self.dir + path)


def git_commit_of(path: str) -> Optional[str]:
    """The commit of the state file's git work tree, when it is in one (for the journal)."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        proc = subprocess.run(["git", "-C", directory, "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


# --- apply -------------------------------------------------------------------------
class Executor:
    def __init__(self, host: Host, desired: DesiredState, options: ApplyOptions):
        self.host = host
        self.desired = desired
        self.options = options
        self.run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        self.journal = Journal(host, self.run_id)
        self.backups = Backups(host, self.run_id)
        self.report = ApplyReport(run_id=self.run_id, state_file=desired.source, kdump_wanted=desired.present)
        self.started = False

    # one place that says what happened
    def say(self, line: str) -> None:
        self.options.progress(line)

    def execute(self, action: Action) -> None:
        self.say(f"  {action.symbol} {action.summary}")
        run = retrying_runner(self.host, action.retry, self.options.sleep, self.say)
        try:
            results = action.execute(self.host, run=run, backup=self.backups)
        except ApplyError as exc:
            self.journal.append("action-failed", action=action.id, message=exc.message, stderr=exc.stderr[-4000:])
            self.report.failed = {"id": action.id, "summary": action.summary, "message": exc.message,
                                  "stderr": exc.stderr}
            if action.resource in ("service", "verify"):
                own = exc.stderr.strip().splitlines()[-8:]
                status = self.service_status().splitlines()
                if "" in status:  # the unit header, then only the newest log lines
                    cut = status.index("")
                    status = status[:cut] + status[cut + 1:][-6:]
                exc.stderr = "\n".join(own + status)
            exc.message += f" (already changed in this run: {', '.join(d['id'] for d in self.report.done) or 'nothing'})"
            raise
        out = "".join(r.stdout + r.stderr for r in results)[-4000:]
        self.journal.append("action-done", action=action.id, summary=action.summary, output=out)
        self.report.done.append({"id": action.id, "summary": action.summary})

    def service_status(self) -> str:
        result = self.host.run(self.host.systemctl("status", "kdump.service", "--no-pager", "-n", "10"))
        return "systemctl status kdump.service:\n" + (result.stdout + result.stderr).strip()

    def plan(self) -> Plan:
        facts = gather_for(self.host, self.desired)
        self.facts = facts
        return make_plan(self.desired, facts, self.host)

    def run(self) -> ApplyReport:
        with HostLock(self.host, self.options.lock_timeout, self.options.sleep):
            try:
                return self._run()
            except ApplyError as exc:
                self.report.result = "failed"
                self.report.exit_code = EXIT_ERROR
                self.end("failed", message=exc.message)
                raise

    def begin(self, plan: Plan) -> None:
        """Journal the run once it does something: a converged no-op run (cron, every few
        minutes) leaves no trace and changes no byte on the host."""
        if self.started:
            return
        self.started = True
        self.journal.append("run-started", state_file=self.desired.source, state_sha256=self.desired.sha256,
                            git_commit=git_commit_of(self.desired.source), plan_fingerprint=plan.fingerprint,
                            boot_id=plan.boot_id)

    def end(self, result: str, **fields) -> None:
        if self.started:
            self.journal.append("run-finished", result=result, **fields)

    def _run(self) -> ApplyReport:
        plan = self.plan()
        self.first_plan = plan
        self.check_crash_test_result()
        previous: Optional[List[str]] = None
        for _ in range(self.options.max_rounds):
            phase = plan.phases[0]
            if not phase:
                return self.finish(plan)
            ids = [a.id for a in phase]
            if ids == previous:
                raise ApplyError(
                    "the host did not change although every action reported success: "
                    + ", ".join(ids), hint="run `rtkdump plan` and check the commands above by hand")
            self.begin(plan)
            for action in phase:
                self.execute(action)
            previous = ids
            plan = self.plan()
        raise ApplyError(f"not converged after {self.options.max_rounds} rounds",
                         hint="run `rtkdump plan` to see what keeps changing")

    def finish(self, plan: Plan) -> ApplyReport:
        self.report.notes = [f"{n.level}: {n.message}" for n in plan.notes]
        if plan.barriers:
            return self.barrier(plan)
        self.report.result, self.report.exit_code = "converged", EXIT_OK
        if self.wants_crash_test():
            return self.trigger_crash_test(plan)
        self.end("converged", changed=len(self.report.done))
        return self.report

    # --- the reboot barrier ------------------------------------------------------------
    def barrier(self, plan: Plan) -> ApplyReport:
        reason = plan.barriers[0].reason
        boot_id = self.facts.boot_id.get()
        self.report.barrier = reason
        self.report.remaining = [a.summary for p in plan.phases[1:] for a in p]
        last = self.journal.last("barrier-reached")
        if self.started or not last or (last.get("boot_id"), last.get("reason")) != (boot_id, reason):
            # journal a barrier once per boot, not at every cron run while it waits
            self.begin(plan)
            self.journal.append("barrier-reached", reason=reason, boot_id=boot_id,
                                plan_fingerprint=plan.fingerprint)
        if self.desired.reboot.policy != "automatic":
            self.report.result, self.report.exit_code = "waiting-for-reboot", EXIT_WAITING
            self.end("waiting-for-reboot")
            return self.report
        key = hashlib.sha256(f"{self.desired.sha256}\n{reason}".encode()).hexdigest()
        asked = self.journal.find("reboot-requested", key=key)
        if any(e.get("boot_id") == boot_id for e in asked):
            self.report.notes.append("a reboot was already requested in this boot; not asking again")
            self.report.result, self.report.exit_code = "rebooting", EXIT_WAITING
            return self.report
        if len(asked) >= self.desired.reboot.max_reboots:
            raise ApplyError(
                f"rebooted {len(asked)} times for this state and the barrier is still here: {reason}",
                hint="the reservation does not appear after a reboot: check `dmesg | grep -i crashkernel` and "
                "the boot loader default; reboot.max_reboots guards against a reboot loop")
        self.begin(plan)
        self.journal.append("reboot-requested", key=key, boot_id=boot_id, reason=reason)
        self.say(f"  rebooting: {reason}")
        result = self.host.run(self.host.systemctl("reboot"))
        if not result.ok:
            raise ApplyError("systemctl reboot failed", stderr=result.stderr)
        self.report.result, self.report.exit_code = "rebooting", EXIT_WAITING
        self.end("rebooting")
        return self.report

    # --- the crash test --------------------------------------------------------------
    def crash_key(self) -> str:
        return self.desired.sha256

    def wants_crash_test(self) -> bool:
        if self.options.crash_test:
            return True
        if self.desired.crash_test != "once":
            return False
        return not self.journal.find("crash-test-triggered", key=self.crash_key())

    def trigger_crash_test(self, plan: Plan) -> ApplyReport:
        loaded = self.facts.kexec_crash_loaded.get()
        if not loaded:
            raise ApplyError("refusing the crash test: kdump is not loaded (/sys/kernel/kexec_crash_loaded is not 1)")
        target = self.desired.dump.target
        self.begin(plan)
        record = self.journal.append(
            "crash-test-triggered", key=self.crash_key(), boot_id=self.facts.boot_id.get(),
            dump_path=self.desired.dump.path if target.kind == "local" else None, target=target.kind)
        self.report.crash_test = {"triggered_at": record["time"], "boot_id": record["boot_id"]}
        self.say("  crash test: echo c > /proc/sysrq-trigger (the host panics, kdump captures, it reboots)")
        self.report.result, self.report.exit_code = "crash-test-triggered", EXIT_WAITING
        self.end("crash-test-triggered")
        try:
            self.host.write_proc(SYSRQ, "c")
        except OSError as exc:
            raise ApplyError(f"cannot write {SYSRQ}: {exc.strerror}") from exc
        return self.report

    def check_crash_test_result(self) -> None:
        """After the crash test's reboot: look for a vmcore newer than the trigger; record pass/fail once."""
        triggered = self.journal.last("crash-test-triggered")
        if not triggered:
            return
        if self.journal.find("crash-test-result", trigger_time=triggered["time"]):
            return
        boot_id = self.facts.boot_id.get()
        if boot_id == triggered.get("boot_id"):
            return  # the crash has not happened yet (or is happening now)
        if triggered.get("target") != "local" or not triggered.get("dump_path"):
            outcome, detail = "unverifiable", (f"the dump target is {triggered.get('target')}: "
                                               "rtkdump cannot look for the vmcore from this host")
        else:
            found = self.find_vmcore(triggered["dump_path"], triggered["time"])
            outcome = "pass" if found else "fail"
            detail = f"vmcore {found}" if found else (
                f"no vmcore newer than the crash test under {triggered['dump_path']}")
        self.begin(self.first_plan)
        self.journal.append("crash-test-result", trigger_time=triggered["time"], outcome=outcome, detail=detail,
                            boot_id=boot_id)
        self.report.crash_test = {"triggered_at": triggered["time"], "outcome": outcome, "detail": detail}
        self.say(f"  crash test {outcome}: {detail}")
        if outcome == "fail":
            raise ApplyError(f"crash test failed: {detail}",
                             hint="check the kdump kernel's console output; the journal has the trigger time")

    def find_vmcore(self, dump_path: str, since: float) -> Optional[str]:
        try:
            names = self.host.list_dir(dump_path)
        except OSError:
            return None
        for name in sorted(names, reverse=True):
            candidate = f"{dump_path}/{name}/vmcore"
            try:
                st = self.host.stat(candidate)
            except OSError:
                continue
            if st.st_mtime >= since - 1:
                return candidate
        return None


def apply_state(host: Host, desired: DesiredState, options: ApplyOptions) -> ApplyReport:
    return Executor(host, desired, options).run()


# --- saved plans ---------------------------------------------------------------------
def stale_reasons(saved: Dict, desired: DesiredState, facts: Facts) -> List[str]:
    reasons = []
    if saved.get("state_sha256") != desired.sha256:
        reasons.append(f"the state file {desired.source} changed since the plan was made")
    digests = facts.digests()
    old = saved.get("fact_digests", {})
    changed = sorted(k for k in set(old) | set(digests) if old.get(k) != digests.get(k))
    if changed:
        reasons.append("these facts changed: " + ", ".join(changed))
    return reasons


def apply_saved_plan(host: Host, saved: Dict, desired: DesiredState, options: ApplyOptions) -> ApplyReport:
    """Run exactly the saved plan's first phase; refuse when the host or the state moved since."""
    executor = Executor(host, desired, options)
    with HostLock(host, options.lock_timeout, options.sleep):
        facts = gather_for(host, desired)
        executor.facts = facts
        reasons = stale_reasons(saved, desired, facts)
        if reasons:
            raise ApplyError("the saved plan is stale: " + "; ".join(reasons),
                             hint=f"make a new one: rtkdump plan {desired.source} -o PLAN.json")
        executor.journal.append("run-started", state_file=desired.source, state_sha256=desired.sha256,
                                git_commit=git_commit_of(desired.source), plan_fingerprint=saved["fingerprint"],
                                boot_id=facts.boot_id.get(), saved_plan=True)
        phases = saved["phases"]
        try:
            for action in (Action.from_json(a) for a in phases[0]["actions"]):
                executor.execute(action)
        except ApplyError:
            executor.report.result = "failed"
            executor.journal.append("run-finished", result="failed")
            raise
        report = executor.report
        barrier = phases[0].get("barrier")
        if barrier:
            report.barrier = barrier["reason"]
            report.remaining = [a["summary"] for p in phases[1:] for a in p["actions"]]
            report.result, report.exit_code = "waiting-for-reboot", EXIT_WAITING
            executor.journal.append("barrier-reached", reason=barrier["reason"], boot_id=facts.boot_id.get(),
                                    plan_fingerprint=saved["fingerprint"])
        else:
            report.result, report.exit_code = "converged", EXIT_OK
        executor.journal.append("run-finished", result=report.result)
        return report
