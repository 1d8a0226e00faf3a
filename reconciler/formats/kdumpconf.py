"""/etc/kdump.conf: parse (byte-exact) and render.

Pure functions only: text in, data or text out.

Reading rules (platform-facts §4.3, KDU ``kdump_get_conf_val``): a line whose
first non-blank character is ``#`` and a blank line are skipped; otherwise the
line is cut at its first ``#`` (everything after it is a comment, so a value can
never contain ``#``), trailing blanks are dropped, the directive is the text
before the first run of blanks and the value the rest.  Quotes are part of the
value: no supported release strips them (only kdump-utils 1.0.59+ does).

Validation, per release, is in ``reconciler.rules.kdumpctl`` (``kdumpconf_check`` adapts it).
"""

from __future__ import annotations

import re
from typing import FrozenSet, List, Optional, Sequence, Tuple

from ..errors import ParseError
from ..records import dataclass

__all__ = [
    "KDUMP_TARGET_DIRECTIVES",
    "DEPRECATED_DIRECTIVES",
    "FAILURE_ACTIONS",
    "FINAL_ACTIONS",
    "KdumpConf",
    "KdumpConfLine",
    "ParseError",
    "accepted_directives",
    "default_core_collector",
    "parse_kdump_conf",
    "render_kdump_conf",
    "target_directives",
]

CONF_PATH = "/etc/kdump.conf"

# Every directive name that some supported release treats as a dump target.
# ``virtiofs`` exists only on RHEL 9 (KDU 2022-09+); use target_directives(major)
# for one release.  ``dracut_args ... --mount ...`` is a target as well (see
# KdumpConf.targets()).
KDUMP_TARGET_DIRECTIVES: FrozenSet[str] = frozenset(
    {"raw", "ext2", "ext3", "ext4", "minix", "btrfs", "xfs", "nfs", "ssh", "virtiofs"}
)
_TARGETS_7 = KDUMP_TARGET_DIRECTIVES - {"virtiofs"}

# Rejected with an error by every release (same list in KT-EL7 and KDU).
DEPRECATED_DIRECTIVES: FrozenSet[str] = frozenset(
    {"net", "options", "link_delay", "disk_timeout", "debug_mem_level", "blacklist"}
)

FAILURE_ACTIONS: Tuple[str, ...] = ("reboot", "halt", "poweroff", "shell", "dump_to_rootfs")
FINAL_ACTIONS: Tuple[str, ...] = ("reboot", "halt", "poweroff")

_COMMON_7 = frozenset(
    {
        "sshkey",
        "path",
        "core_collector",
        "kdump_post",
        "kdump_pre",
        "extra_bins",
        "extra_modules",
        "default",
        "force_rebuild",
        "force_no_rebuild",
        "dracut_args",
        "fence_kdump_args",
        "fence_kdump_nodes",
    }
)
# RHEL 7 (KT-EL7 check_config).  ``override_resettable`` is documented in the
# RHEL 7 file's comments but not accepted by this kdumpctl.
_ACCEPTED_7 = _TARGETS_7 | _COMMON_7
# RHEL 8.  failure_action (renamed from default 2019-01) and final_action are in
# the RHEL 8.4+-era stock file.  auto_reset_crashkernel came with the
# "remove crashkernel=auto" series (KDU 73ced7f, RHEL 9 bz2042772); RHEL 8 keeps
# crashkernel=auto, so it is treated as unknown there [unverified on a host].
# virtiofs (2022-09) is RHEL 9 only.
_ACCEPTED_8 = _ACCEPTED_7 | {"failure_action", "final_action"}
# RHEL 9 (KDU parse_config).  kdump_emergency (2026-01) is newer than RHEL 9.
_ACCEPTED_9 = _ACCEPTED_8 | {"auto_reset_crashkernel", "virtiofs"}


def _check_major(major: int) -> int:
    if not isinstance(major, int) or major < 7:
        raise ValueError(f"unsupported RHEL major release {major!r} (7, 8 or 9 expected)")
    return major


def accepted_directives(major: int) -> FrozenSet[str]:
    """Directive names kdumpctl accepts on RHEL ``major`` (later releases = RHEL 9's list)."""
    major = _check_major(major)
    if major == 7:
        return _ACCEPTED_7
    if major == 8:
        return _ACCEPTED_8
    return _ACCEPTED_9


def target_directives(major: int) -> FrozenSet[str]:
    """Directive names that are a dump target on RHEL ``major`` (dracut_args --mount aside)."""
    return _TARGETS_7 if _check_major(major) < 9 else KDUMP_TARGET_DIRECTIVES


# --- parsing -------------------------------------------------------------------
_BLANKS = " \t"
_SPLIT = re.compile(r"([^ \t]+)(?:[ \t]+(.*))?\Z", re.S)


@dataclass(frozen=True)
class KdumpConfLine:
    """One physical line. ``raw`` is the line without its ``\\n``.

    Comment and blank lines have ``directive`` and ``value`` None (``comment``
    holds a whole-line comment, from its ``#``).  A directive line with nothing
    after the name has ``value == ""``.  ``comment`` is an inline ``# ...`` tail.
    """

    lineno: int  # 1-based
    raw: str
    directive: Optional[str]
    value: Optional[str]
    comment: Optional[str]
    indented: bool


