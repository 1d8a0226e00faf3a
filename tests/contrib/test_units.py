"""systemd units (systemd-analyze verify against a temp root), the cron file, the man page."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from .conftest import CONTRIB, have, run

UNITS = ["rtkdump-apply.service", "rtkdump-apply.timer", "rtkdump-firstboot.service"]
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def unit(name: str) -> configparser.ConfigParser:
    # strict=False: systemd allows a key more than once (ReadWritePaths=); the last value wins here,
    # which is enough for the single-valued keys checked below.
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((CONTRIB / "systemd" / name).read_text())
    return parser


def values(name: str, key: str) -> list:
    """Every value of key in the unit file, in order (systemd's list-valued keys repeat)."""
    return [
        line.split("=", 1)[1]
        for line in (CONTRIB / "systemd" / name).read_text().splitlines()
        if line.startswith(key + "=")
    ]


def verify_root(tmp_path: Path) -> Path:
    """A root that has what the units refer to: /usr/bin/rtkdump, touch, the man page, the
    standard targets (copied from this machine's systemd), so verify works offline."""
    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    (root / "etc").mkdir()
    exe = root / "usr/bin/rtkdump"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    shutil.copy2(shutil.which("touch") or "/usr/bin/touch", root / "usr/bin/touch")
    units = root / "usr/lib/systemd/system"
    units.mkdir(parents=True)
    for target in SYSTEM_UNITS.glob("*.target"):
        shutil.copy2(target, units / target.name, follow_symlinks=False)
    for name in UNITS:
        shutil.copy2(CONTRIB / "systemd" / name, units / name)
    man = root / "usr/share/man/man8"
    man.mkdir(parents=True)
    shutil.copy2(CONTRIB / "man/rtkdump.8", man / "rtkdump.8")
    return root


@pytest.mark.skipif(not have("systemd-analyze") or not SYSTEM_UNITS.is_dir(), reason="needs systemd-analyze")
def test_units_verify_clean(tmp_path):
    root = verify_root(tmp_path)
    env = dict(os.environ, MANPATH=str(root / "usr/share/man"))
    proc = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", *UNITS], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == "", proc.stdout + proc.stderr


@pytest.mark.skipif(not have("systemd-analyze") or not SYSTEM_UNITS.is_dir(), reason="needs systemd-analyze")
def test_verify_catches_a_missing_executable(tmp_path):
    """The check above is not vacuous: without /usr/bin/rtkdump in the root it fails."""
    root = verify_root(tmp_path)
    (root / "usr/bin/rtkdump").unlink()
    env = dict(os.environ, MANPATH=str(root / "usr/share/man"))
    proc = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", "rtkdump-apply.service"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode != 0 and "/usr/bin/rtkdump" in proc.stderr


def test_apply_service_contract():
    svc = unit("rtkdump-apply.service")["Service"]
    assert svc["Type"] == "oneshot"
    assert svc["ExecStart"] == (
        "/usr/bin/rtkdump apply /etc/rtkdump/state.yaml "
        "--textfile-dir /var/lib/node_exporter/textfile_collector"
    )
    assert svc["SuccessExitStatus"] == "2"
    assert (svc["Nice"], svc["CPUSchedulingPolicy"], svc["IOSchedulingClass"]) == ("19", "idle", "idle")
    for key in (
        "NoNewPrivileges",
        "PrivateTmp",
        "ProtectKernelModules",
        "ProtectControlGroups",
        "RestrictRealtime",
        "LockPersonality",
        "MemoryDenyWriteExecute",
        "RestrictNamespaces",
    ):
        assert svc[key] == "yes", key
    assert svc["SystemCallArchitectures"] == "native"
    assert svc["ProtectSystem"] == "strict"
    assert svc["ProtectHome"] == "read-only"
    # Never read-only for what rtkdump and its children write.
    writable = " ".join(values("rtkdump-apply.service", "ReadWritePaths")).split()
    for path in ("/etc", "/boot", "/usr", "/var", "/run"):
        assert path in writable, path
    # The crash test writes /proc/sysrq-trigger: /proc must stay writable.
    assert "ProtectKernelTunables" not in svc and "ProtectProc" not in svc
    assert "CPUAffinity" not in svc  # see the comment in the unit: inherited from the manager


def test_firstboot_stamp_and_ordering():
    u = unit("rtkdump-firstboot.service")
    assert "!/var/lib/rtkdump/firstboot.done" in values("rtkdump-firstboot.service", "ConditionPathExists")
    assert u["Service"]["SuccessExitStatus"] == "2"
    assert u["Service"]["ExecStartPost"] == "/usr/bin/touch /var/lib/rtkdump/firstboot.done"
    # apply waits on `systemctl start kdump.service`: Before=kdump.service would deadlock.
    assert "kdump.service" not in u["Unit"].get("Before", "")
    assert "kdump.service" in u["Unit"]["After"].split()
    assert u["Install"]["WantedBy"] == "multi-user.target"
    # Same hardening as the periodic service.
    apply_svc = unit("rtkdump-apply.service")["Service"]
    for key, value in apply_svc.items():
        if key not in ("ExecStart", "TimeoutStartSec"):
            assert u["Service"].get(key) == value, key


def test_timer():
    t = unit("rtkdump-apply.timer")
    assert t["Timer"]["OnBootSec"] == "5min" and t["Timer"]["OnUnitActiveSec"] == "30min"
    assert t["Timer"]["Persistent"] == "true" and "RandomizedDelaySec" in t["Timer"]
    assert t["Install"]["WantedBy"] == "timers.target"


# ---------------------------------------------------------------------------- cron


def cron_command() -> str:
    lines = [
        line
        for line in (CONTRIB / "cron/rtkdump").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    env = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))
    assert env["SHELL"] == "/bin/sh" and "/usr/bin" in env["PATH"].split(":")
    jobs = [line for line in lines if not re.match(r"^[A-Z_]+=", line)]
    assert len(jobs) == 1
    fields = jobs[0].split(None, 6)
    assert fields[:5] == ["*/30", "*", "*", "*", "*"] and fields[5] == "root"
    assert "%" not in fields[6]  # cron would turn it into a newline
    return fields[6]


