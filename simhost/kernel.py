"""The simulated kernel: crashkernel= reservation, /proc and /sys at boot, sysrq crash.

Reservation rules follow platform-facts §3 (kernel/crash_reserve.c):
* the last crashkernel= of each kind (plain, ",high", ",low") wins;
* plain wins over ",high"; ",high" gets a ",low" companion (default 256M);
* range lists "start-[end]:size,..." with exclusive end, matched against the
  RAM size given to ``create --ram`` (the 128M-rounded total);
* a size >= RAM is rejected;
* ``auto``: RHEL 7 161M + 64M per TB, only with >= 4 GiB (the RT Tuning
  Guide's threshold); RHEL 8 1G-4G:192M,4G-64G:256M,64G-:512M (only above
  1 GiB); RHEL 9 rejects ``auto`` (nothing reserved).
"""

# ruff: noqa: UP031  (printf formats mirror the C/yum/kernel originals on purpose)

from __future__ import annotations

import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from . import bootloader, sysfiles
from .host import Host, read_grubenv

KiB, MiB, GiB, TiB = 1 << 10, 1 << 20, 1 << 30, 1 << 40
CRASH_ALIGN = 16 * MiB
LOW_DEFAULT = 256 * MiB
FOUR_G = 4 * GiB


def memparse(text: str) -> Tuple[int, str]:
    """Linux memparse: number with optional K/M/G/T/P/E suffix; returns (value, rest)."""
    m = re.match(r"^(0[xX][0-9a-fA-F]+|[0-9]+)([KkMmGgTtPpEe]?)", text)
    if not m:
        raise ValueError(f"bad size {text!r}")
    num = int(m.group(1), 0)
    mult = {"": 1, "k": KiB, "m": MiB, "g": GiB, "t": TiB, "p": TiB << 10, "e": TiB << 20}[m.group(2).lower()]
    return num * mult, text[m.end() :]


def parse_size(text: str) -> int:
    v, rest = memparse(text)
    if rest:
        raise ValueError(f"bad size {text!r}")
    return v


def fmt_size(n: int) -> str:
    for unit, size in (("T", TiB), ("G", GiB), ("M", MiB), ("K", KiB)):
        if n and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


@dataclass
class Plan:
    """What the kernel reserves: regions as (size, offset or None, where) with where 'low'/'high'/'any'."""

    main: int = 0
    main_offset: Optional[int] = None
    high: bool = False
    low: int = 0
    note: str = ""


def parse_ranges(value: str, ram: int) -> int:
    """crashkernel=range1:size1[,range2:size2...] -> size for this RAM (0 when nothing matches)."""
    body = value.split("@", 1)[0]
    for item in body.split(","):
        rng, _, size = item.partition(":")
        if not size:
            raise ValueError("crashkernel: memory value expected")
        start_s, dash, end_s = rng.partition("-")
        if not dash:
            raise ValueError("crashkernel: '-' expected")
        start = parse_size(start_s)
        end = parse_size(end_s) if end_s else None
        if end is not None and end <= start:
            raise ValueError("crashkernel: end <= start")
        if ram >= start and (end is None or ram < end):
            return parse_size(size)
    return 0


