"""The node_exporter textfile collector file: DIR/rtkdump.prom, written atomically.

Format: Prometheus text exposition (``# HELP``, ``# TYPE``, ``name value``), checked in CI
with the real ``promtool check metrics``.  Written on the machine rtkdump runs on (like
``plan -o``), not under ``--root``.
"""

from __future__ import annotations

import os
import time
from typing import List, Optional, Tuple

from ..host import write_local_file
from .report import ApplyReport
from .status import HostStatus

FILE_NAME = "rtkdump.prom"


def _metric(out: List[str], name: str, help_text: str, value: float, labels: str = "") -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} gauge")
    out.append(f"{name}{labels} {value:.3f}" if isinstance(value, float) else f"{name}{labels} {value}")


def render_metrics(status: HostStatus, report: Optional[ApplyReport] = None) -> str:
    out: List[str] = []
    _metric(
        out,
        "rtkdump_converged",
        "1 when kdump is armed and nothing waits for a reboot.",
        int(status.converged and (report is None or report.result == "converged")),
    )
    _metric(
        out,
        "rtkdump_reboot_pending",
        "1 when the last apply waits for a reboot in this boot.",
        int(status.reboot_pending or bool(report and report.result in ("waiting-for-reboot", "rebooting"))),
    )
    _metric(
        out,
        "rtkdump_crashkernel_reserved_bytes",
        "Bytes of the Crash kernel regions the running kernel reserved.",
        status.reserved_bytes if status.reserved_bytes is not None else -1,
    )
    _metric(
        out,
        "rtkdump_crash_kernel_loaded",
        "1 when /sys/kernel/kexec_crash_loaded is 1.",
        int(bool(status.loaded)),
    )
    last: Tuple[Optional[str], Optional[float], int] = (None, None, 0)
    if report is not None:
        last = (report.result, time.time(), len(report.done))
    elif status.last_apply:
        last = (
            status.last_apply.get("result"),
            status.last_apply.get("finished"),
            status.last_apply.get("changed", 0),
        )
    result, when, changed = last
    if result is not None:
        out.append("# HELP rtkdump_last_apply_result 1 for the result of the last apply (label result).")
        out.append("# TYPE rtkdump_last_apply_result gauge")
        out.append(f'rtkdump_last_apply_result{{result="{result}"}} 1')
        _metric(out, "rtkdump_last_apply_changed_actions", "Actions the last apply carried out.", changed)
    if when is not None:
        _metric(
            out,
            "rtkdump_last_apply_timestamp_seconds",
            "When the last journalled apply finished.",
            float(when),
        )
    if status.last_crash_test:
        c = status.last_crash_test
        _metric(
            out,
            "rtkdump_last_crash_test_success",
            "1 when the last crash test found its vmcore.",
            int(c.get("outcome") == "pass"),
        )
        if c.get("time") is not None:
            _metric(
                out,
                "rtkdump_last_crash_test_timestamp_seconds",
                "When the last crash test result was recorded.",
                float(c["time"]),
            )
    return "\n".join(out) + "\n"


def write_textfile(directory: str, text: str) -> str:
    path = os.path.join(directory, FILE_NAME)
    write_local_file(path, text)
    return path
