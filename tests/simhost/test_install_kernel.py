"""`rtkdump-simhost install-kernel DIR KVER`: a new kernel-rt the way each release adds it.

The contract for the reconciler: hooks in /etc/kernel/install.d (8/9/10) and /etc/kernel/postinst.d (7)
run as real programs with SIMHOST_ROOT set and the stand-ins first on PATH, after the release's own
plugins created the new entry, so `grubby --update-kernel=/boot/vmlinuz-$KVER` edits that entry.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from _simhost_helpers import hx, run_simhost

from simhost import bootloader, releases
from simhost.host import Host, read_grubenv

NEW = {
    "7.9": "3.10.0-1160.119.1.rt56.1266.el7.x86_64",
    "8.10": "4.18.0-553.16.1.rt7.357.el8_10.x86_64",
    "9.2": "5.14.0-284.30.1.rt14.315.el9_2.x86_64",
    "9.4": "5.14.0-427.31.1.el9_4.x86_64+rt",
    "10.0": "6.12.0-55.20.1.el10_0.x86_64+rt",
    "10.1": "6.12.0-124.50.1.el10_1.x86_64+rt",
}
HOOK = """#!/bin/sh
# what rtkdump installs: give new RT entries the state's crashkernel= value
echo "hook $*"
echo "root=$SIMHOST_ROOT mid=${KERNEL_INSTALL_MACHINE_ID:-}" >> "$SIMHOST_ROOT/tmp/hook.log"
case "$1" in add) kver=$2 ;; *) kver=$1 ;; esac
exec grubby --update-kernel=/boot/vmlinuz-$kver --args=crashkernel=768M
"""


def install(root: Path, kver: str, check: bool = True):
    return run_simhost("install-kernel", root, kver, check=check)


def entry_args(root: Path, kver: str) -> str:
    host = Host(root)
    if host.release.bls:
        env = read_grubenv(root / "boot/grub2/grubenv")
        for e in bootloader.load_bls(root / "boot/loader/entries"):
            if e.linux == f"/vmlinuz-{kver}":
                return bootloader.grub_expand(e.options, env)
        raise AssertionError(f"no entry for {kver}")
    cfg = bootloader.GrubCfg(root / "boot/grub2/grub.cfg")
    for e in cfg.entries:
        _i, el = cfg.kernel_elements(e)
        if el[1][0] == f"/vmlinuz-{kver}":
            return " ".join(a for a, _ws in el[2:])
    raise AssertionError(f"no entry for {kver}")


def default_kver(root: Path) -> str:
    from simhost import kernel

    return kernel.default_entry(Host(root)).kver


def put_hook(root: Path) -> None:
    rel = Host(root).release
    path = root / (
        "etc/kernel/postinst.d/rtkdump-crashkernel"
        if rel.major == 7
        else "etc/kernel/install.d/95-rtkdump-crashkernel.install"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HOOK)
    path.chmod(0o755)


@pytest.mark.parametrize("release", ["7.9", "8.10", "9.4", "10.1"])
def test_hook_in_etc_edits_the_new_entry(make_host, release):
    root = make_host(release)
    put_hook(root)
    kver = NEW[release]
    proc = install(root, kver)
    assert "Complete!" in proc.stdout
    rel = releases.get(release)
    # the hook saw the real arguments of its release
    if release == "7.9":
        assert f"hook {kver} /boot/vmlinuz-{kver}\n" in proc.stdout
    else:
        mid = (root / "etc/machine-id").read_text().strip()
        assert f"hook add {kver} /boot/{mid}/{kver} /lib/modules/{kver}/vmlinuz\n" in proc.stdout
        assert f"mid={mid}" in (root / "tmp/hook.log").read_text()
    assert f"root={root}" in (root / "tmp/hook.log").read_text()
    args = entry_args(root, kver)
    assert args.split().count("crashkernel=768M") == 1
    assert (root / f"boot/vmlinuz-{kver}").is_file() and (root / f"boot/initramfs-{kver}.img").is_file()
    owner = releases.parse_kver(kver).packages(rel.major)[0]
    q = hx(root, "rpm", "-q", owner)
    assert (
        q.returncode == 0
        and f"{owner}-{releases.parse_kver(kver).version}-{releases.parse_kver(kver).release}" in q.stdout
    )
    # the old RT entry is untouched
    assert "crashkernel" not in entry_args(root, rel.rt_kver)
    # installing it again is dnf's "already installed"
    again = install(root, kver)
    assert "is already installed." in again.stdout


def test_new_entry_options_per_release(make_host):
    # 7: --copy-default copies the DEFAULT entry's args
    h7 = make_host("7.9")
    hx(h7, "grubby", "--update-kernel=DEFAULT", "--args=crashkernel=auto quiet_extra=1")
    install(h7, NEW["7.9"])
    assert entry_args(h7, NEW["7.9"]) == entry_args(h7, releases.get("7.9").rt_kver)
    # 8: the literal $kernelopts, expanded from grubenv at boot: no RT args, no crashkernel
    h8 = make_host("8.10")
    install(h8, NEW["8.10"])
    mid = (h8 / "etc/machine-id").read_text().strip()
    assert "options $kernelopts\n" in (h8 / f"boot/loader/entries/{mid}-{NEW['8.10']}.conf").read_text()
    assert "crashkernel" not in entry_args(h8, NEW["8.10"]) and "isolcpus" not in entry_args(h8, NEW["8.10"])
    # 9: /proc/cmdline minus BOOT_IMAGE when /etc/kernel/cmdline is absent ...
    h9 = make_host("9.4")
    cmdline = (h9 / "proc/cmdline").read_text().split()
    install(h9, NEW["9.4"])
    assert entry_args(h9, NEW["9.4"]).split() == cmdline[1:]
    # ... and /etc/kernel/cmdline when it exists
    (h9 / "etc/kernel/cmdline").write_text("root=/dev/mapper/rhel-root ro crashkernel=1G\n")
    install(h9, "5.14.0-427.40.1.el9_4.x86_64+rt")
    assert entry_args(h9, "5.14.0-427.40.1.el9_4.x86_64+rt") == "root=/dev/mapper/rhel-root ro crashkernel=1G"


@pytest.mark.parametrize(
    "release,defaultkernel,kver,expected",
    [
        ("9.4", "kernel-core", NEW["9.4"], False),  # 64k|auto|rt|uki never becomes default
        ("9.4", "kernel-rt-core", NEW["9.4"], True),
        ("9.4", "kernel-rt-core", "5.14.0-427.31.1.el9_4.x86_64+rt-debug", False),  # debug: DEFAULTDEBUG only
        ("10.1", "kernel-rt-core", NEW["10.1"], True),
        ("10.1", "kernel-core", NEW["10.1"], False),
        ("9.2", "kernel-core", NEW["9.2"], True),  # before b9c80be only +debug is kept off
        ("9.2", "kernel-core", "5.14.0-284.30.1.rt14.315.el9_2.x86_64+debug", False),
        ("8.10", "kernel-core", NEW["8.10"], True),  # rhel-8.8.0: only '+' versions are kept off
        ("7.9", "kernel", NEW["7.9"], False),  # new-kernel-pkg: DEFAULTKERNEL must equal the package
        ("7.9", "kernel-rt", NEW["7.9"], True),
    ],
)
def test_defaultkernel_rules(make_host, release, defaultkernel, kver, expected):
    root = make_host(release)
    (root / "etc/sysconfig/kernel").write_text(f"UPDATEDEFAULT=yes\nDEFAULTKERNEL={defaultkernel}\n")
    old = default_kver(root)
    install(root, kver)
    assert default_kver(root) == (kver if expected else old)
    if expected:
        run_simhost("reboot", root)
        assert (root / "proc/sys/kernel/osrelease").read_text() == kver + "\n"


def test_updatedefault_no_keeps_the_default(make_host):
    root = make_host("8.10")
    (root / "etc/sysconfig/kernel").write_text("UPDATEDEFAULT=no\nDEFAULTKERNEL=kernel-core\n")
    install(root, NEW["8.10"])
    assert default_kver(root) == releases.get("8.10").rt_kver


def _kdump_ready(root: Path, conf_line: str, enable: bool = True) -> None:
    rel = Host(root).release
    assert hx(root, "dnf", "-y", "install", "kexec-tools").returncode == 0
    conf = root / "etc/kdump.conf"
    text = re.sub(r"^auto_reset_crashkernel .*$\n?", "", conf.read_text(), flags=re.M)
    conf.write_text(text + conf_line)
    if enable:
        assert hx(root, "systemctl", "enable", "kdump").returncode == 0
    assert rel.crashkernel_hook


@pytest.mark.parametrize("release", ["9.4", "10.0", "10.1"])
def test_92_crashkernel_resets_to_the_default(make_host, release):
    root = make_host(release)
    _kdump_ready(root, "auto_reset_crashkernel yes\n")
    rel = releases.get(release)
    kver = NEW[release]
    proc = install(root, kver)
    word = "kdump-utils" if release == "10.1" else "kexec-tools"
    assert (
        f"kdump: For kernel=/boot/vmlinuz-{kver}, crashkernel={rel.default_crashkernel} now. Please reboot the "
        f"system for the change to take effect. Note if you don't want {word} to manage the crashkernel kernel "
        "parameter, please set auto_reset_crashkernel=no in /etc/kdump.conf.\n"
    ) in proc.stderr
    assert f"crashkernel={rel.default_crashkernel}" in entry_args(root, kver).split()
    # and a custom value carried by /proc/cmdline is overwritten too (5b31b09)
    hx(root, "grubby", "--update-kernel=DEFAULT", "--args=crashkernel=640M")
    run_simhost("reboot", root)
    kver2 = kver.replace(".1.el", ".2.el", 1) if ".1.el" in kver else kver.replace("-", "-9", 1)
    install(root, kver2)
    assert f"crashkernel={rel.default_crashkernel}" in entry_args(root, kver2).split()
    assert "crashkernel=640M" not in entry_args(root, kver2).split()


@pytest.mark.parametrize(
    "conf_line,enable", [("auto_reset_crashkernel no\n", True), ("auto_reset_crashkernel yes\n", False)]
)
def test_92_crashkernel_needs_auto_reset_and_enabled_kdump(make_host, conf_line, enable):
    root = make_host("10.1")
    _kdump_ready(root, conf_line, enable)
    proc = install(root, NEW["10.1"])
    assert "For kernel=" not in proc.stderr
    assert "crashkernel" not in entry_args(root, NEW["10.1"])


def test_92_crashkernel_on_9_2_copies_the_running_value(make_host):
    """kexec-tools 2.0.25 (before 5b31b09): the running kernel's value, kdump enabled or not."""
    root = make_host("9.2")
    _kdump_ready(root, "auto_reset_crashkernel yes\n", enable=False)
    rt = releases.get("9.2").rt_kver
    hx(root, "grubby", f"--update-kernel=/boot/vmlinuz-{rt}", "--args=crashkernel=640M")
    (root / "etc/kernel/cmdline").write_text(
        "root=/dev/mapper/rhel-root ro\n"
    )  # no crashkernel in the template
    proc = install(root, NEW["9.2"])
    assert (
        f"kexec-tools has reset /boot/vmlinuz-{NEW['9.2']} to use the new default crashkernel value 640M\n"
        in proc.stdout
    )
    assert entry_args(root, NEW["9.2"]) == "root=/dev/mapper/rhel-root ro crashkernel=640M"


