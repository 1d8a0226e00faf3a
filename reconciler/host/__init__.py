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

import errno
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Sequence, Tuple

from ..errors import HostAccessError

DEFAULT_TIMEOUT = 120.0
# A fixture host (a tree of files plus recorded command outputs) carries its
# recordings here; see docs/architecture.md "Fixture hosts".
RECORDING_FILE = ".rtkdump-recorded/commands.json"
ROOT_PLACEHOLDER = "{root}"


@dataclass(frozen=True)
class CommandResult:
    """What one command did: argv, exit code, and both streams, kept apart."""

    argv: Tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def not_found(self) -> bool:
        """The program itself is missing (exit 127, as a shell would say)."""
        return self.returncode == 127


class SubprocessRunner:
    """Runs argv lists for real, with a timeout, capturing both streams."""

    def __init__(self, env: Optional[Dict[str, str]] = None):
        self.env = env
        self.calls: List[Tuple[str, ...]] = []

    def __call__(self, argv: Sequence[str], timeout: float, stdin: Optional[str] = None) -> CommandResult:
        argv = tuple(argv)
        self.calls.append(argv)
        env = dict(os.environ if self.env is None else self.env)
        # Parsers expect the C locale's messages ("package X is not installed").
        env["LC_ALL"] = "C"
        env.pop("LANGUAGE", None)
        try:
            proc = subprocess.run(  # noqa: S603 - argv list, never a shell
                list(argv),
                input=stdin,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                env=env,
                check=False,
            )
        except FileNotFoundError:
            return CommandResult(argv, 127, "", f"{argv[0]}: command not found\n")
        except PermissionError as exc:
            return CommandResult(argv, 126, "", f"{argv[0]}: {exc.strerror}\n")
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            return CommandResult(argv, -1, out, err + f"\ntimed out after {timeout:g}s\n", timed_out=True)
        return CommandResult(argv, proc.returncode, proc.stdout, proc.stderr)


class RecordedRunner:
    """Answers commands from recorded outputs (a fixture host). Never runs anything.

    The recording is a JSON list of ``{"argv": [...], "returncode": N,
    "stdout": "...", "stderr": "..."}``; ``{root}`` in an argv element stands for
    the host root so a fixture tree can live anywhere.  A command that was not
    recorded answers like a missing program (exit 127), which the facts turn
    into "unknown" with that reason.
    """

    def __init__(self, recording: Path, root: Path):
        self.recording = recording
        self.calls: List[Tuple[str, ...]] = []
        self._answers: Dict[Tuple[str, ...], dict] = {}
        entries = json.loads(recording.read_text(encoding="utf-8"))
        for entry in entries:
            argv = tuple(a.replace(ROOT_PLACEHOLDER, str(root)) for a in entry["argv"])
            self._answers[argv] = entry

    def __call__(self, argv: Sequence[str], timeout: float, stdin: Optional[str] = None) -> CommandResult:
        argv = tuple(argv)
        self.calls.append(argv)
        entry = self._answers.get(argv)
        if entry is None:
            return CommandResult(argv, 127, "", f"{argv[0]}: not in the fixture recording {self.recording}\n")
        return CommandResult(argv, int(entry["returncode"]), entry.get("stdout", ""), entry.get("stderr", ""))


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


@dataclass
class Host:
    """A machine (or a tree standing in for one) that rtkdump reads and changes.

    ``root`` is where host paths live; ``offline`` is true when ``root`` is not
    "/" and commands must use their offline-root forms.
    """

    root: Path = field(default_factory=lambda: Path("/"))
    runner: object = None
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if self.runner is None:
            self.runner = SubprocessRunner()

    @classmethod
    def open(cls, root: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT) -> Host:
        """The host at ``root`` ("/" when None), with recorded commands if it is a fixture host."""
        root_path = Path(root or "/").resolve()
        if root is not None and not root_path.is_dir():
            raise HostAccessError(f"--root {root}: not a directory", hint="give the top of a host tree")
        recording = root_path / RECORDING_FILE
        runner = RecordedRunner(recording, root_path) if root is not None and recording.is_file() else None
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
    def read_text(self, host_path: str) -> str:
        """File contents; raises OSError (FileNotFoundError, PermissionError...) as is."""
        with open(self.path(host_path), encoding="utf-8", errors="surrogateescape", newline="") as fh:
            return fh.read()

    def exists(self, host_path: str) -> bool:
        return os.path.lexists(self.path(host_path))

    def is_dir(self, host_path: str) -> bool:
        return self.path(host_path).is_dir()

    def list_dir(self, host_path: str) -> List[str]:
        return sorted(os.listdir(self.path(host_path)))

    def stat(self, host_path: str) -> os.stat_result:
        return os.stat(self.path(host_path))

    # -- commands ------------------------------------------------------------
    def run(self, argv: Sequence[str], timeout: Optional[float] = None, stdin: Optional[str] = None) -> CommandResult:
        if isinstance(argv, str):  # a shell string would be a bug, never a feature
            raise TypeError("Host.run takes an argv list, not a string")
        return self.runner(list(argv), timeout if timeout is not None else self.timeout, stdin)

    @property
    def calls(self) -> List[Tuple[str, ...]]:
        """Every argv run so far (for tests and the journal)."""
        return getattr(self.runner, "calls", [])

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
                    "--bls-directory", str(self.path("/boot/loader/entries")),
                    "--env", str(self.path("/boot/grub2/grubenv")),
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
        """Temp file in the same directory, fsync, rename, fsync the directory.

        Owner and mode of an existing file are kept.  Readers see the old file
        or the new one, never half of either.
        """
        target = self.path(host_path)
        directory = target.parent
        st: Optional[os.stat_result]
        try:
            st = os.stat(target)
        except FileNotFoundError:
            st = None
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".rtkdump-tmp", dir=directory)
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
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        except OSError as exc:  # some file systems refuse fsync on directories
            if exc.errno not in (errno.EINVAL, errno.EBADF):
                raise
        finally:
            os.close(dir_fd)

    def write_proc(self, host_path: str, text: str) -> None:
        """Write to a kernel control file (/proc/sysrq-trigger): in place, no temp file, no rename."""
        with open(self.path(host_path), "w", encoding="ascii") as fh:
            fh.write(text)

    def append_line(self, host_path: str, line: bytes, mode: int = 0o600) -> None:
        """One write() of one line on an O_APPEND descriptor, then fsync: lines stay whole."""
        fd = os.open(self.path(host_path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def copy_file(self, src: str, dest: str) -> bool:
        """Copy a host file (data, mode, times) to another host path; False when ``src`` is absent."""
        source = self.path(src)
        if not source.exists():
            return False
        target = self.path(dest)
        os.makedirs(target.parent, mode=0o700, exist_ok=True)
        shutil.copy2(source, target)
        return True

    def open_lock_file(self, host_path: str) -> int:
        """A read-write descriptor on a lock file, created with its directory when missing."""
        path = self.path(host_path)
        os.makedirs(path.parent, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def make_dirs(self, host_path: str, mode: int = 0o755) -> None:
        os.makedirs(self.path(host_path), mode=mode, exist_ok=True)
