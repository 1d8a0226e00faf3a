"""State texts that already passed, and what they parsed to, so a cron run imports neither
jsonschema nor PyYAML.

jsonschema (with its dependencies) was most of a converged run's own CPU time
and PyYAML (with libyaml and datetime) about 2 MiB of its peak memory.  The
key is sha256 over the state text, the schema text and the rtkdump version:
any change to one of them parses and validates again.  What is kept per key is
the parse (``Doc.to_plain``: the plain data and the position of every field,
so errors found later still name file:line:column).  On a hit the YAML parse
and the JSON schema are skipped; the version check, the semantic checks and
the build run every time, on the kept parse.

Where: ``/var/lib/rtkdump/state-passed.json`` on the host rtkdump manages
(under ``--root DIR`` for a tree), beside the journal, through the Host seam;
the newest 8 texts kept.  Trust: the file counts only when it is a regular
file owned by the user running rtkdump with no group/other permissions (0600
in a 0700 directory, like the journal); otherwise it is ignored (parse and
validation run) and not rewritten.  A file that is not what this module wrote
(bad JSON, wrong shape) is a miss, never an error.  Only ``apply`` records,
and only once its run did not fail (``save()``: a refused run writes nothing;
it owns /var/lib/rtkdump and writes there anyway); ``plan`` only reads, so a
plan never changes a byte of the host; ``validate`` always parses and
validates.  As a non-root user on ``/`` the directory is not writable:
recording is skipped silently and every run validates.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Dict, List, Optional

from .. import __version__
from ..digest import sha256
from ..host import Host
from .doc import Doc

STATE_DIR = "/var/lib/rtkdump"
CACHE_FILE = f"{STATE_DIR}/state-passed.json"
# rtkdump 0.x before the parse was kept: keys only.  Removed when the new file is written.
LEGACY_CACHE_FILE = f"{STATE_DIR}/schema-passed"
KEEP = 8
# A parse larger than this is not kept (the state file itself may be up to 1 MiB).
MAX_ENTRY_BYTES = 256 * 1024
FORMAT = 1


def cache_key(text: str, schema_text: str) -> str:
    digest = sha256()
    for part in (text, "\0", schema_text, "\0", __version__):
        digest.update(part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class StateCache:
    def __init__(self, host: Host, record: bool = True):
        self.host = host
        self.record_allowed = record
        self._entries: Optional[List[Dict[str, Any]]] = None
        self._pending: Optional[Dict[str, Any]] = None
        self._hit: Optional[str] = None  # the key whose kept parse was used

    @classmethod
    def under(cls, root: Optional[str], record: bool = True) -> StateCache:
        """The cache of the host at ``root`` ("/" when None); a missing tree just has no cache."""
        return cls(Host(root=Path(os.path.abspath(root or "/"))), record=record)

    def _trusted(self, st: os.stat_result) -> bool:
        return stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o077

    def _load(self) -> List[Dict[str, Any]]:
        if self._entries is None:
            self._entries = []
            try:
                if self._trusted(self.host.stat(CACHE_FILE)):
                    kept = json.loads(self.host.read_text(CACHE_FILE))
                    if kept.get("format") == FORMAT and isinstance(kept.get("entries"), list):
                        self._entries = [e for e in kept["entries"] if isinstance(e, dict)]
            except (OSError, ValueError, AttributeError):
                pass  # missing, unreadable or not ours: parse and validate
        return self._entries

    def lookup(self, key: str, source: str) -> Optional[Doc]:
        """The kept parse of the text with ``key`` (``source`` names the file in errors), or None."""
        for entry in self._load():
            if entry.get("key") == key:
                try:
                    doc = Doc.from_plain(source, entry["doc"])
                except (KeyError, TypeError, ValueError):
                    return None  # replaced by the next save()
                self._hit = key
                return doc
        return None

    def record(self, key: str, doc: Doc) -> None:
        """Remember that the text with ``key`` passed as ``doc``; written by save() (when the run went well)."""
        plain = doc.to_plain()
        self._pending = None if plain is None else {"key": key, "doc": plain}

    def save(self) -> None:
        entry, self._pending = self._pending, None
        entries = self._load()
        if entry is None or not self.record_allowed or entry["key"] == self._hit:
            return  # nothing new: a converged run writes nothing
        if len(json.dumps(entry)) > MAX_ENTRY_BYTES:
            return
        try:
            st = self.host.stat(CACHE_FILE)
            if st.st_uid != os.geteuid() or st.st_mode & 0o077:
                return  # someone else's file: never trust, never overwrite
        except FileNotFoundError:
            pass
        except OSError:
            return
        kept = ([e for e in entries if e.get("key") != entry["key"]] + [entry])[-KEEP:]
        text = json.dumps({"format": FORMAT, "rtkdump": __version__, "entries": kept})
        try:
            self.host.make_dirs(STATE_DIR, mode=0o700)
            self.host.write_file_atomic(CACHE_FILE, text + "\n", 0o600)
        except OSError:
            return  # not root, read-only: the next run parses and validates again
        self._entries = kept
        self._remove_legacy()

    def _remove_legacy(self) -> None:
        try:
            if self._trusted(self.host.stat(LEGACY_CACHE_FILE)):
                self.host.remove_file(LEGACY_CACHE_FILE)
        except OSError:
            pass
