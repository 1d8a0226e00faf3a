"""Fact values and the known/unknown wrapper every fact is delivered in.

A fact is one source (a file under the root, or one argv) + one pure parser
(text in, data out) + one default.  A fact that can't be read is *unknown with
a reason*, never guessed: the planner then says what it could not check.
"""

from __future__ import annotations

import json
import re
from dataclasses import field
from typing import Dict, Generic, Optional, Tuple, TypeVar

from ..digest import sha256
from ..errors import ParseError  # noqa: F401 - re-exported: the parsers raise it
from ..records import dataclass

T = TypeVar("T")


@dataclass(frozen=True)
class Fact(Generic[T]):
    """A gathered fact: its value, or the reason it is unknown."""

    name: str
    source: str  # "file /proc/iomem" or "command rpm -q ..."
    value: Optional[T] = None
    unknown: Optional[str] = None  # why it could not be known; None when known

    @property
    def known(self) -> bool:
        return self.unknown is None

    @property
    def known_value(self) -> T:
        """The value of a fact already checked to be known (narrows ``Optional[T]`` to ``T``)."""
        if self.unknown is not None:
            raise ValueError(f"fact {self.name} is unknown: {self.unknown}")
        return self.value  # type: ignore[return-value]  # None is a legitimate T for some facts

    def get(self, default: Optional[T] = None) -> Optional[T]:
        return self.value if self.unknown is None else default

    @classmethod
    def of(cls, name: str, source: str, value: T) -> Fact[T]:
        return cls(name, source, value, None)

    @classmethod
    def missing(cls, name: str, source: str, reason: str) -> Fact[T]:
        return cls(name, source, None, reason)

    def to_json(self) -> dict:
        from dataclasses import asdict, is_dataclass

        def plain(v):
            if hasattr(v, "json_value"):  # a value that adds derived fields to its JSON
                return v.json_value()
            if is_dataclass(v) and not isinstance(v, type):
                return {k: plain(x) for k, x in asdict(v).items()}
            if isinstance(v, (list, tuple)):
                return [plain(x) for x in v]
            if isinstance(v, dict):
                return {str(k): plain(x) for k, x in v.items()}
            return v

        out = {"source": self.source, "known": self.known}
        if self.known:
            out["value"] = plain(self.value)
        else:
            out["unknown"] = self.unknown
        return out


# ParseError lives in reconciler.errors so the file-format parsers (used by `validate`) need not
# import the facts package; it is the same class here.


# --- platform ---------------------------------------------------------------
@dataclass(frozen=True)
class OsRelease:
    id: str  # "rhel", "centos", "almalinux", ...
    version_id: str  # "7.9", "8.10", "9.4"
    major: int
    minor: int
    pretty_name: str = ""

    @property
    def package_manager(self) -> str:
        return "yum" if self.major <= 7 else "dnf"

    @property
    def bls(self) -> bool:
        """RHEL 8 and later boot from BLS snippets edited by grubby-bls."""
        return self.major >= 8


# --- packages ---------------------------------------------------------------
@dataclass(frozen=True)
class InstalledPackages:
    """``rpm -q NAME...``: every installed instance (NVRA) per asked name."""

    installed: Dict[str, Tuple[str, ...]]
    missing: Tuple[str, ...]


# --- boot entries -----------------------------------------------------------


def kernel_release_of(kernel_path: str) -> Optional[str]:
    """``/boot/vmlinuz-5.14.0-427.el9.x86_64+rt`` -> ``5.14.0-427.el9.x86_64+rt``."""
    base = kernel_path.rsplit("/", 1)[-1]
    if base.startswith("vmlinuz-"):
        return base[len("vmlinuz-") :]
    return None


def is_rt_release(release: str) -> bool:
    """RHEL 7/8/9.0-9.2 RT kernels carry ``.rtN.``; 9.3+ and 10 end with +rt, +rt-debug, +rt-64k(-debug)."""
    from ..rules.releases import is_rt_kernel

    return is_rt_kernel(release)


def token_values(tokens: Tuple[str, ...], key: str) -> Tuple[str, ...]:
    """Values of every ``key=value`` kernel argument, in order (a bare ``key`` gives "")."""
    out = []
    for tok in tokens:
        k, sep, v = tok.partition("=")
        if k == key:
            out.append(v if sep else "")
    return tuple(out)


