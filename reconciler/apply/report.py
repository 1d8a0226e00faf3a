"""What one `rtkdump apply` did: the report (JSON with --json) and its human rendering."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Dict, List, Optional

from ..records import dataclass

EXIT_OK, EXIT_ERROR, EXIT_WAITING = 0, 1, 2


@dataclass
class ApplyReport:
    run_id: str
    state_file: str
    result: str = "running"  # converged | waiting-for-reboot | rebooting | crash-test-triggered | failed
    exit_code: int = EXIT_ERROR
    done: List[Dict[str, Any]] = field(default_factory=list)
    failed: Optional[Dict[str, Any]] = None
    barrier: Optional[str] = None
    remaining: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    crash_test: Optional[Dict[str, Any]] = None
    kdump_wanted: bool = True  # False for `state: absent`
    # the facts of the run's last gather when nothing ran after it (not part of the report)
    final_facts: Optional[Any] = field(default=None, repr=False, compare=False)

    def to_json(self) -> Dict[str, Any]:
        shown = {k: v for k, v in self.__dict__.items() if k != "final_facts"}
        return {"format": "rtkdump-apply/1", **shown}


_VERDICTS = {
    "waiting-for-reboot": "Waiting for a reboot (reboot.policy: manual): reboot, then run apply again.",
    "rebooting": "Rebooting now (reboot.policy: automatic); the next apply continues from the facts.",
    "crash-test-triggered": "Crash test triggered: the next apply after the reboot checks for the vmcore.",
    "saved-plan-done": "The saved plan is carried out; more changes are pending now: run `rtkdump plan` again.",
}


_VERDICT_COLOR = {"converged": "32", "failed": "31"}  # green, red; the rest yellow


def render_apply(report: ApplyReport, color: bool = False) -> str:
    lines = []
    if report.done:
        lines.append(f"Done ({len(report.done)}): " + "; ".join(d["summary"] for d in report.done))
    if report.crash_test:
        lines.append("Crash test: " + ", ".join(f"{k} {v}" for k, v in report.crash_test.items()))
    if report.barrier:
        lines.append(f"Reboot barrier: {report.barrier}")
        if report.remaining:
            lines.append("After the reboot: " + "; ".join(report.remaining))
    for note in report.notes:
        lines.append(f"  {note}")
    if report.result == "converged":
        verdict = (
            "Converged: kdump is configured and armed."
            if report.kdump_wanted
            else "Converged: kdump is off (state: absent)."
        )
    else:
        verdict = _VERDICTS.get(report.result, report.result)
    if color:  # like plan: only on a terminal without NO_COLOR (the CLI decides)
        verdict = f"\033[{_VERDICT_COLOR.get(report.result, '33')}m{verdict}\033[0m"
    lines.append(verdict)
    return "\n".join(lines) + "\n"
