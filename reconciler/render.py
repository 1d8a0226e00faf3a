"""Human and JSON renderings of facts and plans. Pure: data in, text out."""

from __future__ import annotations

import json
from typing import Dict, List

from .facts import Facts
from .plan.model import ADD, CHANGE, REMOVE, RESTART, VERIFY, Action, Plan

_COLORS = {
    ADD: "32",
    CHANGE: "33",
    REMOVE: "31",
    RESTART: "36",
    VERIFY: "34",
    "barrier": "1;35",
    "dim": "2",
    "warning": "33",
    "unknown": "35",
    "info": "2",
}


class Style:
    def __init__(self, color: bool):
        self.color = color

    def __call__(self, key: str, text: str) -> str:
        if not self.color or key not in _COLORS:
            return text
        return f"\033[{_COLORS[key]}m{text}\033[0m"


def _argv_text(argv) -> str:
    # display only: quote what a shell would need quoted, so it can be copied
    import shlex

    return " ".join(shlex.quote(a) for a in argv)


def render_action(action: Action, style: Style) -> List[str]:
    lines = [f"  {style(action.symbol, action.symbol)} {action.summary}"]
    lines.append(style("dim", f"      id:  {action.id}"))
    lines.append(style("dim", f"      why: {action.why}"))
    for argv in action.argv:
        lines.append(style("dim", f"      run: {_argv_text(argv)}"))
    if action.mkdir:
        lines.append(style("dim", f"      mkdir: {action.mkdir}"))
    if action.expect:
        lines.append(style("dim", f"      check: {action.expect[0]} = {action.expect[1]}"))
    if action.diff:
        for line in fold_comment_runs(action.diff.rstrip("\n").splitlines()):
            key = (
                ADD
                if line.startswith("+") and not line.startswith("+++")
                else (REMOVE if line.startswith("-") and not line.startswith("---") else "dim")
            )
            lines.append("      " + style(key, line))
    if action.notifies:
        lines.append(style("dim", f"      notifies: {', '.join(action.notifies)}"))
    return lines


def fold_comment_runs(diff_lines: List[str], keep: int = 3) -> List[str]:
    """Shorten long runs of removed comment lines (a stock kdump.conf's manual) for the terminal.

    Only the human view folds; ``--json`` and ``-o`` keep the whole diff.
    """
    out: List[str] = []
    run: List[str] = []

    def flush() -> None:
        if len(run) > 2 * keep + 1:
            out.extend(run[:keep])
            out.append(f"-# ... {len(run) - keep - 1} more removed comment lines (the whole diff: --json)")
            out.append(run[-1])
        else:
            out.extend(run)
        run.clear()

    for line in diff_lines:
        if line.startswith("-#") or line == "-":
            run.append(line)
        else:
            flush()
            out.append(line)
    flush()
    return out


def render_plan(plan: Plan, color: bool = False) -> str:
    style = Style(color)
    out = [f"rtkdump plan: {plan.state_file} on {plan.host} (RHEL {plan.release})", ""]
    for i, phase in enumerate(plan.phases):
        for action in phase:
            out.extend(render_action(action, style))
        if i < len(plan.barriers):
            out.append("")
            out.append(style("barrier", f"  ── reboot barrier ── {plan.barriers[i].reason}"))
            out.append("")
    if plan.unchanged:
        out.append("")
        out.append("Unchanged:")
        for u in plan.unchanged:
            out.append(f"  = {u.id}: {u.reason}")
    if plan.notes:
        out.append("")
        out.append("Notes:")
        marks = {"warning": "!", "unknown": "?", "info": "i"}
        for n in plan.notes:
            out.append(style(n.level, f"  {marks.get(n.level, '-')} {n.level}: {n.message}"))
    out.append("")
    out.append(summary_line(plan))
    return "\n".join(out) + "\n"


def summary_line(plan: Plan) -> str:
    if plan.converged:
        return f"Nothing to do: converged ({len(plan.unchanged)} resources unchanged)."
    c = plan.summary_counts()
    reboot = f", {c['reboots']} reboot" + ("s" if c["reboots"] != 1 else "") if c["reboots"] else ""
    return (
        f"Plan: {c['add']} to add, {c['change']} to change, {c['remove']} to remove, "
        f"{c['restart']} to restart, {c['verify']} to verify{reboot}; {c['unchanged']} unchanged."
    )


def plan_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2, sort_keys=False) + "\n"


def render_facts(facts: Facts) -> str:
    out = []
    data: Dict[str, dict] = facts.to_json()
    width = max(len(k) for k in data)
    for name, fact in data.items():
        if fact["known"] and name == "iomem_crash" and fact.get("value") is not None:
            text = _crash_text(fact["value"], data.get("kexec_crash_size", {}), width)
        elif fact["known"]:
            value = fact.get("value")
            text = _short(value)
        else:
            text = f"UNKNOWN: {fact['unknown']}"
        out.append(f"{name.ljust(width)}  {text}")
        out.append(f"{''.ljust(width)}    from {fact['source']}")
    return "\n".join(out) + "\n"


def _mib(n: int) -> str:
    mib = n / (1 << 20)
    return f"{mib:.0f} MiB" if mib == int(mib) else f"{mib:.2f} MiB"


def _crash_text(value: dict, crash_size: dict, width: int) -> str:
    """Each Crash kernel region (start, end, size, low/high), the total and the configured value."""
    regions = value.get("regions") or []
    configured = value.get("configured")
    conf = (
        "crashkernel=" + " crashkernel=".join(configured) + " on /proc/cmdline"
        if configured
        else ("no crashkernel= on /proc/cmdline" if configured is not None else "/proc/cmdline unknown")
    )
    if not regions:
        return f"no Crash kernel region ({conf})"
    pad = "\n" + " " * (width + 4)
    total = value["total"]
    lines = [
        f"{len(regions)} region{'s' if len(regions) > 1 else ''}, total {_mib(total)} ({total} bytes); {conf}"
    ]
    for r in regions:
        lines.append(f"{r['kind']:<6} 0x{r['start']:x}-0x{r['end']:x}  {_mib(r['size'])} ({r['size']} bytes)")
    high = [r for r in regions if r["kind"] == "high"]
    if high and crash_size.get("known") and crash_size.get("value") is not None:
        lines.append(
            f"kexec_crash_size {crash_size['value']} counts only the high region ({high[0]['size']} bytes)"
        )
    return pad.join(lines)


def _short(value) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, str):
        first = value.splitlines()[0] if value else ""
        more = value.count("\n")
        return first + (f" ... ({more} lines)" if more > 1 else "")
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."
