"""systemctl and kdumpctl stand-ins: states, messages and exit codes per release."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from _simhost_helpers import fixture_text, hx

from simhost import kdumpctl, systemctl


def install_kexec_tools(root: Path) -> None:
    """Install through the real rpm (fast): the repository RPM of this release, no scriptlets exist."""
    from simhost import repo
    from simhost.host import Host

    rel = Host(root).release
    # RHEL 10: kdumpctl, kdump.conf and kdump.service are in kdump-utils, which needs kexec-tools
    names = ("kexec-tools", "kdump-utils") if rel.kdump_utils else ("kexec-tools",)
    proc = hx(root, "rpm", "-i", *(str(repo.rpm_path(rel, n)) for n in names))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no Debian "use Alien" warning


def sc(*argv):
    out, err = io.StringIO(), io.StringIO()
    rc = systemctl.main(list(argv), out, err)
    return rc, out.getvalue(), err.getvalue()


def kc(*argv):
    out, err = io.StringIO(), io.StringIO()
    rc = kdumpctl.main(list(argv), out, err)
    return rc, out.getvalue(), err.getvalue()


def add_crashkernel(root: Path, value: str) -> None:
    from simhost import grubby, kernel
    from simhost.host import Host

    out, err = io.StringIO(), io.StringIO()
    assert grubby.main(["--update-kernel=DEFAULT", f"--args=crashkernel={value}"], out, err) == 0, (
        err.getvalue()
    )
    kernel.boot(Host(root))


@pytest.mark.parametrize("release", ["7.9", "8.10", "9.2", "9.4"])
def test_is_enabled_and_is_active_lifecycle(make_host, in_host, release):
    root = make_host(release)
    in_host(root)
    missing = "Failed to get unit file state for kdump.service: No such file or directory\n"
    assert sc("is-enabled", "kdump") == (1, "", missing)
    assert sc("is-active", "kdump") == (3, "unknown\n" if release == "7.9" else "inactive\n", "")
    install_kexec_tools(root)
    assert sc("is-enabled", "kdump") == (1, "disabled\n", "")
    assert sc("is-active", "kdump.service")[1] == ("unknown\n" if release == "7.9" else "inactive\n")
    rc, out, err = sc("--root", str(root), "enable", "kdump")
    assert rc == 0 and out == ""
    if release == "7.9":
        assert err == (
            "Created symlink from /etc/systemd/system/multi-user.target.wants/kdump.service to "
            "/usr/lib/systemd/system/kdump.service.\n"
        )
    else:
        assert err == (
            "Created symlink /etc/systemd/system/multi-user.target.wants/kdump.service \u2192 "
            "/usr/lib/systemd/system/kdump.service.\n"
        )
    assert sc("is-enabled", "kdump") == (0, "enabled\n", "")
    assert sc("is-active", "kdump") == (3, "inactive\n", "")
    rc, out, err = sc("disable", "kdump")
    assert rc == 0 and err.startswith(
        {
            "7.9": "Removed symlink /etc/",
            "8.10": "Removed /etc/",
            "9.2": 'Removed "/etc/',
            "9.4": 'Removed "/etc/',
        }[release]
    )
    assert sc("-q", "is-enabled", "kdump") == (1, "", "")


def test_start_without_reservation_rhel7(make_host, in_host):
    root = make_host("7.9")
    in_host(root)
    install_kexec_tools(root)
    rc, out, err = sc("start", "kdump")
    assert (rc, out) == (1, "")
    assert err == (
        "Job for kdump.service failed because the control process exited with error code. "
        'See "systemctl status kdump.service" and "journalctl -xe" for details.\n'
    )
    assert sc("is-active", "kdump") == (3, "failed\n", "")
    rc, out, _ = sc("status", "kdump")
    assert rc == 3 and "Active: failed (Result: exit-code)" in out
    assert "No memory reserved for crash kernel" in out
    # kdumpctl itself prints on stdout without prefix
    assert kc("start") == (1, fixture_text("kdumpctl-start.rhel7.no-crash-memory.stdout"), "")


def test_start_on_rhel9_without_crashkernel_is_a_skipped_condition(make_host, in_host):
    root = make_host("9.4")
    in_host(root)
    install_kexec_tools(root)
    assert sc("start", "kdump") == (0, "", "")
    assert sc("is-active", "kdump") == (3, "inactive\n", "")
    rc, out, _ = sc("status", "kdump")
    assert rc == 3 and "ConditionKernelCommandLine=crashkernel was not met" in out
    # crashkernel=auto is on the command line (condition met) but RHEL 9 reserves nothing
    add_crashkernel(root, "auto")
    assert (root / "sys/kernel/kexec_crash_size").read_text() == "0\n"
    rc, out, err = sc("start", "kdump")
    assert rc == 1 and err.startswith("Job for kdump.service failed because the control process exited")
    assert kc("start") == (
        1,
        "",
        "kdump: No memory reserved for crash kernel\nkdump: Starting kdump: [FAILED]\n",
    )


@pytest.mark.parametrize(
    "release,value,size",
    [("7.9", "auto", 161), ("8.10", "auto", 256), ("9.2", "1G-4G:192M,4G-64G:256M,64G-:512M", 256)],
)
def test_start_after_reboot_loads_kdump(make_host, in_host, release, value, size):
    root = make_host(release, ram="8G")
    in_host(root)
    install_kexec_tools(root)
    add_crashkernel(root, value)
    assert int((root / "sys/kernel/kexec_crash_size").read_text()) == size << 20
    assert sc("restart", "kdump") == (0, "", "")
    assert (root / "sys/kernel/kexec_crash_loaded").read_text() == "1\n"
    assert sc("is-active", "kdump") == (0, "active\n", "")
    if release == "7.9":
        assert kc("status") == (0, fixture_text("kdumpctl-status.rhel7.operational.stdout"), "")
        assert kc("showmem") == (0, fixture_text("kdumpctl-showmem.rhel7.stdout"), "")
    else:
        assert kc("status") == (0, "", fixture_text("kdumpctl-status.rhel9.operational.stderr"))
        assert kc("start") == (0, "", "kdump: Kdump already running: [WARNING]\n")
    assert list((root / "boot").glob("initramfs-*kdump.img"))
    assert sc("stop", "kdump")[0] == 0
    assert (root / "sys/kernel/kexec_crash_loaded").read_text() == "0\n"
    assert sc("is-active", "kdump") == (3, "inactive\n", "")


CONF_CASES = [
    ("7.9", "nfs srv:/export\nssh root@srv\n", "kdumpctl-start.rhel7.two-targets.stdout"),
    (
        "7.9",
        "path /var/crash\n  core_collector makedumpfile -l\n",
        "kdumpctl-start.rhel7.leading-whitespace.stdout",
    ),
    ("9.4", "nfs srv:/export\nssh root@srv\n", "kdumpctl-start.rhel9.two-targets.stderr"),
    ("9.4", "foo bar\n", "kdumpctl-start.rhel9.unknown-option.stderr"),
]


@pytest.mark.parametrize("release,conf,expected", CONF_CASES)
def test_invalid_kdump_conf_is_rejected(make_host, in_host, release, conf, expected):
    root = make_host(release)
    in_host(root)
    install_kexec_tools(root)
    add_crashkernel(root, "256M")
    (root / "etc/kdump.conf").write_text(conf)
    rc, out, err = kc("start")
    assert rc == 1
    assert (out if release == "7.9" else err) == fixture_text(expected)
    assert (root / "sys/kernel/kexec_crash_loaded").read_text() == "0\n"


@pytest.mark.parametrize(
    "release,conf,message",
    [
        (
            "7.9",
            "options foo\n",
            "Deprecated kdump config option: options. Refer to kdump.conf manpage for alternatives.",
        ),
        (
            "9.4",
            "net root@srv\n",
            "kdump: Deprecated kdump config option: net. Refer to kdump.conf manpage for alternatives.",
        ),
        ("9.4", "path /var/crash\npath /srv\n", "kdump: Duplicated kdump config value of option path"),
        ("8.10", "path /var/crash\npath /srv\n", "kdump: Duplicated kdump config value of option path"),
        ("7.9", "path /nonexistent\n", "Dump path /nonexistent does not exist."),
        ("9.4", "path /nonexistent\n", "kdump: Dump path /nonexistent does not exist."),
        ("9.4", "raw /dev/sdz1\n", "kdump: raw partition /dev/sdz1 not found"),
        ("9.4", "xfs /dev/mapper/nope\n", "kdump: Dump target /dev/mapper/nope is probably not mounted."),
        # issue 9: the per-release rules of docs/kdumpctl-rules.md, with the real messages
        *[
            (
                rel,
                "ssh kdump@dumps.example.com\ncore_collector makedumpfile -l -d 31\n",
                ("" if rel == "7.9" else "kdump: ")
                + 'The specified dump target needs makedumpfile "-F" option.',
            )
            for rel in ("7.9", "8.10", "9.2", "9.4", "10.0", "10.1")
        ],
        ("9.4", "core_collector makedumpfile -F -l -d 31\n", "kdump: makedumpfile parameter check failed."),
        ("10.1", "core_collector makedumpfile -l -d 32\n", "Dump_level(32) is invalid."),
        (
            "9.2",
            "ssh kdump@Dumps.Example.com\n",
            "kdump: Invalid ssh destination kdump@Dumps.Example.com provided.",
        ),
        (
            "9.2",
            "default reboot\nfailure_action reboot\n",
            "kdump: Cannot specify 'failure_action' and 'default' option together",
        ),
        (
            "9.4",
            "default reboot\nfailure_action reboot\n",
            "kdump: Duplicated kdump config value of option failure_action",
        ),
        ("7.9", "final_action reboot\n", "Invalid kdump config option final_action"),
        (
            "10.0",
            "ssh dumps.example.com\n",
            "kdump: Please verify that /etc/kdump.conf contains 'ssh <user>@<host>' and that it is properly formatted.",
        ),
        # no supported release strips quotes: the directory is "/var/crash" with its quotes
        ("9.4", 'path "/var/crash"\n', 'kdump: Dump path "/var/crash" does not exist.'),
        ("7.9", 'path "/var/crash"\n', 'Dump path "/var/crash" does not exist.'),
    ],
)
def test_more_kdumpctl_errors(make_host, in_host, release, conf, message):
    root = make_host(release)
    in_host(root)
    install_kexec_tools(root)
    add_crashkernel(root, "256M")
    (root / "etc/kdump.conf").write_text(conf)
    rc, out, err = kc("start")
    assert rc == 1 and message + "\n" in out + err
    assert (out if release == "7.9" else err).endswith("Starting kdump: [FAILED]\n")


def test_rhel9_accepts_leading_whitespace_and_missing_config(make_host, in_host):
    root = make_host("9.4")
    in_host(root)
    assert kc("status") == (127, "", "bash: kdumpctl: command not found\n")
    install_kexec_tools(root)
    add_crashkernel(root, "256M")
    (root / "etc/kdump.conf").write_text("  path /var/crash\n")
    assert kc("start")[0] == 0
    (root / "etc/kdump.conf").unlink()
    assert kc("status") == (1, "", "kdump: Error: No kdump config file found!\n")
    # kexec-tools 2.0.27-5 kdumpctl tests for kdump.conf before main(), whatever the verb
    assert kc("get-default-crashkernel") == (1, "", "kdump: Error: No kdump config file found!\n")
    (root / "etc/kdump.conf").write_text("path /var/crash\n")
    assert kc("get-default-crashkernel") == (0, "1G-4G:192M,4G-64G:256M,64G-:512M", "")


def test_reset_crashkernel_rhel9(make_host, in_host):
    root = make_host("9.4")
    in_host(root)
    install_kexec_tools(root)
    rc, out, err = kc("reset-crashkernel")
    assert rc == 0 and err == fixture_text("kdumpctl-reset-crashkernel.rhel9.updated.stderr")
    assert kc("reset-crashkernel") == (0, "", "")  # already the default: nothing to do


def test_boot_starts_enabled_kdump(make_host, in_host):
    root = make_host("9.4")
    in_host(root)
    install_kexec_tools(root)
    assert sc("enable", "kdump")[0] == 0
    add_crashkernel(root, "1G-4G:192M,4G-64G:256M,64G-:512M")
    assert (root / "sys/kernel/kexec_crash_loaded").read_text() == "1\n"
    assert sc("is-active", "kdump") == (0, "active\n", "")
    assert "started kdump.service (active)" in (root / "var/log/simhost-boot.log").read_text()


@pytest.mark.slow
def test_rt_setup_kdump_rhel8(make_host):
    root = make_host("8.10")
    assert hx(root, "rt-setup-kdump").returncode == 127
    for name in ("kexec-tools", "rt-setup"):
        from simhost import releases, repo

        assert hx(root, "rpm", "-i", str(repo.rpm_path(releases.get("8.10"), name))).returncode == 0
    proc = hx(root, "rt-setup-kdump")
    assert proc.returncode == 0
    # the real script's echo lines, blank ones included (realtime-setup @24d598f rt-setup-kdump)
    assert proc.stdout == (
        "Not performing changes to /etc/grub.conf\n\n"
        "  Kernel DOES NOT have memory reserved for kdump kernel...\n"
        "  Use --grub option to enable crashkernel option on kernel command line\n\n"
    )
    assert 'KDUMP_KERNELVER="4.18.0-553.rt7.342.el8_10.x86_64"' in (root / "etc/sysconfig/kdump").read_text()
    assert (root / "etc/sysconfig/kdump.save").exists()


def test_enable_now_status_and_unknown_units(make_host, in_host):
    root = make_host("9.4")
    in_host(root)
    install_kexec_tools(root)
    add_crashkernel(root, "256M")
    rc, out, err = sc("enable", "--now", "kdump")
    assert rc == 0 and "Created symlink" in err
    assert sc("is-active", "kdump") == (0, "active\n", "")
    rc, out, _ = sc("status", "kdump")
    assert rc == 0 and out.startswith("\u25cf kdump.service - Crash recovery kernel arming\n")
    assert (
        "     Active: active (exited) since " in out and "kdumpctl[" in out and "Starting kdump: [OK]" in out
    )
    assert sc("show", "-p", "ActiveState", "--value", "kdump") == (0, "active\n", "")
    assert sc("status", "nosuch") == (4, "", "Unit nosuch.service could not be found.\n")
    assert sc("start", "nosuch") == (
        5,
        "",
        "Failed to start nosuch.service: Unit nosuch.service not found.\n",
    )
    assert sc("mask", "kdump")[0] == 0
    assert sc("is-enabled", "kdump") == (1, "masked\n", "")
