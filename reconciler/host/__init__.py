"""THE host seam: every file read/write and every command rtkdump runs goes through here.

A ``Host`` is a root directory plus a command runner.  With ``root="/"`` it is
the machine itself; with ``--root DIR`` files live under DIR and commands take
their offline-root forms (``rpm --root``, ``dnf/yum --installroot``,
``systemctl --root``, grubby's ``--bls-directory``/``--env`` or
``--config-file``).  Tests point a Host at a fixture tree or a simulated host;
nothing else in the package touches ``open()`` on host paths or ``subprocess``.

Commands are always argv lists, never shell strings, and always have a timeout.
"""

from __future__ import annotations

import os
import time
from dataclasses import field
from pathlib import Path, PurePosixPath
from typing import Callable, List, Optional, Sequence, Tuple

from ..errors import HostAccessError
from ..records import dataclass
from . import files, safety
from .files import LockHeld, write_atomic
from .runners import (
    RECORDING_FILE,
    ROOT_PLACEHOLDER,
    CommandResult,
    RecordedRunner,
    Runner,
    StartedCommands,
    SubprocessRunner,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "RECORDING_FILE",
    "ROOT_PLACEHOLDER",
    "CommandResult",
    "Host",
    "LockHeld",
    "RecordedRunner",
    "Runner",
    "StartedCommands",
    "SubprocessRunner",
    "write_local_file",
]

DEFAULT_TIMEOUT = 120.0


def write_local_file(path: str, content: str) -> None:
    """A file rtkdump writes on the machine it runs on (``plan -o``), atomically; not a host file."""
    write_atomic(Path(path).resolve(), content, 0o644)


