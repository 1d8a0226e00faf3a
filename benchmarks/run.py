#!/usr/bin/env python3
"""The reference benchmark: rtkdump's cron path against a floor, in one run, alternated.

For each simulated host (7.9, 9.4, 10.1; converged: apply, reboot, apply) with
3 and with 50 boot entries, every round runs, one after another:
(a) the floor (benchmarks/floor.py: the same reads and unavoidable commands,
in parallel), (b) converged ``rtkdump apply``, (c) ``rtkdump plan``,
(d) ``rtkdump validate``, (e) "cron": converged apply with ``--textfile-dir``,
as contrib/cron and rtkdump-apply.service run it.  Alternating inside a round
keeps a busy machine's slow moments spread over all five.  Printed: medians
of wall time, CPU time
(user+sys of the process and every child, from wait4), peak RSS of the
measured process itself (RUSAGE_SELF inside it, via benchmarks/_self_rss.py),
processes it started itself and in its whole tree (one extra run per case
under ``strace -f``, when strace is there), and (b)/(a), (c)/(a).

Each command runs as ``rtkdump-simhost exec`` would run it (SIMHOST_ROOT and
the stand-ins first on PATH) but without the exec wrapper's own start-up.
The checkout is compiled to bytecode first (``--no-bytecode``: not), as an
installed rtkdump is.

    python3 benchmarks/run.py [--rounds 9] [--releases 7.9 9.4 10.1] [--entries 3 50] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
SELF_RSS = str(REPO / "benchmarks" / "_self_rss.py")
STATE = str(REPO / "states" / "default.yaml")
TEXTFILE_DIR = "var/lib/node_exporter/textfile_collector"


def sim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "simhost", *args], capture_output=True, text=True, check=False, cwd=REPO)


def host_env(root: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env["SIMHOST_ROOT"] = str(root)
    env["PATH"] = str(root / ".simhost" / "bin") + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def add_entries(root: Path, major: int, total: int) -> None:
    """Copies of the non-RT kernel's entry (and its files) until there are ``total`` entries."""
    boot = root / "boot"
    if major >= 8:
        bls = boot / "loader" / "entries"
        confs = sorted(bls.glob("*.conf"))
        have = len(confs)
        src = next(c for c in confs if "+rt" not in c.name and ".rt" not in c.name and "rescue" not in c.name)
        text = src.read_text()
        kver = re.search(r"^linux\s+/vmlinuz-(\S+)", text, re.M).group(1)  # type: ignore[union-attr]
        for n in range(total - have):
            new = kver.replace(".el", f".{n + 1}.bench.el", 1)
            (bls / src.name.replace(kver, new)).write_text(text.replace(kver, new))
            shutil.copy(boot / f"vmlinuz-{kver}", boot / f"vmlinuz-{new}")
        return
    cfg = boot / "grub2" / "grub.cfg"
    text = cfg.read_text()
    blocks = re.findall(r"^menuentry .*?^}\n", text, re.M | re.S)
    have = len(blocks)
    src = next(b for b in blocks if ".rt" not in b and "rescue" not in b)
    kver = re.search(r"linux16 /vmlinuz-(\S+)", src).group(1)  # type: ignore[union-attr]
    extra = []
    for n in range(total - have):
        new = kver.replace(".el", f".{n + 1}.bench.el", 1)
        extra.append(src.replace(kver, new))
        shutil.copy(boot / f"vmlinuz-{kver}", boot / f"vmlinuz-{new}")
    end = text.index(src) + len(src)
    cfg.write_text(text[:end] + "".join(extra) + text[end:])


def converge(root: Path, release: str, entries: int) -> None:
    r = sim("create", str(root), "--release", release, "--force", "-q")
    if r.returncode:
        raise SystemExit(f"simhost create {release}: {r.stderr}")
    cmd = ["exec", str(root), "--", PY, "-m", "reconciler", "apply", STATE, "--root", str(root)]
    sim(*cmd)
    sim("reboot", str(root))
    r = sim(*cmd)
    if r.returncode != 0:
        raise SystemExit(f"{release}: not converged after apply, reboot, apply: {r.stdout}{r.stderr}")
    major = int(release.split(".")[0])
    add_entries(root, major, entries)
    r = sim(*cmd)
    if r.returncode != 0:
        raise SystemExit(f"{release} with {entries} entries: not converged: {r.stdout}{r.stderr}")


