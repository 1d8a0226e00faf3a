"""Helpers shared by the simhost tests (imported by conftest and the test modules)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "simhost"
RELEASES = ["7.9", "8.10", "9.2", "9.4", "10.0", "10.1"]
TOOLS_OK = bool(
    shutil.which("rpm")
    and shutil.which("rpmbuild")
    and shutil.which("dnf")
    and shutil.which("createrepo_c")
    and os.path.exists("/usr/bin/systemctl")
)
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def run_simhost(
    *args, check: bool = True, input: str = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("SIMHOST_ROOT", None)
    proc = subprocess.run(
        [sys.executable, "-m", "simhost", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        input=input,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"simhost {args} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def hx(root: Path, *cmd, input: str = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """rtkdump-simhost exec ROOT -- CMD..."""
    return run_simhost("exec", root, "--", *cmd, check=False, input=input, timeout=timeout)


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()
