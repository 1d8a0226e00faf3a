"""`rtkdump status`, `history` and the node_exporter textfile, on a simulated host; promtool checks the format."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STATE = str(REPO / "states" / "default.yaml")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (shutil.which("rpm") and shutil.which("dnf")), reason="needs rpm and dnf"),
]


def sim(*args):
    return subprocess.run([sys.executable, "-m", "simhost", *map(str, args)], capture_output=True, text=True)


def rtk(host, *args):
    return sim("exec", host, "--", sys.executable, "-m", "reconciler", *args, "--root", host)


def promtool_ok(path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian package prometheus) is not installed")
    proc = subprocess.run(
        [promtool, "check", "metrics"], input=path.read_text(), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def metrics(path: Path) -> dict:
    out = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_status_history_and_metrics_from_waiting_to_converged(tmp_path):
    host, textfile = tmp_path / "host", tmp_path / "textfile"
    textfile.mkdir()
    assert sim("create", host, "--release", "9.4").returncode == 0
    assert rtk(host, "apply", STATE, "--textfile-dir", textfile).returncode == 2
    prom = textfile / "rtkdump.prom"
    promtool_ok(prom)
    waiting = metrics(prom)
    assert waiting["rtkdump_reboot_pending"] == 1 and waiting["rtkdump_converged"] == 0
    assert waiting['rtkdump_last_apply_result{result="waiting-for-reboot"}'] == 1
    status = rtk(host, "status", "--json")
    assert status.returncode == 2, status.stderr
    doc = json.loads(status.stdout)
    assert doc["reboot_pending"] and not doc["armed"] and doc["last_apply"]["result"] == "waiting-for-reboot"

    assert sim("reboot", host).returncode == 0
    assert rtk(host, "apply", STATE, "--textfile-dir", textfile).returncode == 0
    promtool_ok(prom)
    done = metrics(prom)
    assert done["rtkdump_converged"] == 1 and done["rtkdump_crash_kernel_loaded"] == 1
    assert done["rtkdump_crashkernel_reserved_bytes"] == 256 * 1024**2
    assert [p.name for p in textfile.iterdir()] == ["rtkdump.prom"]  # atomic: no temp file left
    status = rtk(host, "status", "--textfile-dir", textfile)
    assert status.returncode == 0 and "kdump armed:      yes" in status.stdout
    promtool_ok(prom)
    history = rtk(host, "history", "--json")
    runs = json.loads(history.stdout)["runs"]
    assert runs and runs[0]["result"] == "waiting-for-reboot" and runs[0]["changed"] > 0
    assert "default.yaml" in rtk(host, "history").stdout


def test_a_failed_apply_is_in_the_metrics(tmp_path):
    host, textfile = tmp_path / "host", tmp_path / "textfile"
    textfile.mkdir()
    assert sim("create", host, "--release", "9.4").returncode == 0
    (host / "etc/yum.repos.d/redhat.repo").write_text("")  # no repository: dnf cannot install anything
    assert rtk(host, "apply", STATE, "--textfile-dir", textfile).returncode == 1
    promtool_ok(textfile / "rtkdump.prom")
    assert metrics(textfile / "rtkdump.prom")['rtkdump_last_apply_result{result="failed"}'] == 1
