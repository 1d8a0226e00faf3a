"""Reading the host: every fact from its one source, the commands started first, together.

``start_gather`` reads os-release (which picks the commands), starts the
commands, then reads the BLS entries; ``PendingFacts.facts()`` reads every
other file while they run and collects them last.  ``gather`` is both steps.
The parsers are imported where they are used: what runs before the commands
start is what they wait for.
"""

from __future__ import annotations

import errno
import stat
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..host import Host
from ..rules import releases
from . import platform
from .commands import Commands, command_fact
from .model import (
    Fact,
    FactRequest,
    Facts,
    InstalledPackages,
    OsRelease,
    ParseError,
    RunningKernel,
    _history,
)

# where rtkdump keeps the hook that gives new kernels crashkernel= (plan/resources/new_kernels.py)
HOOK_PATHS = (
    "/etc/kernel/postinst.d/95-rtkdump-crashkernel",
    "/etc/kernel/install.d/95-rtkdump-crashkernel.install",
)
KDUMP_UNIT = "kdump.service"
DEFAULT_REQUEST = FactRequest()  # nothing beyond what every plan needs (frozen: safe to share)


# --- reading helpers ---------------------------------------------------------
def _why_unreadable(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symlink (or a symlink loop): rtkdump manages this file and never follows a link there"
    if isinstance(exc, IsADirectoryError):
        return "a directory, not a file"
    if isinstance(exc, PermissionError):
        return "permission denied (run as root)"
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    return exc.strerror or str(exc)


def file_fact(
    host: Host,
    name: str,
    path: str,
    parse: Callable[[str], object],
    *,
    absent=None,
    absent_known=False,
    follow: bool = True,
) -> Fact:
    """A fact read from one file. ``absent_known``: a missing file is itself a known answer."""
    return file_facts(host, path, {name: parse}, absent=absent, absent_known=absent_known, follow=follow)[
        name
    ]


def file_facts(
    host: Host,
    path: str,
    parsers: Dict[str, Callable[[str], object]],
    *,
    absent=None,
    absent_known=False,
    follow: bool = True,
) -> Dict[str, Fact]:
    """Several facts from one read of one file (each its own parser), e.g. /proc/iomem."""
    source = f"file {path}"
    try:
        text = host.read_text(path, follow=follow)
    except FileNotFoundError:
        if absent_known:
            return {name: Fact.of(name, source, absent) for name in parsers}
        return {name: Fact.missing(name, source, f"{path}: file not found") for name in parsers}
    except OSError as exc:
        return {name: Fact.missing(name, source, f"{path}: {_why_unreadable(exc)}") for name in parsers}
    out: Dict[str, Fact] = {}
    for name, parse in parsers.items():
        try:
            out[name] = Fact.of(name, source, parse(text))
        except (ParseError, ValueError) as exc:
            out[name] = Fact.missing(name, source, f"{path}: cannot parse: {exc}")
    return out


# --- the facts ---------------------------------------------------------------
def gather_os_release(host: Host) -> Fact[OsRelease]:
    fact = file_fact(host, "os_release", "/etc/os-release", platform.parse_os_release)
    if fact.known:
        return fact
    fallback = file_fact(host, "os_release", "/etc/redhat-release", platform.parse_redhat_release)
    return fallback if fallback.known else fact


def gather_running_kernel(host: Host) -> Fact[RunningKernel]:
    from . import kernel

    source = "file /proc/sys/kernel/osrelease"
    try:
        osrelease = host.read_text("/proc/sys/kernel/osrelease")
    except OSError as exc:
        return Fact.missing("running_kernel", source, f"/proc/sys/kernel/osrelease: {_why_unreadable(exc)}")
    realtime_flag = host.exists("/sys/kernel/realtime")
    return Fact.of(
        "running_kernel", source + " + /sys/kernel/realtime", kernel.running_kernel(osrelease, realtime_flag)
    )


def recommended_packages(os_release: Fact[OsRelease]) -> Tuple[str, ...]:
    """The release table's package set for this host; nothing when the release is unknown."""
    if not os_release.known:
        return ()
    osr = os_release.known_value
    row = releases.profile(osr.major, osr.minor)
    return row.packages if row else ()


def _default_crashkernel_argv(os_release: Fact[OsRelease]) -> Optional[List[str]]:
    """``kdumpctl get-default-crashkernel`` (RHEL 9+), or None where the release has no such verb."""
    row = None
    if os_release.known:
        row = releases.profile(os_release.known_value.major, os_release.known_value.minor)
    if row is None or not row.get_default_crashkernel:
        return None
    return ["kdumpctl", "get-default-crashkernel"]


def gather_default_crashkernel(host: Host, os_release: Fact[OsRelease]) -> Fact[str]:
    """``kdumpctl get-default-crashkernel`` (RHEL 9+): the value kdump itself would set on this host."""
    from . import kernel

    argv = _default_crashkernel_argv(os_release)
    if argv is None:
        return Fact.missing(
            "default_crashkernel", "command kdumpctl get-default-crashkernel", "this release has no such verb"
        )
    return command_fact(host, "default_crashkernel", argv, kernel.parse_default_crashkernel)


JOURNAL = "/var/lib/rtkdump/journal.jsonl"


def gather_history(host: Host, boot_id: Optional[str]) -> Fact:
    """What rtkdump's journal says is still owed (a restart) or done (crash tests, reboots)."""
    history = _history()
    return file_fact(
        host,
        "history",
        JOURNAL,
        lambda text: history.parse_journal(text, boot_id),
        absent=history.History(),
        absent_known=True,
        follow=False,
    )


def _mtime(host: Host, path: str) -> Optional[int]:
    try:
        return int(host.stat(path).st_mtime)
    except OSError:
        return None


def gather_initramfs(host: Host, running: Fact, sysconf: Fact, conf: Fact) -> Fact:
    """kdump's initramfs age against the files kdumpctl checks (kdump.conf, the kernel, hooks)."""
    kver = None
    if sysconf.known and sysconf.value is not None:
        kver = (sysconf.value.get("KDUMP_KERNELVER") or "").strip() or None
    if kver is None and running.known:
        kver = running.known_value.release
    if kver is None:
        return Fact.missing("kdump_initramfs", "file /boot", "the kdump kernel version is unknown")
    image = f"/boot/initramfs-{kver}kdump.img"
    files = ["/etc/kdump.conf", f"/boot/vmlinuz-{kver}"]
    if conf.known and conf.value is not None:
        for key in ("kdump_pre", "kdump_post", "extra_bins"):
            files += [w for w in (conf.value.get(key) or "").split() if w.startswith("/")]
    age = _history().initramfs_age(image, _mtime(host, image), [(f, _mtime(host, f)) for f in files])
    return Fact.of("kdump_initramfs", f"file {image}", age)


def gather(host: Host, request: FactRequest = DEFAULT_REQUEST) -> Facts:
    """Every fact: the commands start first, together; the files are read while they run."""
    return start_gather(host, request).facts()


def start_gather(host: Host, request: FactRequest = DEFAULT_REQUEST) -> PendingFacts:
    """Start the fact commands now; ``.facts()`` reads the files and collects them later."""
    return PendingFacts(host, request)


class PendingFacts:
    """A gather whose commands are running (they are independent of each other and of the files)."""

    def __init__(self, host: Host, request: FactRequest):
        self.host, self.request = host, request
        self._journal_mark = self._journal_now()
        self.os_release = gather_os_release(host)
        self.commands = commands = Commands(host)
        names = request.packages
        if names is None:  # `packages: recommended`: the release table's set for this host
            names = recommended_packages(self.os_release)
        self.asked = tuple(names or ())
        self.rpm_q = commands.want(host.rpm("-q", *self.asked)) if self.asked else None
        self.enabled = commands.want(host.systemctl("is-enabled", KDUMP_UNIT))
        self.active = commands.want(host.systemctl("is-active", KDUMP_UNIT))
        crash_argv = _default_crashkernel_argv(self.os_release)
        self.crash_default = commands.want(crash_argv) if crash_argv else None
        commands.start()
        from .bootloader import BootLoaderReader

        # reads the BLS entries while those run; or asks for grubby (RHEL 7, an unknown grubby-bls)
        self.boot_reader = BootLoaderReader(host, self.os_release, commands)
        commands.start()

    def facts(self) -> Facts:
        from ..formats import kdumpconf, sysconfig
        from . import kernel, packages, services

        host, request, commands = self.host, self.request, self.commands
        dmi_source = "file /sys/class/dmi/id/{product_name,sys_vendor,board_name}"
        dmi_values: Dict[str, Optional[str]] = {}
        for attr in ("product_name", "sys_vendor", "board_name"):
            try:
                dmi_values[attr] = host.read_text(f"/sys/class/dmi/id/{attr}")
            except OSError:
                dmi_values[attr] = None  # the attribute exists only if firmware provides it
        iomem_facts = file_facts(
            host,
            "/proc/iomem",
            {"iomem_crash": kernel.parse_iomem_crash, "system_ram": kernel.parse_iomem_system_ram},
        )
        iomem = iomem_facts["iomem_crash"]
        if iomem.known and iomem.value is None:
            iomem = Fact.missing(
                "iomem_crash", iomem.source, "/proc/iomem shows all-zero addresses (read as non-root)"
            )
        paths: Dict[str, Fact[bool]] = {}
        if request.dump_path:
            paths[request.dump_path] = Fact.of(
                "path", f"file {request.dump_path}", host.is_dir(request.dump_path)
            )
        for dev in request.devices:
            paths[dev] = Fact.of("path", f"file {dev}", host.exists(dev))
        files = {p: _file_kind(host, p) for p in request.files}
        running = gather_running_kernel(host)
        boot_id = file_fact(host, "boot_id", "/proc/sys/kernel/random/boot_id", platform.parse_boot_id)
        kdump_conf = file_fact(
            host, "kdump_conf", "/etc/kdump.conf", kdumpconf.parse_kdump_conf, absent_known=True, follow=False
        )
        sysconf = file_fact(
            host,
            "sysconfig",
            "/etc/sysconfig/kdump",
            sysconfig.parse_sysconfig,
            absent_known=True,
            follow=False,
        )
        from_files: Dict[str, Any] = dict(
            os_release=self.os_release,
            running_kernel=running,
            cmdline=file_fact(host, "cmdline", "/proc/cmdline", kernel.parse_proc_cmdline),
            iomem_crash=iomem,
            kexec_crash_size=file_fact(
                host, "kexec_crash_size", "/sys/kernel/kexec_crash_size", kernel.parse_kexec_crash_size
            ),
            kexec_crash_loaded=file_fact(
                host, "kexec_crash_loaded", "/sys/kernel/kexec_crash_loaded", kernel.parse_kexec_crash_loaded
            ),
            memory=file_fact(host, "memory", "/proc/meminfo", platform.parse_meminfo),
            system_ram=iomem_facts["system_ram"],  # the same read of /proc/iomem
            dmi=Fact.of(
                "dmi",
                dmi_source,
                platform.parse_dmi(
                    dmi_values["product_name"], dmi_values["sys_vendor"], dmi_values["board_name"]
                ),
            ),
            boot_id=boot_id,
            kdump_conf=kdump_conf,
            sysconfig=sysconf,
            sysconfig_kernel=file_fact(
                host,
                "sysconfig_kernel",
                "/etc/sysconfig/kernel",
                platform.parse_sysconfig_kernel,
                absent_known=True,
            ),
            paths=paths,
            files=files,
            hooks={
                path: file_fact(host, "hook", path, lambda text: text, absent_known=True, follow=False)
                for path in HOOK_PATHS
            },
            history=gather_history(host, boot_id.get()),
            kdump_initramfs=gather_initramfs(host, running, sysconf, kdump_conf),
        )
        # the commands last: by now they have had the whole file reading to run
        asked = self.asked
        if self.rpm_q is not None:
            pkgs = commands.fact(self.rpm_q, "packages", lambda r: packages.parse_rpm_query(r, asked))
        else:
            pkgs = Fact.of("packages", "nothing asked", InstalledPackages({}, ()))
        if self.crash_default is not None:
            default_crashkernel = commands.fact(
                self.crash_default, "default_crashkernel", kernel.parse_default_crashkernel
            )
        else:
            default_crashkernel = Fact.missing(
                "default_crashkernel",
                "command kdumpctl get-default-crashkernel",
                "this release has no such verb",
            )
        return Facts(
            packages=pkgs,
            bootloader=self.boot_reader.fact(),
            kdump_enabled=commands.fact(self.enabled, "kdump_enabled", services.parse_is_enabled),
            kdump_active=commands.fact(self.active, "kdump_active", services.parse_is_active),
            default_crashkernel=default_crashkernel,
            **from_files,
        )

    def _journal_now(self) -> Optional[Tuple[int, int]]:
        try:
            st = self.host.stat(JOURNAL)
        except OSError:
            return None
        return st.st_size, st.st_mtime_ns

    def journal_moved(self) -> bool:
        """Whether an apply journaled since the commands started (one that changes anything does,
        before its first action and when it ends): their answers may be stale."""
        return self._journal_now() != self._journal_mark

    def discard(self) -> None:
        """Wait for the commands and drop their answers (gather again instead)."""
        self.commands.collect()


def _file_kind(host: Host, path: str) -> Fact[str]:
    """What kdumpctl's ``test -e`` / ``test -f`` / ``test -x`` (run as root) would say of ``path``."""
    try:
        st = host.stat(path)
    except FileNotFoundError:
        return Fact.of("file", f"file {path}", "missing")
    except OSError as e:
        return Fact.missing("file", f"file {path}", e.strerror or str(e))
    if stat.S_ISDIR(st.st_mode):
        kind = "dir"
    elif st.st_mode & 0o111:  # root's test -x: any execute bit
        kind = "exec"
    else:
        kind = "file"
    return Fact.of("file", f"file {path}", kind)
