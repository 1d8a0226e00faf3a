"""kdumpctl of the simulated host (independent re-implementation of its checks).

Messages follow platform-facts §4.3 and §7: RHEL 7 prints bare lines on
stdout (errors that the real script sends with ``>&2`` go to stderr), RHEL 8+
prints every line on stderr with a ``kdump: `` prefix (kdump-logger).  What
``start`` refuses in kdump.conf, and with which message, is the per-release
rule table of docs/kdumpctl-rules.md (reconciler.rules.kdumpctl, via kdumpcheck).

The crashkernel verbs follow the real kdumpctl of each release's build (rhkdump/kdump-utils
history): 9.2 = Fedora kexec-tools 2.0.25-4 (bc4196a), 9.4 = 2.0.27-5 (00d40c4), 10.0 = kdump-utils
v1.0.51, 10.1 = v1.0.54 (see releases.py for what each field means).
"""

# ruff: noqa: UP031  (printf formats mirror the C/yum/kernel originals on purpose)

from __future__ import annotations

import os
import re
import sys
from typing import Dict, List, Optional, Sequence, TextIO, Tuple

from reconciler.rules import kdumpctl as kdumprules

from . import kdumpcheck
from .host import Host, installed_command
from .kdumpcheck import iter_config
from .kdumpctl_crashkernel import reset_after_update, reset_crashkernel, reset_for_installed_kernel

Msg = Tuple[str, str]  # (stream, text) stream in {"out", "err"}

FS_TARGETS = ("ext2", "ext3", "ext4", "minix", "btrfs", "xfs", "virtiofs")
CONF = "/etc/kdump.conf"


