"""The simulated host tree: paths, metadata and small file helpers.

A host is a directory DIR laid out like a RHEL root file system.  The
simulator's own bookkeeping lives in DIR/.simhost (host.json, the stand-in
bin dir, the HOME that carries the rpm macros) and the volatile state in
DIR/run/simhost (cleared at every boot, like a tmpfs).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from . import releases
from .releases import Release

META_DIR = ".simhost"
RUN_DIR = "run/simhost"


class HostError(Exception):
    pass


class Host:
    def __init__(self, root: Union[str, os.PathLike[str]]):
        self.root = Path(root).resolve()
        self._meta: Optional[Dict[str, Any]] = None

    # -- metadata -----------------------------------------------------------
    @property
    def meta_path(self) -> Path:
        return self.root / META_DIR / "host.json"

    @property
    def meta(self) -> Dict[str, Any]:
        if self._meta is None:
            try:
                self._meta = json.loads(self.meta_path.read_text())
            except FileNotFoundError:
                raise HostError(f"{self.root} is not a simulated host (no {META_DIR}/host.json)") from None
        return self._meta

    def save_meta(self) -> None:
        write_atomic(self.meta_path, json.dumps(self.meta, indent=1, sort_keys=True) + "\n")

    @property
    def release(self) -> Release:
        return releases.get(self.meta["release"])

    @property
    def ram(self) -> int:
        return int(self.meta["ram_bytes"])

    @property
    def machine_id(self) -> str:
        return self.meta["machine_id"]

    # -- paths --------------------------------------------------------------
    def path(self, host_path: str) -> Path:
        """DIR + an absolute host path (never escapes DIR through '..')."""
        parts = [p for p in Path("/" + host_path.lstrip("/")).parts[1:] if p not in ("", ".")]
        if ".." in parts:
            raise HostError(f"path {host_path!r} leaves the host tree")
        return self.root.joinpath(*parts)

    def read(self, host_path: str, default: Optional[str] = None) -> Optional[str]:
        try:
            return self.path(host_path).read_text(errors="surrogateescape")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return default

    def write(self, host_path: str, content: str, mode: Optional[int] = None) -> None:
        write_atomic(self.path(host_path), content, mode)

    def exists(self, host_path: str) -> bool:
        return os.path.lexists(self.path(host_path))

    @property
    def bin_dir(self) -> Path:
        return self.root / META_DIR / "bin"

    @property
    def home_dir(self) -> Path:
        return self.root / META_DIR / "home"

    @property
    def run_dir(self) -> Path:
        return self.root / RUN_DIR

    # -- frequently read kernel state ----------------------------------------
    def cmdline(self) -> str:
        return (self.read("/proc/cmdline") or "").strip()

    def cmdline_args(self) -> List[str]:
        return self.cmdline().split()

    def uname_r(self) -> str:
        return (self.read("/proc/sys/kernel/osrelease") or "").strip()

    def crash_size(self) -> int:
        try:
            return int((self.read("/sys/kernel/kexec_crash_size") or "0").strip() or 0)
        except ValueError:
            return 0

    def crash_loaded(self) -> bool:
        return (self.read("/sys/kernel/kexec_crash_loaded") or "0").strip() == "1"

    def set_crash_loaded(self, loaded: bool) -> None:
        self.write("/sys/kernel/kexec_crash_loaded", "1\n" if loaded else "0\n")

    def log_boot(self, line: str) -> None:
        p = self.path("/var/log/simhost-boot.log")
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "a") as fh:
            fh.write(line.rstrip("\n") + "\n")


def write_atomic(path: Path, content: str, mode: Optional[int] = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    old_mode = None
    try:
        old_mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".simhost-tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
            fh.write(content)
        if mode is not None:
            os.chmod(tmp, mode)
        elif old_mode is not None:
            os.chmod(tmp, old_mode)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def find_root(explicit: Optional[str] = None) -> Path:
    """DIR from an explicit argument, else $SIMHOST_ROOT."""
    if explicit:
        return Path(explicit).resolve()
    env = os.environ.get("SIMHOST_ROOT")
    if env:
        return Path(env).resolve()
    raise HostError("no simulated host: pass the root explicitly or set SIMHOST_ROOT")


def root_from_subpath(path: str, suffixes: List[str]) -> Optional[Path]:
    """DIR from a path like DIR/boot/loader/entries (first suffix that matches)."""
    p = Path(path).resolve() if os.path.exists(path) else Path(os.path.abspath(path))
    s = str(p)
    for suf in suffixes:
        if s.endswith(suf):
            cand = Path(s[: -len(suf)] or "/")
            if (cand / META_DIR / "host.json").is_file():
                return cand
    # walk up until a host.json shows up
    for parent in [p] + list(p.parents):
        if (parent / META_DIR / "host.json").is_file():
            return parent
    return None


# -- grubenv (grub2-editenv format: 1024-byte block padded with '#') ---------------

GRUBENV_HEADER = "# GRUB Environment Block\n"


def read_grubenv(path: Path) -> Dict[str, str]:
    env: Dict[str, str] = {}
    try:
        text = Path(path).read_text(errors="surrogateescape")
    except FileNotFoundError:
        return env
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        if "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    return env


def write_grubenv(path: Path, env: Dict[str, str]) -> None:
    body = GRUBENV_HEADER + "".join(f"{k}={v}\n" for k, v in env.items())
    if len(body) < 1024:
        body += "#" * (1024 - len(body))
    write_atomic(Path(path), body)


def version_sort_desc(names: List[str]) -> List[str]:
    """`sort -V -r` with GNU coreutils (the order grubby-bls uses)."""
    import subprocess

    if not names:
        return []
    try:
        out = subprocess.run(
            ["sort", "-V", "-r"], input="\n".join(names) + "\n", stdout=subprocess.PIPE, text=True, check=True
        ).stdout
        return [n for n in out.split("\n") if n]
    except (OSError, subprocess.CalledProcessError):  # pragma: no cover - coreutils is everywhere
        return sorted(names, reverse=True)


def installed_command(name: str, err) -> Tuple[Optional[Host], int]:
    """The host a packaged stand-in (kdumpctl, rt-setup-kdump) runs on, or the exit code to return.

    Like bash on a real host: exit 127 when the package that ships the command is not installed.
    """
    try:
        host = Host(find_root(None))
        host.release  # noqa: B018 - fails early on a tree that is not a simulated host
    except HostError as exc:
        err.write(f"{name} (rtkdump-simhost): {exc}\n")
        return None, 1
    if not host.exists(f"/usr/bin/{name}"):
        err.write(f"bash: {name}: command not found\n")
        return None, 127
    return host, 0
