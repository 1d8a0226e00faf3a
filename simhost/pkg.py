"""rpm / dnf / yum stand-ins and the package-manager lock holder.

* rpm: the real /usr/bin/rpm with ``--root DIR`` and ``_dbpath /var/lib/rpm``
  (Debian's rpm would otherwise use ~/.rpmdb), plus ``--force-debian`` to
  silence Debian's "use Alien" warning that RHEL's rpm never prints.
* dnf: the real dnf 4 with ``--installroot DIR``; HOME points at
  DIR/.simhost/home whose .rpmmacros sets the rpmdb path (librpm reads it).
* yum: on 8/9 it is dnf (as on RHEL).  On 7 the yum 3 messages, exit codes,
  lock and skip_missing_names_on_install semantics are reproduced in front of
  a quiet real dnf transaction (platform-facts §7).
"""

# ruff: noqa: UP031  (printf formats mirror the C/yum/kernel originals on purpose)

from __future__ import annotations

import ctypes
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, TextIO

from .host import Host, HostError, find_root

REAL_RPM = "/usr/bin/rpm"
REAL_DNF = "/usr/bin/dnf"
RPMDB = "/var/lib/rpm"
DNF_RPMDB_LOCK = "/var/lib/dnf/rpmdb_lock.pid"
YUM_PID = "/var/run/yum.pid"


def _opt_value(argv: Sequence[str], names: Sequence[str]) -> Optional[str]:
    for i, a in enumerate(argv):
        for n in names:
            if a == n and i + 1 < len(argv):
                return argv[i + 1]
            if a.startswith(n + "="):
                return a.split("=", 1)[1]
    return None


def rpm_argv(argv: Sequence[str]) -> List[str]:
    argv = list(argv)
    out = [REAL_RPM]
    if _opt_value(argv, ["--root", "-r"]) is None:
        out += ["--root", str(find_root(None))]
    if _opt_value(argv, ["--dbpath"]) is None:
        out += ["--define", f"_dbpath {RPMDB}"]
    if needs_force_debian(argv):
        out.append("--force-debian")
    return out + argv


def needs_force_debian(argv: Sequence[str]) -> bool:
    """Debian's rpm warns "use Alien instead" in install/upgrade/erase modes unless --force-debian."""
    for a in argv:
        if a in ("--install", "--upgrade", "--freshen", "--erase", "--reinstall"):
            return True
        if re.match(r"^-[a-zA-Z]+$", a) and a[1] in "iUFe":
            return True
    return False


def rpm_main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        full = rpm_argv(argv)
    except HostError as exc:
        sys.stderr.write(f"rpm (rtkdump-simhost): {exc}\n")
        return 1
    os.execv(REAL_RPM, full)
    return 1  # pragma: no cover


def dnf_env(host: Host) -> Dict[str, str]:
    env = dict(os.environ)
    env["HOME"] = str(host.home_dir)
    env.setdefault("LANG", "C.UTF-8")
    return env


def dnf_argv(host: Host, argv: Sequence[str]) -> List[str]:
    argv = list(argv)
    out = [REAL_DNF]
    if _opt_value(argv, ["--installroot"]) is None:
        out += ["--installroot", str(host.root)]
    return out + argv


def _host_from_installroot(argv: Sequence[str]) -> Host:
    root = _opt_value(argv, ["--installroot"])
    return Host(find_root(root))


def dnf_main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        host = _host_from_installroot(argv)
        _ = host.release
    except HostError as exc:
        sys.stderr.write(f"dnf (rtkdump-simhost): {exc}\n")
        return 1
    os.execve(REAL_DNF, dnf_argv(host, argv), dnf_env(host))
    return 1  # pragma: no cover


# ---------------------------------------------------------------------------
# process information (yum's show_lock_owner)
# ---------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def format_number(number: float) -> str:
    symbols = [" ", "k", "M", "G", "T", "P", "E", "Z", "Y"]
    depth = 0
    while number > 999 and depth < len(symbols) - 1:
        depth += 1
        number = number / 1024.0
    if isinstance(number, int):
        fmt = "%i%s%s"
    elif number < 9.95:
        fmt = "%.1f%s%s"
    else:
        fmt = "%.0f%s%s"
    return fmt % (float(number or 0), " ", symbols[depth])


def process_info(pid: int) -> Optional[Dict[str, Any]]:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except OSError:
        return None
    info: Dict[str, object] = {}
    for line in status.splitlines():
        k, _, v = line.partition(":")
        info[k.strip()] = v.strip()
    ticks = os.sysconf("SC_CLK_TCK")
    start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
    boot = time.time() - uptime
    state = str(info.get("State", "")).split("(")[-1].rstrip(")").capitalize()
    return {
        "name": info.get("Name", "?"),
        "vmrss": int(str(info.get("VmRSS", "0 kB")).split()[0]),
        "vmsize": int(str(info.get("VmSize", "0 kB")).split()[0]),
        "start_time": int(boot + start_ticks / ticks),
        "state": state,
    }


