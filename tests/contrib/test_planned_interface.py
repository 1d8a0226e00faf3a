"""The CLI interface that the units, the cron file, the man page and the Ansible module rely on
but that the reconciler does not have yet (docs/deploy.md, section 6). Each test skips itself
until the feature is there, detected at run time, and then checks the documented behaviour."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from .conftest import CONTRIB, REPO, bindir, needs_simhost_tools, rtkdump_has, simhost_create, simhost_exec

RTKDUMP = str(bindir() / "rtkdump")


def apply_help() -> str:
    return subprocess.run([RTKDUMP, "apply", "--help"], capture_output=True, text=True).stdout


has_textfile_dir = "--textfile-dir" in apply_help()
has_status = rtkdump_has(["status", "--help"])
has_history = rtkdump_has(["history", "--help"])


def json_error_document() -> bool:
    proc = subprocess.run(
        [RTKDUMP, "plan", str(REPO / "tests/bad_states/bad-crashkernel-syntax.yaml"), "--json"],
        capture_output=True,
        text=True,
    )
    try:
        return "error" in json.loads(proc.stdout)
    except ValueError:
        return False


has_json_errors = json_error_document()


@needs_simhost_tools
@pytest.mark.skipif(not has_textfile_dir, reason="planned: rtkdump apply --textfile-dir DIR")
def test_unit_command_line_runs_and_writes_the_metrics_file(tmp_path):
    """The ExecStart= of the units, as is, against a simulated host."""
    unit = (CONTRIB / "systemd/rtkdump-apply.service").read_text()
    exec_start = next(line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("ExecStart="))
    argv = exec_start.split()
    assert argv[:3] == ["/usr/bin/rtkdump", "apply", "/etc/rtkdump/state.yaml"]
    host = simhost_create(tmp_path / "h")
    textfile = tmp_path / "textfile"
    textfile.mkdir()
    (host / "etc/rtkdump").mkdir(parents=True)
    shutil.copy2(REPO / "states/default.yaml", host / "etc/rtkdump/state.yaml")
    proc = simhost_exec(
        host,
        [
            RTKDUMP,
            "apply",
            str(host / "etc/rtkdump/state.yaml"),
            "--textfile-dir",
            str(textfile),
            "--root",
            str(host),
        ],
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    prom = (textfile / "rtkdump.prom").read_text()
    assert "# TYPE" in prom and "rtkdump_" in prom
    assert not [p for p in textfile.iterdir() if p.name != "rtkdump.prom"]  # no temp file left


@needs_simhost_tools
@pytest.mark.skipif(not has_status, reason="planned: rtkdump status")
def test_status_after_an_apply_that_waits_for_a_reboot(tmp_path):
    host = simhost_create(tmp_path / "h")
    state = str(REPO / "states/default.yaml")
    assert simhost_exec(host, [RTKDUMP, "apply", state, "--root", str(host)], check=False).returncode == 2
    proc = simhost_exec(host, [RTKDUMP, "status", "--root", str(host), "--json"], check=False)
    assert proc.returncode == 2, proc.stderr
    json.loads(proc.stdout)
    simhost_exec(host, ["rtkdump-simhost", "reboot", str(host)], check=False)
    assert simhost_exec(host, [RTKDUMP, "apply", state, "--root", str(host)], check=False).returncode == 0
    assert simhost_exec(host, [RTKDUMP, "status", "--root", str(host)], check=False).returncode == 0


@needs_simhost_tools
@pytest.mark.skipif(not has_history, reason="planned: rtkdump history")
def test_history_lists_the_runs(tmp_path):
    host = simhost_create(tmp_path / "h")
    simhost_exec(
        host, [RTKDUMP, "apply", str(REPO / "states/default.yaml"), "--root", str(host)], check=False
    )
    proc = simhost_exec(host, [RTKDUMP, "history", "--root", str(host)], check=False)
    assert proc.returncode == 0 and "default.yaml" in proc.stdout


@pytest.mark.skipif(not has_json_errors, reason='planned: --json prints {"error": {...}} on failure')
def test_json_error_document_on_a_bad_state_file():
    bad = REPO / "tests/bad_states/bad-crashkernel-syntax.yaml"
    for argv in (["plan", str(bad), "--json"], ["apply", str(bad), "--json", "--root", "/nonexistent"]):
        proc = subprocess.run([RTKDUMP, *argv], capture_output=True, text=True)
        assert proc.returncode == 1
        err = json.loads(proc.stdout)["error"]
        assert err["phase"] and err["message"] and "fix" in err


def test_module_reads_the_json_error_document_and_falls_back_to_stderr(monkeypatch):
    """The module's parser, on both forms. Its functions are plain Python: ansible's imports are
    stubbed so that this runs in the project's venv, which has no ansible-core."""
    import importlib.util
    import types

    for name in (
        "ansible",
        "ansible.module_utils",
        "ansible.module_utils.basic",
        "ansible.module_utils.common",
        "ansible.module_utils.common.text",
        "ansible.module_utils.common.text.converters",
    ):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    sys.modules["ansible.module_utils.basic"].AnsibleModule = object
    sys.modules["ansible.module_utils.common.text.converters"].to_native = str
    path = CONTRIB / "ansible/ansible_collections/rtkdump/kdump/plugins/modules/apply.py"
    spec = importlib.util.spec_from_file_location("rtkdump_apply_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = json.dumps(
        {
            "error": {
                "phase": "state file",
                "message": "crashkernel.value: bad",
                "fix": "use a size",
                "location": "s.yaml:3:10",
            }
        }
    )
    assert module.error_from(doc, "") == ("s.yaml:3:10: crashkernel.value: bad", "use a size")
    stderr = "rtkdump: + install x\ns.yaml:3:10: crashkernel.value: bad\n  fix: use a size\n"
    assert module.error_from("", stderr) == ("s.yaml:3:10: crashkernel.value: bad", "use a size")
    plan = {
        "phases": [
            {
                "actions": [
                    {
                        "id": "file:/etc/kdump.conf",
                        "summary": "write",
                        "write": {"path": "/etc/kdump.conf", "mode": "0o644"},
                        "diff": "-a\n+b\n",
                        "before": "a\n",
                        "after": "b\n",
                    },
                    {
                        "id": "packages:install",
                        "summary": "install",
                        "write": None,
                        "diff": None,
                        "before": None,
                        "after": "x",
                    },
                ],
                "barrier": {"reason": "reboot"},
            },
            {"actions": [], "barrier": None},
        ]
    }
    assert module.plan_diff(plan) == [
        {
            "before_header": "/etc/kdump.conf",
            "after_header": "/etc/kdump.conf",
            "before": "a\n",
            "after": "b\n",
        }
    ]
    assert module.plan_barrier(plan) == "reboot"
    assert [a["id"] for a in module.plan_actions(plan)] == ["file:/etc/kdump.conf", "packages:install"]
