"""kdumpctl of the simulated host (independent re-implementation of its checks).

Messages follow platform-facts §4.3 and §7: RHEL 7 prints bare lines on
stdout (errors that the real script sends with ``>&2`` go to stderr), RHEL 9
prints every line on stderr with a ``kdump: `` prefix (kdump-logger).  RHEL 8
is treated like RHEL 9 (logger and duplicate-option check present, leading
whitespace allowed); the exact RHEL 8 minor where that changed is unverified.
"""

# ruff: noqa: UP031  (printf formats mirror the C/yum/kernel originals on purpose)

from __future__ import annotations

import os
import re
import sys
from typing import Dict, List, Optional, Sequence, TextIO, Tuple

from .host import Host, installed_command

Msg = Tuple[str, str]  # (stream, text) stream in {"out", "err"}

TARGETS7 = ("raw", "ext2", "ext3", "ext4", "minix", "btrfs", "xfs", "nfs", "ssh")
FS_TARGETS = ("ext2", "ext3", "ext4", "minix", "btrfs", "xfs", "virtiofs")
OPTS7 = TARGETS7 + ("sshkey", "path", "core_collector", "kdump_post", "kdump_pre", "extra_bins",
                    "extra_modules", "default", "force_rebuild", "force_no_rebuild", "dracut_args",
                    "fence_kdump_args", "fence_kdump_nodes")
DEPRECATED = ("net", "options", "link_delay", "disk_timeout", "debug_mem_level", "blacklist")
OTHER_NEW = ("path", "core_collector", "kdump_post", "kdump_pre", "extra_bins", "extra_modules",
             "failure_action", "final_action", "force_rebuild", "force_no_rebuild", "fence_kdump_args",
             "fence_kdump_nodes")
