"""Issue 10, the fast half: symlinks, special files, modes, StrictModes, non-root, saved plans,
the journal and the disk, JSON on failure, the plan showing the crash test and the reboot policy.

Every test works on a tree under tmp_path through the host seam; euid is faked through
``Host.is_root`` (and ``reconciler.host.safety.is_root``), never by switching user.
"""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import time
from pathlib import Path

import pytest
from fixturehost import FixtureHost, converged

from reconciler.apply.journal import Journal
from reconciler.cli import main
from reconciler.errors import HostAccessError
from reconciler.host import Host, safety
from reconciler.host import files as hostfiles

REPO = Path(__file__).resolve().parent.parent
DEFAULT_STATE = str(REPO / "states" / "default.yaml")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def converged_root(tmp_path, name="host", release="9.4", **kw):
    fx = converged(release, **kw)
    rc, out, _ = run("plan", DEFAULT_STATE, "--root", str(fx.write(tmp_path / f"{name}-probe")), "--json")
    for phase in json.loads(out)["phases"]:
        for a in phase["actions"]:
            if a["id"] == "file:/etc/kdump.conf":
                fx.kdump_conf = a["after"]
            elif a["resource"] == "kernel-hook":
                fx.files[a["write"]["path"]] = a["after"]
    return fx.write(tmp_path / name)


