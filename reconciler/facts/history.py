"""Pure parsers for what rtkdump itself left on the host: its journal, and kdump's initramfs age.

Both answer "is a kdump restart still owed?" after a failed or killed run:
- the journal (/var/lib/rtkdump/journal.jsonl) records ``restart-pending``
  before rtkdump writes a file that notifies a restart, and ``restart-done``
  after kdump was started or restarted; a pending one from this boot is owed;
- kdumpctl itself rebuilds /boot/initramfs-<kver>kdump.img when /etc/kdump.conf
  (or the kdump kernel, or a file named by extra_bins/kdump_pre/kdump_post) is
  newer, comparing ``stat -c %Y`` seconds with ``-gt`` (kdumpctl
  ``check_files_modified``): an image older than kdump.conf means the running
  kdump was loaded from an older configuration.
The journal also says which crash tests were triggered and which reboots were
asked for, so the plan can show what apply will do.
"""

from __future__ import annotations

import json
from typing import List, Optional, Tuple

from ..records import dataclass

START_EVENTS = ("restart-done",)
_KINDS = ("restart-pending", "crash-test-triggered", "reboot-requested") + START_EVENTS


@dataclass(frozen=True)
class History:
    pending_restart: Optional[str] = None  # "file:/etc/kdump.conf (run 2026...)": owed in this boot
    crash_tests: Tuple[str, ...] = ()  # state sha256 keys whose crash test was triggered
    reboots: Tuple[Tuple[str, str], ...] = ()  # (barrier key, boot_id) of each reboot asked for
    skipped_lines: int = 0  # valid JSON lines that are not event objects


def may_answer(line: str, kinds: Tuple[str, ...]) -> bool:
    """Whether a journal line must be parsed to learn about events of ``kinds``.

    An event of one of them names its kind in its text, and only a line that is
    not an object can be valid JSON that is not an event: the rest (a long
    journal is mostly action output) is never parsed.  A text match is a hint,
    the parsed "event" decides.
    """
    return not line.lstrip().startswith("{") or any(kind in line for kind in kinds)


def parse_journal(text: str, boot_id: Optional[str]) -> History:
    """The journal's JSON lines -> History. Torn and non-object lines are skipped, never fatal."""
    pending: List[dict] = []  # restart-pending events since the last restart-done
    crash: List[str] = []
    reboots: List[Tuple[str, str]] = []
    skipped = 0
    for line in text.splitlines():
        if not may_answer(line, _KINDS):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a torn last line after a crash
        if not isinstance(event, dict):
            skipped += 1
            continue
        kind = event.get("event")
        if kind == "restart-pending":
            pending.append(event)
        elif kind in START_EVENTS:
            pending = []
        elif kind == "crash-test-triggered" and isinstance(event.get("key"), str):
            crash.append(event["key"])
        elif kind == "reboot-requested" and isinstance(event.get("key"), str):
            reboots.append((event["key"], str(event.get("boot_id"))))
    owed = None
    # a pending restart from an earlier boot was paid by the kdump start of the boot after it
    this_boot = [e for e in pending if e.get("boot_id") in (None, boot_id)]
    if this_boot:
        first = this_boot[0]
        owed = f"{first.get('by', 'a file write')} (run {first.get('run', '?')})"
    return History(owed, tuple(dict.fromkeys(crash)), tuple(reboots), skipped)


@dataclass(frozen=True)
class InitramfsAge:
    image: str  # /boot/initramfs-<kver>kdump.img
    exists: bool
    newer: Tuple[str, ...] = ()  # the files kdumpctl would find modified since the image


def initramfs_age(
    image: str, image_mtime: Optional[int], mtimes: List[Tuple[str, Optional[int]]]
) -> InitramfsAge:
    """kdumpctl's comparison: whole seconds, strictly newer (``-gt``)."""
    if image_mtime is None:
        return InitramfsAge(image, False)
    newer = tuple(path for path, mtime in mtimes if mtime is not None and mtime > image_mtime)
    return InitramfsAge(image, True, newer)
