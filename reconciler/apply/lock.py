"""One apply at a time: an flock on /run/rtkdump.lock (under --root when given), waited for a bounded time."""

from __future__ import annotations

import time
from typing import Callable, Optional

from ..errors import ApplyError
from ..host import Host, LockHeld
from ..host.files import FileLock

LOCK_FILE = "/run/rtkdump.lock"


class HostLock:
    def __init__(self, host: Host, timeout: float, sleep: Callable[[float], None] = time.sleep):
        self.host = host
        self.timeout = timeout
        self.sleep = sleep
        self._lock: Optional[FileLock] = None
        self.waited = False  # another apply held the lock first: what was read before may be stale

    def __enter__(self) -> HostLock:
        lock = self.host.lock(LOCK_FILE, self.timeout, self.sleep)
        try:
            lock.__enter__()
        except LockHeld as held:
            raise ApplyError(
                f"another rtkdump apply holds {LOCK_FILE} ({held.holder}); waited {self.timeout:g}s",
                hint="let it finish, or check that process; the lock is released when it exits",
            ) from None
        self._lock = lock
        self.waited = lock.waited
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.__exit__(*exc)
            self._lock = None
