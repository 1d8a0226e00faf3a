"""Pure parsers for platform facts: OS release, memory size, DMI strings, boot id.

Text in, data out; nothing here reads a file or runs a command.
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Tuple

from .model import DmiInfo, MemoryInfo, OsRelease, ParseError

__all__ = [
    "parse_boot_id",
    "parse_dmi",
    "parse_meminfo",
    "parse_os_release",
    "parse_redhat_release",
]

_OS_RELEASE_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_VERSION = re.compile(r"^([0-9]+)(?:\.([0-9]+))?(?:\.[0-9A-Za-z]+)*$")


def _unquote_shell_value(raw: str, line_no: int) -> str:
    """One os-release value: "double" (with \\ escapes), 'single', or bare."""
    value = raw.strip()
    if not value:
        return ""
    if value[0] == '"':
        out = []
        i = 1
        while i < len(value):
            ch = value[i]
            if ch == "\\" and i + 1 < len(value) and value[i + 1] in '"\\$`':
                out.append(value[i + 1])
                i += 2
                continue
            if ch == '"':
                if value[i + 1 :].strip():
                    raise ParseError(f"os-release line {line_no}: text after the closing quote: {raw!r}")
                return "".join(out)
            out.append(ch)
            i += 1
        raise ParseError(f"os-release line {line_no}: unterminated double quote: {raw!r}")
    if value[0] == "'":
        end = value.find("'", 1)
        if end < 0 or value[end + 1 :].strip():
            raise ParseError(f"os-release line {line_no}: bad single-quoted value: {raw!r}")
        return value[1:end]
    return value


def _split_version(version_id: str, source: str) -> Tuple[int, int]:
    m = _VERSION.match(version_id)
    if not m:
        raise ParseError(f"{source}: VERSION_ID {version_id!r} is not a version like 7.9, 8.10 or 9")
    return int(m.group(1)), int(m.group(2) or 0)


def parse_os_release(text: str) -> OsRelease:
    """/etc/os-release -> OsRelease (ID, VERSION_ID, PRETTY_NAME).

    Values may be double-quoted (backslash escapes honoured), single-quoted or
    bare.  ``VERSION_ID="9"`` gives minor 0.
    """
    values: Dict[str, str] = {}
    for line_no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _OS_RELEASE_LINE.match(stripped)
        if not m:
            raise ParseError(f"os-release line {line_no} is not KEY=value: {line!r}")
        values[m.group(1)] = _unquote_shell_value(m.group(2), line_no)
    os_id = values.get("ID", "").strip()
    version_id = values.get("VERSION_ID", "").strip()
    if not os_id:
        raise ParseError("os-release has no ID=")
    if not version_id:
        raise ParseError("os-release has no VERSION_ID=")
    major, minor = _split_version(version_id, "os-release")
    return OsRelease(
        id=os_id.lower(),
        version_id=version_id,
        major=major,
        minor=minor,
        pretty_name=values.get("PRETTY_NAME", ""),
    )


# Name at the start of /etc/redhat-release -> the os-release ID of that distribution.
_RELEASE_NAMES = (
    ("Red Hat Enterprise Linux", "rhel"),
    ("CentOS Stream", "centos"),
    ("CentOS Linux", "centos"),
    ("CentOS", "centos"),
    ("AlmaLinux", "almalinux"),
    ("Rocky Linux", "rocky"),
    ("Oracle Linux", "ol"),
    ("Scientific Linux", "scientific"),
    ("EuroLinux", "eurolinux"),
    ("Fedora", "fedora"),
)
_REDHAT_RELEASE = re.compile(r"^(?P<name>\S.*?) release (?P<version>[0-9]+(?:\.[0-9]+)*)(?:\s.*)?$")


def parse_redhat_release(text: str) -> OsRelease:
    """/etc/redhat-release (fallback when /etc/os-release is missing).

    ``Red Hat Enterprise Linux Server release 7.9 (Maipo)`` -> rhel 7.9;
    ``CentOS Linux release 7.9.2009 (Core)`` -> centos 7.9 (the build number
    is dropped); ``CentOS Stream release 9`` -> centos 9 (minor 0).
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ParseError("redhat-release is empty")
    line = lines[0]
    m = _REDHAT_RELEASE.match(line)
    if not m:
        raise ParseError(f"redhat-release line is not '<name> release <version> (<codename>)': {line!r}")
    name = m.group("name")
    os_id = None
    for prefix, known_id in _RELEASE_NAMES:
        if name == prefix or name.startswith(prefix + " "):
            os_id = known_id
            break
    if os_id is None:
        os_id = re.sub(r"[^a-z0-9]", "", name.split()[0].lower()) or "unknown"
    parts = m.group("version").split(".")
    version_id = ".".join(parts[:2])
    major, minor = _split_version(version_id, "redhat-release")
    return OsRelease(id=os_id, version_id=version_id, major=major, minor=minor, pretty_name=line)


_MEMTOTAL = re.compile(r"^MemTotal:\s+([0-9]+)\s+kB\s*$")


def parse_sysconfig_kernel(text: str) -> Dict[str, str]:
    """/etc/sysconfig/kernel (UPDATEDEFAULT=yes, DEFAULTKERNEL=kernel-core): KEY=value lines, quotes dropped."""
    values: Dict[str, str] = {}
    for line_no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _OS_RELEASE_LINE.match(stripped)
        if not m:
            raise ParseError(f"/etc/sysconfig/kernel line {line_no} is not KEY=value: {line!r}")
        values[m.group(1)] = _unquote_shell_value(m.group(2), line_no)
    return values


def parse_meminfo(text: str) -> MemoryInfo:
    """/proc/meminfo -> MemoryInfo(mem_total in bytes); MemTotal is printed in kB (KiB)."""
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            m = _MEMTOTAL.match(line)
            if not m:
                raise ParseError(f"meminfo MemTotal line is not 'MemTotal: <n> kB': {line!r}")
            return MemoryInfo(mem_total=int(m.group(1)) * 1024)
    raise ParseError("meminfo has no MemTotal line")


def parse_dmi(
    product_name: Optional[str],
    sys_vendor: Optional[str],
    board_name: Optional[str],
) -> DmiInfo:
    """/sys/class/dmi/id/{product_name,sys_vendor,board_name}; None (file absent) -> ""."""

    def clean(value: Optional[str]) -> str:
        return "" if value is None else value.strip()

    return DmiInfo(
        product_name=clean(product_name), sys_vendor=clean(sys_vendor), board_name=clean(board_name)
    )


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def parse_boot_id(text: str) -> str:
    """/proc/sys/kernel/random/boot_id -> the UUID string (lowercase)."""
    value = text.strip().lower()
    if not _UUID.match(value):
        raise ParseError(f"boot_id is not a UUID: {text.strip()!r}")
    return value
