"""rtkdump-simhost command line."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from typing import List, Optional, Sequence

from . import releases


def _host(path: str):
    from .host import Host

    h = Host(path)
    h.meta  # noqa: B018 - raises HostError when DIR is not a host
    return h


def post_exec(host) -> List[str]:
    """What the kernel does after the command: a sysrq crash, or a requested reboot."""
    from . import kernel

    done = []
    trig = host.read("/proc/sysrq-trigger", "") or ""
    if "c" in trig:
        kernel.crash(host)
        done.append("crash")
        return done
    flag = host.run_dir / "reboot-requested"
    if flag.exists():
        what = flag.read_text().strip() or "reboot"
        kernel.boot(host, reason=f"systemctl {what}")
        done.append("reboot")
    return done


def cmd_exec(args: argparse.Namespace) -> int:
    from .standin import exec_env

    host = _host(args.dir)
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        sys.stderr.write("rtkdump-simhost exec: no command given\n")
        return 2
    env = exec_env(host)
    try:
        rc = subprocess.call(cmd, env=env)
    except FileNotFoundError:
        sys.stderr.write(f"rtkdump-simhost exec: {cmd[0]}: command not found\n")
        rc = 127
    post_exec(host)
    return rc


def cmd_create(args: argparse.Namespace) -> int:
    from .create import create

    t0 = time.monotonic()
    host = create(
        args.dir,
        args.release,
        ram=args.ram,
        product_name=args.product_name,
        isolated_cpus=args.isolated_cpus,
        cpus=args.cpus,
        force=args.force,
    )
    if not args.quiet:
        print(f"created RHEL {host.release.version} host in {host.root} ({time.monotonic() - t0:.2f}s)")
    return 0


def cmd_reboot(args: argparse.Namespace) -> int:
    from . import kernel

    host = _host(args.dir)
    info = kernel.boot(host, reason="rtkdump-simhost reboot")
    print(f"booted {info['kver']}; kexec_crash_size={info['crash_size']}")
    return 0


def cmd_crash(args: argparse.Namespace) -> int:
    from . import kernel

    host = _host(args.dir)
    d = kernel.crash(host)
    print(f"vmcore: {d}" if d else "no vmcore written")
    return 0


def cmd_install_kernel(args: argparse.Namespace) -> int:
    from .kinstall import install_kernel

    host = _host(args.dir)
    rc = install_kernel(host, args.kver, sys.stdout, sys.stderr)
    post_exec(host)  # a hook may have asked for a reboot, as inside `exec`
    return rc


def cmd_lock(args: argparse.Namespace) -> int:
    from .pkg import start_lock_holder

    host = _host(args.dir)
    print(start_lock_holder(host.root, args.seconds))
    return 0


def cmd_build_repo(args: argparse.Namespace) -> int:
    from . import repo

    for v in args.release or list(releases.RELEASES):
        print(repo.build_repo(releases.get(v)))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    import re

    from . import kernel
    from .systemctl import Units

    host = _host(args.dir)
    rel = host.release
    units = Units(host)
    uname = host.uname_r()
    crash = [a for a in host.cmdline_args() if a.startswith("crashkernel=")]
    regions = re.findall(
        r"^\s*([0-9a-f]+)-([0-9a-f]+) : Crash kernel", host.read("/proc/iomem", "") or "", re.M
    )
    installed = []
    for name in rel.kdump_payload_names:
        proc = subprocess.run(
            ["/usr/bin/rpm", "--root", str(host.root), "--define", "_dbpath /var/lib/rpm", "-q", name],
            stdout=subprocess.PIPE,
            text=True,
        )
        installed.append(proc.stdout.strip())
    try:
        entry = kernel.default_entry(host)
        default = f"{entry.title} ({entry.kver})"
    except Exception as exc:  # pragma: no cover - broken trees
        default = f"? ({exc})"
    vmcores = sorted(
        str(p.parent.relative_to(host.root))
        for p in host.root.glob("**/vmcore")
        if ".simhost" not in p.parts and "proc" not in p.parts[:2]
    )
    en = (
        "masked"
        if units.masked("kdump.service")
        else (
            "enabled"
            if units.enabled("kdump.service")
            else ("disabled" if units.unit_file("kdump.service") else "absent")
        )
    )
    rows = [
        ("host", str(host.root)),
        ("release", rel.pretty_name),
        ("ram", f"{host.ram // (1 << 20)} MiB"),
        ("product", (host.read("/sys/class/dmi/id/product_name") or "").strip()),
        ("running kernel", f"{uname} ({'RT' if releases.is_rt_kver(uname) else 'non-RT'})"),
        ("boot id", (host.read("/proc/sys/kernel/random/boot_id") or "").strip()),
        ("cmdline crashkernel", " ".join(crash) or "(none)"),
        (
            "reservation",
            ", ".join(f"{(int(e, 16) - int(s, 16) + 1) >> 20}M at 0x{s}" for s, e in regions) or "none",
        ),
        ("kexec_crash_size", str(host.crash_size())),
        ("kexec_crash_loaded", "1" if host.crash_loaded() else "0"),
        ("packages", "; ".join(installed)),
        ("kdump.service", f"{en}, {units.active_state('kdump.service')}"),
        ("default entry", default),
        ("boot entries", "; ".join(_entry_summary(host)) or "none"),
        (
            "/etc/sysconfig/kernel",
            " ".join(
                f"{k}={v}"
                for k, v in sorted(_sysconfig_kernel(host).items())
                if k in ("UPDATEDEFAULT", "DEFAULTKERNEL")
            )
            or "(none)",
        ),
        ("vmcores", ", ".join("/" + v for v in vmcores) or "none"),
    ]
    for k, v in rows:
        print(f"{k + ':':<21}{v}")
    return 0


def _sysconfig_kernel(host) -> dict:
    from .kinstall import sysconfig_kernel

    return sysconfig_kernel(host)


def _entry_summary(host) -> List[str]:
    """One `KVER (crashkernel=…)` per boot entry, in the boot loader's order."""
    import re

    from . import bootloader
    from .host import read_grubenv

    out = []
    if host.release.bls:
        env = read_grubenv(host.path("/boot/grub2/grubenv"))
        for e in bootloader.load_bls(host.path("/boot/loader/entries")):
            args = bootloader.grub_expand(e.options, env).split()
            ck = [a for a in args if a.startswith("crashkernel=")]
            out.append(f"{e.linux.rsplit('/vmlinuz-', 1)[-1]} ({ck[-1] if ck else 'no crashkernel'})")
        return out
    cfg = bootloader.GrubCfg(host.path("/boot/grub2/grub.cfg"))
    for me in cfg.entries:
        if me.kernel_line is None:
            continue
        _i, el = cfg.kernel_elements(me)
        ck = [a for a, _ws in el[2:] if a.startswith("crashkernel=")]
        kv = re.sub(r"^.*/vmlinuz-", "", el[1][0])
        out.append(f"{kv} ({ck[-1] if ck else 'no crashkernel'})")
    return out