def test_plugins_merge_mask_and_skip(make_host):
    root = make_host("9.4")
    _kdump_ready(root, "auto_reset_crashkernel yes\n")
    etc = root / "etc/kernel/install.d"
    # a /dev/null symlink disables the packaged 92-crashkernel.install
    os.symlink("/dev/null", etc / "92-crashkernel.install")
    put_hook(root)
    # a non-executable file is not run; 99 after a plugin that exits 77 is skipped
    (etc / "90-notexec.install").write_text("#!/bin/sh\necho NOTEXEC\n")
    (etc / "96-stop.install").write_text("#!/bin/sh\necho stop-here\nexit 77\n")
    (etc / "96-stop.install").chmod(0o755)
    (etc / "99-after.install").write_text("#!/bin/sh\necho AFTER\n")
    (etc / "99-after.install").chmod(0o755)
    proc = install(root, NEW["9.4"])
    assert "NOTEXEC" not in proc.stdout and "AFTER" not in proc.stdout and "stop-here" in proc.stdout
    assert proc.stdout.index("hook add") < proc.stdout.index("stop-here")
    assert "For kernel=" not in proc.stderr
    assert entry_args(root, NEW["9.4"]).split()[-1] == "crashkernel=768M"


def test_failing_plugin_warns_like_rpm(make_host):
    root = make_host("10.0")
    etc = root / "etc/kernel/install.d"
    (etc / "95-fail.install").write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
    (etc / "95-fail.install").chmod(0o755)
    proc = install(root, NEW["10.0"])
    assert proc.returncode == 0  # the package stays installed
    assert "broken\n" in proc.stderr
    assert (
        "warning: %posttrans(kernel-rt-core-6.12.0-55.20.1.el10_0.x86_64) scriptlet failed, exit status 3"
        in proc.stderr
    )