def state(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text("version: 1\n" + text)
    os.chmod(path, 0o644)
    return str(path)


@pytest.fixture
def as_user(monkeypatch):
    """Fake a non-root euid at the seam."""
    monkeypatch.setattr(Host, "is_root", staticmethod(lambda: False))
    monkeypatch.setattr(safety, "is_root", lambda: False)


@pytest.fixture
def as_root(monkeypatch):
    monkeypatch.setattr(Host, "is_root", staticmethod(lambda: True))
    monkeypatch.setattr(safety, "is_root", lambda: True)


# --------------------------------------------------------------- not root
def test_apply_as_non_root_is_one_line_and_exit_1(tmp_path, as_user, tally):
    root = converged_root(tmp_path)
    rc, out, err = run("apply", DEFAULT_STATE, "--root", str(root))
    assert rc == 1 and err == "host error: rtkdump apply must run as root\n", err
    assert not (root / "run/rtkdump.lock").exists()
    tally("faults")


def test_plan_on_the_real_root_as_non_root_is_refused_but_under_root_it_plans(tmp_path, as_user):
    rc, _, err = run("plan", DEFAULT_STATE)
    assert rc == 1 and err.strip() == "host error: rtkdump plan must run as root"
    rc, out, err = run("plan", DEFAULT_STATE, "--root", str(converged_root(tmp_path)))
    assert rc == 0, err


# --------------------------------------------------------------- symlinks and special files
def test_a_symlinked_lock_is_refused_and_its_target_untouched(tmp_path, as_root, tally):
    root = converged_root(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (root / "run").mkdir(exist_ok=True)
    (root / "run/rtkdump.lock").symlink_to(victim)
    rc, out, err = run("apply", DEFAULT_STATE, "--root", str(root))
    assert rc == 1 and "symlink" in err and "rtkdump.lock" in err
    assert victim.read_text() == "precious\n"
    tally("faults")


@pytest.mark.parametrize("kind", ["symlink", "directory", "fifo", "hardlink"])
def test_the_journal_must_be_rtkdumps_own_regular_file(tmp_path, as_root, kind, tally):
    host = Host(root=tmp_path)
    (tmp_path / "var/lib/rtkdump").mkdir(parents=True, mode=0o700)
    journal = tmp_path / "var/lib/rtkdump/journal.jsonl"
    other = tmp_path / "other"
    other.write_text("")
    if kind == "symlink":
        journal.symlink_to(other)
    elif kind == "directory":
        journal.mkdir()
    elif kind == "fifo":
        os.mkfifo(journal)
    else:
        os.link(other, journal)
    with pytest.raises(HostAccessError) as err:
        Journal(host, "r1").append("run-started")
    assert "journal.jsonl" in err.value.message
    assert other.read_text() == ""
    tally("faults")


def test_state_dir_symlink_is_refused(tmp_path, as_root):
    (tmp_path / "var/lib").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "var/lib/rtkdump").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(HostAccessError, match="symlink"):
        Journal(Host(root=tmp_path), "r1").append("run-started")
    assert list((tmp_path / "elsewhere").iterdir()) == []


@pytest.mark.parametrize("kind", ["symlink", "loop", "directory", "fifo"])
def test_an_unreadable_kdump_conf_is_an_error_never_converged(tmp_path, kind, tally):
    root = converged_root(tmp_path)
    conf = root / "etc/kdump.conf"
    text = conf.read_text()
    conf.unlink()
    if kind == "symlink":
        (tmp_path / "real.conf").write_text(text)
        conf.symlink_to(tmp_path / "real.conf")
    elif kind == "loop":
        conf.symlink_to(conf)
    elif kind == "directory":
        conf.mkdir()
    else:
        os.mkfifo(conf)
    start = time.monotonic()
    for argv in (["plan", DEFAULT_STATE], ["apply", DEFAULT_STATE]):
        rc, out, err = run(*argv, "--root", str(root))
        assert rc == 1 and "/etc/kdump.conf" in err, (argv, out, err)
    assert time.monotonic() - start < 60, "a FIFO never hangs"
    if kind == "symlink":
        assert (tmp_path / "real.conf").read_text() == text
    tally("faults")


def test_a_sysconfig_directory_is_an_error(tmp_path):
    root = converged_root(tmp_path)
    target = root / "etc/sysconfig/kdump"
    if target.exists():
        target.unlink()
    target.mkdir()
    rc, out, err = run("plan", DEFAULT_STATE, "--root", str(root))
    assert rc == 1 and "/etc/sysconfig/kdump" in err and "a directory" in err


def test_write_atomic_refuses_a_symlinked_target(tmp_path, tally):
    (tmp_path / "etc").mkdir()
    (tmp_path / "real").write_text("old\n")
    (tmp_path / "etc/kdump.conf").symlink_to(tmp_path / "real")
    with pytest.raises(HostAccessError, match="a symlink, not a regular file"):
        Host(root=tmp_path).write_file_atomic("/etc/kdump.conf", "new\n")
    assert (tmp_path / "real").read_text() == "old\n"
    assert os.path.islink(tmp_path / "etc/kdump.conf")
    tally("faults")


def test_a_fifo_state_file_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "state.yaml"
    os.mkfifo(fifo)
    rc, out, err = run("validate", str(fifo))
    assert rc == 1 and "not a regular file (a FIFO)" in err


# --------------------------------------------------------------- modes
def test_directories_get_explicit_modes_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        host = Host(root=tmp_path)
        host.make_dirs("/var/crash/deep")
        Journal(host, "r1").append("run-started")
        assert not host.copy_file("/etc/absent", "/var/lib/rtkdump/backups/r1/etc/absent")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "var/crash").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(tmp_path / "var/crash/deep").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(tmp_path / "var/lib/rtkdump").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "var/lib/rtkdump/journal.jsonl").st_mode) == 0o600


def test_backups_are_private_copies_that_never_follow_links(tmp_path):
    host = Host(root=tmp_path)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/kdump.conf").write_text("path /var/crash\n")
    assert host.copy_file("/etc/kdump.conf", "/var/lib/rtkdump/backups/r1/etc/kdump.conf", "/var/lib/rtkdump")
    copy = tmp_path / "var/lib/rtkdump/backups/r1/etc/kdump.conf"
    assert copy.read_text() == "path /var/crash\n" and stat.S_IMODE(copy.stat().st_mode) == 0o600
    (tmp_path / "etc/sysconfig").mkdir()
    (tmp_path / "etc/sysconfig/kdump").symlink_to(tmp_path / "etc/kdump.conf")
    with pytest.raises(HostAccessError):
        host.copy_file("/etc/sysconfig/kdump", "/var/lib/rtkdump/backups/r1/etc/sysconfig/kdump")


