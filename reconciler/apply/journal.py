"""The apply journal: append-only JSON lines of intent and history under /var/lib/rtkdump/.

The facts decide what is true after a reboot; the journal remembers what
rtkdump meant to do and did: runs, actions, barriers with the boot_id they were
reached in, reboots it asked for (the reboot-loop guard), crash tests.
Each event is one ``write()`` of one line on an O_APPEND descriptor, then
fsync: a crash leaves whole lines (a torn last line is skipped on read).
"""

from __future__ import annotations

import json
import time
from typing import Dict, Iterator, List, Optional

from ..host import Host

STATE_DIR = "/var/lib/rtkdump"
JOURNAL = f"{STATE_DIR}/journal.jsonl"
BACKUPS = f"{STATE_DIR}/backups"


class Journal:
    def __init__(self, host: Host, run_id: str):
        self.host = host
        self.run_id = run_id
        self.path = host.path(JOURNAL)

    def append(self, event: str, **fields) -> Dict:
        record = {"time": round(time.time(), 3), "run": self.run_id, "event": event, **fields}
        line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
        self.host.make_dirs(STATE_DIR, mode=0o700)
        self.host.append_line(JOURNAL, line)
        return record

    def events(self) -> Iterator[Dict]:
        try:
            text = self.host.read_text(JOURNAL)
        except FileNotFoundError:
            return
        for line in text.splitlines():
            try:
                yield json.loads(line)
            except ValueError:
                continue  # a torn last line after a crash

    def find(self, event: str, **match) -> List[Dict]:
        return [e for e in self.events() if e.get("event") == event
                and all(e.get(k) == v for k, v in match.items())]

    def last(self, event: str, **match) -> Optional[Dict]:
        found = self.find(event, **match)
        return found[-1] if found else None
