"""Plan data: actions, unchanged resources, reboot barriers, and the plan itself.

Actions are data: a stable id, a summary, why, before/after (a unified diff for
files), the argv lists they run, whether their effect needs a reboot, what they
notify, and their retry policy.  ``Action.execute(host)`` is the one way an
action touches a host; ``plan`` never calls it, ``apply`` does.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..digest import sha256
from ..errors import ApplyError, HostAccessError
from ..host import CommandResult, Host
from ..records import dataclass

# Symbols in the human output, as terraform/ansible users expect them.
ADD, CHANGE, REMOVE, RESTART, VERIFY = "+", "~", "-", "↻", "?"


@dataclass(frozen=True)
class RetryPolicy:
    """Retry only transient failures: exit codes listed here, bounded attempts, backoff."""

    attempts: int = 1
    transient_exit_codes: Tuple[int, ...] = ()
    transient_stderr: Tuple[str, ...] = ()  # substrings that mark a transient failure
    initial_delay: float = 1.0
    max_delay: float = 30.0

    def is_transient(self, result: CommandResult) -> bool:
        if result.timed_out:
            return False
        if result.returncode in self.transient_exit_codes:
            return True
        text = result.stdout + result.stderr
        return any(marker in text for marker in self.transient_stderr)


NO_RETRY = RetryPolicy()
# yum (RHEL 7) exits 1 with this message; dnf exits 200 ("... already locked by N").
PACKAGE_LOCK_RETRY = RetryPolicy(
    attempts=10,
    transient_exit_codes=(200,),
    transient_stderr=("exiting as configured by exit_on_lock", "already locked by"),
    initial_delay=2.0,
    max_delay=30.0,
)
SERVICE_RETRY = RetryPolicy(attempts=5, transient_stderr=("activating",), initial_delay=1.0, max_delay=10.0)


@dataclass(frozen=True)
class FileWrite:
    path: str
    content: str
    mode: int = 0o644


@dataclass(frozen=True)
class Action:
    id: str  # stable: "package:install", "boot-entry:/boot/vmlinuz-X:crashkernel", "file:/etc/kdump.conf"
    symbol: str
    resource: str  # "packages", "crashkernel", "kdump.conf", "sysconfig", "dump-path", "service", "verify"
    summary: str
    why: str
    argv: Tuple[Tuple[str, ...], ...] = ()
    before: Optional[str] = None
    after: Optional[str] = None
    diff: Optional[str] = None
    write: Optional[FileWrite] = None
    mkdir: Optional[str] = None
    needs_reboot: bool = False  # its effect exists only after the next boot
    notifies: Tuple[str, ...] = ()
    retry: RetryPolicy = NO_RETRY
    expect: Optional[Tuple[str, str]] = None  # verify: (host path, expected stripped content)
    proc_write: Optional[Tuple[str, str]] = None  # (kernel control file, text): the crash test's sysrq

    def to_json(self) -> dict:
        d = asdict(self)
        d["argv"] = [list(a) for a in self.argv]
        if self.write is not None:
            d["write"] = {"path": self.write.path, "mode": oct(self.write.mode)}
        if self.proc_write is None:
            del d["proc_write"]  # only the crash test writes a kernel control file
        return d

    @classmethod
    def from_json(cls, d: dict) -> Action:
        """Rebuild an action from ``to_json()`` (a saved plan)."""
        write = None
        if d.get("write"):
            write = FileWrite(d["write"]["path"], d["after"] or "", int(d["write"]["mode"], 8))
        r = d["retry"]
        retry = RetryPolicy(
            attempts=int(r["attempts"]),
            transient_exit_codes=tuple(r["transient_exit_codes"]),
            transient_stderr=tuple(r["transient_stderr"]),
            initial_delay=float(r["initial_delay"]),
            max_delay=float(r["max_delay"]),
        )
        return cls(
            id=d["id"],
            symbol=d["symbol"],
            resource=d["resource"],
            summary=d["summary"],
            why=d["why"],
            argv=tuple(tuple(a) for a in d["argv"]),
            before=d.get("before"),
            after=d.get("after"),
            diff=d.get("diff"),
            write=write,
            mkdir=d.get("mkdir"),
            needs_reboot=d["needs_reboot"],
            notifies=tuple(d["notifies"]),
            retry=retry,
            expect=tuple(d["expect"]) if d.get("expect") else None,
            proc_write=tuple(d["proc_write"]) if d.get("proc_write") else None,
        )

    def execute(
        self,
        host: Host,
        run: Optional[Callable[[Sequence[str]], CommandResult]] = None,
        backup: Optional[Callable[[str], None]] = None,
    ) -> List[CommandResult]:
        """Carry the action out on ``host``. Raises ApplyError on failure; returns command results.

        ``run`` runs one argv (the executor passes one that retries transient
        failures); ``backup`` is called with a file's path before it is replaced.
        """
        run = run or host.run
        results: List[CommandResult] = []
        if self.mkdir:
            try:
                host.make_dirs(self.mkdir)
            except OSError as exc:
                raise ApplyError(f"cannot create {self.mkdir}: {exc.strerror}", action_id=self.id) from exc
            except HostAccessError as exc:
                raise ApplyError(exc.message, action_id=self.id, hint=exc.hint) from exc
        if self.write is not None:
            if backup is not None:
                try:
                    backup(self.write.path)
                except OSError as exc:  # name the backup, not the file it protects
                    where = exc.filename or "/var/lib/rtkdump/backups"
                    raise ApplyError(
                        f"cannot back up {self.write.path} to {where}: {exc.strerror} "
                        f"({self.write.path} is unchanged)",
                        action_id=self.id,
                    ) from exc
                except HostAccessError as exc:
                    raise ApplyError(exc.message, action_id=self.id, hint=exc.hint) from exc
            try:
                host.write_file_atomic(self.write.path, self.write.content, self.write.mode)
            except OSError as exc:
                raise ApplyError(
                    f"cannot write {self.write.path}: {exc.strerror} (the old file is unchanged)",
                    action_id=self.id,
                ) from exc
            except HostAccessError as exc:
                raise ApplyError(exc.message, action_id=self.id, hint=exc.hint) from exc
        for argv in self.argv:
            result = run(argv)
            results.append(result)
            if not result.ok:
                raise ApplyError(
                    f"{' '.join(argv)} exited {result.returncode}",
                    action_id=self.id,
                    stderr=result.stderr or result.stdout,
                )
        if self.proc_write is not None:
            path, text = self.proc_write
            try:
                host.write_proc(path, text)
            except OSError as exc:
                raise ApplyError(f"cannot write {path}: {exc.strerror}", action_id=self.id) from exc
        if self.expect is not None:
            path, expected = self.expect
            try:
                got = host.read_text(path).strip()
            except OSError as exc:
                raise ApplyError(f"cannot read {path}: {exc.strerror}", action_id=self.id) from exc
            if got != expected:
                raise ApplyError(f"{path} is {got!r}, expected {expected!r}", action_id=self.id)
        return results


@dataclass(frozen=True)
class Unchanged:
    id: str
    resource: str
    reason: str


@dataclass(frozen=True)
class Barrier:
    reason: str


def reboot_key(state_sha256: str, reason: str) -> str:
    """The reboot-loop guard's key: this state + this barrier reason (apply/barrier.py counts by it)."""
    return sha256(f"{state_sha256}\n{reason}".encode()).hexdigest()