def auto_size(major: int, ram: int) -> Tuple[int, str]:
    if major == 7:
        if ram < 4 * GiB:
            return 0, "crashkernel=auto resulted in zero bytes of reserved memory (RAM < 4 GiB)"
        return 161 * MiB + (ram // TiB) * 64 * MiB, ""
    if major == 8:
        if ram <= 1 * GiB:
            return 0, "crashkernel=auto resulted in zero bytes of reserved memory (RAM <= 1 GiB)"
        return parse_ranges("1G-4G:192M,4G-64G:256M,64G-:512M", ram), ""
    return 0, "crashkernel: memory value expected (crashkernel=auto is not supported on RHEL 9)"


def plan_crashkernel(args: List[str], ram: int, major: int) -> Plan:
    plain = high = low = None
    for a in args:
        if not a.startswith("crashkernel="):
            continue
        v = a[len("crashkernel=") :]
        if v.endswith(",high"):
            high = v[: -len(",high")]
        elif v.endswith(",low"):
            low = v[: -len(",low")]
        else:
            plain = v
    p = Plan()
    try:
        if plain is not None:
            if plain == "auto":
                p.main, p.note = auto_size(major, ram)
            elif ":" in plain:
                p.main = parse_ranges(plain, ram)
                if "@" in plain:
                    p.main_offset = parse_size(plain.split("@", 1)[1])
                if not p.main:
                    p.note = "crashkernel size resulted in zero bytes"
            else:
                size, rest = memparse(plain)
                if rest.startswith("@"):
                    p.main_offset = parse_size(rest[1:])
                elif rest:
                    raise ValueError(f"crashkernel: unrecognized char: {rest[0]}")
                p.main = size
        elif high is not None:
            p.main = parse_size(high)
            p.high = True
            p.low = parse_size(low) if low is not None else LOW_DEFAULT
        elif low is not None:
            p.note = "crashkernel=...,low without crashkernel=...,high is ignored"
    except ValueError as exc:
        return Plan(note=str(exc))
    if p.main and p.main >= ram:
        return Plan(note=f"crashkernel: crash kernel size {fmt_size(p.main)} is bigger than system RAM")
    return p


# ---------------------------------------------------------------------------
# /proc/iomem
# ---------------------------------------------------------------------------


@dataclass
class Res:
    start: int
    end: int  # inclusive
    name: str
    children: List[Res]


def memory_map(ram: int, major: int) -> List[Res]:
    """A QEMU/server-like x86_64 map: low RAM up to ~2 GiB, the PCI hole, the rest above 4 GiB."""
    low_top = min(ram, 0x80000000) - 0x25000 - 1  # a little reserved at the top of low RAM
    top = [
        Res(0x0, 0xFFF, "Reserved" if major >= 8 else "reserved", []),
        Res(0x1000, 0x9FBFF, "System RAM", []),
        Res(0x9FC00, 0x9FFFF, "Reserved" if major >= 8 else "reserved", []),
        Res(0xA0000, 0xBFFFF, "PCI Bus 0000:00", []),
        Res(0xC0000, 0xC95FF, "Video ROM", []),
        Res(0xC9800, 0xCA5FF, "Adapter ROM", []),
        Res(
            0xF0000,
            0xFFFFF,
            "Reserved" if major >= 8 else "reserved",
            [Res(0xF0000, 0xFFFFF, "System ROM", [])],
        ),
    ]
    kernel = [Res(0x01000000, 0x01A01D07, "Kernel code", [])]
    if major >= 8:
        kernel.append(Res(0x01C00000, 0x0208DFFF, "Kernel rodata", []))
    kernel += [Res(0x02200000, 0x0258F6BF, "Kernel data", []), Res(0x02A35000, 0x02DFFFFF, "Kernel bss", [])]
    top.append(Res(0x100000, low_top, "System RAM", kernel))
    top.append(
        Res(
            low_top + 1,
            0x7FFFFFFF if ram >= 0x80000000 else low_top + 0x25000,
            "Reserved" if major >= 8 else "reserved",
            [],
        )
    )
    top += [
        Res(0x80000000, 0xAFFFFFFF, "PCI Bus 0000:00", []),
        Res(
            0xB0000000,
            0xBFFFFFFF,
            "PCI MMCONFIG 0000 [bus 00-ff]",
            [Res(0xB0000000, 0xBFFFFFFF, "Reserved" if major >= 8 else "reserved", [])],
        ),
        Res(
            0xC0000000,
            0xFEBFFFFF,
            "PCI Bus 0000:00",
            [
                Res(0xFC000000, 0xFCFFFFFF, "0000:00:02.0", []),
                Res(0xFEB80000, 0xFEBBFFFF, "0000:00:03.0", [Res(0xFEB80000, 0xFEBBFFFF, "e1000e", [])]),
            ],
        ),
        Res(0xFEC00000, 0xFEC003FF, "IOAPIC 0", []),
        Res(0xFED00000, 0xFED003FF, "HPET 0", [Res(0xFED00000, 0xFED003FF, "PNP0103:00", [])]),
        Res(0xFEE00000, 0xFEE00FFF, "Local APIC", []),
        Res(0xFFFC0000, 0xFFFFFFFF, "Reserved" if major >= 8 else "reserved", []),
    ]
    if ram > 0x80000000:
        top.append(Res(0x100000000, 0x100000000 + (ram - 0x80000000) - 1, "System RAM", []))
    return top


def _ram_ranges(tree: List[Res]) -> List[Res]:
    return [r for r in tree if r.name == "System RAM"]


def _place(r: Res, size: int, limit: int) -> Optional[Tuple[int, int]]:
    """Top-down placement inside RAM range r below `limit`, 16M aligned, above the kernel image."""
    floor = max([c.end + 1 for c in r.children] + [r.start, CRASH_ALIGN])
    top = min(r.end + 1, limit)
    top = (top // CRASH_ALIGN) * CRASH_ALIGN - CRASH_ALIGN  # keep the top 16M free, as memblock does
    base = ((top - size) // CRASH_ALIGN) * CRASH_ALIGN
    if base < floor:
        base = ((floor + CRASH_ALIGN - 1) // CRASH_ALIGN) * CRASH_ALIGN
        if base + size - 1 > r.end or base + size > limit:
            return None
    return base, base + size - 1


def reserve(tree: List[Res], plan: Plan, major: int) -> List[Tuple[int, int]]:
    """Insert 'Crash kernel' children; returns the regions [(start, end)], main region first."""
    regions: List[Tuple[int, int]] = []
    if not plan.main:
        return regions
    rams = _ram_ranges(tree)
    low_limit = 896 * MiB if major == 7 else FOUR_G
    if plan.main_offset is not None:
        for r in rams:
            if r.start <= plan.main_offset and plan.main_offset + plan.main - 1 <= r.end:
                regions.append((plan.main_offset, plan.main_offset + plan.main - 1))
                _add_child(r, regions[-1])
                break
        return regions
    if plan.high:
        highs = [r for r in rams if r.start >= FOUR_G]
        spot = None
        for r in reversed(highs):
            spot = _place(r, plan.main, 1 << 62)
            if spot:
                _add_child(r, spot)
                regions.append(spot)
                break
        if not spot:
            # no memory above 4G: the kernel falls back to low memory and needs no ,low region
            for r in reversed([r for r in rams if r.start < FOUR_G]):
                spot = _place(r, plan.main, FOUR_G)
                if spot:
                    _add_child(r, spot)
                    regions.append(spot)
                    return regions
            return regions
        for r in reversed([r for r in rams if r.start < FOUR_G]):
            lspot = _place(r, plan.low, FOUR_G)
            if lspot:
                _add_child(r, lspot)
                regions.append(lspot)
                break
        return regions
    for limit in (low_limit, FOUR_G):
        for r in reversed([r for r in rams if r.start < limit]):
            spot = _place(r, plan.main, limit)
            if spot:
                _add_child(r, spot)
                regions.append(spot)
                return regions
    # x86_64 falls back to memory above 4G (plus a default low region)
    for r in reversed([r for r in rams if r.start >= FOUR_G]):
        spot = _place(r, plan.main, 1 << 62)
        if spot:
            _add_child(r, spot)
            regions.append(spot)
            for lr in reversed([x for x in rams if x.start < FOUR_G]):
                lspot = _place(lr, LOW_DEFAULT, FOUR_G)
                if lspot:
                    _add_child(lr, lspot)
                    regions.append(lspot)
                    break
            return regions
    return regions


def _add_child(r: Res, span: Tuple[int, int]) -> None:
    r.children.append(Res(span[0], span[1], "Crash kernel", []))
    r.children.sort(key=lambda c: c.start)


def render_iomem(tree: List[Res]) -> str:
    out: List[str] = []

    def walk(rs: List[Res], depth: int) -> None:
        for r in sorted(rs, key=lambda x: x.start):
            out.append("%s%08x-%08x : %s" % ("  " * depth, r.start, r.end, r.name))
            walk(r.children, depth + 1)

    walk(tree, 0)
    return "\n".join(out) + "\n"


def render_meminfo(ram: int, reserved: int) -> str:
    total_kb = (ram - 0x25000 - 0x61000 - 0x400000) // KiB  # firmware holes + early reservations
    total_kb -= 190 * 1024 if ram >= 2 * GiB else 110 * 1024  # kernel image, memmap
    total_kb -= reserved // KiB
    free_kb = int(total_kb * 0.83)
    avail_kb = int(total_kb * 0.9)
    rows = [
        ("MemTotal", total_kb),
        ("MemFree", free_kb),
        ("MemAvailable", avail_kb),
        ("Buffers", 2120),
        ("Cached", int(total_kb * 0.05)),
        ("SwapCached", 0),
        ("Active", int(total_kb * 0.04)),
        ("Inactive", int(total_kb * 0.05)),
        ("SwapTotal", 4194300),
        ("SwapFree", 4194300),
        ("Dirty", 12),
        ("Writeback", 0),
        ("AnonPages", int(total_kb * 0.03)),
        ("Mapped", 61212),
        ("Shmem", 16876),
        ("Slab", 98304),
        ("CommitLimit", total_kb // 2 + 4194300),
        ("VmallocTotal", 34359738367),
        ("HugePages_Total", 0),
        ("HugePages_Free", 0),
        ("Hugepagesize", 2048),
        ("DirectMap4k", 157544),
    ]
    lines = []
    for k, v in rows:
        if k.startswith("HugePages_"):
            lines.append(f"{k + ':':<16}{v:>8}")
        else:
            lines.append(f"{k + ':':<16}{v:>8} kB")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# boot
# ---------------------------------------------------------------------------


@dataclass
class BootEntry:
    kver: str
    args: List[str]
    boot_image: str
    title: str


def default_entry(host: Host) -> BootEntry:
    rel = host.release
    env = read_grubenv(host.path("/boot/grub2/grubenv"))
    if rel.bls:
        entries = bootloader.load_bls(host.path("/boot/loader/entries"))
        if not entries:
            raise RuntimeError("no boot entries in /boot/loader/entries")
        idx = 0
        for key in ("next_entry", "saved_entry"):
            val = env.get(key)
            if not val:
                continue
            if re.fullmatch(r"[0-9]+", val) and int(val) < len(entries):
                idx = int(val)
                break
            hit = [i for i, e in enumerate(entries) if e.id == val or e.title == val]
            if hit:
                idx = hit[0]
                break
        e = entries[idx]
        linux = e.linux
        args = bootloader.grub_expand(e.options, env).split()
        part = "(hd0,msdos1)" if rel.major == 8 else "(hd0,gpt2)"
        return BootEntry(_kver_from_path(linux), args, f"BOOT_IMAGE={part}{linux}", e.title)
    cfg = bootloader.GrubCfg(host.path("/boot/grub2/grub.cfg"))
    idx = cfg.boot_index(env)
    me = cfg.entries[idx]
    _indent, el = cfg.kernel_elements(me)
    path = re.sub(r"^\([^)]*\)", "", el[1][0])
    args = bootloader.grub_expand(" ".join(x[0] for x in el[2:]), env).split()
    return BootEntry(_kver_from_path(path), args, f"BOOT_IMAGE={path}", me.title)


def _kver_from_path(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    return base[len("vmlinuz-") :] if base.startswith("vmlinuz-") else base


def clear_run(host: Host) -> None:
    run = host.path("/run")
    run.mkdir(parents=True, exist_ok=True)
    for child in run.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink()
    host.run_dir.mkdir(parents=True, exist_ok=True)
    (run / "lock").mkdir(exist_ok=True)


def boot(host: Host, reason: str = "reboot", start_services: bool = True) -> Dict[str, object]:
    """Power-cycle the host into its default boot entry."""
    rel = host.release
    ram = host.ram
    entry = default_entry(host)
    note = ""
    if not host.path(f"/boot/vmlinuz-{entry.kver}").exists():
        note = f"kernel image /boot/vmlinuz-{entry.kver} missing"
    plan = plan_crashkernel(entry.args, ram, rel.major)
    tree = memory_map(ram, rel.major)
    regions = reserve(tree, plan, rel.major)
    main_size = (regions[0][1] - regions[0][0] + 1) if regions else 0
    total_reserved = sum(e - s + 1 for s, e in regions)
    cmdline = " ".join([entry.boot_image] + entry.args)
    host.write("/proc/cmdline", cmdline + "\n")
    host.write("/proc/iomem", render_iomem(tree))
    host.write("/proc/meminfo", render_meminfo(ram, total_reserved))
    host.write("/proc/sys/kernel/osrelease", entry.kver + "\n")
    host.write("/proc/sys/kernel/random/boot_id", str(uuid.uuid4()) + "\n")
    host.write("/proc/sysrq-trigger", "")
    host.write("/sys/kernel/kexec_crash_size", f"{main_size}\n")
    host.write("/sys/kernel/kexec_crash_loaded", "0\n")
    sysfiles.write_cpu_lists(host, entry.args)
    from .releases import is_rt_kver

    rt = host.path("/sys/kernel/realtime")
    if is_rt_kver(entry.kver):
        host.write("/sys/kernel/realtime", "1\n")
    elif rt.exists():
        rt.unlink()
    clear_run(host)
    host.meta["boots"] = int(host.meta.get("boots", 0)) + 1
    host.save_meta()

    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    host.log_boot(f"=== boot #{host.meta['boots']} at {stamp} ({reason}) ===")
    host.log_boot(f"entry: {entry.title}")
    host.log_boot(f"Command line: {cmdline}")
    if note:
        host.log_boot(f"warning: {note}")
    if plan.note:
        host.log_boot(plan.note)
    for i, (s, e) in enumerate(regions):
        size = e - s + 1
        kind = "crashkernel" if i == 0 else "crashkernel low"
        if rel.major >= 9:
            host.log_boot(f"{kind} reserved: 0x{s:016x} - 0x{e + 1:016x} ({size // MiB} MB)")
        else:
            host.log_boot(
                f"Reserving {size // MiB}MB of memory at {s // MiB}MB for {kind} (System RAM: {ram // MiB}MB)"
            )
    if not regions:
        host.log_boot("no memory reserved for the crash kernel (kexec_crash_size 0)")
    started: List[str] = []
    if start_services:
        from . import systemctl

        started = systemctl.boot_start_enabled(host)
    for u in started:
        host.log_boot(f"started {u}")
    return {"kver": entry.kver, "cmdline": cmdline, "regions": regions, "crash_size": main_size}


# ---------------------------------------------------------------------------
# crash (echo c > /proc/sysrq-trigger)
# ---------------------------------------------------------------------------


def crash(host: Host) -> Optional[Path]:
    """Panic the kernel; with kdump loaded write a vmcore, then reboot.  Returns the dump dir (if local)."""
    from . import kdumpctl

    dump_dir: Optional[Path] = None
    stamp = time.strftime("%Y-%m-%d-%H:%M:%S")
    host.log_boot(f"=== sysrq: Trigger a crash (kernel {host.uname_r()}) at {stamp} ===")
    if host.crash_loaded():
        conf = kdumpctl.read_config(host)
        target = kdumpctl.dump_target(conf)
        path = conf.get("path", "/var/crash") or "/var/crash"
        name = f"127.0.0.1-{stamp}"
        if target is None or target[0] in kdumpctl.FS_TARGETS:
            base = "/"
            if target is not None:
                base = kdumpctl.mountpoint_of(host, target[1]) or ""
            if base:
                d = host.path(base.rstrip("/") + "/" + path.strip("/") + "/" + name)
                d.mkdir(parents=True, exist_ok=True)
                (d / "vmcore").write_bytes(b"KDUMP   simulated vmcore of " + host.uname_r().encode() + b"\n")
                (d / "vmcore-dmesg.txt").write_text(
                    "[    0.000000] Linux version %s (mockbuild@x86-vm-07.build.eng.bos.redhat.com)\n"
                    "[ 1234.567890] sysrq: SysRq : Trigger a crash\n"
                    "[ 1234.567901] BUG: unable to handle kernel NULL pointer dereference at (null)\n"
                    "[ 1234.567950] Kernel panic - not syncing: Fatal exception\n" % host.uname_r()
                )
                dump_dir = d
                host.log_boot(f"kdump: saved vmcore in {base.rstrip('/')}/{path.strip('/')}/{name}")
            elif target is not None:
                host.log_boot(
                    f"kdump: dump target {target[1]} is not mounted on the host; vmcore not visible"
                )
        elif target is not None:
            host.log_boot(f"kdump: vmcore sent to {target[0]} target {target[1]} (nothing written locally)")
    else:
        host.log_boot("kdump not loaded: no vmcore, the machine just resets")
    boot(host, reason="crash")
    return dump_dir