class Ctl:
    """One kdumpctl run: collects messages in order, with the release's stream/prefix rules."""

    def __init__(self, host: Host):
        self.host = host
        self.rel = host.release
        self.msgs: List[Msg] = []

    @property
    def modern(self) -> bool:
        return self.rel.major >= 8

    def info(self, text: str) -> None:
        if self.modern:
            self.msgs.append(("err", "kdump: " + text))
        else:
            self.msgs.append(("out", text))

    def error(self, text: str) -> None:
        """A line the RHEL 7 script sends to stderr (echo ... >&2 / perror)."""
        if self.modern:
            self.msgs.append(("err", "kdump: " + text))
        else:
            self.msgs.append(("err", text))

    def emit(self, out: TextIO, err: TextIO) -> None:
        for stream, text in self.msgs:
            (out if stream == "out" else err).write(text + "\n")

    # -- configuration ----------------------------------------------------
    def config_text(self) -> Optional[str]:
        return self.host.read(CONF)

    def report(self, found: Sequence[kdumprules.Finding], mkdumprd: bool = False) -> bool:
        """Print findings as the real script does, up to its first error; False when there is one."""
        for f in found:
            if f.severity != "error":
                self.info(f.message)
                if f.detail and f.rule == "default-renamed":
                    self.info(f.detail)
                continue
            if f.rule == "ssh-no-at" and f.message == "Starting kdump: [FAILED]":
                return False  # check_ssh_config returns 1 without a message of its own
            if f.rule == "check-params":  # makedumpfile's own lines come first, unprefixed
                said = f.detail.replace("makedumpfile --check-params: ", "")
                for line in said.split(". "):
                    self.msgs.append(("err", line if line.endswith(".") else line + "."))
            if f.origin == "kdumpctl":
                self.info(f.message)
            else:
                self.error(f.message)
                self.error("mkdumprd: failed to make kdump initrd")
            return False
        return True

    # -- state ------------------------------------------------------------
    def sysconfig(self) -> Dict[str, str]:
        out: Dict[str, str] = {}
        for line in (self.host.read("/etc/sysconfig/kdump") or "").splitlines():
            m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
            if m:
                v = m.group(2).strip()
                if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                    v = v[1:-1]
                out[m.group(1)] = v
        return out

    def kdump_kernelver(self) -> str:
        return self.sysconfig().get("KDUMP_KERNELVER") or self.host.uname_r()

    # -- actions ----------------------------------------------------------
    def start(self) -> int:
        if self.config_text() is None:
            self.error("Error: No kdump config file found!")
            return 1
        if not self.host.exists("/sys/kernel/kexec_crash_loaded"):
            self.info("Kdump is not supported on this kernel")
            return self._failed()
        if self.host.crash_size() <= 0:
            self.info("No memory reserved for crash kernel")
            return self._failed()
        text = self.config_text() or ""
        initrd = f"/boot/initramfs-{self.kdump_kernelver()}kdump.img"
        found = kdumpcheck.findings(self.host, text, initrd)
        if not self.report([f for f in found if f.origin == "kdumpctl"]):
            return self._failed()
        conf = dict(iter_config(text))
        target = dump_target(conf)
        if self.host.crash_loaded():
            if self.modern:
                self.info("Kdump already running: [WARNING]")
            else:
                self.info("Kdump already running: [WARNING]")
            return 0
        if not self._rebuild_if_needed(conf, target, [f for f in found if f.origin != "kdumpctl"]):
            return self._failed()
        self.host.set_crash_loaded(True)
        self.info("kexec: loaded kdump kernel")
        self.info("Starting kdump: [OK]")
        return 0

    def _failed(self) -> int:
        self.info("Starting kdump: [FAILED]")
        return 1

    def _rebuild_if_needed(
        self,
        conf: Dict[str, str],
        target: Optional[Tuple[str, str]],
        mkdumprd_findings: Sequence[kdumprules.Finding] = (),
    ) -> bool:
        kver = self.kdump_kernelver()
        kernel = f"/boot/vmlinuz-{kver}"
        if not self.host.exists(kernel):
            self.error(f"Kdump kernel image {kernel} not found")
            return False
        initrd = f"/boot/initramfs-{kver}kdump.img"
        path = conf.get("path", "/var/crash") or "/var/crash"
        need, changed = False, []
        ipath = self.host.path(initrd)
        if not ipath.exists():
            self.info("No kdump initial ramdisk found.")
            need = True
        else:
            # kdumpctl check_files_modified: `stat -c %Y` seconds, -gt; kdump.conf and the
            # kdump kernel (not /etc/sysconfig/kdump: that is read at load time, not built in)
            mtime = int(ipath.stat().st_mtime)
            for f in (CONF, kernel):
                p = self.host.path(f)
                if p.exists() and int(p.stat().st_mtime) > mtime:
                    changed.append(f)
            if changed:
                self.info("Detected change(s) in the following file(s):")
                for f in changed:
                    self.info(f"  {f}")
                need = True
        if not need:
            return True
        self.info(f"Rebuilding {initrd}")
        if not self.report(mkdumprd_findings, mkdumprd=True):
            return False
        # mkdumprd checks (dump location reachable, dump path present)
        if target is None:
            if not self.host.path(path).is_dir():
                self.error(f"Dump path {path} does not exist.")
                self.error("mkdumprd: failed to make kdump initrd")
                return False
        elif target[0] in FS_TARGETS and target[0] != "virtiofs":
            dev = target[1]
            if not _device_exists(self.host, dev):
                self.error(f"Dump target {dev} is probably not mounted.")
                self.error("mkdumprd: failed to make kdump initrd")
                return False
            mnt = mountpoint_of(self.host, dev)
            if mnt is not None:
                full = mnt.rstrip("/") + "/" + path.strip("/")
                if not self.host.path(full).is_dir():
                    self.error(f"Dump path {full} does not exist.")
                    self.error("mkdumprd: failed to make kdump initrd")
                    return False
        self.host.write(initrd, "simulated kdump initramfs for %s\n" % kver)
        return True

    def stop(self) -> int:
        if self.config_text() is None:
            self.error("Error: No kdump config file found!")
            return 1
        self.host.set_crash_loaded(False)
        self.info("kexec: unloaded kdump kernel")
        self.info("Stopping kdump: [OK]")
        return 0

    def status(self) -> int:
        if self.config_text() is None:
            self.error("Error: No kdump config file found!")
            return 1
        rc = 0 if self.host.crash_loaded() else 3
        self.info("Kdump is operational" if rc == 0 else "Kdump is not operational")
        self.vmcore_creation_notice()
        return rc

    def vmcore_creation_notice(self) -> None:
        """kdump-utils check_vmcore_creation_status (v1.0.45+, so RHEL 10): no test recorded yet."""
        if not self.rel.kdump_utils:
            return
        if self.sysconfig().get("VMCORE_CREATION_NOTIFICATION", "").lower() != "yes":
            return
        status = self.host.path("/var/lib/kdump/vmcore-creation.status")
        if not status.is_file() or status.stat().st_size == 0:
            self.info("Notice: No vmcore creation test performed!")

    def showmem(self) -> int:
        mb = self.host.crash_size() // 1024 // 1024
        self.info(f"Reserved {mb}MB memory for crash kernel")
        return 0


