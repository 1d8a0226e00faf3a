"""On simulated hosts: the BLS reader equals grubby, RHEL 7 asks grubby once, rtkdump is polite, and
benchmarks/run.py still runs.

Fresh simulated 8.10/9.2/9.4/10.1 hosts (with an extra kernel installed the
release's way, and again with 50 entries) give the same BootLoader read
directly and through grubby; 7.9 gives the same with one grubby call as with
two.  A host with isolated CPUs shows that the commands rtkdump starts run on
housekeeping CPUs at nice 19, SCHED_IDLE, idle I/O.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.facts import FactRequest, bootread, gather
from reconciler.host import Host

REPO = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("rpm") and shutil.which("dnf") and shutil.which("createrepo_c")),
        reason="needs Debian's rpm, dnf and createrepo-c (see README)",
    ),
]


def simhost(*args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "simhost", *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def exec_env(root: Path) -> dict:
    env = dict(os.environ)
    env["SIMHOST_ROOT"] = str(root)
    env["PATH"] = str(root / ".simhost" / "bin") + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    return env


def gather_both(root: Path, monkeypatch) -> tuple:
    simhost("exec", str(root), "--", "true")  # (re)writes the stand-ins
    for key, value in exec_env(root).items():
        monkeypatch.setenv(key, value)
    host = Host.open(str(root))
    direct = gather(host, FactRequest(packages=None)).bootloader
    with monkeypatch.context() as m:
        m.setattr(bootread, "grubby_bls_flavor", lambda host: (None, "forced: ask grubby"))
        via_grubby = gather(Host.open(str(root)), FactRequest(packages=None)).bootloader
    return direct, via_grubby, host


def _fifty(root: Path) -> None:
    entries = root / "boot" / "loader" / "entries"
    src = next(
        p for p in sorted(entries.glob("*.conf")) if "+rt" not in p.name and "rt" not in p.name.split("-")[-1]
    )
    text = src.read_text()
    for n in range(50 - len(list(entries.glob("*.conf")))):
        name = src.name.replace(".conf", f".{n}.conf").replace("-", f"-{n % 7}", 1)
        (entries / name).write_text(text.replace("title ", f"title copy {n} ", 1))


@pytest.mark.parametrize("release", ["8.10", "9.2", "9.4", "10.1"])
def test_bls_reader_equals_grubby_on_fresh_hosts(release: str, tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "h"
    simhost("create", str(root), "--release", release, "--force", "-q")
    direct, via_grubby, host = gather_both(root, monkeypatch)
    assert direct.known and "grubby-bls" in direct.source, direct
    assert via_grubby.known and via_grubby.source.startswith("command grubby")
    assert direct.value == via_grubby.value
    assert not [c for c in host.calls if c[0] == "grubby"]  # no grubby call at all
    kver = {
        "8.10": "4.18.0-553.5.1.rt7.346.el8_10.x86_64",
        "9.2": "5.14.0-284.30.1.rt14.315.el9_2.x86_64",
        "9.4": "5.14.0-427.31.1.el9_4.x86_64+rt",
        "10.1": "6.12.0-124.50.1.el10_1.x86_64+rt",
    }[release]
    simhost("install-kernel", str(root), kver)
    direct, via_grubby, _ = gather_both(root, monkeypatch)
    assert direct.known and direct.value == via_grubby.value and len(direct.value.entries) == 4
    _fifty(root)
    direct, via_grubby, _ = gather_both(root, monkeypatch)
    assert direct.known and direct.value == via_grubby.value and len(direct.value.entries) == 50


def test_rhel7_asks_grubby_once_and_gets_the_two_call_answer(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "h"
    simhost("create", str(root), "--release", "7.9", "--force", "-q")
    simhost("exec", str(root), "--", "true")
    for key, value in exec_env(root).items():
        monkeypatch.setenv(key, value)
    host = Host.open(str(root))
    one = gather(host, FactRequest(packages=None)).bootloader
    assert [c for c in host.calls if c[0] == "grubby"] == [tuple(host.grubby(False, "--info=ALL"))]
    with monkeypatch.context() as m:
        m.setattr(bootread, "grub2_default_kernel", lambda *a: None)
        two_host = Host.open(str(root))
        two = gather(two_host, FactRequest(packages=None)).bootloader
        assert len([c for c in two_host.calls if c[0] == "grubby"]) == 2
    assert one.known and one.value == two.value
    assert one.value.default_kernel == "/boot/vmlinuz-3.10.0-1160.rt56.1131.el7.x86_64"


SHIM = """#!{python}
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
record = {{"argv": sys.argv, "affinity": sorted(os.sched_getaffinity(0)),
          "nice": os.getpriority(os.PRIO_PROCESS, 0), "policy": os.sched_getscheduler(0),
          "ioprio": libc.syscall(252, 1, 0)}}  # ioprio_get(IOPRIO_WHO_PROCESS, 0), x86_64
