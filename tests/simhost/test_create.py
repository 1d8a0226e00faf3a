"""`rtkdump-simhost create`: the fresh host tree of each release."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from _simhost_helpers import RELEASES, hx, run_simhost

from simhost import releases

KERNELS = {
    "7.9": ("3.10.0-1160.rt56.1131.el7.x86_64", "3.10.0-1160.el7.x86_64"),
    "8.10": ("4.18.0-553.rt7.342.el8_10.x86_64", "4.18.0-553.el8_10.x86_64"),
    "9.2": ("5.14.0-284.11.1.rt14.296.el9_2.x86_64", "5.14.0-284.11.1.el9_2.x86_64"),
    "9.4": ("5.14.0-427.20.1.el9_4.x86_64+rt", "5.14.0-427.20.1.el9_4.x86_64"),
    "10.0": ("6.12.0-55.9.1.el10_0.x86_64+rt", "6.12.0-55.9.1.el10_0.x86_64"),
    "10.1": ("6.12.0-124.45.1.el10_1.x86_64+rt", "6.12.0-124.45.1.el10_1.x86_64"),
}


@pytest.mark.parametrize("release", RELEASES)
def test_fresh_host_files(make_host, release):
    root = make_host(release, ram="8G")
    rt, std = KERNELS[release]
    rel = releases.get(release)
    osr = (root / "etc/os-release").read_text()
    assert f'VERSION_ID="{release}"' in osr and 'ID="rhel"' in osr
    assert (root / "etc/redhat-release").read_text() == rel.redhat_release + "\n"
    assert (root / "proc/sys/kernel/osrelease").read_text() == rt + "\n"
    assert (root / "sys/kernel/realtime").read_text() == "1\n"
    assert (root / "sys/kernel/kexec_crash_size").read_text() == "0\n"
    assert (root / "sys/kernel/kexec_crash_loaded").read_text() == "0\n"
    uuid.UUID((root / "proc/sys/kernel/random/boot_id").read_text().strip())
    mid = (root / "etc/machine-id").read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{32}", mid)
    for k in (rt, std):
        assert (root / f"boot/vmlinuz-{k}").is_file()
        assert (root / f"boot/initramfs-{k}.img").is_file()
    cmdline = (root / "proc/cmdline").read_text()
    assert cmdline.endswith("\n") and "crashkernel" not in cmdline
    if release == "7.9":
        assert cmdline.startswith(f"BOOT_IMAGE=/vmlinuz-{rt} root=/dev/mapper/rhel-root ro ")
        cfg = (root / "boot/grub2/grub.cfg").read_text()
        assert cfg.count("menuentry '") == 3 and "crashkernel" not in cfg
        assert f"linux16 /vmlinuz-{rt} root=" in cfg
        assert not (root / "boot/loader").exists()
        assert "isolcpus=2-7" in cmdline
    else:
        assert cmdline.startswith(
            f"BOOT_IMAGE=(hd0,{'msdos1' if release == '8.10' else 'gpt2'})/vmlinuz-{rt} "
        )
        entries = sorted(p.name for p in (root / "boot/loader/entries").iterdir())
        assert entries == sorted([f"{mid}-{rt}.conf", f"{mid}-{std}.conf", f"{mid}-0-rescue.conf"])
        env = (root / "boot/grub2/grubenv").read_text()
        assert len(env) == 1024 and f"saved_entry={mid}-{rt}\n" in env
        assert "isolcpus=managed_irq,domain,2-7" in cmdline and "irqaffinity=0,1" in cmdline
    for absent in (
        "etc/kdump.conf",
        "etc/sysconfig/kdump",
        "usr/lib/systemd/system/kdump.service",
        "usr/bin/kdumpctl",
    ):
        assert not (root / absent).exists(), absent
    iomem = (root / "proc/iomem").read_text()
    assert "Crash kernel" not in iomem and "System RAM" in iomem
    assert re.search(r"^100000000-27fffffff : System RAM$", iomem, re.M)
    memtotal = int(re.search(r"^MemTotal:\s+(\d+) kB$", (root / "proc/meminfo").read_text(), re.M).group(1))
    assert 7 * 1024 * 1024 < memtotal < 8 * 1024 * 1024
    assert (root / "sys/class/dmi/id/product_name").read_text().strip()
    assert (root / "sys/class/dmi/id/sys_vendor").read_text().strip()


def test_ls21_dmi_and_isolated_cpus(make_host):
    root = make_host("8.10", product_name="BladeCenter LS21 -[7971PAM]-", isolated_cpus="1-3")
    assert (root / "sys/class/dmi/id/product_name").read_text() == "BladeCenter LS21 -[7971PAM]-\n"
    assert (root / "sys/class/dmi/id/sys_vendor").read_text() == "IBM\n"
    assert (root / "sys/class/dmi/id/board_name").read_text() == "Server Blade\n"
    cmdline = (root / "proc/cmdline").read_text()
    assert "nohz_full=1-3 rcu_nocbs=1-3" in cmdline and "irqaffinity=0,4-7" in cmdline


def test_non_rt_default_has_no_realtime_file(make_host, in_host):
    from simhost import grubby, kernel
    from simhost.host import Host

    root = make_host("9.2")
    in_host(root)
    std = KERNELS["9.2"][1]
    assert grubby.main([f"--set-default=/boot/vmlinuz-{std}"]) == 0
    kernel.boot(Host(root))
    assert not (root / "sys/kernel/realtime").exists()
    assert (root / "proc/sys/kernel/osrelease").read_text() == std + "\n"


@pytest.mark.slow
def test_create_is_fast_once_cached(simhost_cache, tmp_path):
    t0 = time.monotonic()
    run_simhost("create", tmp_path / "h", "--release", "9.4", "-q")
    elapsed = time.monotonic() - t0
    assert elapsed < 2.0, f"create took {elapsed:.2f}s"
    # and the CLI reports on it
    out = run_simhost("show", tmp_path / "h").stdout
    assert "running kernel:" in out and "(RT)" in out and "kexec_crash_size:    0" in out


def test_create_refuses_a_non_empty_dir(simhost_cache, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_text("")
    proc = run_simhost("create", tmp_path / "x", "--release", "9.4", check=False)
    assert proc.returncode == 1 and "not empty" in proc.stderr


def test_exec_returns_the_exit_code(make_host):
    root = make_host("9.4")
    assert hx(root, "sh", "-c", "exit 7").returncode == 7
    proc = hx(root, "sh", "-c", 'echo "$SIMHOST_ROOT"; command -v grubby')
    assert proc.stdout.splitlines()[0] == str(root)
    assert proc.stdout.splitlines()[1] == str(root / ".simhost/bin/grubby")
    assert hx(root, "no-such-command-xyz").returncode == 127