def seconds_to_ui_time(seconds: int) -> str:
    if seconds >= 60 * 60 * 24:
        return "%d day(s) %d:%02d:%02d" % (
            seconds // 86400,
            (seconds // 3600) % 24,
            (seconds // 60) % 60,
            seconds % 60,
        )
    if seconds >= 60 * 60:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds // 60) % 60, seconds % 60)
    return "%02d:%02d" % (seconds // 60, seconds % 60)


def show_lock_owner_yum(pid: int, err: TextIO) -> None:
    ps = process_info(pid)
    if not ps:
        return
    err.write(f"  The other application is: {ps['name']}\n")
    err.write(
        "    Memory : %5s RSS (%5sB VSZ)\n"
        % (format_number(int(ps["vmrss"]) * 1024), format_number(int(ps["vmsize"]) * 1024))
    )
    ago = seconds_to_ui_time(int(time.time()) - int(ps["start_time"]))
    err.write("    Started: %s - %s ago\n" % (time.ctime(int(ps["start_time"])), ago))
    if ps["state"]:
        err.write("    State  : %s, pid: %d\n" % (ps["state"], pid))


# ---------------------------------------------------------------------------
# yum (RHEL 7)
# ---------------------------------------------------------------------------


class Yum7:
    def __init__(self, host: Host, argv: Sequence[str], out: TextIO, err: TextIO):
        self.host, self.argv, self.out, self.err = host, list(argv), out, err
        self.setopts: Dict[str, str] = {}
        self.assumeyes = False
        self.quiet = False
        self.words: List[str] = []
        self.passthrough: List[str] = []
        self._parse()

    def _parse(self) -> None:
        a = self.argv
        i = 0
        with_arg = {
            "--installroot",
            "--setopt",
            "-d",
            "--debuglevel",
            "-e",
            "--errorlevel",
            "--enablerepo",
            "--disablerepo",
            "--releasever",
            "-c",
            "--config",
            "-x",
            "--exclude",
            "--disableplugin",
            "--enableplugin",
            "-R",
            "--randomwait",
            "--color",
            "--downloaddir",
            "--rpmverbosity",
        }
        while i < len(a):
            x = a[i]
            name, eq, val = x.partition("=")
            if x in ("-y", "--assumeyes"):
                self.assumeyes = True
            elif x in ("-q", "--quiet"):
                self.quiet = True
            elif name in with_arg and x.startswith("--") and eq:
                self._opt(name, val)
            elif x in with_arg:
                i += 1
                self._opt(x, a[i] if i < len(a) else "")
            elif x.startswith("-"):
                self.passthrough.append(x)
            else:
                self.words.append(x)
            i += 1

    def _opt(self, name: str, val: str) -> None:
        if name == "--setopt":
            k, _, v = val.partition("=")
            self.setopts[k.strip()] = v.strip()
        elif name in ("--enablerepo", "--disablerepo", "--releasever", "-x", "--exclude"):
            self.passthrough.append(f"{name}={val}" if name.startswith("--") else f"--exclude={val}")

    def conf(self, key: str, default: str) -> str:
        if key in self.setopts:
            return self.setopts[key]
        text = self.host.read("/etc/yum.conf") or ""
        m = re.search(r"^" + re.escape(key) + r"\s*=\s*(.*)$", text, re.M)
        return m.group(1).strip() if m else default

    @staticmethod
    def truthy(v: str) -> bool:
        return v.strip().lower() in ("1", "true", "yes", "on")

    # -- lock -------------------------------------------------------------
    def lock(self) -> int:
        pidfile = self.host.path(YUM_PID)
        exit_on_lock = self.truthy(self.conf("exit_on_lock", "False"))
        first = True
        while True:
            holder = _read_pid(pidfile)
            if holder is None or holder == os.getpid() or not pid_alive(holder):
                break
            if first:
                self.err.write(f"Existing lock {YUM_PID}: another copy is running as pid {holder}.\n")
                first = False
            if exit_on_lock:
                self.err.write(
                    "\n\nAnother app is currently holding the yum lock; exiting as configured by exit_on_lock\n"
                )
                self.err.flush()
                return 1
            self.err.write("Another app is currently holding the yum lock; waiting for it to exit...\n")
            show_lock_owner_yum(holder, self.err)
            self.err.flush()
            time.sleep(2)
        pidfile.parent.mkdir(parents=True, exist_ok=True)
        pidfile.write_text(f"{os.getpid()}\n")
        return 0

    def unlock(self) -> None:
        pidfile = self.host.path(YUM_PID)
        if _read_pid(pidfile) == os.getpid():
            pidfile.unlink()

    # -- queries ----------------------------------------------------------
    def installed(self, name: str) -> List[str]:
        proc = subprocess.run(
            rpm_argv(["--root", str(self.host.root), "-q", "--qf", "%{NEVRA}\\n", name]),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            return []
        return [x.replace("0:", "", 1) if re.match(r"^[^:]*-0:", x) else x for x in proc.stdout.split()]

    def available(self) -> Dict[str, Dict[str, str]]:
        pkgs: Dict[str, Dict[str, str]] = {}
        for repo in self._repo_dirs():
            meta = repo / "simhost-repo.json"
            names = []
            if meta.is_file():
                names = json.loads(meta.read_text()).get("packages", [])
            else:
                names = [p.name[:-4] for p in repo.glob("*.rpm")]
            for nvra in names:
                m = re.match(r"^(.*)-([^-]+)-([^-]+)\.([^.]+)$", nvra)
                if m:
                    size = (repo / f"{nvra}.rpm").stat().st_size if (repo / f"{nvra}.rpm").exists() else 0
                    pkgs[m.group(1)] = {
                        "nvra": nvra,
                        "version": m.group(2),
                        "release": m.group(3),
                        "arch": m.group(4),
                        "repo": self._repo_id,
                        "size": str(size),
                    }
        return pkgs

    def _repo_dirs(self) -> List[Path]:
        out: List[Path] = []
        self._repo_id = "rhel-7-server-rpms"
        rdir = self.host.path("/etc/yum.repos.d")
        for f in sorted(rdir.glob("*.repo")) if rdir.is_dir() else []:
            section = None
            enabled = True
            for line in f.read_text().splitlines():
                m = re.match(r"^\[(.*)\]", line)
                if m:
                    section = m.group(1)
                    enabled = True
                m = re.match(r"^enabled\s*=\s*(\S+)", line)
                if m:
                    enabled = self.truthy(m.group(1))
                m = re.match(r"^baseurl\s*=\s*file://(\S+)", line)
                if m and enabled:
                    out.append(Path(m.group(1)))
                    self._repo_id = section or self._repo_id
        return out

    # -- commands ---------------------------------------------------------
    def run(self) -> int:
        if not self.words:
            self.err.write("You need to give some command\n")
            return 1
        cmd, args = self.words[0], self.words[1:]
        if cmd not in ("install", "remove", "erase"):
            return self._passthrough()
        rc = self.lock()
        if rc:
            return rc
        try:
            return self.install(args) if cmd == "install" else self.remove(args)
        finally:
            self.unlock()

    def _passthrough(self) -> int:
        argv = dnf_argv(
            self.host,
            (["-y"] if self.assumeyes else [])
            + (["-q"] if self.quiet else [])
            + [f"--setopt={k}={v}" for k, v in self.setopts.items()]
            + self.passthrough
            + self.words,
        )
        proc = subprocess.run(argv, env=dnf_env(self.host), capture_output=True, text=True)
        self.out.write(proc.stdout)
        self.err.write(proc.stderr)
        return proc.returncode

    def install(self, names: List[str]) -> int:
        if not names:
            self.err.write("Error: Need to pass a list of pkgs to install\n")
            return 1
        avail = self.available()
        skip_missing = self.truthy(self.conf("skip_missing_names_on_install", "True"))
        todo: List[Dict[str, str]] = []
        done = False
        w = self.out.write
        for name in names:
            inst = self.installed(name)
            if inst:
                w(f"Package {inst[-1]} already installed and latest version\n")
                done = True
            elif name in avail:
                if avail[name] not in todo:
                    todo.append(avail[name])
                done = True
            else:
                w(f"No package {name} available.\n")
                if not skip_missing:
                    self.err.write(f"Error: Unable to find a match: {name}\n")
                    return 1
        if not todo:
            if not done:
                self.err.write("Error: Nothing to do\n")
                return 1
            w("Nothing to do\n")
            return 0
        w("Resolving Dependencies\n--> Running transaction check\n")
        for p in todo:
            w(f"---> Package {_name_of(p)}.{p['arch']} 0:{p['version']}-{p['release']} will be installed\n")
        w("--> Finished Dependency Resolution\n\nDependencies Resolved\n\n")
        w("=" * 80 + "\n")
        w(" %-20s %-10s %-25s %-16s %5s\n" % ("Package", "Arch", "Version", "Repository", "Size"))
        w("=" * 80 + "\n")
        w("Installing:\n")
        total = 0
        for p in todo:
            size = int(p["size"])
            total += size
            w(
                " %-20s %-10s %-25s %-16s %5s\n"
                % (
                    _name_of(p),
                    p["arch"],
                    f"{p['version']}-{p['release']}",
                    p["repo"],
                    format_number(size).replace(" ", " "),
                )
            )
        w("\nTransaction Summary\n" + "=" * 80 + "\n")
        w("Install  %d Package%s\n\n" % (len(todo), "" if len(todo) == 1 else "s"))
        w("Total download size: %s\n" % format_number(total))
        w("Installed size: %s\n" % format_number(total))
        if not self.assumeyes:
            w("Is this ok [y/d/N]: ")
            self.out.flush()
            answer = sys.stdin.readline().strip().lower() if sys.stdin and not sys.stdin.closed else ""
            if answer not in ("y", "yes"):
                w("Exiting on user command\n")
                return 1
        w(
            "Downloading packages:\nRunning transaction check\nRunning transaction test\n"
            "Transaction test succeeded\nRunning transaction\n"
        )
        argv = dnf_argv(
            self.host, ["-y", "-q", "--setopt=exit_on_lock=True", "install"] + [_name_of(p) for p in todo]
        )
        proc = subprocess.run(argv, env=dnf_env(self.host), capture_output=True, text=True)
        if proc.returncode != 0:
            self.err.write(proc.stderr)
            self.err.write("Error: transaction failed\n")
            return 1
        n = len(todo)
        for i, p in enumerate(todo, 1):
            w("  %-11s: %-58s %d/%d\n" % ("Installing", p["nvra"], i, n))
        for i, p in enumerate(todo, 1):
            w("  %-11s: %-58s %d/%d\n" % ("Verifying", p["nvra"], i, n))
        w("\nInstalled:\n")
        w("  " + "  ".join(f"{_name_of(p)}.{p['arch']} 0:{p['version']}-{p['release']}" for p in todo) + "\n")
        w("\nComplete!\n")
        return 0

    def remove(self, names: List[str]) -> int:
        present = [n for n in names if self.installed(n)]
        for n in names:
            if n not in present:
                self.out.write(f"No Match for argument: {n}\n")
        if not present:
            self.out.write("No Packages marked for removal\n")
            return 0
        argv = dnf_argv(self.host, ["-y", "-q", "--setopt=exit_on_lock=True", "remove"] + present)
        proc = subprocess.run(argv, env=dnf_env(self.host), capture_output=True, text=True)
        if proc.returncode != 0:
            self.err.write(proc.stderr)
            return 1
        self.out.write("\nRemoved:\n  " + "  ".join(present) + "\n\nComplete!\n")
        return 0


def _name_of(p: Dict[str, str]) -> str:
    nvra = p["nvra"]
    return nvra[: -len(f"-{p['version']}-{p['release']}.{p['arch']}")]


def _read_pid(path: Path) -> Optional[int]:
    try:
        return int(path.read_text().strip() or "x")
    except (OSError, ValueError):
        return None


def yum_main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        host = _host_from_installroot(argv)
        rel = host.release
    except HostError as exc:
        err.write(f"yum (rtkdump-simhost): {exc}\n")
        return 1
    if rel.major >= 8:
        os.execve(REAL_DNF, dnf_argv(host, argv), dnf_env(host))
    return Yum7(host, argv, out, err).run()


# ---------------------------------------------------------------------------
# lock holder
# ---------------------------------------------------------------------------


def _set_proc_name(name: str) -> None:
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(15, ctypes.c_char_p(name.encode()), 0, 0, 0)  # PR_SET_NAME
    except Exception:  # pragma: no cover - best effort only
        pass


def hold_lock(root: str, seconds: float) -> int:
    """Run in the background: own the tree's package-manager lock files for `seconds`."""
    host = Host(root)
    rel = host.release
    _set_proc_name("yum" if rel.major == 7 else "dnf")
    me = str(os.getpid())
    files = [host.path(DNF_RPMDB_LOCK)]
    if rel.major == 7:
        files.append(host.path(YUM_PID))
    for f in files:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(me + ("\n" if f.name == "yum.pid" else ""))
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    try:
        sys.stdout.close()
        os.close(1)
    except OSError:
        pass
    try:
        time.sleep(seconds)
    finally:
        for f in files:
            if _read_pid(f) == os.getpid():
                try:
                    f.unlink()
                except OSError:
                    pass
    return 0


def start_lock_holder(root: Path, seconds: float) -> int:
    """Spawn the holder detached from us; returns its pid once the lock files are written."""
    env = dict(os.environ)
    pkg_parent = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = pkg_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "simhost.pkg", "--hold-lock", str(root), str(seconds)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
        close_fds=True,
        universal_newlines=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    proc.stdout.close()
    if line.strip() != "ready":
        raise RuntimeError("lock holder did not start")
    return proc.pid


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) == 4 and sys.argv[1] == "--hold-lock":
        sys.exit(hold_lock(sys.argv[2], float(sys.argv[3])))
    sys.exit(2)
