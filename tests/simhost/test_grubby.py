"""The grubby stand-in: byte-for-byte --info output and the edit semantics of both grubbys."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Tuple

import pytest
from _simhost_helpers import fixture_text, hx

from simhost import grubby
from simhost.create import GRUB_CFG_FOOTER, GRUB_CFG_HEADER, bls_entry, grub_menuentry
from simhost.host import read_grubenv, write_grubenv
from simhost.releases import get

MID9 = "4d684a4a6166439a867e701ded4f7e10"
MID7 = "0f6c9b8d1a2e4c0b9d7e6f5a4b3c2d1e"
OPTS9 = (
    "root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M "
    "resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap"
)
ARGS7 = "root=/dev/mapper/rhel-root ro crashkernel=auto rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet"


def g(*argv) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = grubby.main(list(argv), out, err)
    return rc, out.getvalue(), err.getvalue()


def sample9_tree(root: Path) -> None:
    """BLS entries like samples/grubby-info-all.rhel9-rt.constructed.txt."""
    entries = root / "boot/loader/entries"
    for p in entries.iterdir():
        p.unlink()
    r94, r92 = get("9.4"), get("9.2")
    for rel, kver in (
        (r94, "5.14.0-427.20.1.el9_4.x86_64+rt"),
        (r94, "5.14.0-427.20.1.el9_4.x86_64"),
        (r92, "5.14.0-284.11.1.rt14.296.el9_2.x86_64"),
    ):
        text = bls_entry(rel, kver, OPTS9 + " $tuned_params").replace(".img\n", ".img $tuned_initrd\n")
        (entries / f"{MID9}-{kver}.conf").write_text(text)
        (root / f"boot/vmlinuz-{kver}").write_text("k")
    (entries / f"{MID9}-0-rescue.conf").write_text(bls_entry(r92, "", OPTS9, rescue_mid=MID9))
    write_grubenv(root / "boot/grub2/grubenv", {"saved_entry": f"{MID9}-5.14.0-427.20.1.el9_4.x86_64+rt"})


def sample7_tree(root: Path) -> None:
    """grub.cfg like samples/grubby-info-all.rhel7.9-rt.constructed.txt."""
    rel = get("7.9")
    u = "6bea2b7b-e6cc-4dba-ac79-be6530d348f5"
    body = ""
    for kver, extra in (
        ("3.10.0-1160.rt56.1131.el7.x86_64", " LANG=en_US.UTF-8 $tuned_params"),
        ("3.10.0-1160.el7.x86_64", " LANG=en_US.UTF-8 $tuned_params"),
        (f"0-rescue-{MID7}", ""),
    ):
        body += grub_menuentry(
            rel.title(kver), kver, u, f"/vmlinuz-{kver}", f"/initramfs-{kver}.img", ARGS7 + extra
        )
        (root / f"boot/vmlinuz-{kver}").write_text("k")
    (root / "boot/grub2/grub.cfg").write_text(GRUB_CFG_HEADER + body + GRUB_CFG_FOOTER)


@pytest.fixture
def h9(make_host, in_host):
    root = make_host("9.4")
    sample9_tree(root)
    in_host(root)
    return root


@pytest.fixture
def h7(make_host, in_host):
    root = make_host("7.9")
    sample7_tree(root)
    in_host(root)
    return root


def test_bls_info_all_matches_the_sample(h9):
    rc, out, err = g("--info=ALL")
    assert (rc, err) == (0, "")
    assert out == fixture_text("grubby-info-all.rhel9-rt.constructed.txt")


def test_bls_info_all_through_exec_with_offline_paths(h9):
    proc = hx(
        h9,
        "grubby",
        "--bls-directory",
        str(h9 / "boot/loader/entries"),
        "--env",
        str(h9 / "boot/grub2/grubenv"),
        "--info=ALL",
    )
    assert proc.returncode == 0 and proc.stdout == fixture_text("grubby-info-all.rhel9-rt.constructed.txt")


# The constructed 7.9 sample stops after the rescue entry, but the real grubby 8.28-26.el7 reads
# the text after the last menuentry ("### END 10_linux ###", 40_custom) as one more entry and
# prints it (tests/fixtures/grubby-c/cases.json, docs/grubby-c-conformance.md), as the real
# RHEL 7.5 sample shows.
TRAILING_NON_LINUX = "index=3\nnon linux entry\n"


def test_c_grubby_info_all_matches_the_sample(h7):
    rc, out, err = g("--info=ALL")
    assert (rc, err) == (0, "")
    assert out == fixture_text("grubby-info-all.rhel7.9-rt.constructed.txt") + TRAILING_NON_LINUX
    proc = hx(h7, "grubby", "--config-file", str(h7 / "boot/grub2/grub.cfg"), "--info=ALL")
    assert proc.stdout == fixture_text("grubby-info-all.rhel7.9-rt.constructed.txt") + TRAILING_NON_LINUX


def test_defaults(h9, h7, in_host):
    in_host(h9)
    assert g("--default-kernel") == (0, "/boot/vmlinuz-5.14.0-427.20.1.el9_4.x86_64+rt\n", "")
    assert g("--default-index") == (0, "0\n", "")
    assert (
        g("--default-title")[1] == "Red Hat Enterprise Linux (5.14.0-427.20.1.el9_4.x86_64+rt) 9.4 (Plow)\n"
    )
    write_grubenv(h9 / "boot/grub2/grubenv", {"saved_entry": "2"})
    assert g("--default-kernel")[1] == "/boot/vmlinuz-5.14.0-284.11.1.rt14.296.el9_2.x86_64\n"
    # a dangling saved_entry: empty line for the index, index 0 for kernel/title, nothing for --info=DEFAULT
    write_grubenv(h9 / "boot/grub2/grubenv", {"saved_entry": "gone"})
    assert g("--default-index") == (0, "\n", "")
    assert g("--default-kernel")[1] == "/boot/vmlinuz-5.14.0-427.20.1.el9_4.x86_64+rt\n"
    assert g("--info=DEFAULT") == (0, "", "")
    in_host(h7)
    assert g("--default-kernel") == (0, "/boot/vmlinuz-3.10.0-1160.rt56.1131.el7.x86_64\n", "")
    assert g("--default-index") == (0, "0\n", "")


def test_errors_and_exit_codes(h9, h7, in_host):
    in_host(h9)
    assert g("--info=/boot/vmlinuz-5.14.0-999.el9.x86_64") == (
        1,
        "",
        fixture_text("grubby-info.bls.bad-path.stderr"),
    )
    assert g("--update-kernel=/boot/vmlinuz-5.14.0-999.el9.x86_64", "--args=x=1") == (
        1,
        "",
        "The param /boot/vmlinuz-5.14.0-999.el9.x86_64 is incorrect\n",
    )
    assert g("--update-kernel=0,1", "--args=x=1") == (1, "", "The param /boot0,1 is incorrect\n")
    assert g("--args=foo") == (1, "", "no action specified\n")
    assert g() == (1, "", "no action specified\n")
    assert g("--bls-directory", str(h9 / "boot/loader/entries")) == (0, "", "")
    rc, out, err = g("--grub")
    assert rc == 1 and 'grubby-bls: the option "--grub" was deprecated' in err
    in_host(h7)
    assert g("--info=/boot/vmlinuz-3.10.0-999.el7.x86_64") == (
        1,
        "",
        fixture_text("grubby-info.c-grubby-rhel7.bad-path.stderr"),
    )
    before = (h7 / "boot/grub2/grub.cfg").read_text()
    assert g("--update-kernel=/boot/vmlinuz-3.10.0-999.el7.x86_64", "--args=crashkernel=auto") == (0, "", "")
    assert (h7 / "boot/grub2/grub.cfg").read_text() == before
    assert g("--args=foo") == (1, "", "grubby: no action specified\n")


def _args(i: str) -> str:
    for line in g(f"--info={i}")[1].splitlines():
        if line.startswith("args="):
            return line[len('args="') : -1]
    raise AssertionError("no args line")


def test_bls_args_move_to_the_end_and_remove_semantics(h9):
    rt = "/boot/vmlinuz-5.14.0-427.20.1.el9_4.x86_64+rt"
    assert g(f"--update-kernel={rt}", "--args=crashkernel=512M") == (0, "", "")
    assert _args(rt) == (
        "ro resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap $tuned_params "
        "crashkernel=512M"
    )
    # only that entry changed
    assert "crashkernel=1G-4G" in _args("1")
    # every --args token first deletes the same keys, then all of them are appended (even duplicates)
    g(f"--update-kernel={rt}", "--args=foo=1 bar foo=2")
    assert _args(rt).endswith("crashkernel=512M foo=1 bar foo=2")
    g(f"--update-kernel={rt}", "--args=foo=3")
    assert _args(rt).endswith("crashkernel=512M bar foo=3")
    # key=value removes only the exact match; bare key removes every key/key=*
    g(f"--update-kernel={rt}", "--remove-args=crashkernel=999M")
    assert "crashkernel=512M" in _args(rt)
    g(f"--update-kernel={rt}", "--remove-args=crashkernel")
    assert "crashkernel" not in _args(rt)
    # bare vmlinuz-X works because /boot is a separate mount; the BLS file keeps the relative path
    assert g("--update-kernel=vmlinuz-5.14.0-427.20.1.el9_4.x86_64", "--args=quiet")[0] == 0
    assert _args("1").endswith(" quiet")
    conf = (h9 / f"boot/loader/entries/{MID9}-5.14.0-427.20.1.el9_4.x86_64.conf").read_text()
    assert "linux /vmlinuz-5.14.0-427.20.1.el9_4.x86_64\n" in conf and conf.count("options ") == 1


def test_bls_update_all_touches_grubenv_kernelopts_and_cmdline_files(h9):
    env = read_grubenv(h9 / "boot/grub2/grubenv")
    env["kernelopts"] = "root=/dev/mapper/rhel-root ro crashkernel=auto"
    write_grubenv(h9 / "boot/grub2/grubenv", env)
    assert g("--update-kernel=ALL", "--args=crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M")[0] == 0
    assert read_grubenv(h9 / "boot/grub2/grubenv")["kernelopts"] == (
        "root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M"
    )
    cmdline = (h9 / "etc/kernel/cmdline").read_text()
    assert cmdline.startswith("root=/dev/mapper/rhel-root ro ") and "crashkernel=1G-4G" in cmdline
    assert 'crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M"' in (h9 / "etc/default/grub").read_text()
    for i in range(4):
        assert _args(str(i)).count("crashkernel=") == 1


def test_bls_kernelopts_expansion_other_vars_literal(h9):
    e = h9 / f"boot/loader/entries/{MID9}-5.14.0-427.20.1.el9_4.x86_64.conf"
    e.write_text(e.read_text().replace(f"options {OPTS9} $tuned_params", "options $kernelopts $tuned_params"))
    env = read_grubenv(h9 / "boot/grub2/grubenv")
    env.update(kernelopts="root=/dev/mapper/rhel-root ro crashkernel=auto", tuned_params="skew_tick=1")
    write_grubenv(h9 / "boot/grub2/grubenv", env)
    assert _args("1") == "ro crashkernel=auto $tuned_params"


def test_c_grubby_replaces_in_place_and_removes_first_match(h7):
    rt = "/boot/vmlinuz-3.10.0-1160.rt56.1131.el7.x86_64"
    assert g(f"--update-kernel={rt}", "--args=crashkernel=256M") == (0, "", "")
    assert _args("0") == (
        "ro crashkernel=256M rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet "
        "LANG=en_US.UTF-8 $tuned_params"
    )
    assert g("--update-kernel=0", '--args="foo=a b" new=1')[0] == 0
    assert _args("0").endswith("$tuned_params foo=a b new=1")
    # remove-args by key removes only the first match per entry
    g("--update-kernel=0", "--args=rd.lvm.lv=x")
    assert "rd.lvm.lv=x rd.lvm.lv=rhel/swap" in _args("0")
    g("--update-kernel=0", "--remove-args=rd.lvm.lv")
    assert "rd.lvm.lv=x" not in _args("0") and "rd.lvm.lv=rhel/swap" in _args("0")
    # comma index lists: after index N grubby reads list position N+1, so "1,2" updates only 1
    # while "0,1" and "0,1,2" update every listed entry (findEntryByPath; cases.json)
    assert g("--update-kernel=1,2", "--args=crashkernel=384M")[0] == 0
    assert "crashkernel=384M" in _args("1") and "crashkernel=384M" not in _args("2")
    assert g("--update-kernel=1,2", "--remove-args=crashkernel=384M")[0] == 0
    assert "crashkernel" not in _args("1")
    assert g("--update-kernel=0,1,2", "--args=crashkernel=512M")[0] == 0
    assert all("crashkernel=512M" in _args(i) for i in "012")
    # the file keeps its layout: the edited line is still a linux16 line
    cfg = (h7 / "boot/grub2/grub.cfg").read_text()
    assert (
        "\tlinux16 /vmlinuz-3.10.0-1160.rt56.1131.el7.x86_64 root=/dev/mapper/rhel-root ro crashkernel=512M"
        in cfg
    )
    # writeDefault turned the saved entry into the title again
    assert read_grubenv(h7 / "boot/grub2/grubenv")["saved_entry"].startswith(
        "Red Hat Enterprise Linux Server (3.10"
    )


def test_set_default(h9, h7, in_host):
    in_host(h9)
    rc, out, err = g("--set-default=/boot/vmlinuz-5.14.0-427.20.1.el9_4.x86_64")
    assert rc == 0 and err == (
        f"The default is /boot/loader/entries/{MID9}-5.14.0-427.20.1.el9_4.x86_64.conf "
        "with index 1 and kernel /boot/vmlinuz-5.14.0-427.20.1.el9_4.x86_64\n"
    )
    assert read_grubenv(h9 / "boot/grub2/grubenv")["saved_entry"] == f"{MID9}-5.14.0-427.20.1.el9_4.x86_64"
    in_host(h7)
    assert g("--set-default=/boot/vmlinuz-3.10.0-1160.el7.x86_64") == (0, "", "")
    assert g("--default-index")[1] == "1\n"


def test_grubby_without_host_fails_cleanly(monkeypatch, tmp_path):
    monkeypatch.delenv("SIMHOST_ROOT", raising=False)
    rc, out, err = g("--info=ALL", "--bls-directory", str(tmp_path))
    assert rc == 1 and "rtkdump-simhost" in err
    assert os.listdir(tmp_path) == []
