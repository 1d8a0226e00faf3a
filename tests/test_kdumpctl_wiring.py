"""The kdumpctl rules wired into validate and plan: located refusals, host checks, notes (issue 9)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from fixturehost import FixtureHost

from reconciler.errors import PlanError, StateFileError
from reconciler.host import Host
from reconciler.plan.planner import plan_for
from reconciler.state import load_state_text
from reconciler.state.model import DesiredState, DumpSpec, DumpTarget

RELEASES = ("7.9", "8.10", "9.2", "9.4", "10.0", "10.1")
BASE = DesiredState(source="s.yaml", sha256="0" * 64)


def _plan(tmp_path: Path, release: str, desired: DesiredState, files=None, name="host"):
    root = FixtureHost(release=release, installed=("kexec-tools",), dirs=("/var/crash",)).write(
        tmp_path / name
    )
    for path, mode in (files or {}).items():
        p = root / path.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("#!/bin/sh\n")
        os.chmod(p, mode)
    return plan_for(Host.open(str(root)), desired)


def _conf(p) -> str:
    return next(a.after for a in p.actions if a.id == "file:/etc/kdump.conf")


@pytest.mark.parametrize("release", RELEASES)
def test_fs_target_without_core_collector_gets_the_real_default(tmp_path, release):
    # used to crash: ValueError: unknown dump target kind 'fs' (default_core_collector)
    desired = replace(
        BASE, dump=DumpSpec(target=DumpTarget(kind="fs", device="UUID=1234-abcd", fstype="xfs"))
    )
    text = _conf(_plan(tmp_path, release, desired))
    level = 1 if release == "7.9" else 7
    assert "\nxfs UUID=1234-abcd\n" in text
    assert f"\ncore_collector makedumpfile -l --message-level {level} -d 31\n" in text


def _with_extra(**extra) -> DesiredState:
    return replace(BASE, dump=DumpSpec(extra=tuple(extra.items())))


@pytest.mark.parametrize("release", RELEASES)
def test_missing_kdump_pre_is_refused_with_kdumpctls_message(tmp_path, release):
    with pytest.raises(PlanError) as info:
        _plan(tmp_path, release, _with_extra(kdump_pre="/usr/local/bin/pre.sh"))
    assert "Error: /usr/local/bin/pre.sh not found." in str(info.value)
    assert info.value.field == "dump.extra.kdump_pre"


@pytest.mark.parametrize("release", ("7.9", "9.4", "10.1"))
def test_hooks_must_be_executable(tmp_path, release):
    with pytest.raises(PlanError) as info:
        _plan(
            tmp_path,
            release,
            _with_extra(kdump_post="/usr/local/bin/post.sh"),
            {"/usr/local/bin/post.sh": 0o644},
        )
    assert "Error: /usr/local/bin/post.sh is not executable." in str(info.value)
    assert info.value.field == "dump.extra.kdump_post"
    p = _plan(
        tmp_path,
        release,
        _with_extra(kdump_post="/usr/local/bin/post.sh", extra_bins="/usr/bin/a /usr/bin/b"),
        {"/usr/local/bin/post.sh": 0o755, "/usr/bin/a": 0o755, "/usr/bin/b": 0o755},
        name="ok",
    )
    assert "\nkdump_post /usr/local/bin/post.sh\n" in _conf(p)


def test_second_extra_bin_missing_is_named(tmp_path):
    with pytest.raises(PlanError) as info:
        _plan(tmp_path, "9.4", _with_extra(extra_bins="/usr/bin/a /usr/bin/b"), {"/usr/bin/a": 0o755})
    assert "Error: /usr/bin/b not found." in str(info.value)
    assert info.value.field == "dump.extra.extra_bins"


@pytest.mark.parametrize("release", RELEASES)
def test_missing_sshkey_is_a_warning_with_the_real_fallback(tmp_path, release):
    target = DumpTarget(kind="ssh", server="kdump@dumps.example.com", sshkey="/root/.ssh/other_key")
    p = _plan(tmp_path, release, replace(BASE, dump=DumpSpec(target=target)))
    notes = [n.message for n in p.notes if n.level == "warning"]
    assert any(
        "WARNING: '/root/.ssh/other_key' doesn't exist, using default value '/root/.ssh/kdump_id_rsa'" in m
        for m in notes
    ), notes
    p = _plan(
        tmp_path, release, replace(BASE, dump=DumpSpec(target=target)), {"/root/.ssh/other_key": 0o600}, "k"
    )
    assert not [n for n in p.notes if "doesn't exist" in n.message]


@pytest.mark.parametrize(
    "target",
    [
        DumpTarget(kind="fs", device="LABEL=crash", fstype="ext4"),
        DumpTarget(kind="nfs", server="nfs.example.com:/export"),
    ],
)
def test_fs_and_nfs_say_the_path_must_exist_inside_the_target(tmp_path, target):
    p = _plan(tmp_path, "9.4", replace(BASE, dump=DumpSpec(target=target, path="/crash")))
    said = [n.message for n in p.notes if "must exist inside the dump target" in n.message]
    assert (
        said and "cannot check" in said[0] and 'Dump path "/crash" does not exist in dump target' in said[0]
    )


def test_release_dependent_rules_are_decided_at_plan_with_the_minor(tmp_path):
    # a bare `makedumpfile`: 8.x/9.x mkdumprd pass `makedumpfile` itself to --check-params, 10.x does not
    desired = replace(BASE, dump=DumpSpec(core_collector="makedumpfile"))
    for release in ("8.10", "9.2", "9.4"):
        with pytest.raises(PlanError) as info:
            _plan(tmp_path, release, desired, name=release)
        assert "makedumpfile parameter check failed." in str(info.value)
        assert info.value.field == "dump.core_collector"
    for release in ("10.0", "10.1"):
        assert "\ncore_collector makedumpfile\n" in _conf(_plan(tmp_path, release, desired, name=release))


def _validate(text: str) -> StateFileError:
    with pytest.raises(StateFileError) as info:
        load_state_text(text, "s.yaml")
    return info.value


def test_validate_refuses_upper_case_ssh_host_and_names_the_releases():
    err = _validate("version: 1\ndump:\n  target: {type: ssh, server: kdump@Dumps.Example.com}\n")
    text = err.render()
    assert text.startswith("s.yaml:3:31: dump.target.server:"), text
    assert "Invalid ssh destination kdump@Dumps.Example.com provided." in text
    assert "8.10, 9.2, 9.4, 10.0, 10.1" in text


@pytest.mark.parametrize(
    "target,collector,message",
    [
        ("{type: ssh, server: kdump@h.example.com}", "makedumpfile -l -d 31", 'needs makedumpfile "-F"'),
        ("{type: raw, device: /dev/sdb1}", "makedumpfile -c -d 31", 'needs makedumpfile "-F"'),
        ("{type: local}", "makedumpfile -F -l -d 31", "makedumpfile parameter check failed."),
        ("{type: nfs, server: 'n.example.com:/e'}", "makedumpfile -F -l -d 31", "parameter check failed"),
        (
            "{type: fs, device: /dev/sdb1, fstype: xfs}",
            "makedumpfile -l --message-level 40",
            "Message_level(40)",
        ),
        ("{type: local}", "makedumpfile -l -E -d 31", "Commandline parameter is invalid."),
    ],
)
def test_validate_refuses_core_collectors_no_release_accepts(target, collector, message):
    err = _validate(f"version: 1\ndump:\n  target: {target}\n  core_collector: {collector}\n")
    assert err.field == "dump.core_collector" and message in err.render(), err.render()
    assert err.render().startswith("s.yaml:4:19:")


def test_validate_accepts_F_for_ssh_and_raw():
    for target in ("{type: ssh, server: kdump@h.example.com}", "{type: raw, device: /dev/sdb1}"):
        state = load_state_text(
            f"version: 1\ndump:\n  target: {target}\n  core_collector: makedumpfile -F -l -d 31\n", "s"
        )
        assert state.dump.core_collector == "makedumpfile -F -l -d 31"
