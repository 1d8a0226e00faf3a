"""apply's building blocks on a plain directory host with a scripted command runner."""

from __future__ import annotations

import json
import os
import stat
import threading
import time

import pytest

from reconciler.apply.journal import Backups, Journal
from reconciler.apply.lock import HostLock
from reconciler.apply.runner import retrying_runner
from reconciler.apply.saved import stale_reasons
from reconciler.errors import ApplyError
from reconciler.host import CommandResult, Host
from reconciler.plan.model import PACKAGE_LOCK_RETRY, Action, FileWrite, RetryPolicy


class ScriptedRunner:
    """Answers each argv with the next scripted result; records calls."""

    def __init__(self, *results):
        self.results = list(results)
        self.calls = []

    def __call__(self, argv, timeout, stdin=None):
        self.calls.append(tuple(argv))
        rc, out, err = self.results.pop(0)
        return CommandResult(tuple(argv), rc, out, err)


def host_with(tmp_path, *results):
    return Host(root=tmp_path, runner=ScriptedRunner(*results))


DNF_LOCKED = (200, "", "RPMDB already locked by 12345\n  The application with PID 12345 is: dnf\n")
YUM_LOCKED = (1, "", "Another app is currently holding the yum lock; exiting as configured by exit_on_lock\n")


@pytest.mark.parametrize("locked", [DNF_LOCKED, YUM_LOCKED], ids=["dnf-200", "yum-exit_on_lock"])
def test_a_held_package_lock_is_retried_with_backoff_then_succeeds(tmp_path, locked):
    host = host_with(tmp_path, locked, locked, (0, "Complete!\n", ""))
    sleeps, said = [], []
    run = retrying_runner(host, PACKAGE_LOCK_RETRY, sleeps.append, said.append)
    result = run(["dnf", "install", "-y", "kexec-tools"])
    assert result.ok and len(host.calls) == 3
    assert sleeps == [2.0, 4.0]  # exponential, from the policy's initial delay
    assert len(said) == 2 and "retrying" in said[0]


def test_a_permanent_failure_is_not_retried(tmp_path):
    host = host_with(
        tmp_path, (1, "No match for argument: rt-setup\n", "Error: Unable to find a match: rt-setup\n")
    )
    run = retrying_runner(host, PACKAGE_LOCK_RETRY, lambda s: None, lambda s: None)
    assert run(["dnf", "install", "-y", "rt-setup"]).returncode == 1
    assert len(host.calls) == 1


def test_retries_are_bounded(tmp_path):
    policy = RetryPolicy(attempts=3, transient_exit_codes=(200,), initial_delay=0.01)
    host = host_with(tmp_path, DNF_LOCKED, DNF_LOCKED, DNF_LOCKED, (0, "", ""))
    result = retrying_runner(host, policy, lambda s: None, lambda s: None)(["dnf"])
    assert result.returncode == 200 and len(host.calls) == 3


def test_action_failure_names_the_command_and_its_stderr(tmp_path):
    host = host_with(tmp_path, (1, "", "kdump: No memory reserved for crash kernel\n"))
    action = Action(
        id="service:kdump.service:running",
        symbol="+",
        resource="service",
        summary="start",
        why="",
        argv=(("systemctl", "start", "kdump.service"),),
    )
    with pytest.raises(ApplyError) as err:
        action.execute(host)
    assert err.value.action_id == "service:kdump.service:running"
    assert "No memory reserved" in err.value.render()


def test_atomic_write_keeps_mode_and_backup_keeps_the_old_file(tmp_path):
    (tmp_path / "etc").mkdir()
    conf = tmp_path / "etc/kdump.conf"
    conf.write_text("path /var/crash\n")
    conf.chmod(0o600)
    host = host_with(tmp_path)
    action = Action(
        id="file:/etc/kdump.conf",
        symbol="~",
        resource="kdump.conf",
        summary="",
        why="",
        write=FileWrite("/etc/kdump.conf", "path /srv/crash\n"),
    )
    action.execute(host, backup=Backups(host, "run1"))
    assert conf.read_text() == "path /srv/crash\n"
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600
    assert (tmp_path / "var/lib/rtkdump/backups/run1/etc/kdump.conf").read_text() == "path /var/crash\n"
    assert not [p for p in (tmp_path / "etc").iterdir() if p.name != "kdump.conf"], "no temp file left"


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    (tmp_path / "etc").mkdir()
    conf = tmp_path / "etc/kdump.conf"
    conf.write_text("path /var/crash\n")
    host = host_with(tmp_path)

    def boom(*a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        host.write_file_atomic("/etc/kdump.conf", "path /srv/crash\n")
    assert conf.read_text() == "path /var/crash\n"
    assert [p.name for p in (tmp_path / "etc").iterdir()] == ["kdump.conf"]


def test_journal_lines_are_whole_and_a_torn_last_line_is_skipped(tmp_path):
    host = host_with(tmp_path)
    journal = Journal(host, "run1")
    journal.append("run-started", state_sha256="ab")
    journal.append("action-done", action="packages:install")
    with open(journal.path, "a") as fh:
        fh.write('{"event": "action-do')  # power cut mid-line
    assert [e["event"] for e in journal.events()] == ["run-started", "action-done"]
    assert journal.last("action-done")["action"] == "packages:install"
    assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o600


def test_a_second_apply_waits_a_bounded_time_then_names_the_holder(tmp_path):
    host = host_with(tmp_path)
    with HostLock(host, timeout=1):
        with pytest.raises(ApplyError) as err:
            with HostLock(host, timeout=0.3):
                pass
    assert f"pid {os.getpid()}" in err.value.message and "waited 0.3s" in err.value.message


def test_the_lock_is_taken_once_the_holder_leaves(tmp_path):
    host = host_with(tmp_path)
    first = HostLock(host, timeout=1).__enter__()
    threading.Timer(0.3, first.__exit__).start()
    start = time.monotonic()
    with HostLock(host, timeout=5):
        assert time.monotonic() - start >= 0.25


def test_saved_action_round_trips_through_json(tmp_path):
    action = Action(
        id="file:/etc/kdump.conf",
        symbol="~",
        resource="kdump.conf",
        summary="s",
        why="w",
        before="a\n",
        after="b\n",
        diff="d",
        write=FileWrite("/etc/kdump.conf", "b\n", 0o644),
        notifies=("service:kdump.service:restart",),
        retry=PACKAGE_LOCK_RETRY,
        argv=(("true",),),
        expect=("/sys/kernel/kexec_crash_loaded", "1"),
    )
    again = Action.from_json(json.loads(json.dumps(action.to_json())))
    assert again == action


def test_stale_reasons_name_the_changed_facts():
    class FakeFacts:
        def digests(self):
            return {"boot_id": "2", "packages": "p"}

    class Desired:
        sha256 = "s"
        source = "state.yaml"

    saved = {"state_sha256": "s", "fact_digests": {"boot_id": "1", "packages": "p"}}
    assert stale_reasons(saved, Desired(), FakeFacts()) == ["these facts changed: boot_id"]
    saved["state_sha256"] = "other"
    assert "state file state.yaml changed" in stale_reasons(saved, Desired(), FakeFacts())[0]