def test_stale_temp_files_of_our_pattern_are_cleaned(tmp_path):
    (tmp_path / "etc").mkdir()
    stale = tmp_path / "etc/.kdump.conf.abc123.rtkdump-tmp"
    stale.write_text("half a fi")
    foreign = tmp_path / "etc/.kdump.conf.keep"
    foreign.write_text("not ours")
    host = Host(root=tmp_path)
    assert host.clean_stale_temps(["/etc/kdump.conf"]) == [str(stale)]
    assert foreign.exists()
    stale.write_text("again")
    host.write_file_atomic("/etc/kdump.conf", "path /var/crash\n")
    assert sorted(p.name for p in (tmp_path / "etc").iterdir()) == [".kdump.conf.keep", "kdump.conf"]


# --------------------------------------------------------------- journal and disk
def test_a_journal_line_that_is_not_an_object_is_skipped_with_a_warning(tmp_path):
    host = Host(root=tmp_path)
    journal = Journal(host, "r1")
    journal.append("run-started")
    with open(journal.path, "a") as fh:
        fh.write('[1, 2]\n"text"\n5\nnull\n')
    journal.append("run-finished")
    assert [e["event"] for e in journal.events()] == ["run-started", "run-finished"]
    assert "skipped 4 line(s)" in journal.warnings()[0]


def test_short_writes_are_continued(tmp_path, monkeypatch):
    real = os.write

    def short(fd, data):
        return real(fd, bytes(data[:3]))  # the kernel may write less than asked

    monkeypatch.setattr(os, "write", short)
    host = Host(root=tmp_path)
    Journal(host, "r1").append("run-started", detail="x" * 100)
    monkeypatch.setattr(os, "write", real)
    assert json.loads((tmp_path / "var/lib/rtkdump/journal.jsonl").read_text())["detail"] == "x" * 100


def test_enospc_on_the_journal_names_it_and_leaves_no_torn_line(tmp_path, monkeypatch, tally):
    host = Host(root=tmp_path)
    journal = Journal(host, "r1")
    journal.append("run-started")
    before = journal.path.read_bytes()
    real = os.write
    calls = {"n": 0}

    def full(fd, data):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(HostAccessError) as err:
        journal.append("action-done", output="y" * 50)
    assert "journal.jsonl" in err.value.message and "No space left" in err.value.message
    assert journal.path.read_bytes() == before, "the half line was truncated away"
    tally("faults")


def test_enospc_on_the_backup_blames_the_backup_not_kdump_conf(tmp_path, monkeypatch, tally):
    from reconciler.plan.model import Action, FileWrite

    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/kdump.conf").write_text("path /var/crash\n")
    host = Host(root=tmp_path)

    def backup(path):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "var/lib/rtkdump/backups/r1"))

    action = Action(
        id="file:/etc/kdump.conf",
        symbol="~",
        resource="kdump.conf",
        summary="s",
        why="w",
        write=FileWrite("/etc/kdump.conf", "path /srv\n", 0o644),
    )
    from reconciler.errors import ApplyError

    with pytest.raises(ApplyError) as err:
        action.execute(host, backup=backup)
    assert "cannot back up /etc/kdump.conf to" in err.value.message and "backups" in err.value.message
    assert (tmp_path / "etc/kdump.conf").read_text() == "path /var/crash\n"
    tally("faults")


def test_eio_after_the_rename_keeps_the_new_file_whole(tmp_path, monkeypatch, tally):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/kdump.conf").write_text("old\n")
    monkeypatch.setenv("RTKDUMP_FAULT", "write.renamed:1:EIO")
    with pytest.raises(OSError):
        Host(root=tmp_path).write_file_atomic("/etc/kdump.conf", "new\n")
    assert (tmp_path / "etc/kdump.conf").read_text() == "new\n"
    assert [p.name for p in (tmp_path / "etc").iterdir()] == ["kdump.conf"]
    tally("faults")


