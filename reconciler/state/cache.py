"""Which state texts already passed the JSON schema, so a cron run need not import jsonschema.

jsonschema (with its dependencies) is most of a converged run's own CPU time.
The key is sha256 over the state text, the schema text and the rtkdump
version: any change to one of them validates again.  Only the schema step is
skipped: YAML parsing, the semantic checks and the build run every time.

Where: ``/var/lib/rtkdump/schema-passed`` on the host rtkdump manages (under
``--root DIR`` for a tree), beside the journal, through the Host seam; one key
per line, the newest 32 kept.  Trust: the file counts only when it is a
regular file owned by the user running rtkdump with no group/other
permissions (0600 in a 0700 directory, like the journal); otherwise it is
ignored (validation runs) and not rewritten.  Only ``apply`` records, and
only once its run did not fail (``save()``: a refused run writes nothing;
it owns /var/lib/rtkdump and writes there anyway); ``plan`` only reads, so a
plan never changes a byte of the host; ``validate`` always validates.  As a
non-root user on ``/`` the directory is not writable: recording is skipped
silently and every run validates.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import List, Optional

from .. import __version__
from ..digest import sha256
from ..host import Host

STATE_DIR = "/var/lib/rtkdump"
CACHE_FILE = f"{STATE_DIR}/schema-passed"
KEEP = 32


def cache_key(text: str, schema_text: str) -> str:
    digest = sha256()
    for part in (text, "\0", schema_text, "\0", __version__):
        digest.update(part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class SchemaCache:
    def __init__(self, host: Host, record: bool = True):
        self.host = host
        self.record_allowed = record
        self._keys: Optional[List[str]] = None
        self._pending: Optional[str] = None

    @classmethod
    def under(cls, root: Optional[str], record: bool = True) -> SchemaCache:
        """The cache of the host at ``root`` ("/" when None); a missing tree just has no cache."""
        return cls(Host(root=Path(os.path.abspath(root or "/"))), record=record)

    def _load(self) -> List[str]:
        if self._keys is None:
            self._keys = []
            try:
                st = self.host.stat(CACHE_FILE)
                trusted = stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o077
                if trusted:
                    self._keys = self.host.read_text(CACHE_FILE).split()
            except OSError:
                pass
        return self._keys

    def passed(self, key: str) -> bool:
        return key in self._load()

    def record(self, key: str) -> None:
        """Remember that ``key`` passed; written by save() (when the run went well)."""
        self._pending = key

    def save(self) -> None:
        key, self._pending = self._pending, None
        keys = self._load()
        if key is None or not self.record_allowed or key in keys:
            return
        try:
            st = self.host.stat(CACHE_FILE)
            if st.st_uid != os.geteuid() or st.st_mode & 0o077:
                return  # someone else's file: never trust, never overwrite
        except FileNotFoundError:
            pass
        except OSError:
            return
        kept = (keys + [key])[-KEEP:]
        try:
            self.host.make_dirs(STATE_DIR, mode=0o700)
            self.host.write_file_atomic(CACHE_FILE, "".join(k + "\n" for k in kept), 0o600)
        except OSError:
            return  # not root, read-only: the next run validates again
        self._keys = kept