@dataclass(frozen=True)
class BootEntry:
    index: int
    kernel: Optional[str] = None  # None for a "non linux entry"
    args: Tuple[str, ...] = ()  # whitespace-split args, order and duplicates kept
    root: Optional[str] = None
    initrds: Tuple[str, ...] = ()
    title: Optional[str] = None
    id: Optional[str] = None  # BLS id; None on C grubby

    @property
    def release(self) -> Optional[str]:
        return kernel_release_of(self.kernel) if self.kernel else None

    @property
    def is_linux(self) -> bool:
        return self.kernel is not None

    @property
    def is_rescue(self) -> bool:
        return bool(self.release and self.release.startswith("0-rescue-"))

    @property
    def is_rt(self) -> bool:
        release = self.release
        return release is not None and not self.is_rescue and is_rt_release(release)

    def arg_values(self, key: str) -> Tuple[str, ...]:
        return token_values(self.args, key)


@dataclass(frozen=True)
class BootLoader:
    style: str  # "bls" (RHEL 8/9 grubby-bls) or "grub2" (RHEL 7 C grubby)
    entries: Tuple[BootEntry, ...]
    default_kernel: Optional[str]  # None when grubby printed nothing

    def linux_entries(self) -> Tuple[BootEntry, ...]:
        return tuple(e for e in self.entries if e.is_linux)

    def default_entry(self) -> Optional[BootEntry]:
        if not self.default_kernel:
            return None
        for e in self.entries:
            if e.kernel == self.default_kernel:
                return e
        return None


# --- running kernel ---------------------------------------------------------
@dataclass(frozen=True)
class KernelCmdline:
    tokens: Tuple[str, ...]

    def values(self, key: str) -> Tuple[str, ...]:
        return token_values(self.tokens, key)

    def has(self, key: str) -> bool:
        return any(t == key or t.startswith(key + "=") for t in self.tokens)


@dataclass(frozen=True)
class RunningKernel:
    release: str  # uname -r
    is_rt: bool
    evidence: str  # why we think it is (not) RT


FOUR_GIB = 4 << 30