@pytest.mark.parametrize("point", ["write.temp", "write.half", "write.rename"])
@pytest.mark.parametrize("code", ["ENOSPC", "EIO", "EROFS"])
def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch, point, code, tally):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/kdump.conf").write_text("old\n")
    monkeypatch.setenv("RTKDUMP_FAULT", f"{point}:1:{code}")
    with pytest.raises(OSError):
        Host(root=tmp_path).write_file_atomic("/etc/kdump.conf", "new contents\n")
    assert (tmp_path / "etc/kdump.conf").read_text() == "old\n"
    assert [p.name for p in (tmp_path / "etc").iterdir()] == ["kdump.conf"]
    tally("faults")


def test_the_fault_hook_is_off_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("RTKDUMP_FAULT", raising=False)
    (tmp_path / "etc").mkdir()
    Host(root=tmp_path).write_file_atomic("/etc/kdump.conf", "x\n")
    assert (tmp_path / "etc/kdump.conf").read_text() == "x\n"


# --------------------------------------------------------------- required facts
def test_a_broken_rpm_database_is_an_error_not_converged(tmp_path, tally):
    fx = converged("9.4")
    root = converged_root(tmp_path)
    rec = json.loads((root / ".rtkdump-recorded/commands.json").read_text())
    for entry in rec:
        if entry["argv"][0] == "rpm":
            entry.update(returncode=1, stdout="", stderr="error: rpmdb: BDB0113 Thread/process failed\n")
    (root / ".rtkdump-recorded/commands.json").write_text(json.dumps(rec))
    rc, out, err = run("plan", DEFAULT_STATE, "--root", str(root))
    assert rc == 1 and "which packages are installed" in err and "rpmdb" in err
    assert fx
    tally("faults")


def test_rpm_exit_code_is_capped_at_254():
    from reconciler.facts.packages import parse_rpm_query
    from reconciler.host import CommandResult

    names = [f"pkg{i}" for i in range(300)]
    out = "".join(f"package {n} is not installed\n" for n in names)
    got = parse_rpm_query(CommandResult(("rpm", "-q"), 254, out, ""), names)
    assert len(got.missing) == 300


# --------------------------------------------------------------- StrictModes
def test_a_group_writable_state_file_is_refused_as_root(tmp_path, as_root, tally):
    path = state(tmp_path, "")
    os.chmod(path, 0o666)
    root = converged_root(tmp_path)
    rc, out, err = run("plan", path, "--root", str(root))
    assert rc == 1 and "writable by group or others" in err and path in err
    rc, out, err = run("plan", path, "--root", str(root), "--insecure-state-ok")
    assert rc in (0, 2) and "WARNING" in err and "--insecure-state-ok" in err
    tally("faults")


def test_a_state_file_owned_by_another_user_is_refused_as_root(tmp_path, as_root):
    path = state(tmp_path, "")
    os.chown(path, 1000, 1000)
    rc, out, err = run("validate", path)  # validate reads only: no StrictModes
    assert rc == 0
    rc, out, err = run("plan", path, "--root", str(converged_root(tmp_path)))
    assert rc == 1 and "owned by uid 1000" in err


def test_hooks_kdump_runs_as_root_must_be_roots_alone(tmp_path, as_root):
    root = converged_root(tmp_path)
    hook = root / "usr/local/sbin/pre.sh"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\n")
    os.chmod(hook, 0o777)
    path = state(tmp_path, "dump:\n  extra:\n    kdump_pre: /usr/local/sbin/pre.sh\n")
    rc, out, err = run("plan", path, "--root", str(root))
    assert rc == 1 and "dump.extra.kdump_pre" in err and "writable by group or others" in err
    rc, out, err = run("plan", path, "--root", str(root), "--insecure-state-ok")
    assert rc == 2 and "--insecure-state-ok" in out
    os.chmod(hook, 0o755)
    rc, out, err = run("plan", path, "--root", str(root))
    assert rc == 2, err


