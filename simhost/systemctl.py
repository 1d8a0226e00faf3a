"""systemctl stand-in.

Unit *files* (enable/disable/mask/is-enabled/preset) are handled by the real
``/usr/bin/systemctl --root DIR``; its messages are rewritten to the wording
of the release's systemd (219 / 239 / 252; 10's 257 as 252 except is-enabled of a
missing unit) and the DIR prefix is removed.
The *running* state (is-active/start/stop/restart/status/show) is simulated
and kept in DIR/run/simhost/units (cleared at every boot).  ``reboot`` only
records a request that ``rtkdump-simhost exec`` carries out after the command.
Outputs and exit codes: platform-facts §7.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, TextIO, Tuple

from .host import Host, HostError, find_root, write_atomic

REAL = "/usr/bin/systemctl"
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system")
FILE_CMDS = (
    "enable",
    "disable",
    "reenable",
    "mask",
    "unmask",
    "preset",
    "is-enabled",
    "list-unit-files",
    "link",
    "revert",
)
FLAG_OPTS = {
    "-q",
    "--quiet",
    "--no-pager",
    "--no-block",
    "--now",
    "--system",
    "-l",
    "--full",
    "--no-legend",
    "--plain",
    "--force",
    "-f",
    "--no-reload",
    "--no-ask-password",
    "--value",
    "--all",
    "-a",
    "--runtime",
    "--global",
}
ARG_OPTS = {
    "--root",
    "-n",
    "--lines",
    "--state",
    "-t",
    "--type",
    "-p",
    "--property",
    "-H",
    "--host",
    "-M",
    "--machine",
    "-o",
    "--output",
    "--job-mode",
    "--kill-who",
    "-s",
    "--signal",
}


def unit_name(name: str) -> str:
    if "." in name and name.rsplit(".", 1)[1] in (
        "service",
        "target",
        "socket",
        "timer",
        "mount",
        "path",
        "slice",
        "scope",
        "device",
        "swap",
    ):
        return name
    return name + ".service"


class Units:
    def __init__(self, host: Host):
        self.host = host
        self.rel = host.release

    # -- unit files -------------------------------------------------------
    def unit_file(self, unit: str) -> Optional[str]:
        for d in UNIT_DIRS:
            p = f"{d}/{unit}"
            if self.host.exists(p):
                return p
        return None

    def masked(self, unit: str) -> bool:
        p = self.host.path(f"/etc/systemd/system/{unit}")
        return p.is_symlink() and os.readlink(p) == "/dev/null"

    def enabled(self, unit: str) -> bool:
        base = self.host.path("/etc/systemd/system")
        if not base.is_dir():
            return False
        for wants in base.glob("*.wants"):
            if (wants / unit).is_symlink() or (wants / unit).exists():
                return True
        return False

    def unit_text(self, unit: str) -> str:
        path = self.unit_file(unit)
        if not path or self.masked(unit):
            return ""
        return self.host.read(path, "") or ""

    def description(self, unit: str) -> str:
        m = re.search(r"^Description=(.*)$", self.unit_text(unit), re.M)
        return m.group(1).strip() if m else unit

    # -- runtime state ----------------------------------------------------
    def _state_path(self, unit: str) -> Path:
        return self.host.run_dir / "units" / f"{unit}.json"

    def state(self, unit: str) -> Optional[Dict]:
        try:
            return json.loads(self._state_path(unit).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def set_state(
        self,
        unit: str,
        active: str,
        result: str = "success",
        log: Optional[List[str]] = None,
        condition: str = "",
        status: int = 0,
    ) -> None:
        old = self.state(unit) or {}
        journal = list(old.get("journal", []))
        stamp = time.strftime("%b %d %H:%M:%S")
        for line in log or []:
            journal.append(f"{stamp} {line}")
        st = {
            "active": active,
            "result": result,
            "since": time.time(),
            "journal": journal[-50:],
            "condition": condition,
            "status": status,
            "pid": os.getpid(),
        }
        write_atomic(self._state_path(unit), json.dumps(st, indent=1) + "\n")

    def active_state(self, unit: str) -> str:
        st = self.state(unit)
        if st is not None:
            return st["active"]
        if self.unit_file(unit) is None:
            return "unknown" if self.rel.major == 7 else "inactive"
        if self.rel.major == 7 and not self.enabled(unit):
            return "unknown"  # systemd 219 GetUnit fails for a unit that is not loaded
        return "inactive"

    # -- start/stop -------------------------------------------------------
    def condition_ok(self, unit: str) -> Tuple[bool, str]:
        text = self.unit_text(unit)
        args = self.host.cmdline_args()
        for m in re.finditer(r"^ConditionKernelCommandLine=(.*)$", text, re.M):
            want = m.group(1).strip()
            neg = want.startswith("!")
            want = want.lstrip("!")
            if "=" in want:
                hit = want in args
            else:
                hit = any(a == want or a.startswith(want + "=") for a in args)
            if hit == neg:
                return False, f"ConditionKernelCommandLine={m.group(1).strip()}"
        for m in re.finditer(r"^ExecCondition=(.*)$", text, re.M):
            cmd = m.group(1)
            words = re.findall(r'-e "([^"]+)"', cmd)
            if words and "/proc/cmdline" in cmd:
                line = self.host.cmdline()
                if not any(w in line for w in words):
                    return False, f"ExecCondition={cmd}"
        return True, ""

    def start(self, unit: str) -> Tuple[int, List[str]]:
        """Returns (exit code of `systemctl start`, stderr lines)."""
        rel = self.rel
        if self.masked(unit):
            msg = "Unit is masked." if rel.major == 7 else f"Unit {unit} is masked."
            return 1, [f"Failed to start {unit}: {msg}"]
        if self.unit_file(unit) is None:
            msg = "Unit not found." if rel.major == 7 else f"Unit {unit} not found."
            return 5, [f"Failed to start {unit}: {msg}"]
        st = self.state(unit)
        if st and st["active"] == "active":
            return 0, []
        desc = self.description(unit)
        ok, cond = self.condition_ok(unit)
        if not ok:
            if rel.major == 7:
                line = f"systemd[1]: Started {desc} (condition {cond} failed, skipped)."
            else:
                line = f"systemd[1]: Condition check resulted in {desc} being skipped."
            self.set_state(unit, "inactive", "success", [line], condition=cond)
            return 0, []
        if unit == "kdump.service":
            from . import kdumpctl

            ctl = kdumpctl.Ctl(self.host)
            rc = ctl.start()
            log = [f"kdumpctl[{os.getpid()}]: {text}" for _s, text in ctl.msgs]
        else:
            rc, log = 0, []
        if rc != 0:
            log.append(
                f"systemd[1]: {unit}: main process exited, code=exited, status={rc}/FAILURE"
                if rel.major == 7
                else f"systemd[1]: {unit}: Main process exited, code=exited, status={rc}/FAILURE"
            )
            log.append(f"systemd[1]: Failed to start {desc}.")
            self.set_state(unit, "failed", "exit-code", log, status=rc)
            if rel.major >= 9:
                return 1, [
                    f"Job for {unit} failed because the control process exited with error code.",
                    f'See "systemctl status {unit}" and "journalctl -xeu {unit}" for details.',
                ]
            return 1, [
                f"Job for {unit} failed because the control process exited with error code. "
                f'See "systemctl status {unit}" and "journalctl -xe" for details.'
            ]
        log.append(f"systemd[1]: Started {desc}.")
        self.set_state(unit, "active", "success", log)
        return 0, []

    def stop(self, unit: str) -> Tuple[int, List[str]]:
        if self.unit_file(unit) is None and self.state(unit) is None:
            return 5, [f"Failed to stop {unit}: Unit {unit} not loaded."]
        st = self.state(unit)
        desc = self.description(unit)
        log = []
        if st and st["active"] == "active" and unit == "kdump.service":
            from . import kdumpctl

            ctl = kdumpctl.Ctl(self.host)
            ctl.stop()
            log = [f"kdumpctl[{os.getpid()}]: {text}" for _s, text in ctl.msgs]
        if st or self.unit_file(unit):
            log += [f"systemd[1]: Stopping {desc}...", f"systemd[1]: Stopped {desc}."]
            self.set_state(unit, "inactive", "success", log)
        return 0, []

    # -- status -----------------------------------------------------------
    def status_text(self, unit: str) -> Tuple[int, str]:
        rel = self.rel
        path = self.unit_file(unit)
        if path is None and self.state(unit) is None:
            return 4, ""
        st = self.state(unit) or {}
        active = self.active_state(unit)
        desc = self.description(unit)
        en = "masked" if self.masked(unit) else ("enabled" if self.enabled(unit) else "disabled")
        since = time.strftime("%a %Y-%m-%d %H:%M:%S %Z", time.localtime(st.get("since", time.time())))
        dot = "●"
        if rel.major >= 9:
            dot = {"active": "●", "failed": "×"}.get(active, "○")
        w = 12 if rel.major >= 9 else 10
        lines = [f"{dot} {unit} - {desc}"]
        preset = "preset" if rel.major >= 9 else "vendor preset"
        if path is None:
            lines.append(f"{'Loaded:':>{w}} not-found (Reason: No such file or directory)")
        elif self.masked(unit):
            lines.append(f"{'Loaded:':>{w}} masked (/dev/null; bad)")
        else:
            lines.append(f"{'Loaded:':>{w}} loaded ({path}; {en}; {preset}: enabled)")
        if active == "active":
            lines.append(f"{'Active:':>{w}} active (exited) since {since}")
        elif active == "failed":
            lines.append(f"{'Active:':>{w}} failed (Result: {st.get('result', 'exit-code')}) since {since}")
        else:
            lines.append(f"{'Active:':>{w}} inactive (dead)" + (f" since {since}" if st else ""))
            if st.get("condition"):
                lines.append(f"{'Condition:':>{w}} start condition failed at {since}")
                lines.append(
                    " " * (w + 1) + f"└─ {st['condition']} was not met"
                    if rel.major >= 8
                    else " " * (w + 1) + f"{st['condition']} was not met"
                )
        if st and st.get("active") in ("active", "failed"):
            code = st.get("status", 0)
            res = "0/SUCCESS" if code == 0 else f"{code}/FAILURE"
            lines.append(
                f"{'Process:':>{w}} {st.get('pid', 1)} ExecStart=/usr/bin/kdumpctl start "
                f"(code=exited, status={res})"
                if unit == "kdump.service"
                else f"{'Process:':>{w}} {st.get('pid', 1)} (code=exited, status={res})"
            )
            lines.append(f"{'Main PID:':>{w}} {st.get('pid', 1)} (code=exited, status={res})")
        journal = st.get("journal", [])[-10:]
        if journal:
            lines.append("")
            host = (self.host.read("/etc/hostname") or "localhost").strip()
            for j in journal:
                stamp, rest = j[:15], j[16:]
                lines.append(f"{stamp} {host} {rest}")
        return (0 if active == "active" else 3), "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# unit-file commands through the real systemctl
# ---------------------------------------------------------------------------


def rewrite_messages(text: str, root: str, major: int) -> str:
    out = []
    for line in text.splitlines():
        line = line.replace(root + "/", "/").replace(root, "/")
        m = re.match(r"^Created symlink (\S+) → (\S+)\.$", line)
        if m and major == 7:
            line = f"Created symlink from {m.group(1)} to {m.group(2)}."
        m = re.match(r'^Removed "?(.*?)"?\.$', line)
        if m:
            if major == 7:
                line = f"Removed symlink {m.group(1)}."
            elif major == 8:
                line = f"Removed {m.group(1)}."
            else:
                line = f'Removed "{m.group(1)}".'
        if "is added as a dependency to a non-existent unit" in line:
            continue
        out.append(line)
    return "".join(x + "\n" for x in out)


def real_systemctl(host: Host, cmd: str, flags: List[str], units: List[str]) -> Tuple[int, str, str]:
    argv = [REAL, "--root", str(host.root)] + [
        f for f in flags if f in ("-q", "--quiet", "--force", "-f", "--runtime", "--no-reload")
    ]
    argv += [cmd] + units
    env = dict(os.environ)
    env["SYSTEMD_OFFLINE"] = "1"
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    root = str(host.root)
    return (
        proc.returncode,
        rewrite_messages(proc.stdout, root, host.release.major),
        rewrite_messages(proc.stderr, root, host.release.major),
    )


# ---------------------------------------------------------------------------


def request_reboot(host: Host, what: str = "reboot") -> None:
    write_atomic(host.run_dir / "reboot-requested", what + "\n")


def boot_start_enabled(host: Host) -> List[str]:
    u = Units(host)
    started = []
    base = host.path("/etc/systemd/system")
    names = set()
    if base.is_dir():
        for wants in sorted(base.glob("*.wants")):
            for link in wants.iterdir():
                names.add(link.name)
    for name in sorted(names):
        if u.masked(name) or u.unit_file(name) is None:
            continue
        rc, _err = u.start(name)
        started.append(f"{name} ({u.active_state(name)})")
    return started


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    root = None
    flags: List[str] = []
    props: List[str] = []
    words: List[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--root="):
            root = a.split("=", 1)[1]
        elif a == "--root":
            i += 1
            root = argv[i] if i < len(argv) else None
        elif a.startswith(("--property=", "-p")) and a not in ("-p",):
            props += a.split("=", 1)[1].split(",") if "=" in a else [a[2:]]
        elif a in ("-p", "--property"):
            i += 1
            props += argv[i].split(",") if i < len(argv) else []
        elif a in ARG_OPTS:
            i += 1
        elif a.startswith("--") and "=" in a and a.split("=", 1)[0] in ARG_OPTS:
            pass
        elif a.startswith("-") and a != "-":
            flags.append(a)
        else:
            words.append(a)
        i += 1
    try:
        host = Host(find_root(root))
        rel = host.release
    except HostError as exc:
        err.write(f"systemctl (rtkdump-simhost): {exc}\n")
        return 1
    quiet = "-q" in flags or "--quiet" in flags
    if not words:
        err.write("systemctl (rtkdump-simhost): listing units is not simulated\n")
        return 1
    cmd, units = words[0], [unit_name(x) for x in words[1:]]
    u = Units(host)
    if cmd in ("daemon-reload", "daemon-reexec"):
        return 0
    if cmd in ("reboot", "poweroff", "halt", "kexec"):
        request_reboot(host, cmd)
        return 0
    if cmd in FILE_CMDS:
        if cmd in ("enable", "disable") and not units:
            err.write("Too few arguments.\n")
            return 1
        if (
            cmd == "is-enabled"
            and rel.systemd >= 257
            and units
            and all(u.unit_file(x) is None for x in units)
        ):
            # samples/commands/systemctl-is-enabled.kdump.not-found.new-systemd.stdout: newer systemd
            # (RHEL 10's 257) says "not-found" on stdout and exits 4 instead of the 252 error line
            if not quiet:
                out.write("not-found\n" * len(units))
            return 4
        rc, o, e = real_systemctl(host, cmd, flags, [x for x in units])
        out.write(o)
        err.write(e)
        if rc == 0 and "--now" in flags:
            for unit in units:
                if cmd == "enable":
                    rc2, lines = u.start(unit)
                else:
                    rc2, lines = u.stop(unit)
                for line in lines:
                    err.write(line + "\n")
                rc = rc or rc2
        return rc
    if cmd in ("is-active", "is-failed"):
        rc = 3 if cmd == "is-active" else 1
        for unit in units:
            state = u.active_state(unit)
            if not quiet:
                out.write(state + "\n")
            if cmd == "is-active" and state in ("active", "reloading"):
                rc = 0
            if cmd == "is-failed" and state == "failed":
                rc = 0
        return rc
    if cmd in (
        "start",
        "stop",
        "restart",
        "try-restart",
        "reload-or-restart",
        "condrestart",
        "reload",
        "force-reload",
    ):
        if not units:
            err.write("Too few arguments.\n")
            return 1
        rc = 0
        for unit in units:
            if cmd == "stop":
                r, lines = u.stop(unit)
            elif cmd in ("restart", "reload-or-restart", "force-reload", "reload"):
                if u.unit_file(unit) is None:
                    msg = "Unit not found." if rel.major == 7 else f"Unit {unit} not found."
                    r, lines = 5, [f"Failed to {cmd} {unit}: {msg}"]
                else:
                    u.stop(unit)
                    r, lines = u.start(unit)
            elif cmd in ("try-restart", "condrestart"):
                if u.active_state(unit) == "active":
                    u.stop(unit)
                    r, lines = u.start(unit)
                else:
                    r, lines = 0, []
            else:
                r, lines = u.start(unit)
            for line in lines:
                err.write(line + "\n")
            rc = rc or r
        return rc
    if cmd == "status":
        rc = 0
        for unit in units:
            r, text = u.status_text(unit)
            if r == 4:
                err.write(f"Unit {unit} could not be found.\n")
            else:
                out.write(text)
            rc = rc or r
        return rc
    if cmd == "show":
        for unit in units:
            values = {
                "Id": unit,
                "Description": u.description(unit),
                "LoadState": "masked" if u.masked(unit) else ("loaded" if u.unit_file(unit) else "not-found"),
                "ActiveState": u.active_state(unit) if u.active_state(unit) != "unknown" else "inactive",
                "SubState": {"active": "exited", "failed": "failed"}.get(u.active_state(unit), "dead"),
                "UnitFileState": "masked"
                if u.masked(unit)
                else ("enabled" if u.enabled(unit) else ("disabled" if u.unit_file(unit) else "")),
                "Result": (u.state(unit) or {}).get("result", "success"),
            }
            keys = props or list(values)
            for k in keys:
                v = values.get(k, "")
                out.write(f"{v}\n" if "--value" in flags else f"{k}={v}\n")
        return 0
    err.write(f"systemctl (rtkdump-simhost): command {cmd!r} is not simulated\n")
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
