"""`rtkdump status` and `rtkdump history`: what the host is now, and what rtkdump did, from the facts and the journal.

Read-only: no lock, no journal line, nothing written on the host (the metrics textfile is the
caller's, outside the host tree).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Dict, List, Optional

from ..facts import Facts
from ..records import dataclass
from .journal import Journal
from .report import EXIT_ERROR, EXIT_OK, EXIT_WAITING


@dataclass
class HostStatus:
    reserved_bytes: Optional[int]  # the Crash kernel regions of /proc/iomem (kexec_crash_size when hidden)
    loaded: Optional[bool]  # /sys/kernel/kexec_crash_loaded
    kdump_active: Optional[bool]
    boot_id: Optional[str]
    last_apply: Optional[Dict[str, Any]] = None  # {time, result, run, state_file, changed}
    last_crash_test: Optional[Dict[str, Any]] = None  # {time, outcome, detail}
    reboot_pending: bool = False  # the last run stopped at a barrier in this boot
    reboot_reason: Optional[str] = None
    unknown: List[str] = field(default_factory=list)

    @property
    def armed(self) -> bool:
        return bool(self.loaded) and bool(self.reserved_bytes)

    @property
    def converged(self) -> bool:
        # not the journal's last result: a converged apply that changes nothing journals nothing
        return self.armed and not self.reboot_pending

    @property
    def exit_code(self) -> int:
        if self.loaded is None or self.reserved_bytes is None:
            return EXIT_ERROR
        return EXIT_OK if self.converged else EXIT_WAITING

    def to_json(self) -> Dict[str, Any]:
        return {
            "format": "rtkdump-status/1",
            "converged": self.converged,
            "armed": self.armed,
            **{k: v for k, v in self.__dict__.items()},
        }


def runs(journal: Journal) -> List[Dict[str, Any]]:
    """One entry per journalled run, oldest first: start, state file, result, actions done, barrier."""
    out: Dict[str, Dict[str, Any]] = {}
    order: List[str] = []
    for e in journal.events():
        run = e.get("run")
        if not isinstance(run, str):
            continue
        if run not in out:
            out[run] = {
                "run": run,
                "time": e.get("time"),
                "state_file": None,
                "result": None,
                "changed": 0,
                "git_commit": None,
                "boot_id": None,
                "barrier": None,
            }
            order.append(run)
        r = out[run]
        kind = e.get("event")
        if kind == "run-started":
            r.update(state_file=e.get("state_file"), git_commit=e.get("git_commit"), boot_id=e.get("boot_id"))
        elif kind == "action-done":
            r["changed"] += 1
        elif kind == "barrier-reached":
            r["barrier"] = e.get("reason")
        elif kind == "run-finished":
            r["result"] = e.get("result")
            r["finished"] = e.get("time")
    return [out[k] for k in order]


def host_status(facts: Facts, journal: Journal) -> HostStatus:
    unknown = [
        f"{name}: {fact.unknown}"
        for name, fact in facts.all().items()
        if name in ("iomem_crash", "kexec_crash_loaded") and not fact.known
    ]
    reserved: Optional[int] = None
    if facts.iomem_crash.known:
        reserved = facts.iomem_crash.known_value.total
    elif facts.kexec_crash_size.known:
        reserved = facts.kexec_crash_size.known_value
    active = facts.kdump_active.known_value.active if facts.kdump_active.known else None
    boot_id = facts.boot_id.get()
    status = HostStatus(
        reserved_bytes=reserved,
        loaded=facts.kexec_crash_loaded.get(),
        kdump_active=active,
        boot_id=boot_id,
        unknown=unknown,
    )
    finished = [r for r in runs(journal) if r.get("result")]
    if finished:
        last = finished[-1]
        status.last_apply = {
            k: last.get(k) for k in ("time", "finished", "result", "run", "state_file", "changed")
        }
        if last["result"] in ("waiting-for-reboot", "rebooting") and last.get("boot_id") == boot_id:
            status.reboot_pending = True
        barrier = journal.last("barrier-reached")
        if status.reboot_pending and barrier:
            status.reboot_reason = barrier.get("reason")
    result = journal.last("crash-test-result")
    if result:
        status.last_crash_test = {
            "time": result.get("time"),
            "outcome": result.get("outcome"),
            "detail": result.get("detail"),
        }
    return status


def render_status(status: HostStatus) -> str:
    mib = f"{status.reserved_bytes / 1024**2:.0f} MiB" if status.reserved_bytes is not None else "unknown"
    lines = [
        f"kdump armed:      {'yes' if status.armed else 'no'} (reserved {mib}, capture kernel "
        f"{'loaded' if status.loaded else 'not loaded' if status.loaded is False else 'unknown'})",
        f"kdump.service:    {'active' if status.kdump_active else 'inactive' if status.kdump_active is False else 'unknown'}",
    ]
    if status.last_apply:
        a = status.last_apply
        lines.append(
            f"last apply:       {a['result']} ({a['changed']} changed; {a['state_file']}; run {a['run']})"
        )
    else:
        lines.append(
            "last apply:       none journalled (a converged apply that changes nothing writes no journal)"
        )
    if status.reboot_pending:
        lines.append(
            f"reboot pending:   yes: {status.reboot_reason or 'the last apply stopped at the barrier'}"
        )
    if status.last_crash_test:
        c = status.last_crash_test
        lines.append(f"last crash test:  {c['outcome']}: {c['detail']}")
    for item in status.unknown:
        lines.append(f"unknown:          {item}")
    return "\n".join(lines) + "\n"


def render_history(entries: List[Dict[str, Any]]) -> str:
    import time

    if not entries:
        return "no runs journalled yet\n"
    lines = []
    for r in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["time"])) if r.get("time") else "?"
        extra = f"; barrier: {r['barrier']}" if r.get("barrier") else ""
        lines.append(
            f"{when}  {r['run']}  {r.get('result') or 'unfinished'}  {r['changed']} changed  "
            f"{r.get('state_file')}{extra}"
        )
    return "\n".join(lines) + "\n"
