"""Safe opens for the host seam: no symlink, no special file, no foreign owner, no hang.

Paths rtkdump owns (the lock, /var/lib/rtkdump, its journal and backups, temp
files) are opened with O_NOFOLLOW and checked with fstat on the descriptor: a
regular file (or directory), one link, owned by root when running as root, not
group/world-writable.  Host files rtkdump reads are opened O_NONBLOCK and must
be regular files, so a FIFO planted as /etc/kdump.conf answers an error at once
instead of blocking the run (and its lock) forever.

The fault hook (``RTKDUMP_FAULT=point:N[:ERRNO]``) is read only here; it is off
unless that variable is set, and lets the tests kill -9 (or fail with ENOSPC,
EIO...) at the Nth time a named point is passed.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
from typing import Dict, Optional

from ..errors import HostAccessError

_counts: Dict[str, int] = {}


def fault(point: str) -> None:
    """Pass a named fault point: kill -9 or raise OSError here when RTKDUMP_FAULT says so."""
    spec = os.environ.get("RTKDUMP_FAULT")
    if not spec:
        return
    parts = spec.split(":")
    if parts[0] != point:
        return
    _counts[spec] = _counts.get(spec, 0) + 1  # counted per setting: each test starts at 1
    if len(parts) > 1 and parts[1] and _counts[spec] != int(parts[1]):
        return
    if len(parts) > 2 and parts[2]:
        code = getattr(errno, parts[2])
        raise OSError(code, os.strerror(code))
    os.kill(os.getpid(), signal.SIGKILL)


def is_root() -> bool:
    return os.geteuid() == 0


def check_owned(st: os.stat_result, path: str, want_dir: bool) -> None:
    """Refuse an rtkdump-owned path that is not ours alone (HostAccessError naming it)."""
    kind = "directory" if want_dir else "regular file"
    ok = stat.S_ISDIR(st.st_mode) if want_dir else stat.S_ISREG(st.st_mode)
    if not ok:
        raise HostAccessError(
            f"{path} is not a {kind} ({_kind(st.st_mode)}); rtkdump will not use it",
            hint=f"remove it: rtkdump creates {path} itself",
        )
    if not want_dir and st.st_nlink > 1:
        raise HostAccessError(
            f"{path} has {st.st_nlink} hard links; rtkdump will not write through it",
            hint=f"remove {path}: rtkdump creates it itself",
        )
    if is_root() and st.st_uid != 0:
        raise HostAccessError(f"{path} is owned by uid {st.st_uid}, not root", hint=f"chown root {path}")
    if st.st_mode & 0o022:
        raise HostAccessError(
            f"{path} is writable by group or others (mode {stat.S_IMODE(st.st_mode):04o})",
            hint=f"chmod go-w {path}",
        )


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISLNK, "a symlink"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "a regular file"


def owned_dir(path: str, mode: int = 0o700) -> None:
    """Create (with exactly ``mode``, whatever the umask) or check a directory rtkdump owns."""
    try:
        os.mkdir(path, mode)
        os.chmod(path, mode)  # mkdir's mode is masked by the umask
    except FileExistsError:
        pass
    except FileNotFoundError:
        owned_dir(os.path.dirname(path), 0o755)
        return owned_dir(path, mode)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise HostAccessError(f"{path} is a symlink; rtkdump will not follow it", hint=f"remove {path}")
    check_owned(st, path, want_dir=True)


def open_owned(path: str, flags: int, mode: int = 0o600) -> int:
    """Open a file rtkdump owns: O_NOFOLLOW, O_NONBLOCK, then fstat checks on the descriptor."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise HostAccessError(
                f"{path} is a symlink; rtkdump will not follow it", hint=f"remove {path}"
            ) from None
        if exc.errno == errno.EISDIR:
            raise HostAccessError(f"{path} is a directory, not a file", hint=f"remove {path}") from None
        raise
    try:
        check_owned(os.fstat(fd), path, want_dir=False)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str, limit: Optional[int] = None, follow: bool = True) -> bytes:
    """The bytes of a regular file, opened without blocking (a FIFO is an error, not a hang)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", path)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"not a regular file ({_kind(st.st_mode)})", path)
        os.set_blocking(fd, True)
        chunks = []
        size = 0
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:
                break
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes, path: str) -> None:
    """Write every byte (short writes are retried); an error names ``path``."""
    view = memoryview(data)
    while view:
        fault("write.short")
        try:
            n = os.write(fd, view)
        except OSError as exc:
            raise OSError(exc.errno, f"{os.strerror(exc.errno or 0)} (writing {path})", path) from None
        view = view[n:]


def refuse_special(path: str, shown: str) -> Optional[os.stat_result]:
    """A managed host file must be a regular file or absent: never replaced through a symlink."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        raise HostAccessError(
            f"{shown} is {_kind(st.st_mode)}, not a regular file; rtkdump does not replace it",
            hint=f"make {shown} a plain file (or remove it) and run again",
        )
    return st


def insecure_reason(path: str, stop_at: str = "/") -> Optional[str]:
    """Why root must not trust ``path`` (sshd's StrictModes), or None.

    The file and every directory above it (up to and including ``stop_at``)
    must be owned by root and not writable by group or others; a symlink on the
    way is followed and its target checked the same way.  One difference from
    sshd: a sticky directory (/tmp, mode 1777) above a root-owned entry passes,
    because the sticky bit keeps others from renaming or removing that entry.
    """
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError as exc:
        return f"{path}: {exc.strerror}"
    chain = [real]
    here = os.path.dirname(real)
    top = os.path.realpath(stop_at)
    while True:
        chain.append(here)
        if here in (top, "/") or here == os.path.dirname(here):
            break
        here = os.path.dirname(here)
    below_is_root = False
    for item in chain:
        st = os.stat(item)
        if st.st_uid != 0:
            return f"{item} is owned by uid {st.st_uid}, not root"
        sticky_ok = stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX and below_is_root
        if st.st_mode & 0o022 and not sticky_ok:
            return f"{item} is writable by group or others (mode {stat.S_IMODE(st.st_mode):04o})"
        below_is_root = True
    return None