FAILURE_ACTIONS = ("reboot", "halt", "poweroff", "shell", "dump_to_rootfs")
FINAL_ACTIONS = ("reboot", "halt", "poweroff")
DEFAULT_CRASHKERNEL_9 = "1G-4G:192M,4G-64G:256M,64G-:512M"
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

    def check_config(self, text: str) -> bool:
        return self._check7(text) if self.rel.major == 7 else self._check_new(text)

    def _check7(self, text: str) -> bool:
        lines = text.splitlines()
        target_re = re.compile(r"^raw|^ssh[ \t]|^nfs|^ext[234]|^xfs|^btrfs|^minix|^dracut_args .*--mount")
        if sum(1 for line in lines if target_re.search(line)) > 1:
            self.info("More than one dump targets specified.")
            return False
        for line in lines:
            if re.match(r"^dracut_args .*--mount", line) and line.count("--mount") > 1:
                self.info('Multiple mount targets specified in one "dracut_args".')
                return False
        if any(re.match(r"^[ \t]+[a-z]", line) for line in lines):
            self.info(f"No whitespaces are allowed before a kdump option name in {CONF}")
            return False
        values: Dict[str, str] = {}
        for line in lines:
            parts = line.strip().split(None, 1)
            if not parts or parts[0].startswith("#"):
                continue
            opt = parts[0]
            val = parts[1] if len(parts) > 1 else ""
            if opt in OPTS7:
                val = val.split("#", 1)[0].strip()
                if not val:
                    self.info(f"Invalid kdump config value for option {opt}.")
                    return False
                values[opt] = val
            elif opt in DEPRECATED:
                self.info(f"Deprecated kdump config option: {opt}. Refer to kdump.conf manpage for alternatives.")
                return False
            else:
                self.info(f"Invalid kdump config option {opt}")
                return False
        if "default" in values and values["default"] not in FAILURE_ACTIONS:
            self.info("Usage kdump.conf: default {reboot|halt|poweroff|shell|dump_to_rootfs}")
            return False
        return self._rebuild_ok(values)

    def _check_new(self, text: str) -> bool:
        opts: Dict[str, str] = {}
        targets = ("ext2", "ext3", "ext4", "minix", "btrfs", "xfs", "nfs", "ssh", "raw")
        others = OTHER_NEW + (("auto_reset_crashkernel",) if self.rel.major >= 9 else ())
        if self.rel.major >= 9:
            targets += ("virtiofs",)
        for opt, val in iter_config(text):
            if opt in targets:
                key = "_target"
            elif opt == "dracut_args":
                key = opt
                if "--mount" in val:
                    if val.count("--mount") != 1:
                        self.info('Multiple mount targets specified in one "dracut_args".')
                        return False
                    key = "_target"
            elif opt == "sshkey":
                key = opt
            elif opt in others:
                key = opt
            elif opt == "default":
                self.info("WARNING: Option 'default' was renamed 'failure_action' and will be removed in the future.")
                key = "failure_action"
            elif opt in DEPRECATED:
                self.info(f"Deprecated kdump config option: {opt}. Refer to kdump.conf manpage for alternatives.")
                return False
            else:
                self.info(f"Invalid kdump config option {opt}")
                return False
            if not val:
                self.info(f"Invalid kdump config value for option '{opt}'")
                return False
            if key in opts:
                if key == "_target":
                    self.info("More than one dump targets specified")
                else:
                    self.info(f"Duplicated kdump config value of option {opt}")
                return False
            opts[key] = val
        if "failure_action" in opts and opts["failure_action"] not in FAILURE_ACTIONS:
            self.info("Usage kdump.conf: failure_action {reboot|halt|poweroff|shell|dump_to_rootfs}")
            return False
        if "final_action" in opts and opts["final_action"] not in FINAL_ACTIONS:
            self.info("Usage kdump.conf: final_action {reboot|halt|poweroff}")
            return False
        return self._rebuild_ok(opts)

    def _rebuild_ok(self, values: Dict[str, str]) -> bool:
        if values.get("force_rebuild") == "1" and values.get("force_no_rebuild") == "1":
            self.info("Error: force_rebuild and force_no_rebuild are enabled simultaneously in kdump.conf")
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
        if not self.check_config(text):
            return self._failed()
        conf = dict(iter_config(text))
        target = dump_target(conf)
        if target is not None and target[0] == "raw" and not self.host.exists(target[1]):
            self.info(f"raw partition {target[1]} not found")
            return self._failed()
        if self.host.crash_loaded():
            if self.modern:
                self.info("Kdump already running: [WARNING]")
            else:
                self.info("Kdump already running: [WARNING]")
            return 0
        if not self._rebuild_if_needed(conf, target):
            return self._failed()
        self.host.set_crash_loaded(True)
        self.info("kexec: loaded kdump kernel")
        self.info("Starting kdump: [OK]")
        return 0

    def _failed(self) -> int:
        self.info("Starting kdump: [FAILED]")
        return 1

    def _rebuild_if_needed(self, conf: Dict[str, str], target: Optional[Tuple[str, str]]) -> bool:
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
            mtime = ipath.stat().st_mtime
            for f in (CONF, "/etc/sysconfig/kdump"):
                p = self.host.path(f)
                if p.exists() and p.stat().st_mtime > mtime:
                    changed.append(f)
            if changed:
                self.info("Detected change(s) in the following file(s):")
                for f in changed:
                    self.info(f"  {f}")
                need = True
        if not need:
            return True
        self.info(f"Rebuilding {initrd}")
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
        if self.host.crash_loaded():
            self.info("Kdump is operational")
            return 0
        self.info("Kdump is not operational")
        return 3

    def showmem(self) -> int:
        mb = self.host.crash_size() // 1024 // 1024
        self.info(f"Reserved {mb}MB memory for crash kernel")
        return 0


