"""What the unit's file-system sandbox breaks: ProtectSystem=strict + ReadWritePaths= (+ the
writable API and private tmp directories) reproduced with a private mount namespace around a
simulated host root, then a real `rtkdump apply --root` (dnf, rpm, grubby, systemctl stand-ins)
inside it, across the reboot barrier. systemd cannot run here (no PID 1 systemd), so this is
the closest check that the path list lets every write through that apply and its children make."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import List

import pytest

from .conftest import CONTRIB, REPO, bindir, needs_simhost_tools, run, simhost_create, tool_env


def unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    proc = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return proc.returncode == 0


pytestmark = [
    pytest.mark.slow,
    needs_simhost_tools,
    pytest.mark.skipif(not unshare_works(), reason="needs unshare -m (CAP_SYS_ADMIN)"),
]


def writable_paths(unit: str) -> List[str]:
    paths = []
    for line in (CONTRIB / "systemd" / unit).read_text().splitlines():
        if line.startswith("ReadWritePaths="):
            paths += line.split("=", 1)[1].split()
    return paths


# Writable whatever the unit says: /proc, /sys and /dev stay writable under ProtectSystem=strict
# (API file systems), /tmp and /var/tmp are the service's own (PrivateTmp=yes), and /.simhost is
# the simulator's own bookkeeping, not part of the host.
ALWAYS = ["proc", "sys", "dev", "tmp", "var/tmp", ".simhost"]


def sandboxed(
    root: Path, argv: List[str], unit: str = "rtkdump-apply.service"
) -> subprocess.CompletedProcess:
    binds = []
    for path in writable_paths(unit):
        optional = path.startswith("-")
        rel = path.lstrip("-").lstrip("/")
        if not (root / rel).exists():
            if optional:
                continue  # systemd: a "-" path that does not exist is ignored
            raise AssertionError(
                f"{path} does not exist in the host tree; systemd would refuse to start the unit"
            )
        binds.append(rel)
    binds += [p for p in ALWAYS if (root / p).exists()]
    script = [f"mount --bind {shlex.quote(str(root))} {shlex.quote(str(root))}"]
    script += [f"mount --bind {shlex.quote(str(root / rel))} {shlex.quote(str(root / rel))}" for rel in binds]
    script += [f"mount -o remount,bind,ro {shlex.quote(str(root))}"]
    script += ["exec " + " ".join(shlex.quote(a) for a in argv)]
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", " && ".join(script)],
        capture_output=True,
        text=True,
        env=tool_env(),
        timeout=600,
    )


def test_the_sandbox_is_real(tmp_path):
    root = simhost_create(tmp_path / "h")
    proc = sandboxed(root, ["sh", "-c", f"touch {root}/srv-probe; touch {root}/etc/probe"])
    assert "Read-only file system" in proc.stderr and f"{root}/srv-probe" in proc.stderr
    assert (root / "etc/probe").exists()


def test_apply_converges_inside_the_units_sandbox(tmp_path):
    root = simhost_create(tmp_path / "h")
    simhost = str(bindir() / "rtkdump-simhost")
    rtkdump = str(bindir() / "rtkdump")
    state = str(REPO / "states/default.yaml")
    first = sandboxed(root, [simhost, "exec", str(root), "--", rtkdump, "apply", state, "--root", str(root)])
    assert first.returncode == 2, first.stderr  # installed, edited, enabled: waits for the reboot
    run([simhost, "reboot", str(root)])  # the reboot is not part of the service
    second = sandboxed(root, [simhost, "exec", str(root), "--", rtkdump, "apply", state, "--root", str(root)])
    assert second.returncode == 0, second.stderr
    assert (root / "sys/kernel/kexec_crash_loaded").read_text().strip() == "1"


def test_firstboot_unit_has_the_same_paths():
    assert writable_paths("rtkdump-firstboot.service") == writable_paths("rtkdump-apply.service")


def test_a_dump_path_outside_the_writable_paths_fails_with_a_clear_error(tmp_path):
    """The known limit in docs/deploy.md: dump.path under /srv needs a drop-in."""
    root = simhost_create(tmp_path / "h")
    state = tmp_path / "srv-crash.yaml"
    state.write_text(
        (REPO / "states/default.yaml").read_text().replace("path: /var/crash", "path: /srv/crash")
    )
    proc = sandboxed(
        root,
        [
            str(bindir() / "rtkdump-simhost"),
            "exec",
            str(root),
            "--",
            str(bindir() / "rtkdump"),
            "apply",
            str(state),
            "--root",
            str(root),
        ],
    )
    assert proc.returncode == 1
    assert "/srv/crash" in proc.stderr and "Read-only file system" in proc.stderr, proc.stderr