def _version() -> str:
    """The installed distribution's version (not the reconciler's __version__: the simulator imports only its rule table)."""
    try:
        from importlib.metadata import version

        return version("rtkdump")
    except Exception:  # not installed: running from a source tree
        return "(source tree)"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rtkdump-simhost", description="Simulated RHEL for Real Time 7/8/9/10 hosts"
    )
    p.add_argument("--version", action="version", version=f"rtkdump-simhost {_version()}")
    sub = p.add_subparsers(dest="command")
    c = sub.add_parser("create", help="create a host tree")
    c.add_argument("dir")
    c.add_argument("--release", required=True, choices=releases.RELEASES)
    c.add_argument("--ram", default="8G")
    c.add_argument("--product-name", default=None)
    c.add_argument("--isolated-cpus", default="2-7")
    c.add_argument("--cpus", type=int, default=None)
    c.add_argument("--force", action="store_true", help="replace DIR if it already holds a simulated host")
    c.add_argument("-q", "--quiet", action="store_true")
    c.set_defaults(func=cmd_create)
    e = sub.add_parser("exec", help="run a command against the host")
    e.add_argument("dir")
    e.add_argument("cmd", nargs=argparse.REMAINDER)
    e.set_defaults(func=cmd_exec)
    r = sub.add_parser("reboot", help="boot the default entry")
    r.add_argument("dir")
    r.set_defaults(func=cmd_reboot)
    k = sub.add_parser("crash", help="sysrq crash (vmcore if kdump is loaded) and reboot")
    k.add_argument("dir")
    k.set_defaults(func=cmd_crash)
    s = sub.add_parser("show", help="the host state at a glance")
    s.add_argument("dir")
    s.set_defaults(func=cmd_show)
    ik = sub.add_parser("install-kernel", help="dnf install kernel-rt-KVER the way the release does it")
    ik.add_argument("dir")
    ik.add_argument("kver", help="uname -r of the new kernel, e.g. 5.14.0-427.31.1.el9_4.x86_64+rt")
    ik.set_defaults(func=cmd_install_kernel)
    lk = sub.add_parser("lock", help="hold the package-manager lock in the background")
    lk.add_argument("dir")
    lk.add_argument("--seconds", type=float, default=30.0)
    lk.set_defaults(func=cmd_lock)
    b = sub.add_parser("build-repo", help="build (or find) the cached RPM repositories")
    b.add_argument("release", nargs="*", choices=list(releases.RELEASES) + [])
    b.set_defaults(func=cmd_build_repo)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    from .host import HostError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (HostError, ValueError, RuntimeError) as exc:
        sys.stderr.write(f"rtkdump-simhost: {exc}\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
