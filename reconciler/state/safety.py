"""Injection and safety checks for every string bound for kdump.conf, sysconfig or a command line.

kdump.conf is read by a shell library, /etc/sysconfig/kdump is sourced by one,
and kernel arguments go through grubby: a value rtkdump writes must not be able
to end a line, start a comment, quote, or expand anything there.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional, Tuple

from .doc import FieldPath, get, strings
from .schema import closest

# Characters refused in anything written to kdump.conf, /etc/sysconfig/kdump
# (a sourced shell fragment) or a kernel command line.
_FORBIDDEN = {
    "\n": "a newline",
    "\r": "a carriage return",
    "\0": "a NUL character",
    '"': 'a double quote (")',
    "'": "a single quote (')",
    "\\": "a backslash (\\)",
    "`": "a backtick (`)",
    "$": "'$'",
    ";": "';'",
    "&": "'&'",
    "|": "'|'",
    "<": "'<'",
    ">": "'>'",
    "#": "'#' (kdump.conf would read the rest of the line as a comment)",
}
_FORBIDDEN_LIST = "newlines, quotes, backslashes, backticks or any of $ ; & | < > #"
# What is left of printable ASCII once whitespace and _FORBIDDEN are taken out;
# the same class as the schema's $defs patterns.
_SAFE_CHARS = r"A-Za-z0-9!%()*+,./:=?@\[\]^_{}~-"
_KARG_RE = re.compile(rf"^[A-Za-z0-9_][A-Za-z0-9_.-]*(=[{_SAFE_CHARS}]+)?$")
_UNAME_RE = re.compile(r"^[0-9][A-Za-z0-9._+~-]*$")
_PACKAGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_NFS_RE = re.compile(r"^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(/.*)$")
_SSH_RE = re.compile(r"^[A-Za-z0-9._-]+@([A-Za-z0-9._:-]+|\[[0-9A-Fa-f:.]+\])$")
# A host name or IPv4 address (never an option: no leading '-'), or an IPv6 address in brackets.
_HOSTNAME_RE = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9._-]*[A-Za-z0-9_])?$")
_IPV6_RE = re.compile(r"^\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]$")
_USER_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
# Linux's NAME_MAX and PATH_MAX - 1: longer passes nowhere (and crashed the plan once).
NAME_MAX, PATH_MAX = 255, 4095
# kdump writes vmcores under the dump path: never into the system's own directories.
SYSTEM_DIRS = ("/etc", "/proc", "/sys", "/dev", "/boot", "/run", "/usr")
KERNELVER_WORDS = ("unmanaged", "running", "latest-rt")

# Fields whose strings end up in a file or command line: field pattern -> kind.
_KINDS: Dict[Tuple[str, ...], str] = {
    ("packages", "*"): "package",
    ("crashkernel", "value"): "crashkernel",
    ("crashkernel", "value", "*"): "crashkernel",
    ("crashkernel", "entries", "*"): "entry",
    ("dump", "target", "device"): "device",
    ("dump", "target", "server"): "server",
    ("dump", "target", "sshkey"): "path",
    ("dump", "path"): "path",
    ("dump", "core_collector"): "words",
    ("dump", "extra", "dracut_args"): "words",
    ("dump", "extra", "extra_modules"): "words",
    ("dump", "extra", "extra_bins"): "words",
    ("dump", "extra", "kdump_pre"): "path",
    ("dump", "extra", "kdump_post"): "path",
    ("sysconfig", "commandline_append", "ensure", "*"): "karg",
    ("sysconfig", "commandline_append", "remove", "*"): "karg",
    ("sysconfig", "kernelver"): "kernelver",
}
_MULTIWORD = {"words"}
_DESTINATION = {
    "packages": "the yum/dnf command line",
    "crashkernel": "the kernel command line of the boot entries",
    "dump": "/etc/kdump.conf",
    "sysconfig": "/etc/sysconfig/kdump",
}


def _kind(at: FieldPath) -> Optional[str]:
    return _KINDS.get(tuple("*" if isinstance(p, int) else p for p in at))


def _destination(at: FieldPath) -> str:
    if at[:2] == ("crashkernel", "entries"):
        return "the grubby command line"
    return _DESTINATION.get(str(at[0]) if at else "", "the host")


def _unsafe(value: str, at: FieldPath, multiword: bool) -> Optional[Tuple[str, str]]:
    dest = _destination(at)
    for ch in value:
        if ch in _FORBIDDEN:
            return (
                f"contains {_FORBIDDEN[ch]}, which rtkdump refuses in a value it writes to {dest}",
                f"remove it: this field must not contain {_FORBIDDEN_LIST}",
            )
    if not value:
        return "must not be empty", "give it a value or delete the key"
    for ch in value:
        if ch.isspace():
            if multiword and ch == " ":
                continue
            if multiword:
                return (
                    f"contains the whitespace character U+{ord(ch):04X}; words must be separated by single spaces",
                    "use single plain spaces between words",
                )
            return "contains whitespace, but this field is a single token", _token_hint(at)
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            return f"contains the control character U+{ord(ch):04X}", "remove it"
        if ord(ch) > 0x7E:
            return (
                f"contains the non-ASCII character {ch!r} (U+{ord(ch):04X})",
                f"only printable ASCII is allowed in a value written to {dest}",
            )
    if multiword:
        if value != value.strip(" "):
            return "starts or ends with a space", "delete the leading/trailing spaces"
        if "  " in value:
            return "contains two spaces in a row", "separate words with single spaces"
    return None


def _token_hint(at: FieldPath) -> str:
    if _kind(at) == "karg":
        return "write each kernel argument as its own list item, e.g. ensure: [reset_devices, nr_cpus=1]"
    if _kind(at) == "crashkernel":
        return "write crashkernel values without spaces, e.g. 1G-4G:192M,4G-64G:256M,64G-:512M"
    return "remove the whitespace"


def _host_problem(host: str, what: str, ipv6_ok: bool, port_word: str = "") -> Optional[Tuple[str, str]]:
    """A host name, IPv4 address or bracketed IPv6 address; never an option, never a :port."""
    if host.startswith("-"):
        return f"the {what} {host!r} starts with '-' (ssh/mount would read it as an option)", (
            "write a host name or address"
        )
    if host.startswith("["):
        if ipv6_ok and _IPV6_RE.match(host):
            return None
        return f"the {what} {host!r} is not a bracketed IPv6 address", "e.g. [2001:db8::1]"
    if ":" in host:
        return f"the {what} {host!r} has a ':' (a port, or an IPv6 address without brackets)", (
            f"no port here{'; ' + port_word if port_word else ''}; write an IPv6 address in brackets, "
            "e.g. [2001:db8::1]"
        )
    if not _HOSTNAME_RE.match(host) or ".." in host:
        return f"the {what} {host!r} is not a host name or address", "e.g. dumps.example.com or 192.0.2.10"
    return None


def _ssh_problem(value: str) -> Optional[Tuple[str, str]]:
    if not _SSH_RE.match(value):
        return f"{value!r} is not user@host", "e.g. kdump@dumps.example.com"
    user, host = value.split("@", 1)
    if not _USER_RE.match(user):
        return f"the ssh user {user!r} is not a user name (a leading '-' is an ssh option)", "e.g. kdump"
    return _host_problem(
        host,
        "ssh host",
        ipv6_ok=True,
        port_word="a port is not part of the ssh target; put it in ~/.ssh/config",
    )


def _length_problem(value: str) -> Optional[Tuple[str, str]]:
    if len(value.encode()) > PATH_MAX:
        return f"the path is longer than {PATH_MAX} bytes", "use a shorter path"
    for part in value.split("/"):
        if len(part.encode()) > NAME_MAX:
            return f"the path component {part[:20]!r}... is longer than {NAME_MAX} bytes", "use shorter names"
    return None


def dump_path_problem(value: str) -> Optional[Tuple[str, str]]:
    """The dump path must not be / or a system directory (vmcores would land in /etc or /proc)."""
    for system in SYSTEM_DIRS:
        if value == "/" or value == system or value.startswith(system + "/"):
            shown = "/" if value == "/" else system
            return f"{value!r} is {'under ' if value != shown else ''}{shown}, a system directory", (
                "write vmcores to a directory of their own, e.g. /var/crash"
            )
    return None


def _path_problem(value: str, what: str) -> Optional[Tuple[str, str]]:
    long = _length_problem(value)
    if long:
        return long
    if not value.startswith("/"):
        return f"{value!r} is not an absolute path", f"write the full {what} starting with /, e.g. /{value}"
    parts = value.split("/")
    if ".." in parts:
        return f"{value!r} contains '..'", f"write the {what} without '..' (the resolved path)"
    if "." in parts or "//" in value or (len(value) > 1 and value.endswith("/")):
        clean = "/" + "/".join(p for p in parts if p not in ("", "."))
        return f"{value!r} is not a normalised path", f"write {clean}"
    return None


def check_string(at: FieldPath, value: str, data: Any) -> Optional[Tuple[str, str]]:
    """(message, hint) for a bad value of an injection-sensitive field, None when fine."""
    kind = _kind(at)
    if kind is None:
        return None
    problem = _unsafe(value, at, kind in _MULTIWORD)
    if problem:
        return problem
    if kind == "path":
        problem = _path_problem(value, "path")
        if problem is None and at == ("dump", "path"):
            problem = dump_path_problem(value)
        return problem
    if kind == "package":
        if not _PACKAGE_RE.match(value):
            return f"{value!r} is not a package name", "an RPM name such as kexec-tools"
    elif kind == "entry":
        if value.startswith("/"):
            problem = _path_problem(value, "kernel path")
            if problem:
                return problem
            if not value.rsplit("/", 1)[-1].startswith("vmlinuz-"):
                return (
                    f"{value!r} is not a kernel image path",
                    "name a kernel as /boot/vmlinuz-<uname -r> or by its uname -r string",
                )
        elif not _UNAME_RE.match(value):
            return (
                f"{value!r} is neither a kernel path nor a uname -r string",
                "name a kernel as /boot/vmlinuz-5.14.0-427.20.1.el9_4.x86_64+rt or 5.14.0-427.20.1.el9_4.x86_64+rt; "
                "or use entries: realtime | all | default",
            )
    elif kind == "device":
        if value.startswith("/"):
            return _path_problem(value, "device path")
    elif kind == "server":
        ttype = get(data, ("dump", "target", "type"))
        if ttype == "nfs":
            m = _NFS_RE.match(value)
            if m:
                return _host_problem(m.group(1), "nfs server", ipv6_ok=True) or _path_problem(
                    m.group(2), "export path"
                )
        elif ttype == "ssh":
            return _ssh_problem(value)
    elif kind == "karg":
        if not _KARG_RE.match(value):
            if value.endswith("=") and _KARG_RE.match(value[:-1]):
                return f"{value!r} has nothing after '='", "write key=value, or the bare key for a flag"
            return (
                f"{value!r} is not a kernel argument (key or key=value)",
                "a key is letters, digits, '_', '.' and '-', e.g. reset_devices or nr_cpus=1",
            )
    elif kind == "kernelver":
        if value not in KERNELVER_WORDS and not _UNAME_RE.match(value):
            close = closest(value, list(KERNELVER_WORDS))
            return (
                f"{value!r} is not unmanaged, running, latest-rt or a uname -r string",
                f"did you mean '{close}'?" if close else "e.g. kernelver: 5.14.0-427.20.1.el9_4.x86_64+rt",
            )
    return None


def check_strings(doc: Any) -> None:
    """Raise the located error of the first unsafe string in the document."""
    for at, value in strings(doc.data):
        problem = check_string(at, value, doc.data)
        if problem:
            raise doc.error(problem[0], at, hint=problem[1])
