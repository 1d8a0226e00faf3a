#!/usr/bin/env python3
"""Timings as ratios against a baseline measured in the same run (these machines are noisy).

Baseline: starting a bare Python interpreter (`python3 -c pass`). Each case is
timed N times; the median is printed in seconds and as a multiple of the
baseline's median, so a slow machine slows both and the ratio stays put.

    python3 benchmarks/run.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable


def timed(argv, repeat, setup=None):
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 2):
            raise SystemExit(f"{argv} exited {proc.returncode}: {proc.stderr}")
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rtkdump-bench-"))
    host = work / "host"
    subprocess.run([PY, "-m", "simhost", "build-repo", "9.4"], check=True, capture_output=True)
    subprocess.run([PY, "-m", "simhost", "create", str(host), "--release", "9.4", "-q"], check=True)
    cases = {
        "baseline: python3 -c pass": ([PY, "-c", "pass"], None),
        "rtkdump validate states/default.yaml": ([PY, "-m", "reconciler", "validate", "states/default.yaml"], None),
        "rtkdump plan on the fixture host": (
            [PY, "-m", "reconciler", "plan", "states/default.yaml", "--root", "examples/rhel9-rt-host"], None),
        "rtkdump-simhost create 9.4 (RPMs cached)": (
            [PY, "-m", "simhost", "create", str(work / "new"), "--release", "9.4", "--force", "-q"], None),
        "rtkdump plan on a simulated 9.4 host (via exec)": (
            [PY, "-m", "simhost", "exec", str(host), "--", PY, "-m", "reconciler", "plan", "states/default.yaml",
             "--root", str(host)], None),
    }
    results = {}
    import os

    os.chdir(REPO)
    for name, (argv, setup) in cases.items():
        results[name] = timed(argv, args.repeat, setup)
    base = results["baseline: python3 -c pass"]
    width = max(map(len, results))
    print(f"{'case'.ljust(width)}  median s   x baseline")
    for name, t in results.items():
        print(f"{name.ljust(width)}  {t:8.3f}   {t / base:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