def test_rt_debug_variant_on_10(make_host):
    root = make_host("10.1")
    kver = "6.12.0-124.45.1.el10_1.x86_64+rt-debug"
    install(root, kver)
    assert hx(root, "rpm", "-q", "kernel-rt-debug-core").stdout.startswith(
        "kernel-rt-debug-core-6.12.0-124.45.1.el10_1"
    )
    mid = (root / "etc/machine-id").read_text().strip()
    entry = (root / f"boot/loader/entries/{mid}-{kver}.conf").read_text()
    # 20-grub.install: "+rt-debug" is not "+debug", so no " with debugging" title
    assert entry.startswith(f"title Red Hat Enterprise Linux ({kver}) 10.1 (Coughlan)\nversion {kver}\n")
    bad = install(root, "6.12.0-124.45.1.el10_1.aarch64+rt-64k", check=False)
    assert bad.returncode == 1 and "x86_64" in bad.stderr


def test_show_lists_entries_and_defaultkernel(make_host):
    root = make_host("9.4")
    put_hook(root)
    install(root, NEW["9.4"])
    out = run_simhost("show", root).stdout
    assert f"{NEW['9.4']} (crashkernel=768M)" in out
    assert "DEFAULTKERNEL=kernel-core UPDATEDEFAULT=yes" in out
    assert "packages:" in out and "realtime-setup" in out
