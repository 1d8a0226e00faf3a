"""DesiredState: the validated, frozen content of a state file. No I/O, no host.

``state.load_state()`` builds it from YAML (see docs/state-file.md); the
planner reads it.  ``locations`` maps a dotted field path (``crashkernel.value``)
to ``file:line:column`` so plan errors can point at the line to fix.
"""

from __future__ import annotations

from dataclasses import field
from typing import Dict, Optional, Tuple

from ..records import dataclass


@dataclass(frozen=True)
class CrashkernelSpec:
    # "auto", "recommended", or concrete kernel syntax: "256M", "256M@16M",
    # "1G-4G:192M,4G-64G:256M,64G-:512M", "512M,high", "256M,low".
    # Several values only for the ",high" + ",low" pair.
    values: Tuple[str, ...] = ("recommended",)
    # "realtime" | "all" | "default" | "list"
    entries: str = "realtime"
    # when entries == "list": kernel paths (/boot/vmlinuz-...) or uname -r strings
    entry_list: Tuple[str, ...] = ()


@dataclass(frozen=True)
class DumpTarget:
    # "local" | "raw" | "nfs" | "ssh" | "fs"
    kind: str = "local"
    device: Optional[str] = None  # raw: /dev/...; fs: /dev/..., UUID=..., LABEL=...
    fstype: Optional[str] = None  # fs: ext2|ext3|ext4|xfs|btrfs|minix
    server: Optional[str] = None  # nfs: "host:/export"; ssh: "user@host"
    sshkey: Optional[str] = None  # ssh only


@dataclass(frozen=True)
class DumpSpec:
    target: DumpTarget = field(default_factory=DumpTarget)
    path: str = "/var/crash"
    core_collector: Optional[str] = None  # None: kdumpctl's default for the target/release
    failure_action: Optional[str] = None  # reboot|halt|poweroff|shell|dump_to_rootfs
    final_action: Optional[str] = None  # reboot|halt|poweroff
    # allow-listed further directives, in the order given:
    # dracut_args, extra_modules, extra_bins, kdump_pre, kdump_post, auto_reset_crashkernel
    extra: Tuple[Tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SysconfigSpec:
    append_ensure: Tuple[str, ...] = ()
    append_remove: Tuple[str, ...] = ()
    # "unmanaged" (leave KDUMP_KERNELVER alone) | "running" | "latest-rt" | "explicit"
    kernelver: str = "unmanaged"
    kernelver_value: Optional[str] = None  # when kernelver == "explicit": a uname -r


@dataclass(frozen=True)
class ServiceSpec:
    enabled: bool = True
    running: bool = True


@dataclass(frozen=True)
class RebootSpec:
    policy: str = "manual"  # "manual" | "automatic"
    max_reboots: int = 2  # automatic policy: reboots allowed for one plan fingerprint


@dataclass(frozen=True)
class DesiredState:
    source: str  # the state file path as given
    sha256: str  # of the file's bytes
    present: bool = True  # "state: absent" turns kdump off
    # None: `recommended`, the release table's set for the host (rules/releases.py)
    packages: Optional[Tuple[str, ...]] = None
    crashkernel: CrashkernelSpec = field(default_factory=CrashkernelSpec)
    dump: DumpSpec = field(default_factory=DumpSpec)
    sysconfig: SysconfigSpec = field(default_factory=SysconfigSpec)
    ls21_acpi_noirq: str = "auto"  # "auto" | "on" | "off"
    service: ServiceSpec = field(default_factory=ServiceSpec)
    reboot: RebootSpec = field(default_factory=RebootSpec)
    crash_test: str = "off"  # "off" | "once"
    locations: Dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def where(self, dotted: str) -> Optional[str]:
        """file:line:column of a field, or of its nearest parent that was written."""
        parts = dotted.split(".")
        while parts:
            loc = self.locations.get(".".join(parts))
            if loc:
                return loc
            parts.pop()
        return self.source
