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
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ..errors import HostAccessError
from ..facts.history import may_answer
from ..host import Host

STATE_DIR = "/var/lib/rtkdump"
JOURNAL = f"{STATE_DIR}/journal.jsonl"
BACKUPS = f"{STATE_DIR}/backups"
_TORN = object()  # a line that is not JSON (JSON null is a line that is, but not an event)


class Journal:
    def __init__(self, host: Host, run_id: str):
        self.host = host
        self.run_id = run_id
        self.path = host.path(JOURNAL)
        self.skipped: List[int] = []  # line numbers that are JSON but not an event object
        self._identity: Optional[Tuple[int, int, int]] = None
        self._lines: List[str] = []
        self._parsed: Dict[int, Any] = {}

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

    def _read_lines(self) -> List[str]:
        """The journal's lines, read again only when the file changed (its inode, size or mtime)."""
        try:
            st = self.host.stat(JOURNAL)
            identity = (st.st_ino, st.st_size, st.st_mtime_ns)
            if identity == self._identity:
                return self._lines
            text = self.host.read_text(JOURNAL, follow=False)
        except FileNotFoundError:
            self._identity, self._lines, self._parsed = None, [], {}
            return self._lines
        except OSError as exc:
            raise HostAccessError(
                f"cannot read the journal {JOURNAL}: {exc.strerror or exc}",
                hint=f"{JOURNAL} must be a regular file (remove it to start a new history)",
            ) from None
        self._identity, self._lines, self._parsed = identity, text.splitlines(), {}
        return self._lines

    def _record(self, number: int, line: str) -> Any:
        if number not in self._parsed:
            try:
                self._parsed[number] = json.loads(line)
            except ValueError:
                self._parsed[number] = _TORN  # a torn last line after a crash
        return self._parsed[number]

    def events(self, *kinds: str) -> Iterator[Dict[str, Any]]:
        """Every event object, oldest first; with ``kinds``, only those events.

        A journal grows with every run that changed something (action output
        included), and a converged cron run asks it several questions: the lines
        are read once and each is parsed at most once, only when it can answer
        (an event of one of ``kinds`` names that kind in its text).
        """
        skipped = []
        for number, line in enumerate(self._read_lines(), 1):
            if kinds and not may_answer(line, kinds):
                continue
            record = self._record(number, line)
            if record is _TORN:
                continue
            if not isinstance(record, dict):
                skipped.append(number)  # valid JSON, but not an event: history to ignore, not a crash
                continue
            if kinds and record.get("event") not in kinds:
                continue
            yield record
        if not kinds:
            self.skipped = skipped

    def warnings(self) -> List[str]:
        """What reading the journal skipped, to say once per run."""
        # only a line that is not an object can be valid JSON and still not an event
        self.skipped = [
            number
            for number, line in enumerate(self._read_lines(), 1)
            if not line.lstrip().startswith("{") and self._record(number, line) is not _TORN
        ]
        if not self.skipped:
            return []
        lines = ", ".join(str(n) for n in self.skipped[:5])
        return [
            f"warning: {JOURNAL}: skipped {len(self.skipped)} line(s) that are not JSON objects ({lines})"
        ]

    def find(self, event: str, **match: Any) -> List[Dict[str, Any]]:
        return [e for e in self.events(event) if all(e.get(k) == v for k, v in match.items())]

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