def test_strict_modes_pass_a_sticky_tmp_above_a_root_owned_file(tmp_path):
    d = tmp_path / "sticky"
    d.mkdir()
    os.chmod(d, 0o1777)
    f = d / "s.yaml"
    f.write_text("")
    os.chmod(f, 0o644)
    assert safety.insecure_reason(str(f), stop_at=str(d)) is None
    os.chmod(d, 0o777)
    assert "writable by group or others" in safety.insecure_reason(str(f), stop_at=str(d))


# --------------------------------------------------------------- saved plans
MALFORMED = {
    "not-a-dict": '["rtkdump-plan/1"]',
    "state-file-int": '{"format": "rtkdump-plan/1", "state_file": 5, "state_sha256": "x"}',
    "no-state-file": '{"format": "rtkdump-plan/1"}',
    "relative": '{"format": "rtkdump-plan/1", "state_file": "s.yaml", "state_sha256": "x"}',
    "digests": '{"format": "rtkdump-plan/1", "state_file": "/s.yaml", "state_sha256": "x", "fact_digests": 3}',
    "phases": '{"format": "rtkdump-plan/1", "state_file": "/s.yaml", "state_sha256": "x", '
    '"fact_digests": {}, "phases": [1]}',
    "action": '{"format": "rtkdump-plan/1", "state_file": "/s.yaml", "state_sha256": "x", '
    '"fact_digests": {}, "phases": [{"actions": [{"argv": []}]}]}',
    "not-json": '{"format": "rtkdump-plan/1", ',
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_saved_plan_is_one_line_exit_1(tmp_path, name, tally):
    path = tmp_path / "plan.json"
    path.write_text(MALFORMED[name])
    root = converged_root(tmp_path)
    rc, out, err = run("apply", str(path), "--root", str(root))
    assert rc == 1, err
    first = err.splitlines()[0]
    assert "internal error" not in err and "Traceback" not in err
    if name != "not-a-dict":  # a JSON list is no saved plan: read (and refused) as a state file
        assert "not a valid saved plan" in first
    tally("bad inputs (saved plans)")


def test_a_saved_plan_stores_the_state_path_absolute(tmp_path, monkeypatch):
    root = converged_root(tmp_path)
    monkeypatch.chdir(REPO)
    rc, out, err = run("plan", "states/default.yaml", "--root", str(root), "--json")
    assert json.loads(out)["state_file"] == DEFAULT_STATE
    rc, text, err = run("plan", "states/default.yaml", "--root", str(root))
    assert "rtkdump plan: states/default.yaml on" in text


# --------------------------------------------------------------- JSON on failure
def test_plan_json_on_failure_is_one_document(tmp_path, plan_output_validator):
    bad = state(tmp_path, "dump:\n  path: /etc\n")
    rc, out, err = run("plan", bad, "--root", str(converged_root(tmp_path)), "--json")
    doc = json.loads(out)
    assert rc == 1 and doc["format"] == "rtkdump-plan/1"
    assert doc["error"]["phase"] == "state file" and doc["error"]["location"] == f"{bad}:3:9"
    assert doc["error"]["fix"] and doc["error"]["already_changed"] == []
    plan_output_validator.validate(doc)


def test_apply_json_on_failure_names_what_was_already_changed_and_the_restart_stays_owed(tmp_path):
    root = converged_root(tmp_path)
    changed = state(tmp_path, "dump:\n  core_collector: makedumpfile -c --message-level 7 -d 31\n")
    # the fixture host has no recorded `systemctl restart`: the write succeeds, the restart fails
    rc, out, err = run("apply", changed, "--root", str(root), "--json")
    doc = json.loads(out)
    assert rc == 1 and doc["format"] == "rtkdump-apply/1", out
    assert doc["error"]["phase"] == "apply" and doc["error"]["location"] == "service:kdump.service:restart"
    assert doc["error"]["already_changed"] == ["file:/etc/kdump.conf"]
    # the next plan still owes the restart although kdump.conf already has its new contents
    rc, out, err = run("plan", changed, "--root", str(root))
    assert rc == 2 and "restart kdump.service" in out and "never ran" in out, out


# --------------------------------------------------------------- the plan shows everything
def test_a_pending_crash_test_on_a_converged_host_exits_2_and_shows_the_crash(
    tmp_path, plan_output_validator
):
    root = converged_root(tmp_path)
    path = state(tmp_path, "verify:\n  crash_test: once\n")
    rc, out, err = run("plan", path, "--root", str(root))
    assert rc == 2, out + err
    assert "crash test: echo c > /proc/sysrq-trigger" in out and "when: after every action" in out
    assert "1 crash test (the host panics)" in out.splitlines()[-1]
    rc, js, err = run("plan", path, "--root", str(root), "--json")
    doc = json.loads(js)
    plan_output_validator.validate(doc)
    assert doc["converged"] is False and doc["crash_test"]["action"]["proc_write"] == [
        "/proc/sysrq-trigger",
        "c",
    ]
    assert doc["summary"]["crash_tests"] == 1
    # once the journal records the trigger for this state, the plan no longer shows it
    from reconciler.state import load_state

    Journal(Host(root=root), "r1").append("crash-test-triggered", key=load_state(path).sha256, boot_id="b")
    rc, out, err = run("plan", path, "--root", str(root))
    assert rc == 0 and "crash test" not in out


def test_the_reboot_policy_is_on_the_barrier_line_and_in_json(tmp_path):
    root = FixtureHost(release="9.4").write(tmp_path / "host")
    manual = state(tmp_path, "", "m.yaml")
    auto = state(tmp_path, "reboot: {policy: automatic, max_reboots: 3}\n", "a.yaml")
    rc, out, err = run("plan", manual, "--root", str(root))
    assert "── reboot barrier ── (reboot.policy: manual: apply stops here" in out
    rc, out, err = run("plan", auto, "--root", str(root))
    assert "(reboot.policy: automatic: apply reboots the host (3 of 3 reboots left))" in out
    rc, js, err = run("plan", auto, "--root", str(root), "--json")
    assert json.loads(js)["reboot"] == {"policy": "automatic", "max_reboots": 3, "reboots_left": 3}


# --------------------------------------------------------------- a restart is never lost
def test_a_restart_pending_in_the_journal_is_planned_again(tmp_path):
    root = converged_root(tmp_path)
    boot = (root / "proc/sys/kernel/random/boot_id").read_text().strip()
    Journal(Host(root=root), "r1").append("restart-pending", by="file:/etc/kdump.conf", boot_id=boot)
    rc, out, err = run("plan", DEFAULT_STATE, "--root", str(root))
    assert rc == 2 and "↻ restart kdump.service" in out and "never ran" in out
    Journal(Host(root=root), "r2").append("restart-done", boot_id=boot)
    rc, out, err = run("plan", DEFAULT_STATE, "--root", str(root))
    assert rc == 0, out


def test_a_restart_pending_from_an_earlier_boot_was_paid_by_that_boot(tmp_path):
    root = converged_root(tmp_path)
    Journal(Host(root=root), "r1").append("restart-pending", by="file:/etc/kdump.conf", boot_id="old-boot")
    rc, out, err = run("plan", DEFAULT_STATE, "--root", str(root))
    assert rc == 0, out


def test_a_kdump_initramfs_older_than_kdump_conf_means_a_restart(tmp_path):
    root = converged_root(tmp_path)
    kver = json.loads(run("facts", "--root", str(root), "--json")[1])["facts"]["running_kernel"]["value"][
        "release"
    ]
    image = root / f"boot/initramfs-{kver}kdump.img"
    image.parent.mkdir(exist_ok=True)
    image.write_text("kdump initramfs\n")
    now = time.time()
    os.utime(image, (now - 100, now - 100))
    os.utime(root / "etc/kdump.conf", (now, now))
    rc, out, err = run("plan", DEFAULT_STATE, "--root", str(root))
    assert rc == 2 and "is older than /etc/kdump.conf (kdumpctl would rebuild it)" in out
    os.utime(image, (now, now))  # same second: kdumpctl's -gt says unchanged
    rc, out, err = run("plan", DEFAULT_STATE, "--root", str(root))
    assert rc == 0, out


def test_a_limited_plan_says_so_in_the_summary_line(tmp_path):
    root = converged_root(tmp_path)
    (root / "proc/meminfo").unlink()
    rc, out, err = run("plan", DEFAULT_STATE, "--root", str(root))
    assert "Could not check" in out.splitlines()[-1], out


def test_temp_pattern_matches_what_write_atomic_creates(tmp_path, monkeypatch):
    import fnmatch

    seen = []
    real = os.replace

    def spy(src, dst):
        seen.append(os.path.basename(src))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    (tmp_path / "etc").mkdir()
    Host(root=tmp_path).write_file_atomic("/etc/kdump.conf", "x\n")
    assert fnmatch.fnmatchcase(seen[0], hostfiles.temp_pattern("kdump.conf"))


# --------------------------------------------------------------- missing binary, hang, stale lock
def _without(root, program):
    rec = json.loads((root / ".rtkdump-recorded/commands.json").read_text())
    rec = [e for e in rec if e["argv"][0] != program]
    (root / ".rtkdump-recorded/commands.json").write_text(json.dumps(rec))


def test_a_missing_rpm_binary_is_an_error_naming_it(tmp_path, tally):
    root = converged_root(tmp_path)
    _without(root, "rpm")
    rc, out, err = run("plan", DEFAULT_STATE, "--root", str(root))
    assert rc == 1 and "rpm" in err and "not available" in err
    tally("faults")


def test_a_hanging_rpm_is_an_error_not_converged(tmp_path, tally):
    from reconciler.errors import FactError
    from reconciler.host import CommandResult, RecordedRunner
    from reconciler.plan.planner import plan_for
    from reconciler.state import load_state

    root = converged_root(tmp_path)
    host = Host.open(str(root))
    recorded = host.runner
    assert isinstance(recorded, RecordedRunner)

    def runner(argv, timeout, stdin=None):
        if argv[0] == "rpm":  # what SubprocessRunner answers when the timeout kills it
            return CommandResult(tuple(argv), -1, "", f"\ntimed out after {timeout:g}s\n", timed_out=True)
        return recorded(argv, timeout, stdin)

    runner.calls = []  # type: ignore[attr-defined]
    host.runner = runner  # type: ignore[assignment]
    with pytest.raises(FactError, match="timed out"):
        plan_for(host, load_state(DEFAULT_STATE))
    tally("faults")


def test_a_stale_lock_from_a_killed_apply_is_taken_over(tmp_path, tally):
    root = converged_root(tmp_path)
    (root / "run").mkdir(exist_ok=True)
    lock = root / "run/rtkdump.lock"
    lock.write_text("pid 99999 since 2026-01-01T00:00:00\n")  # its flock died with it
    os.chmod(lock, 0o600)
    rc, out, err = run("apply", DEFAULT_STATE, "--root", str(root))
    assert rc == 0, out + err
    assert lock.read_text() == ""
    tally("faults")


def test_a_world_writable_lock_file_is_refused(tmp_path, as_root):
    root = converged_root(tmp_path)
    (root / "run").mkdir(exist_ok=True)
    (root / "run/rtkdump.lock").write_text("")
    os.chmod(root / "run/rtkdump.lock", 0o666)
    rc, out, err = run("apply", DEFAULT_STATE, "--root", str(root))
    assert rc == 1 and "writable by group or others" in err
