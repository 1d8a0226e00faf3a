"""The apply journal: append-only JSON lines of intent and history under /var/lib/rtkdump/.

The facts decide what is true after a reboot; the journal remembers what
rtkdump meant to do and did: runs, actions, barriers with the boot_id they were
reached in, reboots it asked for (the reboot-loop guard), crash tests.
Each event is one ``write()`` of one line on an O_APPEND descriptor, then
fsync: a crash leaves whole lines (a torn last line is skipped on read).
Backups of replaced files live beside it, one directory per run.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, Iterator, List, Optional

from ..errors import HostAccessError
from ..host import Host

STATE_DIR = "/var/lib/rtkdump"
JOURNAL = f"{STATE_DIR}/journal.jsonl"
BACKUPS = f"{STATE_DIR}/backups"


class Journal:
    def __init__(self, host: Host, run_id: str):
        self.host = host
        self.run_id = run_id
        self.path = host.path(JOURNAL)
        self.skipped: List[int] = []  # line numbers that are JSON but not an event object

    def append(self, event: str, **fields: Any) -> Dict[str, Any]:
        record = {"time": round(time.time(), 3), "run": self.run_id, "event": event, **fields}
        line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
        try:
            self.host.owned_dir(STATE_DIR, mode=0o700)
            self.host.append_line(JOURNAL, line)
        except OSError as exc:
            raise HostAccessError(
                f"cannot write the journal {JOURNAL}: {exc.strerror or exc}",
                hint=f"make {STATE_DIR} writable (free space, a read-write file system), then run again",
            ) from None
        return record

    def events(self) -> Iterator[Dict[str, Any]]:
        try:
            text = self.host.read_text(JOURNAL, follow=False)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise HostAccessError(
                f"cannot read the journal {JOURNAL}: {exc.strerror or exc}",
                hint=f"{JOURNAL} must be a regular file (remove it to start a new history)",
            ) from None
        skipped = []
        for number, line in enumerate(text.splitlines(), 1):
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a torn last line after a crash
            if not isinstance(record, dict):
                skipped.append(number)  # valid JSON, but not an event: history to ignore, not a crash
                continue
            yield record
        self.skipped = skipped

    def warnings(self) -> List[str]:
        """What reading the journal skipped, to say once per run."""
        list(self.events())
        if not self.skipped:
            return []
        lines = ", ".join(str(n) for n in self.skipped[:5])
        return [
            f"warning: {JOURNAL}: skipped {len(self.skipped)} line(s) that are not JSON objects ({lines})"
        ]

    def find(self, event: str, **match: Any) -> List[Dict[str, Any]]:
        return [
            e
            for e in self.events()
            if e.get("event") == event and all(e.get(k) == v for k, v in match.items())
        ]

    def last(self, event: str, **match: Any) -> Optional[Dict[str, Any]]:
        found = self.find(event, **match)
        return found[-1] if found else None


class Backups:
    """Copies of files before rtkdump replaces them: /var/lib/rtkdump/backups/<run-id>/<path>."""

    def __init__(self, host: Host, run_id: str):
        self.host = host
        self.dir = f"{BACKUPS}/{run_id}"

    def __call__(self, path: str) -> None:
        self.host.copy_file(path, self.dir + path, owned_top=STATE_DIR)


def git_commit_of(host: Host, path: str) -> Optional[str]:
    """The commit of the state file's git work tree, when it is in one (for the journal)."""
    directory = os.path.dirname(os.path.abspath(path))
    result = host.run(["git", "-C", directory, "rev-parse", "HEAD"], timeout=10)
    return result.stdout.strip() if result.ok else None
