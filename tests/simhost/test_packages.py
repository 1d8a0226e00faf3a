"""rpm / dnf / yum on the simulated hosts (the real rpm and dnf underneath)."""

from __future__ import annotations

import time

import pytest
from _simhost_helpers import fixture_text, hx, run_simhost

THREE = ("kexec-tools", "rt-setup", "system-config-kdump")


@pytest.mark.parametrize("release", ["7.9", "9.4"])
def test_rpm_q_on_a_fresh_host(make_host, release):
    root = make_host(release)
    proc = hx(root, "rpm", "-q", *THREE)
    assert proc.returncode == 3
    assert proc.stdout == "".join(f"package {n} is not installed\n" for n in THREE)
    assert proc.stderr == ""
    # with an explicit --root, as rtkdump runs it
    proc = hx(root, "rpm", "--root", str(root), "-q", "kexec-tools")
    assert proc.returncode == 1 and proc.stdout == fixture_text("rpm-q.kexec-tools.missing.stdout")
    kern = hx(root, "rpm", "-q", "kernel-rt")
    assert kern.returncode == 0 and kern.stdout.startswith("kernel-rt-")


# research releases.md §1.2-§1.5: the RT setup package and the kdump packages of each release
PACKAGE_SETS = {
    "8.10": ("kexec-tools", "rt-setup"),
    "9.4": ("kexec-tools", "realtime-setup"),
    "10.1": ("kexec-tools", "kdump-utils", "realtime-setup"),
}


@pytest.mark.slow
@pytest.mark.parametrize("release", ["8.10", "9.4", "10.1"])
def test_dnf_install_then_rpm_q(make_host, release):
    root = make_host(release)
    names = PACKAGE_SETS[release]
    # on 10 kexec-tools only Recommends kdump-utils: dnf's install_weak_deps pulls it in
    wanted = [n for n in names if n != "kdump-utils"]
    proc = hx(root, "dnf", "-y", "--setopt=exit_on_lock=True", "--installroot", str(root), "install", *wanted)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Complete!" in proc.stdout
    proc = hx(root, "rpm", "-q", *names)
    assert proc.returncode == 0, proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("kexec-tools-2.0.2") and lines[0].endswith(".x86_64")
    assert all(line.endswith(".x86_64") for line in lines)
    assert (root / "etc/kdump.conf").is_file() and (root / "var/crash").is_dir()
    unit = (root / "usr/lib/systemd/system/kdump.service").read_text()
    if release == "10.1":
        assert 'ExecCondition=/bin/sh -c \'grep -q -e "crashkernel" -e "fadump" /proc/cmdline\'' in unit
    else:
        assert unit.count("ConditionKernelCommandLine") == 1
    assert 'KEXEC_ARGS="-s"' in (root / "etc/sysconfig/kdump").read_text()
    if release == "8.10":
        assert (root / "usr/bin/rt-setup-kdump").exists()
        assert 'swiotlb ignition.firstboot"' in (root / "etc/sysconfig/kdump").read_text()
    else:
        assert not (root / "usr/bin/rt-setup-kdump").exists()
        assert "auto_reset_crashkernel yes" in (root / "etc/kdump.conf").read_text()
    again = hx(root, "yum", "-y", "install", "kexec-tools")
    assert again.returncode == 0
    assert "Package kexec-tools-" in again.stdout and "is already installed." in again.stdout
    missing = hx(root, "dnf", "-y", "install", "no-such-pkg")
    assert missing.returncode == 1
    assert "No match for argument: no-such-pkg" in missing.stdout + missing.stderr
    assert "Error: Unable to find a match: no-such-pkg" in missing.stderr
    # nothing landed in the machine's own rpmdb locations inside the tree
    assert not (root / "root/.rpmdb").exists()


@pytest.mark.slow
def test_yum7_messages_and_exit_codes(make_host):
    root = make_host("7.9")
    proc = hx(root, "yum", "install", "-y", "no-such-pkg")
    assert proc.returncode == 1
    assert proc.stdout == "No package no-such-pkg available.\n"
    assert proc.stderr == "Error: Nothing to do\n"
    # skip_missing_names_on_install: a missing name next to an installable one is fine
    proc = hx(root, "yum", "install", "-y", "kexec-tools", "no-such-pkg")
    assert proc.returncode == 0, proc.stderr
    assert "No package no-such-pkg available." in proc.stdout and "Complete!" in proc.stdout
    assert hx(root, "rpm", "-q", "kexec-tools").stdout == "kexec-tools-2.0.15-51.el7_9.3.x86_64\n"
    proc = hx(root, "yum", "install", "-y", "kexec-tools")
    assert proc.returncode == 0
    assert proc.stdout == fixture_text("yum-install.rhel7.already-installed.constructed.out")
    # installed + missing, nothing new: still "Nothing to do", exit 0
    proc = hx(root, "yum", "install", "-y", "kexec-tools", "no-such-pkg")
    assert proc.returncode == 0 and proc.stdout.endswith("Nothing to do\n")
    # the RHEL 7 kdump files
    assert "core_collector makedumpfile -l --message-level 1 -d 31" in (root / "etc/kdump.conf").read_text()
    assert not (root / "usr/bin/rt-setup-kdump").exists()
    assert hx(root, "yum", "install", "-y", "rt-setup").returncode == 0
    assert (root / "usr/bin/rt-setup-kdump").exists()


@pytest.mark.slow
@pytest.mark.parametrize("release,code", [("7.9", 1), ("8.10", 200), ("9.4", 200)])
def test_lock_held_with_exit_on_lock(make_host, release, code):
    root = make_host(release)
    pid = int(run_simhost("lock", root, "--seconds", "20").stdout.strip())
    try:
        manager = "yum" if release == "7.9" else "dnf"
        proc = hx(
            root,
            manager,
            "-y",
            "--setopt=exit_on_lock=True",
            "--installroot",
            str(root),
            "install",
            "kexec-tools",
        )
        assert proc.returncode == code, proc.stdout + proc.stderr
        if release == "7.9":
            assert proc.stderr == (
                f"Existing lock /var/run/yum.pid: another copy is running as pid {pid}.\n\n\n"
                "Another app is currently holding the yum lock; exiting as configured by "
                "exit_on_lock\n"
            )
        else:
            assert f"RPMDB already locked by {pid}\n" in proc.stderr
            assert f"  The application with PID {pid} is: dnf\n" in proc.stderr
        assert hx(root, "rpm", "-q", "kexec-tools").returncode == 1
    finally:
        import os
        import signal

        os.kill(pid, signal.SIGTERM)


@pytest.mark.slow
def test_yum7_waits_for_the_lock(make_host):
    root = make_host("7.9")
    pid = int(run_simhost("lock", root, "--seconds", "2.5").stdout.strip())
    t0 = time.monotonic()
    proc = hx(root, "yum", "install", "-y", "rt-setup")
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - t0 >= 2.0
    assert proc.stderr.startswith(
        f"Existing lock /var/run/yum.pid: another copy is running as pid {pid}.\n"
        "Another app is currently holding the yum lock; waiting for it to exit...\n"
        "  The other application is: yum\n    Memory : "
    )
    assert f"    State  : Sleeping, pid: {pid}\n" in proc.stderr
    assert "Complete!" in proc.stdout
    assert not (root / "run/yum.pid").exists()
