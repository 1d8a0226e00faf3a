"""Fact values and the known/unknown wrapper every fact is delivered in.

A fact is one source (a file under the root, or one argv) + one pure parser
(text in, data out) + one default.  A fact that can't be read is *unknown with
a reason*, never guessed: the planner then says what it could not check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Generic, Optional, Tuple, TypeVar

from ..errors import ParseError  # noqa: F401 - re-exported: the parsers raise it

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
