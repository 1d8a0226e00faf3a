"""The opt-in crash test: crash a converged, armed host once with sysrq, then check for its vmcore.

Wanted when ``verify.crash_test: once`` has not been triggered for this state
file yet (keyed by its sha256), or when forced with ``--crash-test``.  The
trigger is journalled *before* the sysrq write, because the write does not
return, together with what the local dump path held then.  After the reboot (a
new boot_id), the next apply looks for a vmcore that was not there at the
trigger and records pass or fail once; NFS, SSH and raw targets are
"unverifiable" from the host.

Why a listing and not only the mtime: the vmcore's mtime and its directory's
name come from the capture kernel's clock, read from the RTC.  A guest or an
RTC kept in local time runs ahead or behind the clock that journalled the
trigger, so an older dump can look newer than the trigger (a false pass: the
worst answer) and a fresh one older (a false fail); and the 1 s of slack a
time comparison needs lets a dump written just before the trigger pass (the
real-kernel test did, in CI).  Trigger records written
before the listing existed fall back to the mtime rule.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ..errors import ApplyError
from ..host import Host
from ..plan.model import Action
from ..plan.resources.crash_test import SYSRQ, crash_test_action
from ..state.model import DesiredState
from .journal import Journal

__all__ = [
    "SYSRQ",
    "CrashTest",
    "dump_listing",
    "find_new_vmcore",
    "find_vmcore",
    "refuse_unless_loaded",
    "vmcores",
]


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

    def record_trigger(self, host: Host, boot_id: Optional[str]) -> Dict[str, Any]:
        """Journal the trigger (before the write that does not return); returns the record."""
        target = self.desired.dump.target
        dump_path = self.desired.dump.path if target.kind == "local" else None
        return self.journal.append(
            "crash-test-triggered",
            key=self.key,
            boot_id=boot_id,
            dump_path=dump_path,
            target=target.kind,
            dumps_before=dump_listing(host, dump_path) if dump_path else None,
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
        before = triggered.get("dumps_before")
        if not isinstance(before, dict):  # journalled by an rtkdump without the listing (or mangled)
            found = find_vmcore(host, triggered["dump_path"], triggered["time"])
            if found:
                return {"outcome": "pass", "detail": f"vmcore {found}"}
            return {
                "outcome": "fail",
                "detail": f"no vmcore newer than the crash test under {triggered['dump_path']}",
            }
        new = find_new_vmcore(host, triggered["dump_path"], before)
        if new is None:
            return {
                "outcome": "fail",
                "detail": f"no vmcore written since the crash test under {triggered['dump_path']}"
                f" ({len(before)} vmcore{'' if len(before) == 1 else 's'} there before it,"
                " none new or rewritten)",
            }
        path, mtime = new
        detail = f"vmcore {path}"
        behind = triggered["time"] - mtime
        if behind > 1:
            # new since the trigger all the same; say so, the admin may want to fix the RTC
            detail += (
                f" (its mtime is {behind:.0f} s before the trigger:"
                " the capture kernel's clock is behind this one)"
            )
        return {"outcome": "pass", "detail": detail}

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


def vmcores(host: Host, dump_path: str) -> List[Tuple[str, str, float]]:
    """``(directory, path, mtime)`` of each ``<dump_path>/<dir>/vmcore``, the newest name first.

    kdump names the directories ``<host>-<YYYY-MM-DD-HH:MM:SS>``; a directory
    holding only ``vmcore-incomplete`` (a dump that did not finish) has no vmcore.
    """
    try:
        names = host.list_dir(dump_path)
    except OSError:
        return []  # no dump path (yet)
    found = []
    for name in sorted(names, reverse=True):
        path = f"{dump_path}/{name}/vmcore"
        try:
            found.append((name, path, host.stat(path).st_mtime))
        except OSError:
            continue
    return found


def dump_listing(host: Host, dump_path: str) -> Dict[str, float]:
    """Each directory under the dump path that holds a vmcore, with that vmcore's mtime."""
    return {name: mtime for name, _, mtime in vmcores(host, dump_path)}


def find_new_vmcore(host: Host, dump_path: str, before: Dict[str, float]) -> Optional[Tuple[str, float]]:
    """The newest vmcore not in ``before`` (a new directory, or rewritten since), with its mtime."""
    for name, path, mtime in vmcores(host, dump_path):
        if before.get(name) != mtime:
            return path, mtime
    return None


def find_vmcore(host: Host, dump_path: str, since: float) -> Optional[str]:
    """The newest vmcore written at or after ``since`` (1 s of clock slack).

    Only for trigger records without ``dumps_before``: the clocks can disagree (see above).
    """
    for _, path, mtime in vmcores(host, dump_path):
        if mtime >= since - 1:
            return path
    return None


def refuse_unless_loaded(loaded: Optional[bool]) -> None:
    if not loaded:
        raise ApplyError(
            "refusing the crash test: kdump is not loaded (/sys/kernel/kexec_crash_loaded is not 1)"
        )