@dataclass
class Host:
    """A machine (or a tree standing in for one) that rtkdump reads and changes.

    ``root`` is where host paths live; ``offline`` is true when ``root`` is not
    "/" and commands must use their offline-root forms.
    """

    root: Path = field(default_factory=lambda: Path("/"))
    runner: Runner = field(default_factory=SubprocessRunner)
    timeout: float = DEFAULT_TIMEOUT
    # --insecure-state-ok: StrictModes findings are warnings instead of errors
    insecure_ok: bool = False

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    @classmethod
    def open(cls, root: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT) -> Host:
        """The host at ``root`` ("/" when None), with recorded commands if it is a fixture host."""
        root_path = Path(root or "/").resolve()
        if root is not None and not root_path.is_dir():
            raise HostAccessError(f"--root {root}: not a directory", hint="give the top of a host tree")
        recording = root_path / RECORDING_FILE
        runner: Runner
        if root is not None and recording.is_file():
            runner = RecordedRunner(recording, root_path)
        else:
            runner = SubprocessRunner()
        return cls(root=root_path, runner=runner, timeout=timeout)

    # -- paths ---------------------------------------------------------------
    @property
    def offline(self) -> bool:
        return str(self.root) != "/"

    def path(self, host_path: str) -> Path:
        """Where an absolute host path (e.g. ``/etc/kdump.conf``) lives on this machine."""
        rel = PurePosixPath(host_path)
        if not rel.is_absolute():
            raise ValueError(f"host paths are absolute: {host_path!r}")
        return self.root.joinpath(*rel.parts[1:])

    def describe(self) -> str:
        if isinstance(self.runner, RecordedRunner):
            return f"{self.root} (fixture host, recorded command outputs)"
        return str(self.root)

    # -- reads ---------------------------------------------------------------
    def read_text(self, host_path: str, follow: bool = True) -> str:
        """File contents; raises OSError (FileNotFoundError, PermissionError...) as is.

        Opened O_NONBLOCK and checked to be a regular file (a FIFO or a device is
        an OSError at once, never a hang); ``follow=False`` refuses a symlink
        (ELOOP), for the files rtkdump manages.
        """
        data = safety.read_regular(str(self.path(host_path)), follow=follow)
        return data.decode("utf-8", "surrogateescape")

    @staticmethod
    def is_root() -> bool:
        """Whether rtkdump runs as root (the seam tests fake to check the non-root refusals)."""
        return safety.is_root()

    def untrusted(self, host_path: str) -> Optional[str]:
        """Why root must not run or read this host file (StrictModes), None when fine or absent."""
        local = self.path(host_path)
        if not os.path.lexists(local):
            return None
        return safety.insecure_reason(str(local), stop_at=str(self.root))

    def fault(self, point: str) -> None:
        """A fault-injection point (off unless RTKDUMP_FAULT names it; see host/safety.py)."""
        safety.fault(point)

    def read_head(self, host_path: str, limit: int) -> bytes:
        """The first ``limit`` bytes of a file (to tell a script from a binary without reading it all)."""
        with open(self.path(host_path), "rb") as fh:
            return fh.read(limit)

    def exists(self, host_path: str) -> bool:
        return os.path.lexists(self.path(host_path))

    def is_executable(self, host_path: str) -> bool:
        """What bash's ``[[ -x PATH ]]`` says: a file with an execute bit (for root: any)."""
        try:
            mode = os.stat(self.path(host_path)).st_mode
        except OSError:
            return False
        return bool(mode & 0o111)

    def is_dir(self, host_path: str) -> bool:
        return self.path(host_path).is_dir()

    def list_dir(self, host_path: str) -> List[str]:
        return sorted(os.listdir(self.path(host_path)))

    def stat(self, host_path: str) -> os.stat_result:
        return os.stat(self.path(host_path))

    # -- commands ------------------------------------------------------------
    def run(
        self, argv: Sequence[str], timeout: Optional[float] = None, stdin: Optional[str] = None
    ) -> CommandResult:
        if isinstance(argv, str):  # a shell string would be a bug, never a feature
            raise TypeError("Host.run takes an argv list, not a string")
        return self.runner(list(argv), timeout if timeout is not None else self.timeout, stdin)

    def run_many(
        self, argvs: Sequence[Sequence[str]], timeout: Optional[float] = None
    ) -> List[CommandResult]:
        """Independent commands started together and collected (results in argv order)."""
        for argv in argvs:
            if isinstance(argv, str):
                raise TypeError("Host.run_many takes argv lists, not strings")
        limit = timeout if timeout is not None else self.timeout
        many = getattr(self.runner, "run_many", None)
        if many is None:  # a runner without it (a test's): one after another
            return [self.runner(list(argv), limit, None) for argv in argvs]
        return list(many([list(a) for a in argvs], limit))

    def start_many(self, argvs: Sequence[Sequence[str]], timeout: Optional[float] = None) -> StartedCommands:
        """Independent commands started now; ``.results()`` collects them later (argv order).

        The caller reads files meanwhile.  A runner without ``start_many`` (a test's)
        runs them here, through run_many.
        """
        for argv in argvs:
            if isinstance(argv, str):
                raise TypeError("Host.start_many takes argv lists, not strings")
        start = getattr(self.runner, "start_many", None)
        if start is None:
            done = self.run_many(argvs, timeout)
            return StartedCommands(lambda: done)
        limit = timeout if timeout is not None else self.timeout
        return start([list(a) for a in argvs], limit)

    @property
    def calls(self) -> List[Tuple[str, ...]]:
        """Every argv run so far (for tests and the journal)."""
        return self.runner.calls

    # -- offline-root command forms -----------------------------------------
    def rpm(self, *args: str) -> List[str]:
        argv = ["rpm"]
        if self.offline:
            argv += ["--root", str(self.root)]
        return argv + list(args)

    def package_manager(self, manager: str, *args: str) -> List[str]:
        """``yum``/``dnf`` never wait forever on the lock: exit_on_lock, and we retry."""
        argv = [manager, "-y", "--setopt=exit_on_lock=True"]
        if self.offline:
            argv += ["--installroot", str(self.root)]
        return argv + list(args)

    def systemctl(self, *args: str) -> List[str]:
        argv = ["systemctl"]
        if self.offline:
            argv += ["--root", str(self.root)]
        return argv + list(args)

    def grubby(self, bls: bool, *args: str) -> List[str]:
        argv = ["grubby"]
        if self.offline:
            if bls:
                argv += [
                    "--bls-directory",
                    str(self.path("/boot/loader/entries")),
                    "--env",
                    str(self.path("/boot/grub2/grubenv")),
                ]
            else:
                argv += ["--config-file", str(self.path(self.grub_cfg()))]
        return argv + list(args)

    def grub_cfg(self) -> str:
        """RHEL 7's grub2 config: BIOS path, or the UEFI one when only that exists."""
        bios, uefi = "/boot/grub2/grub.cfg", "/boot/efi/EFI/redhat/grub.cfg"
        if not self.exists(bios) and self.exists(uefi):
            return uefi
        return bios

    # -- writes (used only by apply) ----------------------------------------
    def write_file_atomic(self, host_path: str, content: str, mode: Optional[int] = None) -> None:
        """Replace a host file atomically (temp file, fsync, rename), keeping owner, mode and label."""
        files.write_atomic(self.path(host_path), content, mode, shown=host_path)

    def clean_stale_temps(self, host_paths: Sequence[str]) -> List[str]:
        """Remove temp files a killed write left beside these managed files (rtkdump's own pattern)."""
        removed: List[str] = []
        for host_path in host_paths:
            removed += files.clean_stale_temps(self.path(host_path))
        return removed

    def write_proc(self, host_path: str, text: str) -> None:
        """Write to a kernel control file (/proc/sysrq-trigger): in place, no temp file, no rename."""
        fd = os.open(self.path(host_path), os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, text.encode("ascii"))
        finally:
            os.close(fd)

    def append_line(self, host_path: str, line: bytes, mode: int = 0o600) -> None:
        """Append one whole line (one write on O_APPEND, then fsync)."""
        files.append_line(self.path(host_path), line, mode)

    def copy_file(self, src: str, dest: str, owned_top: str = "") -> bool:
        """Back up a host file (data and times, mode 0600) to a new host path; False when absent.

        The source is never followed through a symlink (write_atomic refuses those
        anyway); the directories from ``owned_top`` down are rtkdump's own (0700,
        checked), and the copy is a new file (O_EXCL, O_NOFOLLOW).
        """
        source = self.path(src)
        try:
            st = os.lstat(source)
        except FileNotFoundError:
            return False
        safety.refuse_special(str(source), src)
        data = safety.read_regular(str(source), follow=False)
        target = self.path(dest)
        top = self.path(owned_top) if owned_top else target.parent
        parts = target.parent.relative_to(top).parts if top != target.parent else ()
        safety.owned_dir(str(top), 0o700)
        here = top
        for part in parts:
            here = here / part
            safety.owned_dir(str(here), 0o700)
        files.copy_private(source, target, data, st)
        return True

    def remove_file(self, host_path: str) -> None:
        """Remove a file (a symlink itself, never what it points to); FileNotFoundError when absent."""
        os.unlink(self.path(host_path))

    def lock(
        self, host_path: str, timeout: float, sleep: Callable[[float], None] = time.sleep
    ) -> files.FileLock:
        """An exclusive lock on a host file, waited for at most ``timeout`` seconds (raises LockHeld)."""
        return files.FileLock(self.path(host_path), timeout, sleep)

    def make_dirs(self, host_path: str, mode: int = 0o755) -> None:
        """Create a directory and its missing parents with exactly ``mode`` (whatever the umask)."""
        target = self.path(host_path)
        missing = []
        here = target
        while not os.path.lexists(here) and here != here.parent:
            missing.append(here)
            here = here.parent
        for directory in reversed(missing):
            os.mkdir(directory, mode)
            os.chmod(directory, mode)
        if os.path.islink(target) or not target.is_dir():
            raise HostAccessError(f"{host_path} exists and is not a directory", hint=f"remove {host_path}")

    def owned_dir(self, host_path: str, mode: int = 0o700) -> None:
        """A directory rtkdump owns (/var/lib/rtkdump): created with ``mode``, never a symlink, checked."""
        safety.owned_dir(str(self.path(host_path)), mode)
