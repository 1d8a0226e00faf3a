"""The reference benchmark (benchmarks/run.py) still runs: one round on one host, no timing asserted."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("rpm") and shutil.which("dnf") and shutil.which("createrepo_c")),
        reason="needs Debian's rpm, dnf and createrepo-c (see README)",
    ),
]


def test_benchmark_runs_every_case_and_reports_the_ratios(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            "benchmarks/run.py",
            "--rounds",
            "1",
            "--releases",
            "9.4",
            "--entries",
            "3",
            "--json",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = json.loads(out.read_text())
    assert [r["case"] for r in rows] == ["floor", "apply", "plan", "validate", "cron"]
    by = {r["case"]: r for r in rows}
    assert by["floor"]["x_floor"] == 1.0
    assert all(r["wall_ms"] > 0 and r["rss_mib"] > 0 for r in rows)
    assert "apply RSS / floor RSS" in proc.stdout
