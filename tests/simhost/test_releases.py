"""Per-release facts of the simulated hosts: RHEL 10, package sets, kdumpctl verbs, RT kernel names.

The expected values come from research/releases.md and the real sources cited in simhost/releases.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from _simhost_helpers import hx, run_simhost

from simhost import kdumpctl, releases


def kc(*argv):
    out, err = io.StringIO(), io.StringIO()
    rc = kdumpctl.main(list(argv), out, err)
    return rc, out.getvalue(), err.getvalue()


def dnf_install(root: Path, *names: str, weak: bool = True):
    extra = [] if weak else ["--setopt=install_weak_deps=False"]
    return hx(root, "dnf", "-y", *extra, "install", *names)


@pytest.mark.parametrize(
    "release,kver,codename",
    [
        ("10.0", "6.12.0-55.9.1.el10_0.x86_64+rt", "Coughlan"),
        ("10.1", "6.12.0-124.45.1.el10_1.x86_64+rt", "Coughlan"),
    ],
)
def test_fresh_rhel10_host(make_host, release, kver, codename):
    root = make_host(release)
    osr = (root / "etc/os-release").read_text()
    assert f'VERSION="{release} ({codename})"' in osr and 'PLATFORM_ID="platform:el10"' in osr
    assert (
        root / "etc/redhat-release"
    ).read_text() == f"Red Hat Enterprise Linux release {release} ({codename})\n"
    assert (root / "proc/sys/kernel/osrelease").read_text() == kver + "\n"
    assert (root / "sys/kernel/realtime").read_text() == "1\n"
    mid = (root / "etc/machine-id").read_text().strip()
    entry = (root / f"boot/loader/entries/{mid}-{kver}.conf").read_text()
    assert entry.startswith(
        f"title Red Hat Enterprise Linux ({kver}) {release} ({codename})\nversion {kver}\n"
    )
    assert (root / "proc/cmdline").read_text().startswith(f"BOOT_IMAGE=(hd0,gpt2)/vmlinuz-{kver} ")
    assert "rhel-10-for-x86_64-baseos-rpms" in (root / "etc/yum.repos.d/redhat.repo").read_text()
    assert "DEFAULTKERNEL=kernel-core\n" in (root / "etc/sysconfig/kernel").read_text()
    for plugin in ("20-grub.install", "50-dracut.install"):
        assert (root / f"usr/lib/kernel/install.d/{plugin}").stat().st_mode & 0o111
    # rpm: kernel-rt-core owns /lib/modules/KVER/vmlinuz and %ghost-owns /boot/vmlinuz-KVER
    proc = hx(root, "rpm", "-qf", f"/boot/vmlinuz-{kver}")
    assert proc.returncode == 0 and proc.stdout.startswith("kernel-rt-core-6.12.0-")
    assert (root / f"boot/vmlinuz-{kver}").is_file()


@pytest.mark.parametrize("release", ["8.10", "9.4", "10.0"])
def test_dnf_refuses_system_config_kdump_after_rhel7(make_host, release):
    root = make_host(release)
    proc = dnf_install(root, "system-config-kdump")
    assert proc.returncode == 1
    # samples/commands/dnf-install.rhel8-9.no-such-package.constructed.out (dnf's own messages)
    assert "No match for argument: system-config-kdump\n" in proc.stdout
    assert proc.stderr == "Error: Unable to find a match: system-config-kdump\n"
    assert hx(root, "rpm", "-q", "kexec-tools").returncode == 1  # nothing was installed


def test_rhel7_still_has_the_three_packages(make_host):
    root = make_host("7.9")
    proc = hx(root, "yum", "-y", "install", "rt-setup", "kexec-tools", "system-config-kdump")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert hx(root, "rpm", "-q", "rt-setup", "kexec-tools", "system-config-kdump").returncode == 0
    assert (root / "usr/bin/rt-setup-kdump").is_file()


@pytest.mark.parametrize(
    "release,script", [("9.2", "realtime-setup-kdump"), ("9.4", "realtime-setup-kdump"), ("10.1", None)]
)
def test_realtime_setup_replaces_rt_setup(make_host, release, script):
    root = make_host(release)
    proc = dnf_install(root, "rt-setup")
    assert proc.returncode == 1 and proc.stderr == "Error: Unable to find a match: rt-setup\n"
    assert dnf_install(root, "realtime-setup", "kexec-tools").returncode == 0
    assert hx(root, "rpm", "-q", "realtime-setup").stdout.startswith("realtime-setup-2.")
    bindir = root / "usr/bin"
    assert not (bindir / "rt-setup-kdump").exists()
    if script:
        assert (bindir / script).is_file()
    else:
        assert not list(bindir.glob("*-kdump"))  # realtime-setup 2.5: no kdump helper at all
        assert hx(root, "realtime-setup-kdump").returncode == 127


def test_kdump_utils_owns_kdumpctl_on_rhel10(make_host, in_host):
    root = make_host("10.0")
    in_host(root)
    # kexec-tools alone (no weak deps, as image builds do): no kdumpctl, no kdump.service
    assert dnf_install(root, "kexec-tools", weak=False).returncode == 0
    assert kc("status") == (127, "", "bash: kdumpctl: command not found\n")
    assert not (root / "etc/kdump.conf").exists()
    rec = hx(root, "rpm", "-q", "--recommends", "kexec-tools")
    assert rec.stdout.split() == ["kdump-utils"]
    assert dnf_install(root, "kdump-utils").returncode == 0
    for path in (
        "/usr/bin/kdumpctl",
        "/usr/lib/systemd/system/kdump.service",
        "/etc/kdump.conf",
        "/etc/sysconfig/kdump",
        "/usr/lib/kernel/install.d/92-crashkernel.install",
    ):
        proc = hx(root, "rpm", "-qf", path)
        assert proc.stdout.startswith("kdump-utils-1.0.51-11.el10_0."), (path, proc.stdout)
    assert hx(root, "rpm", "-qf", "/usr/sbin/kexec").stdout.startswith("kexec-tools-2.0.29-2.el10.")
    # kdump-utils v1.0.51 gen-kdump-conf.sh / gen-kdump-sysconfig.sh x86_64
    assert "auto_reset_crashkernel yes" in (root / "etc/kdump.conf").read_text()
    assert 'VMCORE_CREATION_NOTIFICATION="yes"' in (root / "etc/sysconfig/kdump").read_text()
    assert kc("get-default-crashkernel") == (0, "2G-64G:256M,64G-:512M", "")
    rc, _out, err = kc("nonsense")
    assert rc == 1 and err == (
        "kdump: Usage: /usr/bin/kdumpctl {estimate|start|stop|status|restart|reload|"
        "rebuild|reset-crashkernel|propagate|showmem|test}\n"
    )
    # samples/commands/kdumpctl-status.rhel10.operational-notice.stderr, not operational here
    assert kc("status") == (
        3,
        "",
        "kdump: Kdump is not operational\nkdump: Notice: No vmcore creation test performed!\n",
    )


@pytest.mark.parametrize(
    "release,default", [("9.4", "1G-4G:192M,4G-64G:256M,64G-:512M"), ("10.1", "2G-64G:256M,64G-:512M")]
)
def test_reset_crashkernel_uses_the_release_default(make_host, in_host, release, default):
    root = make_host(release)
    in_host(root)
    assert dnf_install(root, "kexec-tools").returncode == 0
    rc, out, err = kc("reset-crashkernel")
    kver = releases.get(release).rt_kver
    assert rc == 0 and out == ""
    assert err == (
        f"kdump: Updated crashkernel={default} for kernel=/boot/vmlinuz-{kver}. "
        "Please reboot the system for the change to take effect.\n"
    )
    assert f"crashkernel={default}" in run_simhost("show", root).stdout


def test_rhel8_has_no_crashkernel_verbs(make_host, in_host):
    root = make_host("8.10")
    in_host(root)
    assert dnf_install(root, "kexec-tools").returncode == 0
    for verb in ("get-default-crashkernel", "reset-crashkernel", "_reset-crashkernel-for-installed_kernel"):
        rc, _out, err = kc(verb)
        assert rc == 1 and "Usage: /usr/bin/kdumpctl {estimate|start|" in err
    assert not (root / "usr/lib/kernel/install.d/92-crashkernel.install").exists()


def test_rt_kernel_names():
    assert releases.is_rt_kver("5.14.0-503.23.1.el9_5.x86_64+rt-debug")
    assert releases.is_rt_kver("5.14.0-354.el9.aarch64+rt-64k")
    assert releases.is_rt_kver("4.18.0-353.rt7.138.el8.x86_64+debug")
    assert not releases.is_rt_kver("5.14.0-427.20.1.el9_4.x86_64")
    assert not releases.is_rt_kver("5.14.0-300.el9.aarch64+64k-debug")
    r94, r810, r10 = releases.get("9.4"), releases.get("8.10"), releases.get("10.1")
    k = releases.check_kver_for_release(r94, "5.14.0-427.31.1.el9_4.x86_64+rt-debug")
    assert k.packages(9) == ("kernel-rt-debug-core", "kernel-rt-debug")
    assert releases.check_kver_for_release(r810, "4.18.0-553.rt7.342.el8_10.x86_64+debug").packages(8) == (
        "kernel-rt-debug-core",
        "kernel-rt-debug",
    )
    assert releases.parse_kver("3.10.0-1160.rt56.1131.el7.x86_64").packages(7) == ("kernel-rt", None)
    for rel, bad in (
        (r810, "4.18.0-553.el8_10.x86_64+rt"),
        (r94, "5.14.0-427.31.1.rt14.1.el9_4.x86_64"),
        (r10, "6.12.0-124.45.1.el10_1.aarch64+rt-64k"),
    ):
        with pytest.raises(ValueError):
            releases.check_kver_for_release(rel, bad)
    assert r94.rt_debug_kver.endswith("+rt-debug") and r10.rt_debug_kver.endswith("+rt-debug")
    assert releases.get("9.2").rt_debug_kver.endswith(".rt14.296.el9_2.x86_64+debug")


@pytest.mark.parametrize("release,script", [("8.10", "rt-setup-kdump"), ("9.2", "realtime-setup-kdump")])
def test_rt_setup_kdump_grub_matches_nothing_and_exits_0(make_host, release, script):
    """The el8-only awk regex misses …el8_10… and every el9 kernel: no grubby call, exit 0."""
    root = make_host(release)
    rel = releases.get(release)
    assert dnf_install(root, "kexec-tools", rel.rt_setup_name).returncode == 0
    before = {p.name: p.read_text() for p in (root / "boot/loader/entries").iterdir()}
    proc = hx(root, script, "--grub")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert {p.name: p.read_text() for p in (root / "boot/loader/entries").iterdir()} == before
    assert f'KDUMP_KERNELVER="{rel.rt_kver}"' in (root / "etc/sysconfig/kdump").read_text()
    bad = hx(root, script, "--bogus")
    assert bad.returncode == 255 and bad.stdout.startswith(f"usage: {script} [-g|--grub]")


def test_rt_setup_kdump_on_rhel7_adds_auto_to_rt_entries(make_host):
    root = make_host("7.9")
    assert hx(root, "yum", "-y", "install", "kexec-tools", "rt-setup").returncode == 0
    assert hx(root, "rt-setup-kdump", "--grub").returncode == 0
    entries = run_simhost("show", root).stdout
    assert "3.10.0-1160.rt56.1131.el7.x86_64 (crashkernel=auto)" in entries
    assert "3.10.0-1160.el7.x86_64 (no crashkernel)" in entries


def test_rhel10_kdump_life_cycle(make_host, in_host):
    """enable, reset-crashkernel, reboot: 2G-64G:256M reserves 256M on 8 GiB; kdump.service's ExecCondition."""
    from simhost import systemctl

    root = make_host("10.1")
    in_host(root)

    def sc(*argv):
        out, err = io.StringIO(), io.StringIO()
        rc = systemctl.main(list(argv), out, err)
        return rc, out.getvalue(), err.getvalue()

    assert sc("is-enabled", "kdump") == (4, "not-found\n", "")  # systemd 257 wording
    assert dnf_install(root, "kexec-tools").returncode == 0
    assert sc("enable", "kdump")[0] == 0
    # without crashkernel on /proc/cmdline the ExecCondition skips the unit
    assert sc("start", "kdump")[0] == 0 and sc("is-active", "kdump")[1] == "inactive\n"
    assert kc("reset-crashkernel", "--kernel=ALL")[0] == 0
    run_simhost("reboot", root)
    assert (root / "sys/kernel/kexec_crash_size").read_text() == f"{256 << 20}\n"
    assert (root / "sys/kernel/kexec_crash_loaded").read_text() == "1\n"
    assert kc("status") == (
        0,
        "",
        "kdump: Kdump is operational\nkdump: Notice: No vmcore creation test performed!\n",
    )


def test_rhel10_reserves_nothing_under_2g(make_host, in_host):
    root = make_host("10.0", ram="1536M")
    in_host(root)
    assert dnf_install(root, "kexec-tools").returncode == 0
    assert kc("reset-crashkernel")[0] == 0
    run_simhost("reboot", root)
    assert (root / "sys/kernel/kexec_crash_size").read_text() == "0\n"


def test_reset_after_update_touches_every_entry(make_host, in_host):
    """kdumpctl _reset-crashkernel-after-update (the %posttrans, not run by dnf here): all entries."""
    root = make_host("9.4")
    in_host(root)
    assert dnf_install(root, "kexec-tools").returncode == 0
    assert kc("_reset-crashkernel-after-update")[0] == 0  # kdump not enabled: nothing
    assert "crashkernel=" not in run_simhost("show", root).stdout.split("boot entries:")[1].split("\n")[0]
    hx(root, "systemctl", "enable", "kdump")
    rc, _out, err = kc("_reset-crashkernel-after-update")
    assert rc == 0 and err.count("kdump: For kernel=") == 3  # RT, non-RT and rescue
