"""The rtkdump.kdump collection with real ansible-core, `connection: local` against simulated
hosts: each ansible-playbook runs inside `rtkdump-simhost exec HOST`, so that the stand-ins
(rpm, dnf, systemctl, grubby, kdumpctl) are first on PATH for rtkdump.

ansible-core lives in its own virtualenv (conftest.TOOLS_VENV), which contrib/ci-checks.sh creates."""

from __future__ import annotations

import hashlib
import json
import os
import textwrap
from pathlib import Path
from typing import Dict

import pytest

from .conftest import CONTRIB, REPO, TOOLS_VENV, needs_simhost_tools, simhost_create, simhost_exec, tool_env

COLLECTIONS = CONTRIB / "ansible"
COLLECTION = COLLECTIONS / "ansible_collections/rtkdump/kdump"
VENV = TOOLS_VENV
PLAYBOOK = VENV / "bin/ansible-playbook"

pytestmark = [
    pytest.mark.slow,
    needs_simhost_tools,
    pytest.mark.skipif(
        not PLAYBOOK.exists(), reason=f"ansible-core not installed in {VENV} (contrib/ci-checks.sh does it)"
    ),
]

BAD_STATE = "version: 1\ncrashkernel:\n  value: lots\n"


def ansible_env(tmp_path: Path) -> Dict[str, str]:
    return tool_env(
        {
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
            "ANSIBLE_STDOUT_CALLBACK": "rtkdump_test_json",
            "ANSIBLE_CALLBACK_PLUGINS": str(Path(__file__).parent / "ansible_callback"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            "ANSIBLE_PYTHON_INTERPRETER": str(VENV / "bin/python"),
            "TMPDIR": str(tmp_path / "tmp"),
            "PATH": f"{VENV / 'bin'}{os.pathsep}{tool_env()['PATH']}",
        }
    )


def playbook(tmp_path: Path, host: Path, text: str, *args: str, inventory: str = "localhost,") -> dict:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    path = tmp_path / "play.yml"
    path.write_text(textwrap.dedent(text))
    proc = simhost_exec(
        host,
        [str(PLAYBOOK), "-i", inventory, "-c", "local", str(path), *args],
        check=False,
        env=ansible_env(tmp_path),
        timeout=900,
    )
    try:
        out = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError(
            f"ansible-playbook printed no JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        ) from exc
    out["rc"] = proc.returncode
    return out


def task_results(out: dict, name: str) -> dict:
    """host -> result of the task called name (with "failed" set from the callback's status)."""
    found = {
        r["host"]: dict(r["result"], failed=r["status"] == "failed")
        for r in out["results"]
        if r["task"] == name
    }
    if not found:
        raise AssertionError(f"no task {name!r} in {sorted({r['task'] for r in out['results']})}")
    return found


def tree_digest(root: Path) -> str:
    """Every file under the host root (path, mode, content), to prove check mode writes nothing."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        # The simulator's own files (it writes its stand-ins at every exec) and sqlite's
        # shared-memory index of the rpmdb, which any `rpm -q` touches: not the host's state.
        if rel.startswith(".simhost") or rel == "var/lib/rpm/rpmdb.sqlite-shm":
            continue
        st = path.lstat()
        h.update(f"{rel}\0{st.st_mode}\0".encode())
        if path.is_file() and not path.is_symlink():
            h.update(path.read_bytes())
    return h.hexdigest()


def apply_play(host: Path, check: bool, state_file: str = str(REPO / "states/default.yaml")) -> str:
    return f"""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: kdump
              rtkdump.kdump.apply:
                state_file: {state_file}
                root: {host}
              check_mode: {str(check).lower()}
              diff: true
        """


def test_check_mode_changed_on_fresh_host_and_writes_nothing(tmp_path):
    host = simhost_create(tmp_path / "h1")
    before = tree_digest(host)
    out = playbook(tmp_path, host, apply_play(host, check=True))
    assert out["rc"] == 0, out
    result = task_results(out, "kdump")["localhost"]
    assert result["changed"] is True and result["reboot_required"] is False
    assert "packages:install" in [a["id"] for a in result["actions"]]
    assert result["plan"]["format"] == "rtkdump-plan/1" and result["report"] == {}
    assert result["barrier"] and "takes effect at the next boot" in result["barrier"]
    # diff mode: the file diffs of the plan, with the path as header
    diffs = {d["after_header"]: d for d in result["diff"]}
    assert "/etc/kdump.conf" in diffs and "path /var/crash" in diffs["/etc/kdump.conf"]["after"]
    assert tree_digest(host) == before


def test_fleet_playbook_converges_with_a_reboot_step_and_check_mode_is_then_ok(tmp_path):
    hosts = [simhost_create(tmp_path / name) for name in ("rt1", "rt2")]
    reboot_tasks = tmp_path / "simhost-reboot.yml"
    # The test's reboot step: a simulated host reboots with `rtkdump-simhost reboot HOST`.
    reboot_tasks.write_text(
        textwrap.dedent(f"""\
        - name: Reboot the simulated host
          ansible.builtin.command:
            argv: [{tool_env()["PATH"].split(os.pathsep)[0]}/rtkdump-simhost, reboot, "{{{{ rtkdump_root }}}}"]
        """)
    )
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        "[rt_hosts]\n" + "".join(f"{h.name} ansible_connection=local rtkdump_root={h}\n" for h in hosts)
    )
    (tmp_path / "tmp").mkdir(exist_ok=True)
    proc = simhost_exec(
        hosts[0],
        [
            str(PLAYBOOK),
            "-i",
            str(inventory),
            str(COLLECTION / "playbooks/fleet.yml"),
            "-e",
            f"rtkdump_state_file={REPO / 'states/default.yaml'}",
            "-e",
            f"rtkdump_reboot_tasks={reboot_tasks}",
            "-e",
            "rtkdump_become=false",
        ],
        check=False,
        env=ansible_env(tmp_path),
        timeout=900,
    )
    out = json.loads(proc.stdout)
    assert proc.returncode == 0, json.dumps(out["stats"]) + proc.stderr
    first = task_results(out, "Apply the state (stops at the reboot barrier)")
    second = task_results(out, "Apply again after the reboot")
    for h in hosts:
        assert first[h.name]["reboot_required"] is True and first[h.name]["changed"] is True
        assert second[h.name]["report"]["result"] == "converged"
        # kdump.service is enabled, so the (simulated) boot started it: apply only verifies.
        assert second[h.name]["reboot_required"] is False and second[h.name]["exit_code"] == 0
        assert (h / "sys/kernel/kexec_crash_loaded").read_text().strip() == "1"
    assert task_results(out, "Assert kdump is converged")[hosts[1].name]["failed"] is False
    # serial: 1 -> one play run per batch, the hosts one after the other
    assert out["plays"] == 2

    # Converged: check mode says ok (not changed), and a real run changes nothing either.
    for check in (True, False):
        again = playbook(tmp_path, hosts[0], apply_play(hosts[0], check=check))
        result = task_results(again, "kdump")["localhost"]
        assert again["rc"] == 0 and result["changed"] is False, result
        assert result["exit_code"] == 0 and result["reboot_required"] is False


def test_bad_state_fails_with_the_tools_message_and_fix(tmp_path):
    host = simhost_create(tmp_path / "h1")
    before = tree_digest(host)
    play = f"""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: kdump
              rtkdump.kdump.apply:
                state: {json.dumps(BAD_STATE)}
                root: {host}
        """
    out = playbook(tmp_path, host, play)
    assert out["rc"] == 2  # ansible-playbook: a task failed
    result = task_results(out, "kdump")["localhost"]
    assert result["failed"] is True and result["exit_code"] == 1
    assert "crashkernel.value" in result["msg"] and ":3:" in result["msg"]
    assert result.get("fix")
    assert tree_digest(host) == before
    assert list((tmp_path / "tmp").iterdir()) == []  # the temp state file is gone


def test_inline_state_dict_is_written_0600_and_removed(tmp_path):
    host = simhost_create(tmp_path / "h1")
    spy = tmp_path / "spy-rtkdump"
    log = tmp_path / "spy.log"
    # Records the state file's mode while rtkdump runs, then runs the real rtkdump.
    spy.write_text(
        f'#!/bin/sh\nstat -c "%a $3" "$2" >> {log}\nexec {tool_env()["PATH"].split(os.pathsep)[0]}/rtkdump "$@"\n'
    )
    spy.chmod(0o755)
    play = f"""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: kdump
              rtkdump.kdump.apply:
                executable: {spy}
                root: {host}
                state:
                  version: 1
                  reboot:
                    policy: manual
              check_mode: true
        """
    out = playbook(tmp_path, host, play)
    result = task_results(out, "kdump")["localhost"]
    assert out["rc"] == 0 and result["changed"] is True, result
    assert log.read_text().split() == ["600", "--json"]
    assert list((tmp_path / "tmp").iterdir()) == []


def test_crash_test_option_crashes_a_converged_host_and_the_next_run_records_pass(tmp_path):
    host = simhost_create(tmp_path / "h1")
    rtkdump = str(tool_env()["PATH"].split(os.pathsep)[0] + "/rtkdump")
    state = str(REPO / "states/default.yaml")
    # Converge first, without Ansible: apply, reboot, apply.
    assert simhost_exec(host, [rtkdump, "apply", state, "--root", str(host)], check=False).returncode == 2
    simhost_exec(host, ["rtkdump-simhost", "reboot", str(host)], check=False)
    assert simhost_exec(host, [rtkdump, "apply", state, "--root", str(host)], check=False).returncode == 0
    play = f"""\
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: kdump
              rtkdump.kdump.apply:
                state_file: {state}
                root: {host}
                crash_test: true
        """
    out = playbook(tmp_path, host, play)
    result = task_results(out, "kdump")["localhost"]
    assert out["rc"] == 0 and result["changed"] is True and result["rebooting"] is True, result
    assert result["report"]["result"] == "crash-test-triggered"
    # `rtkdump-simhost exec` crashed the host when ansible-playbook ended: a vmcore, then a reboot.
    assert list(host.glob("var/crash/*/vmcore"))
    out = playbook(tmp_path, host, apply_play(host, check=False))
    result = task_results(out, "kdump")["localhost"]
    assert out["rc"] == 0 and result["report"]["crash_test"]["outcome"] == "pass", result