@pytest.mark.parametrize("rc,output_expected", [(0, False), (2, False), (1, True)])
def test_cron_is_quiet_unless_apply_fails(tmp_path, rc, output_expected):
    """Run the job's command with /bin/sh, as cron would, against a fake rtkdump and state file."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "rtkdump").write_text(f'#!/bin/sh\necho "progress $*" >&2\necho boom\nexit {rc}\n')
    (fake / "rtkdump").chmod(0o755)
    command = cron_command()
    # The job names /etc/rtkdump/state.yaml; point it at a temp file that exists.
    state = tmp_path / "state.yaml"
    state.write_text("version: 1\n")
    command = command.replace("/etc/rtkdump/state.yaml", str(state))
    proc = subprocess.run(
        ["/bin/sh", "-c", command], capture_output=True, text=True, env={"PATH": f"{fake}:/usr/bin:/bin"}
    )
    if output_expected:
        assert proc.returncode == 1
        assert (
            "rtkdump apply exited 1:" in proc.stdout
            and "boom" in proc.stdout
            and "progress apply" in proc.stdout
        )
    else:
        assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


def test_cron_without_a_state_file_does_nothing(tmp_path):
    command = cron_command().replace("/etc/rtkdump/state.yaml", str(tmp_path / "missing.yaml"))
    proc = subprocess.run(
        ["/bin/sh", "-c", command], capture_output=True, text=True, env={"PATH": f"{tmp_path}:/usr/bin:/bin"}
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


# ---------------------------------------------------------------------------- man page


@pytest.mark.skipif(not have("mandoc"), reason="needs mandoc (apt-get install mandoc)")
def test_man_page_mandoc_lint_clean():
    proc = run(["mandoc", "-T", "lint", "-W", "style", str(CONTRIB / "man/rtkdump.8")], check=False)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == "", proc.stdout + proc.stderr


@pytest.mark.skipif(not have("man"), reason="needs man-db")
def test_man_page_man_warnings_clean():
    proc = subprocess.run(
        ["man", "--warnings", "-E", "UTF-8", "-l", str(CONTRIB / "man/rtkdump.8")],
        capture_output=True,
        text=True,
        env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"),
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    text = proc.stdout
    for section in ("SYNOPSIS", "COMMANDS", "EXIT STATUS", "FILES", "EXAMPLES"):
        assert section in text
    for command in ("validate", "facts", "plan", "apply", "status", "history"):
        assert re.search(rf"^ {{7}}{command}\b", text, re.M), command


def test_contrib_scripts_are_executable():
    for path in (CONTRIB / "git/pre-commit",):
        assert path.stat().st_mode & stat.S_IXUSR, path