def iter_config(text: str):
    """Current kdump_get_conf_val parsing: skip comments/blank, first word, strip '# ...' and one pair of quotes."""
    for line in text.splitlines():
        if re.match(r"^\s*(#|$)", line):
            continue
        parts = line.strip().split(None, 1)
        opt = parts[0]
        val = parts[1] if len(parts) > 1 else ""
        val = re.sub(r"\s*#.*$", "", val).strip()
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1]
        yield opt, val


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
        sub = {"UUID": "by-uuid", "LABEL": "by-label", "PARTUUID": "by-partuuid", "PARTLABEL": "by-partlabel"}[key]
        return host.exists(f"/dev/disk/{sub}/{val}") or dev in (host.read("/etc/fstab") or "")
    return host.exists(dev)


def mountpoint_of(host: Host, dev: str) -> Optional[str]:
    for line in (host.read("/etc/fstab") or "").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and parts[0] == dev:
            return parts[1]
    return None


# ---------------------------------------------------------------------------
# RHEL 9 crashkernel helpers (kdumpctl get-default-crashkernel / reset-crashkernel)
# ---------------------------------------------------------------------------


def reset_crashkernel(ctl: Ctl, args: Sequence[str]) -> int:
    import io

    from . import grubby

    kernel = None
    for a in args:
        if a.startswith("--kernel="):
            kernel = a.split("=", 1)[1]
        elif a.startswith("--fadump="):
            ctl.info("Option --fadump only valid on PPC")
            return 1
        elif a == "--reboot":
            pass
        else:
            ctl.info("Usage: kdumpctl reset-crashkernel [--kernel=path_to_kernel] [--reboot]")
            return 1
    if kernel is None:
        kernel = f"/boot/vmlinuz-{ctl.kdump_kernelver()}"
    out, err = io.StringIO(), io.StringIO()
    rc = grubby.main(["--info", kernel], out, err)
    if rc != 0:
        ctl.info(f"Invalid --kernel={kernel}")
        return 1
    blocks = _info_blocks(out.getvalue())
    for b in blocks:
        cur = None
        for tok in b.get("args", "").split():
            if tok.startswith("crashkernel="):
                cur = tok.split("=", 1)[1]
        if cur == DEFAULT_CRASHKERNEL_9:
            continue
        o2, e2 = io.StringIO(), io.StringIO()
        grubby.main(["--update-kernel", b["kernel"], "--args", f"crashkernel={DEFAULT_CRASHKERNEL_9}"], o2, e2)
        ctl.info(f"Updated crashkernel={DEFAULT_CRASHKERNEL_9} for kernel={b['kernel']}. "
                 "Please reboot the system for the change to take effect.")
    return 0


def _info_blocks(text: str) -> List[Dict[str, str]]:
    blocks: List[Dict[str, str]] = []
    for line in text.splitlines():
        if "=" not in line:
            continue
        k, v = line.split("=", 1)
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = v[1:-1]
        if k == "index":
            blocks.append({})
        if blocks:
            blocks[-1][k] = v
    return blocks


USAGE = {
    7: "Usage: {0} {{start|stop|status|restart|reload|rebuild|propagate|showmem}}",
    8: "Usage: {0} {{estimate|start|stop|status|restart|reload|rebuild|propagate|showmem}}",
    9: "Usage: {0} {{estimate|start|stop|status|restart|reload|rebuild|reset-crashkernel|propagate|showmem|"
       "get-default-crashkernel}}",
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
            rc = 0 if ctl._rebuild_if_needed(conf, dump_target(conf)) else 1
    elif cmd == "get-default-crashkernel" and rel.major >= 9:
        out.write(DEFAULT_CRASHKERNEL_9)
        return 0
    elif cmd == "reset-crashkernel" and rel.major >= 9:
        rc = reset_crashkernel(ctl, argv[1:])
    else:
        ctl.msgs.append(("out" if rel.major == 7 else "err",
                         ("" if rel.major == 7 else "kdump: ") + USAGE[rel.major].format("/usr/bin/kdumpctl")))
        rc = 1
    ctl.emit(out, err)
    return rc


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
