"""File primitives of the host seam: atomic replace, whole-line appends, and an flock lock file.

Only ``reconciler.host`` calls these; everything else goes through ``Host``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path
from typing import Callable, Optional

TEMP_SUFFIX = ".rtkdump-tmp"


def _copy_selinux_label(src: Path, dest: str) -> None:
    """Keep the file's SELinux label across the rename (no-op where there is none)."""
    try:
        label = os.getxattr(src, "security.selinux")
    except (OSError, AttributeError):
        return
    try:
        os.setxattr(dest, "security.selinux", label)
    except OSError:
        pass


def fsync_dir(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    except OSError as exc:  # some file systems refuse fsync on directories
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(dir_fd)


def write_atomic(target: Path, content: str, mode: Optional[int] = None) -> None:
    """Temp file in the same directory, fsync, rename, fsync the directory.

    Owner, mode and SELinux label of an existing file are kept.  Readers see
    the old file or the new one, never half of either.
    """
    directory = target.parent
    st: Optional[os.stat_result]
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    import tempfile  # only when a file is written (it pulls in random)

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        if st is not None:
            _copy_selinux_label(target, tmp)
            os.chmod(tmp, st.st_mode & 0o7777)
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except PermissionError:
                pass
        elif mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)


def append_line(path: Path, line: bytes, mode: int = 0o600) -> None:
    """One write() of one line on an O_APPEND descriptor, then fsync: lines stay whole."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


class LockHeld(Exception):
    """Another process holds the lock; ``holder`` is what it wrote into the file."""

    def __init__(self, holder: str):
        super().__init__(holder)
        self.holder = holder


class FileLock:
    """An exclusive flock on a file, waited for a bounded time; the holder writes who it is."""

    def __init__(self, path: Path, timeout: float, sleep: Callable[[float], None] = time.sleep):
        self.path = path
        self.timeout = timeout
        self.sleep = sleep
        self.fd: Optional[int] = None

    def __enter__(self) -> FileLock:
        os.makedirs(self.path.parent, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
                    os.close(fd)
                    raise LockHeld(holder) from None
                self.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S')}\n".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