def read_config(host: Host) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for opt, val in iter_config(host.read(CONF) or ""):
        out.setdefault(opt, val)
    return out


def dump_target(conf: Dict[str, str]) -> Optional[Tuple[str, str]]:
    for key in ("raw", "nfs", "ssh") + FS_TARGETS:
        if key in conf:
            return key, conf[key]
    if "--mount" in conf.get("dracut_args", ""):
        return "dracut_args", conf["dracut_args"]
    return None


def _device_exists(host: Host, dev: str) -> bool:
    if dev.startswith(("UUID=", "LABEL=", "PARTUUID=", "PARTLABEL=")):
        key, _, val = dev.partition("=")
        sub = {
            "UUID": "by-uuid",
            "LABEL": "by-label",
            "PARTUUID": "by-partuuid",
            "PARTLABEL": "by-partlabel",
        }[key]
        return host.exists(f"/dev/disk/{sub}/{val}") or dev in (host.read("/etc/fstab") or "")
    return host.exists(dev)


def mountpoint_of(host: Host, dev: str) -> Optional[str]:
    for line in (host.read("/etc/fstab") or "").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and parts[0] == dev:
            return parts[1]
    return None


USAGE = {
    7: "Usage: {0} {{start|stop|status|restart|reload|rebuild|propagate|showmem}}",
    8: "Usage: {0} {{estimate|start|stop|status|restart|reload|rebuild|propagate|showmem}}",
    # kexec-tools 2.0.25-4 / 2.0.27-5: get-default-crashkernel works but is not listed (fd6693f, 2026)
    9: "Usage: {0} {{estimate|start|stop|status|restart|reload|rebuild|reset-crashkernel|propagate|showmem}}",
    # kdump-utils v1.0.51 / v1.0.54
    10: "Usage: {0} {{estimate|start|stop|status|restart|reload|rebuild|reset-crashkernel|propagate|showmem|test}}",
}


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    host, rc = installed_command("kdumpctl", err)
    if host is None:
        return rc
    rel = host.release
    ctl = Ctl(host)
    cmd = argv[0] if argv else ""
    rc = 0
    if rel.major >= 9 and ctl.config_text() is None:
        # kdump-utils / kexec-tools 2.0.2x check it before main() for every verb
        ctl.error("Error: No kdump config file found!")
        ctl.emit(out, err)
        return 1
    if cmd == "start":
        rc = ctl.start()
    elif cmd == "stop":
        rc = ctl.stop()
    elif cmd in ("restart", "reload"):
        rc = ctl.stop()
        if rc == 0:
            rc = ctl.start()
    elif cmd == "status":
        rc = ctl.status()
    elif cmd == "showmem":
        rc = ctl.showmem()
    elif cmd == "rebuild":
        if ctl.config_text() is None:
            ctl.error("Error: No kdump config file found!")
            rc = 1
        else:
            conf = dict(iter_config(ctl.config_text() or ""))
            kver = ctl.kdump_kernelver()
            try:
                os.unlink(host.path(f"/boot/initramfs-{kver}kdump.img"))
            except FileNotFoundError:
                pass
            text = ctl.config_text() or ""
            found = kdumpcheck.findings(host, text, f"/boot/initramfs-{kver}kdump.img")
            late = [f for f in found if f.origin != "kdumpctl"]
            rc = 0 if ctl._rebuild_if_needed(conf, dump_target(conf), late) else 1
    elif cmd == "get-default-crashkernel" and rel.default_crashkernel:
        out.write(rel.default_crashkernel)  # echo -n: no newline
        return 0
    elif cmd == "reset-crashkernel" and rel.major >= 9:
        rc = reset_crashkernel(ctl, argv[1:])
    elif cmd == "_reset-crashkernel-for-installed_kernel" and rel.crashkernel_hook:
        rc = reset_for_installed_kernel(ctl, argv[1] if len(argv) > 1 else "")
    elif cmd == "_reset-crashkernel-after-update" and rel.crashkernel_hook:
        rc = reset_after_update(ctl)
    else:
        ctl.msgs.append(
            (
                "out" if rel.major == 7 else "err",
                ("" if rel.major == 7 else "kdump: ") + USAGE[min(rel.major, 10)].format("/usr/bin/kdumpctl"),
            )
        )
        rc = 1
    ctl.emit(out, err)
    return rc


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
