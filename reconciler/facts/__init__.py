"""Gather every fact the planner needs from a Host, each known or unknown-with-a-reason.

Each fact is one source (a file under the host root or one argv) + one pure
parser from the sibling modules + one default.  Reading lives in ``gather.py``,
parsing in the parser modules, so parsers are tested on captured output
without a host; ``model.py`` holds the values, ``Facts`` and ``FactRequest``.
"""

from __future__ import annotations

from .commands import Commands, command_fact, result_fact
from .gather import (
    HOOK_PATHS,
    JOURNAL,
    KDUMP_UNIT,
    PendingFacts,
    file_fact,
    file_facts,
    gather,
    gather_default_crashkernel,
    gather_history,
    gather_initramfs,
    gather_os_release,
    gather_running_kernel,
    recommended_packages,
    start_gather,
)
from .model import Fact, FactRequest, Facts

__all__ = [
    "HOOK_PATHS",
    "JOURNAL",
    "KDUMP_UNIT",
    "Commands",
    "Fact",
    "FactRequest",
    "Facts",
    "PendingFacts",
    "command_fact",
    "file_fact",
    "file_facts",
    "gather",
    "gather_default_crashkernel",
    "gather_history",
    "gather_initramfs",
    "gather_os_release",
    "gather_running_kernel",
    "recommended_packages",
    "result_fact",
    "start_gather",
]
