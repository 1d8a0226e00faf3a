"""RebootBarrier and CrashTest as units, on a fixture host's journal: no subprocess, no simulated host."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.apply.barrier import ALREADY_ASKED, REBOOT, WAIT, RebootBarrier, reboot_action
from reconciler.apply.crashtest import SYSRQ, CrashTest, find_vmcore
from reconciler.apply.journal import Journal
from reconciler.errors import ApplyError
from reconciler.host import Host
from reconciler.state.model import DesiredState, DumpSpec, DumpTarget, RebootSpec

REASON = "crashkernel=256M takes effect at the next boot"
STATE = DesiredState(source="s.yaml", sha256="a" * 64)
AUTOMATIC = replace(STATE, reboot=RebootSpec(policy="automatic", max_reboots=2))


@pytest.fixture
def host(tmp_path: Path) -> Host:
    return Host(root=tmp_path)


def journal(host: Host, run: str = "run1") -> Journal:
    return Journal(host, run)


# --- the reboot barrier ---------------------------------------------------------
def test_manual_policy_waits_and_journals_the_barrier_once_per_boot(host):
    j = journal(host)
    first = RebootBarrier(STATE, j).decide(REASON, "boot-1", run_changed_something=False)
    assert (first.kind, first.journal_barrier) == (WAIT, True)
    j.append("barrier-reached", reason=REASON, boot_id="boot-1")
    again = RebootBarrier(STATE, j).decide(REASON, "boot-1", run_changed_something=False)
    assert (again.kind, again.journal_barrier) == (WAIT, False)  # cron every few minutes: no new line
    other_boot = RebootBarrier(STATE, j).decide(REASON, "boot-2", run_changed_something=False)
    assert other_boot.journal_barrier
    changed = RebootBarrier(STATE, j).decide(REASON, "boot-1", run_changed_something=True)
    assert changed.journal_barrier


def test_automatic_policy_reboots_once_per_boot(host):
    j = journal(host)
    barrier = RebootBarrier(AUTOMATIC, j)
    decision = barrier.decide(REASON, "boot-1", False)
    assert decision.kind == REBOOT
    j.append("reboot-requested", key=decision.key, boot_id="boot-1", reason=REASON)
    assert barrier.decide(REASON, "boot-1", False).kind == ALREADY_ASKED


def test_the_reboot_loop_guard_stops_after_max_reboots_for_the_same_state_and_reason(host):
    j = journal(host)
    barrier = RebootBarrier(AUTOMATIC, j)
    key = barrier.key(REASON)
    j.append("reboot-requested", key=key, boot_id="boot-1", reason=REASON)
    assert barrier.decide(REASON, "boot-2", False).kind == REBOOT
    j.append("reboot-requested", key=key, boot_id="boot-2", reason=REASON)
    with pytest.raises(ApplyError, match="rebooted 2 times"):
        barrier.decide(REASON, "boot-3", False)
    # another state file (or another reason) has its own budget
    assert (
        RebootBarrier(replace(AUTOMATIC, sha256="b" * 64), j).decide(REASON, "boot-3", False).kind == REBOOT
    )
    assert barrier.decide("another reason", "boot-3", False).kind == REBOOT


def test_the_reboot_is_an_action_through_the_host_seam(host):
    action = reboot_action(host, REASON)
    assert action.argv == (tuple(host.systemctl("reboot")),)
    assert action.why == REASON and action.resource == "reboot"


# --- the crash test -----------------------------------------------------------
ONCE = replace(STATE, crash_test="once")


def test_crash_test_once_per_state_file(host):
    j = journal(host)
    test = CrashTest(ONCE, j)
    assert test.wanted()
    test.record_trigger("boot-1")
    assert not CrashTest(ONCE, j).wanted()
    assert CrashTest(replace(ONCE, sha256="c" * 64), j).wanted()  # an edited state file asks again
    assert not CrashTest(STATE, j).wanted()  # crash_test: off
    assert CrashTest(STATE, j, forced=True).wanted()  # --crash-test --yes-crash-this-host


def test_the_crash_is_an_action_writing_sysrq_through_the_host(host):
    action = CrashTest(ONCE, journal(host)).action()
    assert action.proc_write == (SYSRQ, "c")
    (host.root / "proc").mkdir()
    action.execute(host)
    assert (host.root / "proc/sysrq-trigger").read_text() == "c"


def test_result_waits_for_a_new_boot_then_passes_on_a_fresh_vmcore(host):
    j = journal(host)
    test = CrashTest(ONCE, j)
    triggered = test.record_trigger("boot-1")
    assert test.pending_result("boot-1") is None  # not crashed yet
    pending = test.pending_result("boot-2")
    assert pending == triggered
    dump = host.root / "var/crash/127.0.0.1-2026-12-01-10:00:00"
    dump.mkdir(parents=True)
    (dump / "vmcore").write_bytes(b"ELF")
    verdict = test.verdict(host, pending)
    assert verdict["outcome"] == "pass" and "vmcore" in verdict["detail"]
    test.record_result(pending, verdict, "boot-2")
    assert test.pending_result("boot-3") is None  # recorded once


def test_a_stale_vmcore_from_before_the_trigger_fails(host):
    dump = host.root / "var/crash/127.0.0.1-2020-01-01-00:00:00"
    dump.mkdir(parents=True)
    (dump / "vmcore").write_bytes(b"ELF")
    old = time.time() - 3600
    os.utime(dump / "vmcore", (old, old))
    test = CrashTest(ONCE, journal(host))
    triggered = test.record_trigger("boot-1")
    assert test.verdict(host, triggered)["outcome"] == "fail"
    assert find_vmcore(host, "/var/crash", triggered["time"]) is None


def test_remote_targets_are_unverifiable(host):
    nfs = replace(ONCE, dump=DumpSpec(target=DumpTarget(kind="nfs", server="n:/x")))
    test = CrashTest(nfs, journal(host))
    triggered = test.record_trigger("boot-1")
    assert test.verdict(host, triggered)["outcome"] == "unverifiable"
