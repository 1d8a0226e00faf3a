"""File primitives of the host seam: atomic replace, whole-line appends, and an flock lock file.

Only ``reconciler.host`` calls these; everything else goes through ``Host``.
Every open here is O_NOFOLLOW (or refuses a symlinked target first) and checks
the descriptor with fstat: see ``safety.py``.
"""

from __future__ import annotations

import errno
import fcntl
import fnmatch
import os
import stat
import time
from pathlib import Path
from typing import Callable, List, Optional

from ..errors import HostAccessError
from .safety import fault, open_owned, refuse_special, write_all

TEMP_SUFFIX = ".rtkdump-tmp"


def temp_pattern(name: str) -> str:
    """The names write_atomic gives its temp files for ``name`` (mkstemp: .NAME.XXXXXXXX.rtkdump-tmp)."""
    return f".{name}.*{TEMP_SUFFIX}"


def _copy_selinux_label(src: Path, dest: str) -> None:
    """Keep the file's SELinux label across the rename (no-op where there is none)."""
    try:
        label = os.getxattr(src, "security.selinux", follow_symlinks=False)
    except (OSError, AttributeError):
        return
    try:
        os.setxattr(dest, "security.selinux", label, follow_symlinks=False)
    except OSError:
        pass


def fsync_dir(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    except OSError as exc:  # some file systems refuse fsync on directories
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(dir_fd)


def clean_stale_temps(target: Path) -> List[str]:
    """Remove temp files of our own pattern for ``target`` left by a killed write (regular files only)."""
    removed: List[str] = []
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    for name in names:
        if not fnmatch.fnmatchcase(name, temp_pattern(target.name)):
            continue
        path = target.parent / name
        try:
            if stat.S_ISREG(os.lstat(path).st_mode):
                os.unlink(path)
                removed.append(str(path))
        except OSError:
            continue
    return removed


def write_atomic(target: Path, content: str, mode: Optional[int] = None, shown: str = "") -> None:
    """Temp file in the same directory, fsync, rename, fsync the directory.

    Owner, mode and SELinux label of an existing file are kept.  Readers see
    the old file or the new one, never half of either.  A target that is a
    symlink or not a regular file is refused (HostAccessError), never replaced.
    """
    shown = shown or str(target)
    directory = target.parent
    st = refuse_special(str(target), shown)
    clean_stale_temps(target)
    data = content.encode("utf-8", "surrogateescape")
    import tempfile  # only when a file is written (it pulls in random)

    # mkstemp: O_CREAT|O_EXCL (never follows a planted name), mode 0600
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=directory)
    try:
        try:
            fault("write.temp")
            write_all(fd, data[: len(data) // 2], tmp)
            fault("write.half")
            write_all(fd, data[len(data) // 2 :], tmp)
            os.fsync(fd)
        finally:
            os.close(fd)
        if st is not None:
            _copy_selinux_label(target, tmp)
            os.chmod(tmp, st.st_mode & 0o7777)
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except PermissionError:
                pass
        elif mode is not None:
            os.chmod(tmp, mode)
        fault("write.rename")
        os.replace(tmp, target)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    fault("write.renamed")
    fsync_dir(directory)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def append_line(path: Path, line: bytes, mode: int = 0o600) -> None:
    """Append one whole line on an O_APPEND descriptor, then fsync: lines stay whole.

    A short write is continued; when the write fails (ENOSPC, EIO) the file is
    truncated back to its old size, so no torn line is left behind.
    """
    fd = open_owned(str(path), os.O_RDWR | os.O_APPEND | os.O_CREAT, mode)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            # a line torn by a kill: end it, so this line is not glued to it (and lost with it)
            line = b"\n" + line
        try:
            fault("append")
            write_all(fd, line[: len(line) // 2], str(path))
            fault("append.half")
            write_all(fd, line[len(line) // 2 :], str(path))
            os.fsync(fd)
        except OSError as exc:
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass
            raise HostAccessError(
                f"cannot append to {path}: {exc.strerror or exc} (nothing half-written is left)",
                hint=f"free space on the file system of {path.parent}, then run again",
            ) from None
    finally:
        os.close(fd)


def copy_private(source: Path, target: Path, data: bytes, st: os.stat_result) -> None:
    """Write a backup copy: a new file (O_EXCL, O_NOFOLLOW, 0600), the source's times kept."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        write_all(fd, data, str(target))
        os.fsync(fd)
        os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
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
        self.waited = False  # another process held it when we came

    def __enter__(self) -> FileLock:
        os.makedirs(self.path.parent, mode=0o755, exist_ok=True)
        # O_NOFOLLOW + fstat: a symlink planted at the lock path is refused, never truncated
        fd = open_owned(str(self.path), os.O_RDWR | os.O_CREAT, 0o600)
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
                self.waited = True
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
