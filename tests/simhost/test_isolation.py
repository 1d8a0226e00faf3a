"""Nothing outside DIR is written (except the RPM repository cache)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Tuple

import pytest
from _simhost_helpers import hx, run_simhost

# Debian's rpm keeps the machine's own database in ~/.rpmdb. Other rpm users on a shared machine
# touch the real one, so the test gives its children a private HOME and watches that one instead.
WATCHED_DIRS = [
    "/var/lib/rpm",
    "/var/lib/dnf",
    "/var/cache/dnf",
    "/var/log",
    "/etc/systemd/system",
    "/etc/systemd/system/multi-user.target.wants",
    "/etc/sysconfig",
    "/etc/yum.repos.d",
    "/etc/dnf",
    "/etc",
    "/boot",
    "/boot/grub2",
    "/boot/loader/entries",
]
MUST_NOT_APPEAR = [
    "/etc/kdump.conf",
    "/etc/sysconfig/kdump",
    "/usr/lib/systemd/system/kdump.service",
    "/usr/bin/kdumpctl",
    "/var/crash",
    "/run/simhost",
    "/run/yum.pid",
    "/var/run/yum.pid",
    "/etc/kernel/cmdline",
    "/var/lib/rpm/rpmdb.sqlite",
    "/boot/vmlinuz-6.12.0-124.50.1.el10_1.x86_64+rt",
    "/lib/modules/6.12.0-124.50.1.el10_1.x86_64+rt",
    "/boot/vmlinuz-3.10.0-1160.119.1.rt56.1266.el7.x86_64",
]


def snapshot(extra_dirs=()) -> Dict[str, Tuple]:
    snap: Dict[str, Tuple] = {}
    for d in [*WATCHED_DIRS, *extra_dirs]:
        p = Path(d)
        if not p.is_dir():
            snap[d] = ("absent",)
            continue
        entries = []
        for child in sorted(p.iterdir()):
            try:
                st = child.lstat()
            except FileNotFoundError:
                continue
            if child.is_dir() and not child.is_symlink():
                entries.append((child.name, "dir"))
            else:
                entries.append((child.name, st.st_size, st.st_mtime_ns))
        snap[d] = tuple(entries)
    for f in MUST_NOT_APPEAR:
        snap[f] = (os.path.lexists(f),)
    return snap


@pytest.mark.slow
def test_a_whole_life_cycle_writes_only_inside_dir(simhost_cache, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".rpmdb").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))  # the machine's own rpm database, private to this test
    private = [str(home / ".rpmdb")]
    before = snapshot(private)
    before_present = {f for f in MUST_NOT_APPEAR if os.path.lexists(f)}
    for release, new_kver in (
        ("7.9", "3.10.0-1160.119.1.rt56.1266.el7.x86_64"),
        ("10.1", "6.12.0-124.50.1.el10_1.x86_64+rt"),
    ):
        root = tmp_path / release
        run_simhost("create", root, "--release", release)
        manager, rt_setup = ("yum", "rt-setup") if release == "7.9" else ("dnf", "realtime-setup")
        assert (
            hx(root, manager, "-y", "--installroot", str(root), "install", "kexec-tools", rt_setup).returncode
            == 0
        )
        assert hx(root, "systemctl", "--root", str(root), "enable", "kdump").returncode == 0
        args = (
            ["--bls-directory", str(root / "boot/loader/entries"), "--env", str(root / "boot/grub2/grubenv")]
            if release != "7.9"
            else ["--config-file", str(root / "boot/grub2/grub.cfg")]
        )
        assert hx(root, "grubby", *args, "--update-kernel=ALL", "--args=crashkernel=512M").returncode == 0
        run_simhost("reboot", root)
        assert (root / "sys/kernel/kexec_crash_loaded").read_text() == "1\n"
        assert hx(root, "systemctl", "restart", "kdump").returncode == 0
        assert hx(root, "kdumpctl", "status").returncode == 0
        assert hx(root, "rpm", "-q", "kexec-tools").returncode == 0
        pid = int(run_simhost("lock", root, "--seconds", "0.5").stdout)
        assert pid > 0
        run_simhost("crash", root)
        assert list((root / "var/crash").glob("127.0.0.1-*/vmcore"))
        run_simhost("install-kernel", root, new_kver)  # plugins and hooks run with cwd and root = DIR
        assert (root / f"boot/vmlinuz-{new_kver}").is_file()
        run_simhost("show", root)
    import time

    time.sleep(0.6)  # let the lock holders finish and clean up
    after = snapshot(private)
    for f in MUST_NOT_APPEAR:
        if f not in before_present:
            assert not os.path.lexists(f), f"{f} was created outside the host tree"
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    # /var/log and /etc can legitimately change through other processes on a shared machine: only
    # entries that look like ours count there
    for noisy in ("/var/log", "/etc"):
        if noisy in changed:
            b, a = changed.pop(noisy)
            new = {e[0] for e in a} - {e[0] for e in b}
            assert not (
                new
                & {
                    "dnf.log",
                    "dnf.rpm.log",
                    "dnf.librepo.log",
                    "hawkey.log",
                    "yum.log",
                    "simhost-boot.log",
                    "kdump.conf",
                    "grub2.cfg",
                    "machine-id",
                }
            ), new
    assert not changed, changed