with open({log!r}, "a") as fh:
    fh.write(json.dumps(record) + "\\n")
os.execv({real!r}, [sys.argv[0]] + sys.argv[1:])
"""


@pytest.mark.skipif(
    os.uname().machine != "x86_64", reason="the shim reads ioprio with x86_64's syscall number"
)
def test_commands_run_polite_on_housekeeping_cpus(tmp_path: Path) -> None:
    allowed = sorted(os.sched_getaffinity(0))
    housekeeping = allowed[0]
    isolated = [c for c in range(max(allowed) + 2) if c != housekeeping]  # one CPU beyond: never all ours
    root = tmp_path / "h"
    simhost(
        "create",
        str(root),
        "--release",
        "9.4",
        "--force",
        "-q",
        "--cpus",
        str(max(allowed) + 2),
        "--isolated-cpus",
        ",".join(map(str, isolated)),
    )
    simhost("exec", str(root), "--", "true")  # the stand-ins exist
    shims, log = tmp_path / "shims", tmp_path / "log.jsonl"
    shims.mkdir()
    for name in ("rpm", "systemctl", "kdumpctl"):
        shim = shims / name
        shim.write_text(
            SHIM.format(python=sys.executable, log=str(log), real=str(root / ".simhost" / "bin" / name))
        )
        shim.chmod(0o755)
    env = exec_env(root)
    env["PATH"] = str(shims) + os.pathsep + env["PATH"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconciler",
            "plan",
            str(REPO / "states" / "default.yaml"),
            "--root",
            str(root),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert {os.path.basename(r["argv"][0]) for r in records} == {"rpm", "systemctl", "kdumpctl"}
    for record in records:
        assert record["affinity"] == [housekeeping]
        assert record["nice"] == 19
        notes = proc.stderr
        if "SCHED_IDLE" not in notes:
            assert record["policy"] == os.SCHED_IDLE
        if "I/O priority" not in notes:
            assert record["ioprio"] >> 13 == 3  # IOPRIO_CLASS_IDLE


def _imported(root: Path, *args: str) -> tuple:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "reconciler", *args, "--root", str(root)],
        cwd=REPO,
        env=exec_env(root),
        capture_output=True,
        text=True,
        check=False,
    )
    modules = {
        line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")
    }
    return proc.returncode, modules, proc.stdout + proc.stderr[-2000:]


def test_a_converged_apply_imports_no_yaml_schema_retry_or_shutil(tmp_path: Path) -> None:
    root = tmp_path / "h"
    state = str(REPO / "states" / "default.yaml")
    simhost("create", str(root), "--release", "9.4", "--force", "-q")
    simhost("exec", str(root), "--", "true")  # writes the stand-ins
    rc, modules, out = _imported(root, "apply", state)
    assert rc == 2 and "yaml" in modules and "jsonschema" in modules, out  # first run: parsed, validated
    simhost("reboot", str(root))
    rc, modules, out = _imported(root, "apply", state)
    assert rc == 0, out
    heavy = {"yaml", "jsonschema", "tenacity", "shutil", "bz2", "lzma", "datetime"}
    rc, modules, out = _imported(root, "apply", state)
    assert rc == 0 and "reconciler.plan.planner" in modules and not modules & heavy, sorted(modules & heavy)
    rc, modules, out = _imported(root, "plan", state)
    assert rc == 0 and not modules & heavy, sorted(modules & heavy)
    changed = tmp_path / "changed.yaml"
    changed.write_text(Path(state).read_text() + "# a comment: a new text, parsed and validated again\n")
    rc, modules, out = _imported(root, "apply", str(changed))
    assert rc == 0 and {"yaml", "jsonschema"} <= modules, out


# --- the reference benchmark still runs (one round on one host; no timing asserted) ---
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
