"""Helpers for the contrib/ tests: the repository root, the tools on PATH, simulated hosts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTRIB = REPO / "contrib"
# ansible-core and pre-commit live in their own virtualenv (their dependencies must not mix with
# the project's); contrib/ci-checks.sh creates it.
TOOLS_VENV = Path(os.environ.get("RTKDUMP_TOOLS_VENV", Path.home() / ".cache/rtkdump-tools-venv"))


def have(*tools: str) -> bool:
    return all(shutil.which(t) for t in tools)


def bindir() -> Path:
    """The bin directory of the Python running the tests (rtkdump and rtkdump-simhost live there)."""
    return Path(sys.executable).parent


def tool_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{bindir()}{os.pathsep}{env.get('PATH', '')}"
    env.pop("NO_COLOR", None)
    if extra:
        env.update(extra)
    return env


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    env: Optional[Dict[str, str]] = None,
    cwd: Optional[Path] = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        list(argv), capture_output=True, text=True, env=env or tool_env(), cwd=cwd, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{argv!r} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


def simhost_create(root: Path, release: str = "9.4") -> Path:
    run([str(bindir() / "rtkdump-simhost"), "create", str(root), "--release", release, "--force", "-q"])
    return root


def simhost_exec(root: Path, argv: List[str], **kw) -> subprocess.CompletedProcess:
    return run([str(bindir() / "rtkdump-simhost"), "exec", str(root), "--", *argv], **kw)


def rtkdump_has(subcommand_or_option: List[str]) -> bool:
    """Whether the installed rtkdump accepts this (e.g. ["status", "--help"]): features the
    reconciler side adds later are detected at run time, not assumed."""
    proc = subprocess.run(
        [str(bindir() / "rtkdump"), *subcommand_or_option], capture_output=True, text=True, env=tool_env()
    )
    return proc.returncode == 0


needs_simhost_tools = pytest.mark.skipif(
    not have("rpm", "dnf", "createrepo_c"), reason="rpm, dnf and createrepo_c are needed for a simulated host"
)
