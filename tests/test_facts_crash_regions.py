"""`rtkdump facts` shows each Crash kernel region: start, end, size, low/high, the total, the configured value."""

from __future__ import annotations

import io
import json
from pathlib import Path

from fixturehost import FixtureHost

from reconciler import cli
from reconciler.facts import kernel
from reconciler.facts.model import CrashRegion, CrashReservation

SAMPLE = (
    Path(__file__).parent / "fixtures" / "samples" / "proc-iomem.x86_64.crashkernel-high-low.constructed.txt"
)
MiB = 1 << 20


def _high_host(tmp_path: Path) -> Path:
    root = FixtureHost(release="9.4").write(tmp_path / "h")
    # both regions are named plain "Crash kernel", as a 6.1 kernel under QEMU prints them
    (root / "proc/iomem").write_text(SAMPLE.read_text())
    cmdline = (root / "proc/cmdline").read_text().split()
    cmdline = [t for t in cmdline if not t.startswith("crashkernel=")] + ["crashkernel=512M,high"]
    (root / "proc/cmdline").write_text(" ".join(cmdline) + "\n")
    (root / "sys/kernel/kexec_crash_size").write_text(f"{512 * MiB}\n")  # the high region only
    return root


def _facts(*argv):
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["facts", *argv], out, err) == 0, err.getvalue()
    return out.getvalue()


def test_high_reservation_json_has_both_regions_sizes_kinds_and_total(tmp_path):
    root = _high_host(tmp_path)
    crash = json.loads(_facts("--root", str(root), "--json"))["facts"]["iomem_crash"]["value"]
    assert [(r["start"], r["end"], r["size"], r["kind"]) for r in crash["regions"]] == [
        (0x5F000000, 0x6EFFFFFF, 256 * MiB, "low"),
        (0x45F000000, 0x47EFFFFFF, 512 * MiB, "high"),
    ]
    assert crash["total"] == 768 * MiB
    assert crash["configured"] == ["512M,high"]


def test_high_reservation_text_shows_sizes_low_high_total_and_the_value(tmp_path):
    text = _facts("--root", str(_high_host(tmp_path)))
    assert "2 regions, total 768 MiB (805306368 bytes); crashkernel=512M,high on /proc/cmdline" in text
    assert "low    0x5f000000-0x6effffff  256 MiB (268435456 bytes)" in text
    assert "high   0x45f000000-0x47effffff  512 MiB (536870912 bytes)" in text
    assert "kexec_crash_size 536870912 counts only the high region" in text


def test_kind_comes_from_the_address_not_the_name():
    low = CrashRegion(0x5F000000, 0x6EFFFFFF)
    high = CrashRegion(0x45F000000, 0x47EFFFFFF)
    both = CrashReservation((low, high))
    assert [both.kind(r) for r in both.regions] == ["low", "high"]
    one = CrashReservation((low,))
    assert one.kind(low) == "single"
    parsed = kernel.parse_iomem_crash(SAMPLE.read_text())
    assert parsed is not None and [parsed.kind(r) for r in parsed.regions] == ["low", "high"]