@dataclass(frozen=True)
class RebootPolicy:
    """What apply does at a barrier: wait for a person (manual) or reboot (automatic, bounded)."""

    policy: str  # manual | automatic
    max_reboots: int
    reboots_left: int  # for this state and the first barrier's reason

    def describe(self) -> str:
        if self.policy != "automatic":
            return "reboot.policy: manual: apply stops here; reboot, then run apply again"
        if self.reboots_left <= 0:
            return f"reboot.policy: automatic, but 0 of {self.max_reboots} reboots left: apply fails here"
        return (
            f"reboot.policy: automatic: apply reboots the host ({self.reboots_left} of "
            f"{self.max_reboots} reboots left)"
        )


@dataclass(frozen=True)
class Note:
    level: str  # "warning" | "unknown" | "info"
    message: str


@dataclass
class Plan:
    state_file: str
    state_sha256: str
    host: str
    release: Optional[str]
    phases: List[List[Action]] = field(default_factory=lambda: [[]])
    barriers: List[Barrier] = field(default_factory=list)  # barriers[i] sits between phases[i] and [i+1]
    unchanged: List[Unchanged] = field(default_factory=list)
    notes: List[Note] = field(default_factory=list)
    facts_fingerprint: str = ""
    fact_digests: Dict[str, str] = field(default_factory=dict)
    boot_id: Optional[str] = None
    reboot: Optional[RebootPolicy] = None
    # the crash test apply will trigger once everything else is done (apply runs it itself)
    crash_test: Optional[Action] = None
    crash_test_condition: str = ""

    @property
    def actions(self) -> List[Action]:
        return [a for phase in self.phases for a in phase]

    @property
    def converged(self) -> bool:
        """Nothing left for apply to do to the host: no action, no reboot, no crash test."""
        return not self.actions and not self.barriers and self.crash_test is None

    @property
    def fingerprint(self) -> str:
        """The desired state + the facts it was made from + the actions it holds."""
        blob = json.dumps(
            {
                "state": self.state_sha256,
                "facts": self.facts_fingerprint,
                "actions": [a.id for a in self.actions] + ([self.crash_test.id] if self.crash_test else []),
            },
            sort_keys=True,
        )
        return sha256(blob.encode()).hexdigest()

    def to_json(self) -> dict:
        return {
            "format": "rtkdump-plan/1",
            # absolute: `apply PLAN.json` may run from another directory (the text keeps it as given)
            "state_file": os.path.abspath(self.state_file),
            "state_sha256": self.state_sha256,
            "host": self.host,
            "release": self.release,
            "boot_id": self.boot_id,
            "facts_fingerprint": self.facts_fingerprint,
            "fact_digests": dict(self.fact_digests),
            "fingerprint": self.fingerprint,
            "converged": self.converged,
            "phases": [
                {
                    "actions": [a.to_json() for a in phase],
                    "barrier": (asdict(self.barriers[i]) if i < len(self.barriers) else None),
                }
                for i, phase in enumerate(self.phases)
            ],
            "reboot": asdict(self.reboot) if self.reboot else None,
            "crash_test": (
                {"action": self.crash_test.to_json(), "condition": self.crash_test_condition}
                if self.crash_test
                else None
            ),
            "unchanged": [asdict(u) for u in self.unchanged],
            "notes": [asdict(n) for n in self.notes],
            "summary": self.summary_counts(),
        }

    def summary_counts(self) -> Dict[str, int]:
        counts = {
            "add": 0,
            "change": 0,
            "remove": 0,
            "restart": 0,
            "verify": 0,
            "unchanged": len(self.unchanged),
        }
        names = {ADD: "add", CHANGE: "change", REMOVE: "remove", RESTART: "restart", VERIFY: "verify"}
        for a in self.actions:
            counts[names[a.symbol]] += 1
        counts["reboots"] = len(self.barriers)
        counts["crash_tests"] = 1 if self.crash_test else 0
        return counts


def unified_diff(path: str, before: Optional[str], after: str) -> str:
    old = (before or "").splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    import difflib  # only when a diff or a suggestion is made

    lines = difflib.unified_diff(
        old, new, fromfile=(path if before is not None else "/dev/null"), tofile=path, n=2
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
