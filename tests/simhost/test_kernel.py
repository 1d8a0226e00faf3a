"""The simulated kernel: crashkernel= reservations at boot, sysrq crash and vmcore."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from _simhost_helpers import hx, run_simhost

from simhost import grubby, kernel
from simhost.host import Host

MiB, GiB = 1 << 20, 1 << 30


def regions(root: Path):
    text = (root / "proc/iomem").read_text()
    return [
        (int(a, 16), int(b, 16))
        for a, b in re.findall(r"^  ([0-9a-f]+)-([0-9a-f]+) : Crash kernel$", text, re.M)
    ]


def set_args(root: Path, *args: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert grubby.main(["--update-kernel=DEFAULT", "--args=" + " ".join(args)], out, err) == 0, err.getvalue()


@pytest.mark.parametrize(
    "release,ram,args,sizes",
    [
        ("7.9", "2G", ["crashkernel=auto"], []),
        ("7.9", "8G", ["crashkernel=auto"], [161]),
        ("7.9", "3G", ["crashkernel=auto"], []),  # the RT guide's 4 GB threshold
        ("8.10", "8G", ["crashkernel=auto"], [256]),
        ("8.10", "1G", ["crashkernel=auto"], []),
        ("8.10", "2G", ["crashkernel=auto"], [192]),
        ("9.4", "8G", ["crashkernel=auto"], []),  # auto is gone on RHEL 9
        ("9.4", "8G", ["crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M"], [256]),
        ("9.4", "4G", ["crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M"], [256]),  # end is exclusive
        ("9.4", "3G", ["crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M"], [192]),
        ("9.4", "512M", ["crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M"], []),
        # iomem lists by address: the ,low region (< 4 GiB) first; kexec_crash_size reports the high one
        ("9.2", "8G", ["crashkernel=512M,high", "crashkernel=256M,low"], [256, 512]),
        ("9.2", "8G", ["crashkernel=512M,high", "crashkernel=128M,low"], [128, 512]),
        ("9.2", "8G", ["crashkernel=512M,high"], [256, 512]),  # default low size
        ("9.2", "8G", ["crashkernel=8G"], []),  # size >= RAM is rejected
        ("9.2", "8G", ["crashkernel=128M@16M"], [128]),
    ],
)
def test_reservation_rules(make_host, in_host, release, ram, args, sizes):
    root = make_host(release, ram=ram)
    in_host(root)
    set_args(root, *args)
    run_simhost("reboot", root)
    cmdline = (root / "proc/cmdline").read_text()
    for a in args:
        assert f" {a}" in cmdline
    got = regions(root)
    assert [(e - s + 1) // MiB for s, e in got] == sizes
    size = int((root / "sys/kernel/kexec_crash_size").read_text())
    assert size == (max(sizes) * MiB if sizes else 0)
    assert (root / "sys/kernel/kexec_crash_loaded").read_text() == "0\n"
    log = (root / "var/log/simhost-boot.log").read_text()
    assert ("Reserving" in log or "crashkernel reserved" in log) == bool(sizes)
    if len(sizes) == 2:
        low, high = got
        assert high[0] >= 4 * GiB and low[1] < 4 * GiB


def test_last_crashkernel_of_each_kind_wins(make_host, in_host):
    root = make_host("9.4")
    in_host(root)
    # grubby-bls would collapse duplicates, so write the BLS options directly
    entry = next((root / "boot/loader/entries").glob("*+rt.conf"))
    text = entry.read_text().replace("rhgb quiet", "rhgb quiet crashkernel=128M crashkernel=384M")
    entry.write_text(text)
    kernel.boot(Host(root))
    assert [(e - s + 1) // MiB for s, e in regions(root)] == [384]


def test_iomem_format(make_host, in_host):
    root = make_host("9.2", ram="16G")
    in_host(root)
    set_args(root, "crashkernel=512M,high")
    kernel.boot(Host(root))
    lines = (root / "proc/iomem").read_text().splitlines()
    for line in lines:
        assert re.fullmatch(r"( {2})*[0-9a-f]{8,}-[0-9a-f]{8,} : \S.*", line), line
    assert any(re.fullmatch(r"  [0-9a-f]{9}-[0-9a-f]{9} : Crash kernel", x) for x in lines)
    assert "100000000-47fffffff : System RAM" in lines


@pytest.mark.parametrize("release", ["7.9", "9.4"])
def test_crash_writes_a_vmcore_and_reboots(make_host, in_host, release):
    from test_services import install_kexec_tools, sc

    root = make_host(release, ram="8G")
    in_host(root)
    install_kexec_tools(root)
    set_args(root, "crashkernel=auto" if release == "7.9" else "crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M")
    assert sc("enable", "kdump")[0] == 0
    run_simhost("reboot", root)
    assert (root / "sys/kernel/kexec_crash_loaded").read_text() == "1\n"
    boot_id = (root / "proc/sys/kernel/random/boot_id").read_text()
    # echo c > /proc/sysrq-trigger inside exec: the crash happens when the command ends
    proc = hx(root, "sh", "-c", 'echo c > "$SIMHOST_ROOT/proc/sysrq-trigger"')
    assert proc.returncode == 0
    dumps = list((root / "var/crash").glob("127.0.0.1-*"))
    assert len(dumps) == 1
    assert re.fullmatch(r"127\.0\.0\.1-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d", dumps[0].name)
    assert (dumps[0] / "vmcore").is_file() and (dumps[0] / "vmcore-dmesg.txt").is_file()
    assert (root / "proc/sys/kernel/random/boot_id").read_text() != boot_id
    assert (root / "proc/sysrq-trigger").read_text() == ""
    # kdump was enabled, so it is armed again after the reboot
    assert (root / "sys/kernel/kexec_crash_loaded").read_text() == "1\n"
    assert "vmcores:" in run_simhost("show", root).stdout


def test_crash_without_kdump_leaves_nothing(make_host):
    root = make_host("8.10")
    boot_id = (root / "proc/sys/kernel/random/boot_id").read_text()
    out = run_simhost("crash", root).stdout
    assert out == "no vmcore written\n"
    assert not (root / "var/crash").exists() or not any((root / "var/crash").iterdir())
    assert (root / "proc/sys/kernel/random/boot_id").read_text() != boot_id


def test_crash_to_a_remote_target_writes_nothing_locally(make_host, in_host):
    from test_services import install_kexec_tools, sc

    root = make_host("9.4")
    in_host(root)
    install_kexec_tools(root)
    set_args(root, "crashkernel=256M")
    kernel.boot(Host(root))
    (root / "etc/kdump.conf").write_text("nfs nfs.example.com:/export/crash\npath /var/crash\n")
    assert sc("start", "kdump")[0] == 0
    kernel.crash(Host(root))
    assert not list((root / "var/crash").iterdir())
    assert (
        "vmcore sent to nfs target nfs.example.com:/export/crash"
        in (root / "var/log/simhost-boot.log").read_text()
    )


def test_systemctl_reboot_inside_exec(make_host):
    root = make_host("9.4")
    boot_id = (root / "proc/sys/kernel/random/boot_id").read_text()
    (root / "run/marker").write_text("x")
    assert hx(root, "systemctl", "reboot").returncode == 0
    assert (root / "proc/sys/kernel/random/boot_id").read_text() != boot_id
    assert not (root / "run/marker").exists(), "/run is a tmpfs"