def cases(root: Path, major: int) -> Dict[str, List[str]]:
    rtk = [PY, SELF_RSS, "-m", "reconciler"]
    return {
        "floor": [PY, SELF_RSS, str(REPO / "benchmarks" / "floor.py"), str(root), STATE, str(major)],
        "apply": rtk + ["apply", STATE, "--root", str(root)],
        "plan": rtk + ["plan", STATE, "--root", str(root)],
        "validate": rtk + ["validate", STATE],
        # what contrib/cron and rtkdump-apply.service run: apply, then the node_exporter textfile
        "cron": rtk + ["apply", STATE, "--root", str(root), "--textfile-dir", str(root / TEXTFILE_DIR)],
    }


def measure(argv: List[str], env: Dict[str, str]) -> Tuple[float, float, int]:
    """Wall s, CPU s (process + children), own peak RSS in KiB."""
    rfd, wfd = os.pipe()
    env = dict(env, BENCH_RSS_FD=str(wfd))
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, pass_fds=(wfd,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(wfd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    with os.fdopen(rfd) as fh:
        rss = int(fh.read().strip() or 0)
    code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    proc.returncode = code
    err = proc.stderr.read().decode() if proc.stderr else ""
    if code not in (0,):
        raise SystemExit(f"{argv[2:]} exited {code} (a converged host answers 0): {err}")
    return wall, usage.ru_utime + usage.ru_stime, rss


def count_processes(argv: List[str], env: Dict[str, str]) -> Tuple[int, int, List[str]]:
    """(started by the process itself, in the whole tree, what the direct children ran)."""
    if not shutil.which("strace"):
        return -1, -1, []
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as out:
        subprocess.run(
            ["strace", "-f", "-qq", "-e", "trace=execve,clone,clone3,fork,vfork", "-o", out.name] + argv,
            env=env, capture_output=True, check=False,
        )
        lines = out.read().splitlines()
    first = int(lines[0].split()[0])
    own = {first}  # the process and its threads
    children: Dict[int, int] = {}  # pid -> parent pid
    ran: Dict[int, str] = {}
    pending: Dict[int, str] = {}  # pid -> args of a clone/fork strace printed as <unfinished ...>
    for line in lines:
        m = re.match(r"(\d+)\s+(?:clone3?|fork|vfork)\((.*?)(?:<unfinished \.\.\.>|\)\s+=\s+(\d+))", line)
        r = re.match(r"(\d+)\s+<\.\.\. (?:clone3?|fork|vfork) resumed>.*=\s+(\d+)", line)
        if m and m.group(3) is None:
            pending[int(m.group(1))] = m.group(2)
            continue
        if m or r:
            pid = int((m or r).group(1))  # type: ignore[union-attr]
            args = m.group(2) if m else pending.pop(pid, "")
            new = int(m.group(3) if m else r.group(2))  # type: ignore[union-attr]
            if "CLONE_THREAD" in args:
                if pid in own:
                    own.add(new)
                continue
            children[new] = pid
            continue
        m = re.match(r'(\d+)\s+execve\("([^"]*)"', line)
        if m and int(m.group(1)) not in ran and int(m.group(1)) != first:
            ran[int(m.group(1))] = m.group(2)
    direct = [p for p, parent in children.items() if parent in own]
    return len(direct), len(children), [os.path.basename(ran.get(p, "?")) for p in direct]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--releases", nargs="+", default=["7.9", "9.4", "10.1"])
    parser.add_argument("--entries", nargs="+", type=int, default=[3, 50])
    parser.add_argument("--json", metavar="OUT")
    parser.add_argument("--keep", action="store_true", help="keep the host trees")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="remove the checkout's __pycache__ and run with PYTHONDONTWRITEBYTECODE=1 (measures the "
        "source compilation such a checkout pays on every run)",
    )
    args = parser.parse_args()
    dirs = [REPO / d for d in ("reconciler", "simhost", "benchmarks")]
    if args.no_bytecode:
        # the checkout's own caches only (git ignores them); the measured runs write none
        for cache in [c for d in dirs for c in d.rglob("__pycache__")]:
            shutil.rmtree(cache)
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        # An installed rtkdump runs from bytecode (the RPM's %py_byte_compile, pip's install-time
        # compile); a checkout under PYTHONDONTWRITEBYTECODE=1 would compile ~80 modules per run.
        subprocess.run([PY, "-m", "compileall", "-q", *map(str, dirs)], check=True, stdout=subprocess.DEVNULL)
    work = Path(tempfile.mkdtemp(prefix="rtkdump-bench-"))
    hosts = []
    for release in args.releases:
        sim("build-repo", release)
        for n in args.entries:
            root = work / f"h{release}-{n}"
            converge(root, release, n)
            (root / TEXTFILE_DIR).mkdir(parents=True, exist_ok=True)
            hosts.append((release, n, root, host_env(root)))
            sim("exec", str(root), "--", "true")  # the stand-ins exist
    names = ("floor", "apply", "plan", "validate", "cron")
    samples: Dict[Tuple[str, int, str], List[Tuple[float, float, int]]] = {}
    for _ in range(args.rounds):
        for release, n, root, env in hosts:
            for name, argv in cases(root, int(release.split(".")[0])).items():
                samples.setdefault((release, n, name), []).append(measure(argv, env))
    counts = {}
    for release, n, root, env in hosts:
        for name, argv in cases(root, int(release.split(".")[0])).items():
            counts[(release, n, name)] = count_processes(argv, env)
    rows = []
    print(f"medians of {args.rounds} alternated rounds; CPU = user+sys of the process and its children; "
          f"{'source compiled on every run' if args.no_bytecode else 'from bytecode, as installed'}")
    print(f"{'host':<10} {'case':<9} {'wall ms':>8} {'cpu ms':>8} {'rss MiB':>8} {'procs':>6} {'tree':>5} "
          f"{'x floor':>8}")
    for release, n, _root, _env in hosts:
        floor_wall = statistics.median(s[0] for s in samples[(release, n, "floor")])
        for name in names:
            s = samples[(release, n, name)]
            wall = statistics.median(x[0] for x in s)
            cpu = statistics.median(x[1] for x in s)
            rss = statistics.median(x[2] for x in s) / 1024
            own, tree, ran = counts[(release, n, name)]
            ratio = wall / floor_wall
            rows.append({"release": release, "entries": n, "case": name, "wall_ms": round(wall * 1000, 1),
                         "cpu_ms": round(cpu * 1000, 1), "rss_mib": round(rss, 1), "processes": own,
                         "tree_processes": tree, "children_ran": ran, "x_floor": round(ratio, 2)})
            print(f"{release + '/' + str(n):<10} {name:<9} {wall * 1000:8.0f} {cpu * 1000:8.0f} {rss:8.1f} "
                  f"{own:6d} {tree:5d} {ratio:8.2f}")
    by = {(r["release"], r["entries"], r["case"]): r for r in rows}
    print()
    for release in args.releases:
        few = min(n for n in args.entries)
        if (release, few, "apply") not in by:
            continue
        a, floor = by[(release, few, "apply")], by[(release, few, "floor")]
        parts = [f"apply / floor ({few} entries) = {a['x_floor']:.2f}",
                 f"plan / floor = {by[(release, few, 'plan')]['x_floor']:.2f}"]
        many = max(n for n in args.entries)
        if many != few and (release, many, "apply") in by:
            parts.append(f"apply at {many} entries / at {few} = {by[(release, many, 'apply')]['wall_ms'] / a['wall_ms']:.2f}")
        parts.append(f"apply RSS / floor RSS = {a['rss_mib'] / floor['rss_mib']:.2f}")
        parts.append(f"processes started by apply: {a['processes']} ({', '.join(a['children_ran'])})")
        print(f"{release}: " + "; ".join(parts))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
