"""What the host-dependent rules need to know about the machine (rtkdump plan, simhost)."""

from __future__ import annotations

import ipaddress
import posixpath
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

from ...records import dataclass

# --- host view -------------------------------------------------------------------
Pred = Callable[[str], bool]


@dataclass
class HostView:
    """Host facts the host-dependent rules need.  A None field = unknown: the rule is skipped.

    ``mountpoint(target)`` is where a fs/nfs target (as written: device,
    UUID=, LABEL=, host:/export) is mounted now, or None if it is not mounted;
    ``fstab(target)`` is ``(mountpoint, fstype, noauto)`` of its /etc/fstab
    line or None.  ``ssh_hostname(user@host)`` is the ``hostname`` line of
    ``ssh -G`` (default: the host part lower-cased, which is what OpenSSH does
    when no ssh_config HostName applies).
    """

    hostname: Optional[str] = None
    ip_addrs: Optional[Sequence[str]] = None
    exists: Optional[Pred] = None  # test -e
    is_file: Optional[Pred] = None  # test -f
    is_dir: Optional[Pred] = None  # test -d
    is_executable: Optional[Pred] = None  # test -x
    is_block_device: Optional[Pred] = None  # test -b
    readable_device: Optional[Pred] = None  # dd if=dev count=1 works
    device_fstype: Optional[Callable[[str], str]] = None  # lsblk FSTYPE, "" when none
    mountpoint: Optional[Callable[[str], Optional[str]]] = None
    fstab: Optional[Callable[[str], Optional[Tuple[str, str, bool]]]] = None
    module_exists: Optional[Pred] = None
    ssh_hostname: Optional[Callable[[str], str]] = None
    initrd_exists: bool = True  # kdump initramfs already built (every start after the first)
    conf_changed: bool = True  # kdump.conf newer than that initramfs (rtkdump just wrote it)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HostView:
        """Build from plain data (corpus fixtures, simhost facts).

        Keys: ``hostname``, ``ips``, ``files`` {path: "x" executable | "f" plain},
        ``dirs`` [abs paths], ``block_devices`` [..], ``unreadable`` [..],
        ``device_fstype`` {dev: fstype}, ``mounted`` {target: mountpoint},
        ``fstab`` {target: [mountpoint, fstype, noauto]}, ``modules`` [..],
        ``ssh_config`` {host: HostName}, ``initrd_exists`` and ``conf_changed`` bools.
        Missing keys are unknown, except that a given ``files``/``dirs``/... list
        is the complete truth.
        """
        files: Dict[str, str] = dict(d.get("files", {}) or {})
        dirs = {_norm(p) for p in (d.get("dirs") or [])}
        blocks = set(d.get("block_devices") or [])
        unreadable = set(d.get("unreadable") or [])
        fstypes: Dict[str, str] = dict(d.get("device_fstype", {}) or {})
        mounted: Dict[str, str] = dict(d.get("mounted", {}) or {})
        fstab_d: Dict[str, Sequence[object]] = dict(d.get("fstab", {}) or {})
        modules = set(d.get("modules") or [])
        ssh_cfg: Dict[str, str] = dict(d.get("ssh_config", {}) or {})

        def ssh_host(dest: str) -> str:
            host = dest.rsplit("@", 1)[-1]
            return _default_ssh_hostname(ssh_cfg.get(host, host))

        def fstab(t: str) -> Optional[Tuple[str, str, bool]]:
            row = fstab_d.get(t)
            return None if row is None else (str(row[0]), str(row[1]), bool(row[2]))

        return cls(
            hostname=d.get("hostname"),
            ip_addrs=d.get("ips"),
            exists=lambda p: p in files or _norm(p) in dirs,
            is_file=lambda p: p in files,
            is_dir=lambda p: _norm(p) in dirs,
            is_executable=lambda p: files.get(p) == "x" or _norm(p) in dirs,
            is_block_device=lambda p: p in blocks,
            readable_device=lambda p: p in blocks and p not in unreadable,
            device_fstype=lambda p: fstypes.get(p, ""),
            mountpoint=lambda t: mounted.get(t),
            fstab=fstab,
            module_exists=(lambda m: m in modules) if "modules" in d else None,
            ssh_hostname=ssh_host,
            initrd_exists=bool(d.get("initrd_exists", True)),
            conf_changed=bool(d.get("conf_changed", True)),
        )


def _norm(path: str) -> str:
    return posixpath.normpath("/" + path.strip("/")) if path else "/"


def _default_ssh_hostname(dest: str) -> str:
    """The ``hostname`` line of ``ssh -G dest`` when no ssh_config HostName applies.

    OpenSSH ssh.c main(): ``if (!is_addr(host)) lowercase(host); else`` the address
    is rewritten to its canonical form (so ``2001:DB8:0::1`` becomes ``2001:db8::1``).
    """
    host = dest.rsplit("@", 1)[-1]
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return host.lower()
    mapped = getattr(addr, "ipv4_mapped", None)
    # inet_ntop writes a v4-mapped address with a dotted quad, Python does not
    return f"::ffff:{mapped}" if mapped is not None else addr.compressed
