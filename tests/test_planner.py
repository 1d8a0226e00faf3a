"""Planner domain rules: each one from a fixture host's facts to the plan it must give."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pytest
from fixturehost import Entry, FixtureHost, GiB, converged

from reconciler.errors import FactError, PlanError
from reconciler.host import Host
from reconciler.plan.model import RESTART, VERIFY
from reconciler.plan.planner import plan_for
from reconciler.state.model import (
    CrashkernelSpec,
    DesiredState,
    DumpSpec,
    DumpTarget,
    RebootSpec,
    SysconfigSpec,
)

DEFAULT = DesiredState(
    source="states/default.yaml", sha256="0" * 64, sysconfig=SysconfigSpec(append_ensure=("reset_devices",))
)


def plan(tmp_path: Path, fixture: FixtureHost, desired: DesiredState = DEFAULT, name: str = "host"):
    root = fixture.write(tmp_path / name, packages=desired.packages)
    host = Host.open(str(root))
    return plan_for(host, desired), host


def ids(p):
    return [a.id for a in p.actions]


def action(p, ident):
    found = [a for a in p.actions if a.id == ident]
    assert found, f"no action {ident}; have {ids(p)}"
    return found[0]


def converged_fixture(tmp_path, release="9.4", desired=DEFAULT, **kw):
    """A host on which ``desired`` is fully applied: kdump.conf as rtkdump renders it."""
    fx = converged(release, **kw)
    p, _ = plan(tmp_path, fx, desired, name="probe")
    for a in p.actions:
        if a.id == "file:/etc/kdump.conf":
            fx.kdump_conf = a.after
        elif a.resource == "kernel-hook" and a.write is not None:
            fx.files[a.write.path] = a.after or ""
    return fx


# --- packages -----------------------------------------------------------------
@pytest.mark.parametrize("release,manager", [("7.9", "yum"), ("8.10", "dnf"), ("9.2", "dnf"), ("9.4", "dnf")])
def test_missing_packages_install_in_one_transaction_with_the_release_manager(tmp_path, release, manager):
    p, host = plan(tmp_path, FixtureHost(release=release, installed=("kexec-tools",)))
    install = action(p, "packages:install")
    assert install.argv == (
        (
            manager,
            "-y",
            "--setopt=exit_on_lock=True",
            "--installroot",
            str(host.root),
            "install",
            *[p for p in FixtureHost(release=release).release_packages() if p != "kexec-tools"],
        ),
    )
    assert install.retry.attempts > 1 and install.retry.is_transient is not None
    assert [a.id for a in p.actions].count("packages:install") == 1
    assert any(u.id == "package:kexec-tools" and "kexec-tools-" in u.reason for u in p.unchanged)


# --- crashkernel on the targeted entries ------------------------------------------
@pytest.mark.parametrize("release", ["7.9", "8.10", "9.2", "9.4"])
def test_crashkernel_goes_on_rt_entries_only(tmp_path, release):
    fx = FixtureHost(release=release)
    p, _ = plan(tmp_path, fx)
    boot = [a for a in p.actions if a.resource == "crashkernel"]
    assert [a.id for a in boot] == [f"boot-entry:/boot/vmlinuz-{fx.info['rt']}:crashkernel"]
    assert all("--update-kernel=/boot/vmlinuz-" + fx.info["rt"] in argv for a in boot for argv in a.argv)
    expected = {
        "7.9": "auto",
        "8.10": "auto",
        "9.2": "1G-4G:192M,4G-64G:256M,64G-:512M",
        "9.4": "1G-4G:192M,4G-64G:256M,64G-:512M",
    }[release]
    assert boot[0].after == expected
    assert boot[0].needs_reboot


def test_rhel9_grubby_uses_bls_directory_and_rhel7_the_grub_cfg(tmp_path):
    p9, host9 = plan(tmp_path, FixtureHost(release="9.4"), name="h9")
    argv9 = action(p9, f"boot-entry:/boot/vmlinuz-{FixtureHost(release='9.4').info['rt']}:crashkernel").argv[
        0
    ]
    assert argv9[:5] == (
        "grubby",
        "--bls-directory",
        str(host9.root / "boot/loader/entries"),
        "--env",
        str(host9.root / "boot/grub2/grubenv"),
    )
    p7, host7 = plan(tmp_path, FixtureHost(release="7.9"), name="h7")
    argv7 = [a for a in p7.actions if a.resource == "crashkernel"][0].argv[0]
    assert argv7[:3] == ("grubby", "--config-file", str(host7.root / "boot/grub2/grub.cfg"))


def test_a_different_existing_value_is_replaced_and_other_entries_untouched(tmp_path):
    fx = FixtureHost(release="8.10")
    fx.set_crashkernel("auto", which="all")
    fx.set_crashkernel("128M", which="rt")
    desired = replace(DEFAULT, crashkernel=CrashkernelSpec(values=("256M",)))
    p, _ = plan(tmp_path, fx, desired)
    boot = [a for a in p.actions if a.resource == "crashkernel"]
    assert len(boot) == 1
    assert boot[0].before == "128M" and boot[0].after == "256M"
    assert boot[0].argv[-1][-1] == "--args=crashkernel=256M"


def test_c_grubby_with_two_crashkernel_tokens_removes_the_extra_first(tmp_path):
    fx = FixtureHost(release="7.9", ram=16 * GiB)
    rt = fx.entries[0]
    rt.args += ["crashkernel=auto", "crashkernel=128M"]
    desired = replace(DEFAULT, crashkernel=CrashkernelSpec(values=("256M",)))
    p, _ = plan(tmp_path, fx, desired)
    argv = action(p, f"boot-entry:{rt.kernel}:crashkernel").argv
    assert [a[-1] for a in argv] == ["--remove-args=crashkernel", "--args=crashkernel=256M"]


def test_entries_all_skips_the_rescue_entry_and_default_targets_only_it(tmp_path):
    p, _ = plan(
        tmp_path,
        FixtureHost(release="9.4"),
        replace(DEFAULT, crashkernel=CrashkernelSpec(entries="all")),
        name="all",
    )
    assert len([a for a in p.actions if a.resource == "crashkernel"]) == 2
    assert not any("rescue" in a.id for a in p.actions)
    fx = FixtureHost(release="9.4", default_index=1)
    p, _ = plan(
        tmp_path, fx, replace(DEFAULT, crashkernel=CrashkernelSpec(entries="default")), name="default"
    )
    assert [a.id for a in p.actions if a.resource == "crashkernel"] == [
        f"boot-entry:{fx.entries[1].kernel}:crashkernel"
    ]


def test_an_entry_list_naming_an_unknown_kernel_is_an_error(tmp_path):
    desired = replace(
        DEFAULT,
        crashkernel=CrashkernelSpec(entries="list", entry_list=("5.14.0-1.el9.x86_64",)),
        locations={"crashkernel.entries": "s.yaml:4:3"},
    )
    with pytest.raises(PlanError) as err:
        plan(tmp_path, FixtureHost(release="9.4"), desired)
    assert "5.14.0-1.el9.x86_64" in err.value.message and err.value.location == "s.yaml:4:3"


def test_no_rt_entry_is_an_error_with_the_fix(tmp_path):
    fx = FixtureHost(release="9.4")
    fx.entries = fx.entries[1:]
    with pytest.raises(PlanError) as err:
        plan(tmp_path, fx)
    assert "no real-time kernel" in err.value.message and "kernel-rt" in err.value.hint


# --- values that reserve nothing -------------------------------------------------------
def test_auto_on_rhel9_is_an_error_suggesting_the_release_default(tmp_path):
    desired = replace(
        DEFAULT,
        crashkernel=CrashkernelSpec(values=("auto",)),
        locations={"crashkernel.value": "states/x.yaml:3:10"},
    )
    with pytest.raises(PlanError) as err:
        plan(tmp_path, FixtureHost(release="9.2"), desired)
    assert "not supported on RHEL 9" in err.value.message
    assert "1G-4G:192M,4G-64G:256M,64G-:512M" in err.value.hint
    assert err.value.render().startswith("states/x.yaml:3:10: crashkernel.value: plan error")


def test_auto_on_rhel7_rt_under_4g_reserves_nothing(tmp_path):
    desired = replace(DEFAULT, crashkernel=CrashkernelSpec(values=("auto",)))
    with pytest.raises(PlanError) as err:
        plan(tmp_path, FixtureHost(release="7.9", ram=3 * GiB), desired)
    assert "reserves no memory" in err.value.message and "161M" in err.value.hint
    # the same state is fine with 8G
    p, _ = plan(tmp_path, FixtureHost(release="7.9", ram=8 * GiB), desired, name="big")
    assert [a.after for a in p.actions if a.resource == "crashkernel"] == ["auto"]


def test_recommended_picks_an_explicit_size_where_auto_would_reserve_nothing(tmp_path):
    p, _ = plan(tmp_path, FixtureHost(release="7.9", ram=2 * GiB))
    assert [a.after for a in p.actions if a.resource == "crashkernel"] == ["161M"]


def test_a_range_list_that_yields_zero_for_this_ram_is_an_error(tmp_path):
    desired = replace(DEFAULT, crashkernel=CrashkernelSpec(values=("16G-64G:256M",)))
    with pytest.raises(PlanError) as err:
        plan(tmp_path, FixtureHost(release="9.4", ram=8 * GiB), desired)
    assert "reserves nothing" in err.value.message


def test_a_high_low_pair_cannot_be_written_with_grubby(tmp_path):
    desired = replace(DEFAULT, crashkernel=CrashkernelSpec(values=("512M,high", "256M,low")))
    with pytest.raises(PlanError) as err:
        plan(tmp_path, FixtureHost(release="9.4", ram=16 * GiB), desired)
    assert "grubby" in err.value.message


# --- RHEL 9 auto_reset_crashkernel ---------------------------------------------------------
def test_custom_value_on_rhel9_writes_auto_reset_crashkernel_no(tmp_path):
    desired = replace(DEFAULT, crashkernel=CrashkernelSpec(values=("512M",)))
    p, _ = plan(tmp_path, FixtureHost(release="9.4", installed=("kexec-tools",)), desired)
    conf = action(p, "file:/etc/kdump.conf")
    assert "auto_reset_crashkernel no\n" in conf.after
    assert "-auto_reset_crashkernel yes" in conf.diff and "+auto_reset_crashkernel no" in conf.diff


def test_custom_value_with_auto_reset_yes_is_refused(tmp_path):
    desired = replace(
        DEFAULT,
        crashkernel=CrashkernelSpec(values=("512M",)),
        dump=DumpSpec(extra=(("auto_reset_crashkernel", "yes"),)),
    )
    with pytest.raises(PlanError) as err:
        plan(tmp_path, FixtureHost(release="9.4"), desired)
    assert err.value.field == "dump.extra.auto_reset_crashkernel"


def test_rtkdump_owns_crashkernel_so_auto_reset_is_no_on_rhel9_and_rhel7_has_no_such_directive(tmp_path):
    p9, _ = plan(tmp_path, FixtureHost(release="9.4"), name="h9")
    conf = action(p9, "file:/etc/kdump.conf")
    assert "auto_reset_crashkernel no\n" in conf.after
    assert "rtkdump owns crashkernel=" in conf.why
    desired = replace(DEFAULT, dump=DumpSpec(extra=(("auto_reset_crashkernel", "no"),)))
    p7, _ = plan(tmp_path, FixtureHost(release="7.9"), desired, name="h7")
    assert "auto_reset_crashkernel" not in action(p7, "file:/etc/kdump.conf").after
    assert any("auto_reset_crashkernel is not a RHEL 7 directive" in n.message for n in p7.notes)


# --- the reservation and the reboot barrier -----------------------------------------------------
def test_fresh_host_puts_start_and_verify_behind_a_barrier_with_its_reason(tmp_path):
    p, _ = plan(tmp_path, FixtureHost(release="9.4"))
    assert len(p.barriers) == 1 and len(p.phases) == 2
    reason = p.barriers[0].reason
    assert "takes effect at the next boot" in reason and "has no crashkernel=" in reason
    assert [a.id for a in p.phases[1]] == ["service:kdump.service:running", "verify:kexec_crash_loaded"]
    before = [a.id for a in p.phases[0]]
    assert (
        before.index("packages:install")
        < before.index("file:/etc/kdump.conf")
        < before.index("service:kdump.service:enabled")
    )


def test_entries_configured_but_running_kernel_without_reservation_still_needs_the_reboot(tmp_path):
    """Configured is not active: entries already right, the running kernel booted before that."""
    fx = converged_fixture(tmp_path, "8.10")
    fx.running_args = [a for a in fx.entries[0].args if not a.startswith("crashkernel=")]
    fx.reserved, fx.kexec_loaded, fx.active = (), False, "failed"
    p, _ = plan(tmp_path, fx)
    assert not [a for a in p.actions if a.resource == "crashkernel"]
    assert len(p.barriers) == 1 and "no Crash kernel region" in p.barriers[0].reason
    assert [a.id for a in p.phases[1]] == ["service:kdump.service:running", "verify:kexec_crash_loaded"]


def test_reservation_active_means_no_barrier(tmp_path):
    fx = converged_fixture(tmp_path, "9.4")
    fx.active, fx.kexec_loaded = "inactive", False
    p, _ = plan(tmp_path, fx)
    assert not p.barriers and len(p.phases) == 1
    assert ids(p) == ["service:kdump.service:running", "verify:kexec_crash_loaded"]


def test_value_on_cmdline_but_nothing_reserved_is_an_error_not_a_reboot_loop(tmp_path):
    fx = converged_fixture(tmp_path, "9.4")
    fx.reserved, fx.kexec_loaded = (), False
    with pytest.raises(PlanError) as err:
        plan(tmp_path, fx)
    assert "reserved no memory" in err.value.message and "dmesg" in err.value.hint


def test_default_entry_not_targeted_is_an_error_when_a_reboot_could_not_help(tmp_path):
    # the barrier would ask for a reboot into a kernel that does not get crashkernel=: refuse, say what to fix
    fx = FixtureHost(release="9.4", default_index=1)
    with pytest.raises(PlanError, match="default boot entry .* is not a targeted kernel") as info:
        plan(tmp_path, fx)
    assert fx.entries[1].kernel in info.value.message and "grubby --set-default" in (info.value.hint or "")


def test_hidden_iomem_falls_back_to_kexec_crash_size(tmp_path):
    fx = converged_fixture(tmp_path, "9.4")
    fx.iomem_hidden = True
    p, _ = plan(tmp_path, fx)
    assert p.converged
    fx.reserved, fx.kexec_loaded = (), False
    fx.running_args = [a for a in fx.entries[0].args if not a.startswith("crashkernel=")]
    p, _ = plan(tmp_path, fx, name="unreserved")
    assert "no crashkernel=" in p.barriers[0].reason


# --- kdump.conf, the dump path, sysconfig ------------------------------------------------------
def test_kdump_conf_is_rendered_canonically_with_a_header_and_diffed(tmp_path):
    desired = replace(
        DEFAULT,
        dump=DumpSpec(
            target=DumpTarget(kind="nfs", server="nfs.example.com:/export/crash"),
            path="/crash",
            failure_action="dump_to_rootfs",
        ),
    )
    p, _ = plan(tmp_path, FixtureHost(release="8.10", installed=("kexec-tools",)), desired)
    conf = action(p, "file:/etc/kdump.conf")
    assert conf.after.startswith("# Managed by rtkdump")
    body = [line for line in conf.after.splitlines() if line and not line.startswith("#")]
    assert body == [
        "nfs nfs.example.com:/export/crash",
        "path /crash",
        "core_collector makedumpfile -l --message-level 7 -d 31",
        "failure_action dump_to_rootfs",
    ]
    assert conf.diff.startswith("--- /etc/kdump.conf\n+++ /etc/kdump.conf\n")
    assert not any(a.resource == "dump-path" for a in p.actions), "an NFS path is not created locally"


def test_rhel7_failure_action_is_written_as_default(tmp_path):
    desired = replace(DEFAULT, dump=DumpSpec(failure_action="shell"))
    p, _ = plan(tmp_path, FixtureHost(release="7.9"), desired)
    assert "\ndefault shell\n" in action(p, "file:/etc/kdump.conf").after


def test_missing_local_dump_path_is_created_before_the_conf_is_written(tmp_path):
    p, _ = plan(tmp_path, FixtureHost(release="9.4", installed=("kexec-tools",)))
    order = ids(p)
    assert order.index("directory:/var/crash") < order.index("file:/etc/kdump.conf")
    assert action(p, "directory:/var/crash").mkdir == "/var/crash"
    p2, _ = plan(
        tmp_path, FixtureHost(release="9.4", installed=("kexec-tools",), dirs=("/var/crash",)), name="h2"
    )
    assert "directory:/var/crash" not in ids(p2)
    assert any(u.id == "directory:/var/crash" for u in p2.unchanged)


def test_reset_devices_already_in_the_stock_append_is_no_change(tmp_path):
    for release in ("7.9", "8.10", "9.4"):
        p, _ = plan(tmp_path, FixtureHost(release=release, installed=("kexec-tools",)), name=release)
        assert not [a for a in p.actions if a.resource == "sysconfig"], release
        reason = [u.reason for u in p.unchanged if u.id.endswith("KDUMP_COMMANDLINE_APPEND")]
        assert reason and "reset_devices" in reason[0]


@pytest.mark.parametrize(
    "product,expect_noirq",
    [
        ("BladeCenter LS21 -[7971PAM]-", True),
        ("BladeCenter LS21 -[79716AA]-", True),
        ("PowerEdge R740", False),
    ],
)
def test_acpi_noirq_only_where_dmi_says_ls21(tmp_path, product, expect_noirq):
    p, _ = plan(tmp_path, FixtureHost(release="7.9", installed=("kexec-tools",), product_name=product))
    edits = [a for a in p.actions if a.resource == "sysconfig"]
    if expect_noirq:
        assert len(edits) == 1 and "acpi=noirq" in edits[0].after
        assert edits[0].diff.count("\n-KDUMP_COMMANDLINE_APPEND") == 1, "only that one line changes"
        assert edits[0].diff.count("\n+KDUMP_COMMANDLINE_APPEND") == 1
    else:
        assert not edits


def test_acpi_noirq_is_removed_on_other_hardware_when_quirk_is_auto(tmp_path):
    fx = FixtureHost(release="8.10", installed=("kexec-tools",))
    stock = fx.sysconfig
    fx.sysconfig = stock.replace(
        'KDUMP_COMMANDLINE_APPEND="irqpoll', 'KDUMP_COMMANDLINE_APPEND="acpi=noirq irqpoll'
    )
    p, _ = plan(tmp_path, fx)
    edit = [a for a in p.actions if a.resource == "sysconfig"][0]
    assert edit.after == stock


def test_no_dmi_means_the_quirk_is_not_applied_and_said(tmp_path):
    p, _ = plan(tmp_path, FixtureHost(release="7.9", installed=("kexec-tools",), product_name=None))
    assert not [a for a in p.actions if a.resource == "sysconfig"]
    assert any(n.level == "unknown" and "LS21" in n.message for n in p.notes)


def test_a_sysconfig_deleted_under_an_installed_kexec_tools_is_said(tmp_path):
    fx = FixtureHost(release="9.4", installed=("kexec-tools",))
    root = fx.write(tmp_path / "host")
    (root / "etc/sysconfig/kdump").unlink()
    p = plan_for(Host.open(str(root)), DEFAULT)
    assert any(n.level == "warning" and "reinstall kexec-tools" in n.message for n in p.notes)
    assert not [a for a in p.actions if a.resource == "sysconfig"]


def test_kernelver_latest_rt_names_the_rt_kernel(tmp_path):
    desired = replace(DEFAULT, sysconfig=SysconfigSpec(kernelver="latest-rt"))
    fx = FixtureHost(release="9.4", installed=("kexec-tools",))
    p, _ = plan(tmp_path, fx, desired)
    edit = action(p, "file:/etc/sysconfig/kdump")
    assert f'KDUMP_KERNELVER="{fx.info["rt"]}"' in edit.after


# --- service -----------------------------------------------------------------------------------
def test_kdump_is_restarted_once_when_its_configuration_changes(tmp_path):
    fx = converged_fixture(tmp_path, "9.4")
    desired = replace(DEFAULT, dump=DumpSpec(path="/srv/crash"))
    fx.dirs = ("/var/crash", "/srv/crash")
    p, _ = plan(tmp_path, fx, desired)
    restarts = [a for a in p.actions if a.symbol == RESTART]
    assert len(restarts) == 1 and "file:/etc/kdump.conf" in restarts[0].why
    assert ids(p)[-1] == "verify:kexec_crash_loaded" and p.actions[-1].symbol == VERIFY
    assert not p.barriers


def test_masked_kdump_is_not_overridden(tmp_path):
    fx = FixtureHost(release="9.4", installed=("kexec-tools",), enabled="masked")
    with pytest.raises(PlanError) as err:
        plan(tmp_path, fx)
    assert "masked" in err.value.message and "unmask" in err.value.hint


# --- converged, and planning changes nothing -------------------------------------------------------
def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames.sort()
        for name in sorted(filenames) + dirnames:
            p = Path(dirpath) / name
            st = p.lstat()
            h.update(f"{p.relative_to(root)}:{st.st_mode}:{st.st_size}:{st.st_mtime_ns}".encode())
            if p.is_file():
                h.update(p.read_bytes())
    return h.hexdigest()


READ_ONLY_VERBS = {
    "rpm": {"-q"},
    "grubby": {"--info=ALL", "--default-kernel"},
    "systemctl": {"is-enabled", "is-active"},
    "kdumpctl": {"get-default-crashkernel"},
}
WRITING_WORDS = {"install", "enable", "disable", "start", "stop", "restart", "reboot", "erase", "remove"}


@pytest.mark.parametrize("release", ["7.9", "8.10", "9.2", "9.4"])
def test_converged_host_has_nothing_to_do_with_reasons_and_planning_writes_nothing(tmp_path, release):
    fx = converged_fixture(tmp_path, release)
    root = fx.write(tmp_path / "host")
    before = tree_digest(root)
    host = Host.open(str(root))
    p = plan_for(host, DEFAULT)
    assert p.converged, [a.summary for a in p.actions]
    assert {u.resource for u in p.unchanged} >= {
        "packages",
        "crashkernel",
        "kdump.conf",
        "sysconfig",
        "service",
        "dump-path",
        "verify",
    }
    assert all(u.reason for u in p.unchanged)
    assert host.calls, "planning must have asked the host"
    for argv in host.calls:
        assert READ_ONLY_VERBS[argv[0]] & set(argv), argv
        assert not WRITING_WORDS & set(argv), argv
        assert not any(
            a.startswith(("--update-kernel", "--args", "--remove-args", "--set-default")) for a in argv
        )
    assert tree_digest(root) == before


def test_absent_stops_disables_and_removes_crashkernel_then_waits_for_the_reboot(tmp_path):
    fx = converged_fixture(tmp_path, "9.4")
    desired = replace(DEFAULT, present=False)
    p, _ = plan(tmp_path, fx, desired)
    assert ids(p) == [
        "service:kdump.service:running",
        "service:kdump.service:enabled",
        f"boot-entry:{fx.entries[0].kernel}:crashkernel",
        "file:/etc/kernel/install.d/95-rtkdump-crashkernel.install",  # disarmed: new kernels get nothing
    ]
    assert all(a.symbol == "-" for a in p.actions if a.resource != "kernel-hook")
    assert "exit 0" in action(p, "file:/etc/kernel/install.d/95-rtkdump-crashkernel.install").after
    assert len(p.barriers) == 1 and "until the next boot" in p.barriers[0].reason


def test_absent_puts_no_barrier_that_a_reboot_cannot_clear(tmp_path):
    fx = converged_fixture(tmp_path, "9.4")
    fx.set_crashkernel("256M", which="all")
    fx.entries[0].args = [a for a in fx.entries[0].args if a != "crashkernel=256M"]
    fx.entries[0].args.append("crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M")
    fx.default_index = 1  # the non-RT entry boots next and is not targeted
    p, _ = plan(tmp_path, fx, replace(DEFAULT, present=False))
    assert not p.barriers
    assert any("keeps crashkernel=256M" in n.message for n in p.notes)


def test_unreadable_facts_become_notes_not_guesses(tmp_path):
    fx = FixtureHost(release="9.4", installed=("kexec-tools",))
    root = fx.write(tmp_path / "host")
    (root / "proc/meminfo").unlink()
    (root / ".rtkdump-recorded/commands.json").write_text("[]")  # no rpm, grubby or systemctl answers
    with pytest.raises(FactError) as err:
        plan_for(Host.open(str(root)), DEFAULT)
    assert "boot entries" in err.value.message and "grubby" in err.value.render()
    assert err.value.render().startswith("facts error (command grubby")


def test_plan_fingerprint_changes_with_the_facts(tmp_path):
    p1, _ = plan(tmp_path, FixtureHost(release="9.4"), name="a")
    p2, _ = plan(
        tmp_path, FixtureHost(release="9.4", boot_id="0b5c1d2e-0000-4000-8000-000000000001"), name="b"
    )
    assert p1.fingerprint != p2.fingerprint
    p3, _ = plan(tmp_path, FixtureHost(release="9.4"), name="c")
    assert p1.fingerprint == p3.fingerprint


def test_reboot_policy_is_carried_but_does_not_change_the_plan(tmp_path):
    auto = replace(DEFAULT, reboot=RebootSpec(policy="automatic"))
    p1, _ = plan(tmp_path, FixtureHost(release="9.4"), name="a")
    p2, _ = plan(tmp_path, FixtureHost(release="9.4"), auto, name="b")
    assert ids(p1) == ids(p2)


STATES = sorted((Path(__file__).resolve().parent.parent / "states").glob("*.yaml"))


@pytest.mark.parametrize("release", ["7.9", "8.10", "9.2", "9.4"])
@pytest.mark.parametrize("state_file", STATES, ids=lambda p: p.name)
def test_every_example_state_plans_on_every_release(tmp_path, state_file, release):
    from reconciler.state import load_state

    desired = load_state(str(state_file))
    for ram in (2 * GiB, 8 * GiB):
        p, _ = plan(
            tmp_path,
            FixtureHost(release=release, ram=ram, installed=("kexec-tools",)),
            desired,
            name=f"r{ram}",
        )
        if desired.present:
            assert p.barriers, "a fresh host needs the reboot for the reservation"
        for a in p.actions:
            if a.resource == "crashkernel" and desired.present:
                assert "auto" not in a.after or release.startswith(("7", "8"))


def test_enabled_runtime_is_enabled_for_real_because_the_reboot_drops_it(tmp_path):
    # systemctl is-enabled exits 0 for enabled-runtime, but the link lives under /run:
    # after the reboot the barrier asks for, kdump would not start.
    fx = converged_fixture(tmp_path)
    fx.enabled = "enabled-runtime"
    p, host = plan(tmp_path, fx)
    enable = action(p, "service:kdump.service:enabled")
    assert enable.argv == (tuple(host.systemctl("enable", "kdump.service")),)
    assert "gone after the next boot" in enable.why


# --- the release table ------------------------------------------------------------
@pytest.mark.parametrize(
    "release,packages",
    [
        ("7.9", ["rt-setup", "system-config-kdump"]),
        ("8.10", ["rt-setup"]),
        ("9.4", ["realtime-setup"]),
        ("10.1", ["realtime-setup", "kdump-utils"]),
    ],
)
def test_recommended_packages_are_the_release_set(tmp_path, release, packages):
    p, _ = plan(tmp_path, FixtureHost(release=release, installed=("kexec-tools",)))
    assert list(action(p, "packages:install").argv[0][-len(packages) :]) == packages


def test_rhel10_1_recommends_kdump_utils_default_and_auto_reset_no(tmp_path):
    fx = FixtureHost(release="10.1", installed=FixtureHost(release="10.1").release_packages())
    p, _ = plan(tmp_path, fx)
    rt = fx.entries[0].kernel
    assert action(p, f"boot-entry:{rt}:crashkernel").after == "2G-64G:256M,64G-:512M"
    assert any("kdumpctl get-default-crashkernel" in n.message for n in p.notes)
    assert "auto_reset_crashkernel no\n" in action(p, "file:/etc/kdump.conf").after


@pytest.mark.parametrize(
    "release,name",
    [
        ("9.4", "5.14.0-503.23.1.el9_5.x86_64+rt-debug"),
        ("9.4", "5.14.0-354.el9.aarch64+rt-64k"),
        ("10.1", "6.12.0-55.9.1.el10_0.x86_64+rt-64k-debug"),
        ("8.10", "4.18.0-353.rt7.138.el8.x86_64+debug"),
    ],
)
def test_rt_variants_are_realtime_entries(tmp_path, release, name):
    fx = FixtureHost(release=release)
    fx.entries.append(Entry(name, ["ro"]))
    p, _ = plan(tmp_path, fx)
    assert f"boot-entry:/boot/vmlinuz-{name}:crashkernel" in ids(p)
    assert f"boot-entry:{fx.entries[1].kernel}:crashkernel" not in ids(p)  # the non-RT kernel is left alone


@pytest.mark.parametrize(
    "os_release,found",
    [
        ('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12"\n', "ID=debian 12.0"),
        ('ID="rhel"\nVERSION_ID="12.0"\n', "Red Hat Enterprise Linux 12.0"),
        ('ID="ol"\nVERSION_ID="9.4"\n', "ID=ol 9.4"),
    ],
)
def test_unknown_distribution_or_major_is_refused(tmp_path, os_release, found):
    root = FixtureHost(release="9.4").write(tmp_path / "host")
    (root / "etc/os-release").write_text(os_release)
    with pytest.raises(PlanError, match="rtkdump") as info:
        plan_for(Host.open(str(root)), DEFAULT)
    assert found in info.value.message


# --- new kernels keep crashkernel= ------------------------------------------------
@pytest.mark.parametrize(
    "release,path",
    [
        ("7.9", "/etc/kernel/postinst.d/95-rtkdump-crashkernel"),
        ("8.10", "/etc/kernel/install.d/95-rtkdump-crashkernel.install"),
        ("9.4", "/etc/kernel/install.d/95-rtkdump-crashkernel.install"),
        ("10.1", "/etc/kernel/install.d/95-rtkdump-crashkernel.install"),
    ],
)
def test_a_hook_gives_new_rt_kernels_the_state_crashkernel(tmp_path, release, path):
    p, _ = plan(tmp_path, FixtureHost(release=release))
    hook = action(p, f"file:{path}")
    value = action(p, f"boot-entry:{FixtureHost(release=release).entries[0].kernel}:crashkernel").after
    assert hook.after.startswith("#!/bin/sh\n") and hook.write.mode == 0o755
    assert f'--args="crashkernel={value}"' in hook.after
    assert "+rt-debug" in hook.after and "*) exit 0 ;;" in hook.after  # RT kernels only
    assert hook.diff and hook.mkdir == path.rsplit("/", 1)[0]


def test_entries_all_hook_has_no_rt_filter_and_a_named_list_needs_no_hook(tmp_path):
    p, _ = plan(
        tmp_path, FixtureHost(release="9.4"), replace(DEFAULT, crashkernel=CrashkernelSpec(entries="all"))
    )
    assert "case" not in action(p, "file:/etc/kernel/install.d/95-rtkdump-crashkernel.install").after
    fx = FixtureHost(release="9.4")
    listed = replace(
        DEFAULT, crashkernel=CrashkernelSpec(entries="list", entry_list=(fx.entries[0].kernel_release,))
    )
    p, _ = plan(tmp_path, fx, listed, name="listed")
    assert not [a for a in p.actions if a.resource == "kernel-hook"]
    assert any(u.resource == "kernel-hook" and "names kernels" in u.reason for u in p.unchanged)


def test_defaultkernel_that_keeps_kernel_rt_from_becoming_default_is_warned(tmp_path):
    fx = FixtureHost(
        release="9.4", files={"/etc/sysconfig/kernel": "UPDATEDEFAULT=yes\nDEFAULTKERNEL=kernel-core\n"}
    )
    p, _ = plan(tmp_path, fx)
    assert any(n.level == "warning" and "DEFAULTKERNEL=kernel-rt-core" in n.message for n in p.notes)
    fx = FixtureHost(
        release="9.4", files={"/etc/sysconfig/kernel": "UPDATEDEFAULT=yes\nDEFAULTKERNEL=kernel-rt-core\n"}
    )
    p, _ = plan(tmp_path, fx, name="rt")
    assert not any("DEFAULTKERNEL" in n.message for n in p.notes)


def test_ranges_match_the_kernel_ram_size_not_memtotal(tmp_path):
    # A real 1 GiB guest (QEMU, Debian 6.1) reserved 192M for 1G-4G:192M,...: MemTotal (961 MiB)
    # is below 1G, but the kernel matches System RAM rounded up to 128 MiB.
    p, _ = plan(tmp_path, FixtureHost(release="9.4", ram=1 * GiB))
    assert any("will reserve about 192 MiB" in n.message for n in p.notes), [n.message for n in p.notes]