def _split_line(raw: str) -> Tuple[Optional[str], Optional[str], Optional[str], Optional[str]]:
    """(directive, value as written, value with quotes stripped, comment)."""
    body = raw.lstrip(_BLANKS)
    if not body:
        return None, None, None, None
    if body.startswith("#"):
        return None, None, None, body
    content, hash_, comment = body.partition("#")
    content = content.rstrip(_BLANKS)
    m = _SPLIT.match(content)
    assert m is not None  # content is non-empty and starts with a non-blank
    written = m.group(2) or ""
    # No supported release strips quotes (kdump-utils 1.0.59+ does, docs/kdumpctl-rules.md §2):
    # `path "/var/crash"` means the directory "/var/crash" with its quotes.
    value = written
    return m.group(1), written, value, (hash_ + comment) if hash_ else None


@dataclass(frozen=True)
class KdumpConf:
    """A parsed /etc/kdump.conf that still holds every original byte."""

    lines: Tuple[KdumpConfLine, ...]
    final_newline: bool = True  # False when the text did not end with "\n"

    @property
    def text(self) -> str:
        body = "\n".join(line.raw for line in self.lines)
        return body + "\n" if self.lines and self.final_newline else body

    def directive_lines(self) -> List[KdumpConfLine]:
        return [line for line in self.lines if line.directive is not None]

    def directives(self) -> List[Tuple[str, str]]:
        """``(name, value)`` of every directive line, in file order (duplicates kept)."""
        return [(line.directive, line.value or "") for line in self.lines if line.directive is not None]

    def get(self, name: str) -> Optional[str]:
        """Value of the last ``name`` line (kdump_get_conf_val returns the last match)."""
        found = None
        for line in self.lines:
            if line.directive == name:
                found = line.value
        return found

    def targets(self, major: int = 9) -> List[Tuple[str, str]]:
        """Dump target lines ``(name, value)``, including ``dracut_args`` with ``--mount``."""
        names = target_directives(major)
        return [
            (line.directive, line.value or "")
            for line in self.lines
            if line.directive in names
            or (line.directive == "dracut_args" and "--mount" in (line.value or ""))
        ]


def parse_kdump_conf(text: str) -> KdumpConf:
    """Parse kdump.conf text; ``parse_kdump_conf(t).text == t`` for every string."""
    if not isinstance(text, str):
        raise ParseError(f"kdump.conf text must be str, not {type(text).__name__}")
    if text == "":
        return KdumpConf((), True)
    physical = text.split("\n")
    final_newline = physical[-1] == ""
    if final_newline:
        physical.pop()
    lines = []
    for n, raw in enumerate(physical, 1):
        directive, _written, value, comment = _split_line(raw)
        lines.append(KdumpConfLine(n, raw, directive, value, comment, raw[:1] in (" ", "\t")))
    return KdumpConf(tuple(lines), final_newline)


def render_kdump_conf(directives: Sequence[Tuple[str, str]], header: str) -> str:
    """Canonical kdump.conf text: ``# header`` lines, a blank line, ``name value`` lines.

    Values are written as is; the caller has validated them.  As a last guard a
    newline anywhere, a ``#`` in a value, or a name that is not one word raises
    ValueError (such text would be read back differently).  An empty header
    line is written as ``#`` (no trailing blank); an empty header writes no
    header block at all.
    """
    out: List[str] = []
    if header:
        for text in header.split("\n"):
            out.append(("# " + text).rstrip(_BLANKS) if text else "#")
        out.append("")
    for name, value in directives:
        if not name or not re.fullmatch(r"[^\s#]+", name):
            raise ValueError(f"kdump.conf directive name {name!r} is not a single word")
        if "\n" in value or "\r" in value or "#" in value:
            raise ValueError(f"kdump.conf value for {name} must not contain a newline or '#': {value!r}")
        out.append(f"{name} {value}" if value else name)
    return "\n".join(out) + "\n"


# --- defaults ------------------------------------------------------------------
_FLAT_TARGETS = frozenset({"raw", "ssh"})
_FS_TARGETS = frozenset(
    # "fs" is the state's dump.target.type for a file system given by device/UUID/LABEL: mkdumprd's
    # default (kdump-lib-initramfs.sh DEFAULT_CORE_COLLECTOR) is the same as for a local path
    {"ext2", "ext3", "ext4", "minix", "btrfs", "xfs", "nfs", "virtiofs", "local", "fs", "dracut_args"}
)


def default_core_collector(target_kind: str, major: int) -> str:
    """kdumpctl's default core_collector for a target kind on RHEL ``major``.

    ``target_kind`` is a target directive name, ``"local"`` (no target line:
    the root file system + path) or ``"dracut_args"`` (a --mount target).  raw
    and ssh dumps need the flattened format (``-F``), as the stock file's
    comments say.  s390x stock files use ``-c`` instead of ``-l``; not modelled.
    """
    level = 1 if _check_major(major) == 7 else 7
    if target_kind in _FLAT_TARGETS:
        return f"makedumpfile -F -l --message-level {level} -d 31"
    if target_kind in _FS_TARGETS:
        return f"makedumpfile -l --message-level {level} -d 31"
    raise ValueError(f"unknown dump target kind {target_kind!r}")
