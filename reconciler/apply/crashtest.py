"""The opt-in crash test: crash a converged, armed host once with sysrq, then check for its vmcore.

Wanted when ``verify.crash_test: once`` has not been triggered for this state
file yet (keyed by its sha256), or when forced with ``--crash-test``.  The
trigger is journalled *before* the sysrq write, because the write does not
return.  After the reboot (a new boot_id), the next apply looks for a vmcore
newer than the trigger under a local dump path and records pass or fail once;
NFS, SSH and raw targets are "unverifiable" from the host.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..errors import ApplyError
from ..host import Host
from ..plan.model import Action
from ..plan.resources.crash_test import SYSRQ, crash_test_action
from ..state.model import DesiredState
from .journal import Journal

__all__ = ["SYSRQ", "CrashTest", "find_vmcore", "refuse_unless_loaded"]


class CrashTest:
    def __init__(self, desired: DesiredState, journal: Journal, forced: bool = False):
        self.desired = desired
        self.journal = journal
        self.forced = forced

    @property
    def key(self) -> str:
        return self.desired.sha256

    def wanted(self) -> bool:
        if self.forced:
            return True
        if self.desired.crash_test != "once":
            return False
        return not self.journal.find("crash-test-triggered", key=self.key)

    def action(self) -> Action:
        """The same action the plan shows (plan/resources/crash_test.py)."""
        return crash_test_action(self.forced)

    def record_trigger(self, boot_id: Optional[str]) -> Dict[str, Any]:
        """Journal the trigger (before the write that does not return); returns the record."""
        target = self.desired.dump.target
        return self.journal.append(
            "crash-test-triggered",
            key=self.key,
            boot_id=boot_id,
            dump_path=self.desired.dump.path if target.kind == "local" else None,
            target=target.kind,
        )

    def pending_result(self, boot_id: Optional[str]) -> Optional[Dict[str, Any]]:
        """The trigger whose result is still to be recorded, once the host has rebooted since."""
        triggered = self.journal.last("crash-test-triggered")
        if not triggered:
            return None
        if self.journal.find("crash-test-result", trigger_time=triggered["time"]):
            return None
        if boot_id == triggered.get("boot_id"):
            return None  # the crash has not happened yet (or is happening now)
        return triggered

    def verdict(self, host: Host, triggered: Dict[str, Any]) -> Dict[str, str]:
        """pass / fail / unverifiable, with the detail that says why."""
        if triggered.get("target") != "local" or not triggered.get("dump_path"):
            return {
                "outcome": "unverifiable",
                "detail": f"the dump target is {triggered.get('target')}: "
                "rtkdump cannot look for the vmcore from this host",
            }
        found = find_vmcore(host, triggered["dump_path"], triggered["time"])
        if found:
            return {"outcome": "pass", "detail": f"vmcore {found}"}
        return {
            "outcome": "fail",
            "detail": f"no vmcore newer than the crash test under {triggered['dump_path']}",
        }

    def record_result(
        self, triggered: Dict[str, Any], verdict: Dict[str, str], boot_id: Optional[str]
    ) -> None:
        self.journal.append(
            "crash-test-result",
            trigger_time=triggered["time"],
            outcome=verdict["outcome"],
            detail=verdict["detail"],
            boot_id=boot_id,
        )


def find_vmcore(host: Host, dump_path: str, since: float) -> Optional[str]:
    """The newest ``<dump_path>/<dir>/vmcore`` written at or after ``since`` (1 s of clock slack)."""
    try:
        names = host.list_dir(dump_path)
    except OSError:
        return None
    for name in sorted(names, reverse=True):
        candidate = f"{dump_path}/{name}/vmcore"
        try:
            st = host.stat(candidate)
        except OSError:
            continue
        if st.st_mtime >= since - 1:
            return candidate
    return None


def refuse_unless_loaded(loaded: Optional[bool]) -> None:
    if not loaded:
        raise ApplyError(
            "refusing the crash test: kdump is not loaded (/sys/kernel/kexec_crash_loaded is not 1)"
        )
