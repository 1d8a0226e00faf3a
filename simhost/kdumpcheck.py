"""kdumpctl start's kdump.conf checks on the simulated host: the per-release rules, the real messages.

The rules are ``reconciler.rules.kdumpctl``, the one table of what the real kdumpctl,
mkdumprd and makedumpfile of each release accept (a pure module: text in, findings out).
It is the one thing the simulator imports from reconciler/: a private copy had drifted
within hours and could never disagree usefully; the independent check is the corpus of the
real tools' verdicts (tests/fixtures/kdumpconf-corpus).  This module only turns the
simulated host into what those rules ask (files, fstab, the kdump initramfs)
and the findings into kdumpctl's output: the real script stops at its first
error, after the warnings printed before it; kdumpctl's own checks run before
mkdumprd's, which only run when the initramfs is rebuilt.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional, Tuple

from reconciler.rules import kdumpctl as kdumprules

from .host import Host

CONF = "/etc/kdump.conf"


def profile_key(version: str) -> str:
    major, _, minor = version.partition(".")
    return kdumprules.release_for(int(major), int(minor or 0))


def _fstab(host: Host) -> List[Tuple[str, str, str, str]]:
    rows = []
    for line in (host.read("/etc/fstab") or "").splitlines():
        parts = line.split()
        if len(parts) >= 3 and not parts[0].startswith("#"):
            rows.append((parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else "defaults"))
    return rows


def _device_exists(host: Host, dev: str) -> bool:
    if dev.startswith(("UUID=", "LABEL=")):
        key, _, val = dev.partition("=")
        sub = {"UUID": "by-uuid", "LABEL": "by-label"}[key]
        return host.exists(f"/dev/disk/{sub}/{val}")
    return host.exists(dev)


def host_view(host: Host, initrd: str) -> kdumprules.HostView:
    """The simulated host as the rules see it: an fstab line is a mounted file system."""
    ipath = host.path(initrd)
    conf = host.path(CONF)
    changed = not ipath.exists() or (conf.exists() and conf.stat().st_mtime > ipath.stat().st_mtime)
    rows = _fstab(host)

    def mountpoint(target: str) -> Optional[str]:
        return next((r[1] for r in rows if r[0] == target), None)

    def fstab(target: str) -> Optional[Tuple[str, str, bool]]:
        row = next((r for r in rows if r[0] == target), None)
        return None if row is None else (row[1], row[2], "noauto" in row[3].split(","))

    return kdumprules.HostView(
        exists=lambda p: os.path.lexists(host.path(p)),
        is_file=lambda p: host.path(p).is_file(),
        is_dir=lambda p: host.path(p).is_dir(),
        is_executable=lambda p: host.path(p).is_dir() or os.access(host.path(p), os.X_OK),
        is_block_device=lambda p: _device_exists(host, p),
        readable_device=lambda p: _device_exists(host, p),
        mountpoint=mountpoint,
        fstab=fstab,
        initrd_exists=ipath.exists(),
        conf_changed=changed,
    )


def findings(host: Host, text: str, initrd: str) -> List[kdumprules.Finding]:
    """What the real tools print, in their order; rtkdump's own rules are not kdumpctl's."""
    found = kdumprules.check_kdump_conf(text, profile_key(host.release.version), host_view(host, initrd))
    real = [f for f in found if f.origin != "rtkdump"]
    # kdumpctl (parse_config, check_*_config, check_files_modified) runs before mkdumprd
    return [f for f in real if f.origin == "kdumpctl"] + [f for f in real if f.origin != "kdumpctl"]


def iter_config(text: str):
    """kdump_read_conf/kdump_get_conf_val: skip comments and blank lines, first word, cut at '#'.

    Quotes stay part of the value: no simulated release strips them (kdump-utils 1.0.59+ does).
    """
    for line in text.splitlines():
        if re.match(r"^\s*(#|$)", line):
            continue
        parts = line.strip().split(None, 1)
        opt = parts[0]
        val = parts[1] if len(parts) > 1 else ""
        val = re.sub(r"\s*#.*$", "", val).strip()
        yield opt, val