@dataclass(frozen=True)
class CrashRegion:
    start: int
    end: int  # inclusive, as /proc/iomem prints it
    name: str = "Crash kernel"

    @property
    def size(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class CrashReservation:
    """The "Crash kernel" regions in /proc/iomem (0, 1, or 2 with ,high/,low)."""

    regions: Tuple[CrashRegion, ...] = ()

    @property
    def total(self) -> int:
        return sum(r.size for r in self.regions)

    def kind(self, region: CrashRegion) -> str:
        """ "low", "high" or "single", from the address, not the name.

        A 6.1 kernel under QEMU names both regions of a ``,high`` reservation plain
        "Crash kernel" in /proc/iomem (older ones name the low one "Crash kernel
        (low)"), so a region below 4 GiB is low when another one lies above.
        """
        if len(self.regions) < 2:
            return "single"
        if region.name == "Crash kernel (low)" or (
            region.end < FOUR_GIB and any(r.start >= FOUR_GIB for r in self.regions)
        ):
            return "low"
        if region.start >= FOUR_GIB:
            return "high"
        return "single"

    def json_value(self) -> dict:
        regions = [
            {
                "start": r.start,
                "end": r.end,
                "name": r.name,
                "size": r.size,
                "kind": self.kind(r),
            }
            for r in self.regions
        ]
        return {"regions": regions, "total": self.total}


# --- services ---------------------------------------------------------------
@dataclass(frozen=True)
class UnitFileState:
    """``systemctl is-enabled``: state word (or "not-found"), and what it means."""

    state: str
    enabled: bool  # enabled at the next boot: exit 0 and not enabled-runtime (a /run link)
    exists: bool  # False when the unit file is absent


@dataclass(frozen=True)
class ActiveState:
    """``systemctl is-active``: the word, whether active, and whether the unit is known."""

    state: str  # active, inactive, failed, activating, deactivating, reloading, unknown
    active: bool


@dataclass(frozen=True)
class MemoryInfo:
    mem_total: int  # bytes (MemTotal, i.e. RAM minus what the kernel keeps)


@dataclass(frozen=True)
class DmiInfo:
    product_name: str = ""
    sys_vendor: str = ""
    board_name: str = ""

    @property
    def is_ibm_ls21(self) -> bool:
        """IBM BladeCenter LS21 = machine type 7971 (``BladeCenter LS21 -[7971PAM]-``)."""
        return bool(re.search(r"\bLS21\b", self.product_name) or re.search(r"\[7971", self.product_name))


# --- what a gather is asked for, and what it delivers (facts/gather.py) ---------------------
def _history():
    from . import history  # the journal's parser: imported only once a Facts is made

    return history


@dataclass(frozen=True)
class FactRequest:
    """What the desired state makes worth asking about."""

    packages: Optional[Tuple[str, ...]] = ()  # None: the release's recommended set
    dump_path: Optional[str] = None  # a local dump directory whose existence matters
    devices: Tuple[str, ...] = ()  # /dev paths named by raw/fs targets
    files: Tuple[str, ...] = ()  # kdump_pre/kdump_post/extra_bins/sshkey: what kind of file each is


@dataclass(frozen=True)
class Facts:
    os_release: Fact[OsRelease]
    running_kernel: Fact[RunningKernel]
    cmdline: Fact[KernelCmdline]
    iomem_crash: Fact[CrashReservation]
    kexec_crash_size: Fact[int]
    kexec_crash_loaded: Fact[bool]
    memory: Fact[MemoryInfo]
    system_ram: Fact  # Optional[int]: top-level System RAM of /proc/iomem; None in the non-root view
    dmi: Fact[DmiInfo]
    boot_id: Fact[str]
    packages: Fact[InstalledPackages]
    bootloader: Fact[BootLoader]
    kdump_conf: Fact  # Optional[KdumpConf]: None = the file does not exist
    sysconfig: Fact  # Optional[SysconfigFile]: None = the file does not exist
    kdump_enabled: Fact[UnitFileState]
    kdump_active: Fact[ActiveState]
    default_crashkernel: Fact[str]  # kdumpctl get-default-crashkernel, where the release has it
    sysconfig_kernel: Fact  # Optional[Dict[str, str]] of /etc/sysconfig/kernel; None: absent
    hooks: Dict[str, Fact] = field(default_factory=dict)  # rtkdump's new-kernel hooks: text, None = absent
    paths: Dict[str, Fact[bool]] = field(default_factory=dict)  # host path -> exists (dir for dump path)
    # host path -> "missing" | "dir" | "file" | "exec" (kdumpctl's test -e / -f / -x)
    files: Dict[str, Fact[str]] = field(default_factory=dict)
    # rtkdump's own journal (pending restart, crash tests, reboots) and kdump's initramfs age
    history: Fact = field(default_factory=lambda: Fact.of("history", "nothing read", _history().History()))
    kdump_initramfs: Fact = field(default_factory=lambda: Fact.of("kdump_initramfs", "nothing read", None))

    def all(self) -> Dict[str, Fact]:
        out = {}
        for name in self.__dataclass_fields__:
            if name in ("history", "kdump_initramfs") and getattr(self, name).source == "nothing read":
                continue  # built without them (tests): not facts of this host
            if name in ("paths", "files", "hooks"):
                continue
            out[name] = getattr(self, name)
        for path, fact in self.paths.items():
            out[f"path {path}"] = fact
        for path, kind in self.files.items():
            out[f"file {path}"] = kind
        for path, fact in self.hooks.items():
            out[f"hook {path}"] = fact
        return out

    def unknown(self) -> Dict[str, Fact]:
        return {k: f for k, f in self.all().items() if not f.known}

    def to_json(self) -> dict:
        out: Dict[str, dict] = {}
        for name, fact in self.all().items():
            if name in ("kdump_conf", "sysconfig"):
                # the file's text is the fact; its parse is derived
                out[name] = {"source": fact.source, "known": fact.known}
                if fact.known:
                    out[name]["value"] = None if fact.value is None else fact.value.text
                else:
                    out[name]["unknown"] = fact.unknown
            else:
                out[name] = fact.to_json()
        crash = out.get("iomem_crash", {})
        if crash.get("known") and isinstance(crash.get("value"), dict):
            # the configured value that produced the reservation: crashkernel= of the running kernel
            cmd = self.cmdline
            crash["value"]["configured"] = list(cmd.known_value.values("crashkernel")) if cmd.known else None
        return out

    def digests(self) -> Dict[str, str]:
        """sha256 of each fact's value (or unknown reason), without its source.

        Sources are left out so the same host state gives the same digests
        wherever its root is mounted.
        """
        out = {}
        for name, data in self.to_json().items():
            body = {k: v for k, v in data.items() if k != "source"}
            blob = json.dumps(body, sort_keys=True, separators=(",", ":"))
            out[name] = sha256(blob.encode()).hexdigest()
        return out

    def fingerprint(self) -> str:
        """One sha256 over every fact (boot_id included: a reboot makes a saved plan stale)."""
        blob = json.dumps(self.digests(), sort_keys=True)
        return sha256(blob.encode()).hexdigest()
