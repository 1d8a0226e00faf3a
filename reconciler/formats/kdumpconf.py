"""/etc/kdump.conf: parse (byte-exact), validate like kdumpctl, render.

Pure functions only: text in, data or text out.

Reading rules (platform-facts §4.3, KDU ``kdump_get_conf_val``): a line whose
first non-blank character is ``#`` and a blank line are skipped; otherwise the
line is cut at its first ``#`` (everything after it is a comment, so a value can
never contain ``#``), trailing blanks are dropped, the directive is the text
before the first run of blanks and the value the rest, and one pair of
surrounding double quotes is stripped from the value.

Validation reproduces two kdumpctl generations, with their own wording:

- RHEL 7: ``check_config`` / ``check_default_config`` / ``check_rebuild`` of
  KT-EL7 (kexec-tools-2.0.15-33.el7, i.e. 7.7).
- RHEL 8 and 9: the current ``parse_config`` / ``_set_config`` /
  ``check_failure_action_config`` / ``check_final_action_config`` of KDU.

kdumpctl stops at the first problem; ``validate_kdump_conf`` reports all of
them, in file order, so one pass shows everything to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import FrozenSet, List, Optional, Sequence, Tuple

from ..facts.model import ParseError

__all__ = [
    "KDUMP_TARGET_DIRECTIVES",
    "DEPRECATED_DIRECTIVES",
    "FAILURE_ACTIONS",
    "FINAL_ACTIONS",
    "ConfProblem",
    "KdumpConf",
    "KdumpConfLine",
    "ParseError",
    "accepted_directives",
    "default_core_collector",
    "parse_kdump_conf",
    "render_kdump_conf",
    "target_directives",
    "validate_kdump_conf",
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
    value = written
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        value = value[1:-1]
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
        return [(line.directive, line.value) for line in self.lines if line.directive is not None]

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
            (line.directive, line.value)
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


# --- validation ----------------------------------------------------------------
@dataclass(frozen=True)
class ConfProblem:
    lineno: Optional[int]
    severity: str  # "error" | "warning"
    message: str  # kdumpctl's own wording for that release (without the "kdump: " prefix)


_BOTH_REBUILD = "Error: force_rebuild and force_no_rebuild are enabled simultaneously in kdump.conf"


def _err(lineno: Optional[int], message: str) -> ConfProblem:
    return ConfProblem(lineno, "error", message)


# KT-EL7 check_config counts the lines of the *file* matching this awk ERE
# (anchored at column 0, prefix match: "nfs4 ..." and "rawx" count as well).
_EL7_TARGET_LINE = re.compile(r"^(?:raw|ssh[ \t]|nfs|ext[234]|xfs|btrfs|minix|dracut_args .*--mount)")
_EL7_INDENTED = re.compile(r"^[ \t]+[a-z]")


def _words(text: str) -> List[str]:
    """Split like bash's default IFS (blanks), not like str.split()."""
    return [w for w in re.split(r"[ \t]+", text) if w]


def validate_kdump_conf(conf: KdumpConf, major: int) -> List[ConfProblem]:
    """Problems kdumpctl of RHEL ``major`` reports for ``conf``, in file order.

    Not checked (they need the host): fence_kdump_nodes naming this host,
    sshkey pointing at a missing file, dracut_args --mount device existence.
    """
    major = _check_major(major)
    problems = _validate_el7(conf) if major == 7 else _validate_current(conf, major)
    return sorted(problems, key=lambda p: (p.lineno is None, p.lineno or 0))


def _validate_el7(conf: KdumpConf) -> List[ConfProblem]:
    out: List[ConfProblem] = []
    targets = 0
    default_lines: List[Tuple[int, str]] = []  # (lineno, awk $2)
    for line in conf.lines:
        raw = line.raw
        if _EL7_TARGET_LINE.match(raw):
            targets += 1
            if targets > 1:
                out.append(_err(line.lineno, "More than one dump targets specified."))
        if raw.startswith("dracut_args ") and raw.count("--mount") > 1:
            out.append(_err(line.lineno, 'Multiple mount targets specified in one "dracut_args".'))
        if _EL7_INDENTED.match(raw):
            out.append(
                _err(line.lineno, f"No whitespaces are allowed before a kdump option name in {CONF_PATH}")
            )
        words = _words(raw)
        if not words or words[0].startswith("#"):
            continue
        # `while read config_opt config_val`: the option is the first word as is
        # (a "#" glued to it stays part of it).
        opt = words[0]
        _directive, written, _value, _comment = _split_line(raw)
        if opt in _ACCEPTED_7:
            if not written:  # strip_comments left nothing (RHEL 7 does not strip quotes)
                out.append(_err(line.lineno, f"Invalid kdump config value for option {opt}."))
        elif opt in DEPRECATED_DIRECTIVES:
            out.append(
                _err(
                    line.lineno,
                    f"Deprecated kdump config option: {opt}. Refer to kdump.conf manpage for alternatives.",
                )
            )
        else:
            out.append(_err(line.lineno, f"Invalid kdump config option {opt}"))
        if opt == "default":
            default_lines.append((line.lineno, words[1] if len(words) > 1 else ""))
    # check_default_config: awk '$1 ~ /^default$/ {print $2;}' -> one word per line.
    joined = "\n".join(word for _, word in default_lines).rstrip("\n")
    if joined and joined not in FAILURE_ACTIONS:
        bad = next((n for n, word in default_lines if word not in FAILURE_ACTIONS), default_lines[-1][0])
        out.append(_err(bad, "Usage kdump.conf: default {reboot|halt|poweroff|shell|dump_to_rootfs}"))
    out.extend(_check_rebuild_el7(conf))
    return out


def _check_rebuild_el7(conf: KdumpConf) -> List[ConfProblem]:
    """KT-EL7 check_rebuild: `grep ^opt kdump.conf` | echo | `cut -d' ' -f2`."""
    out: List[ConfProblem] = []
    values = {}
    for opt in ("force_no_rebuild", "force_rebuild"):
        hits = [line for line in conf.lines if line.raw.startswith(opt)]
        if not hits:
            values[opt] = ("0", None)
            continue
        words = _words(" ".join(line.raw for line in hits))
        value = words[1] if len(words) > 1 else words[0]
        values[opt] = (value, hits[0].lineno)
        if value not in ("0", "1"):
            out.append(_err(hits[0].lineno, f"Error: {opt} value is invalid"))
    (no_val, no_line), (re_val, re_line) = values["force_no_rebuild"], values["force_rebuild"]
    if no_val == "1" and re_val == "1":
        out.append(_err(max(no_line or 0, re_line or 0), _BOTH_REBUILD))
    return out


def _validate_current(conf: KdumpConf, major: int) -> List[ConfProblem]:
    # RHEL 8 is validated like RHEL 9: the 2020-08 rework (KDU 08276e9) that
    # added the duplicate check and dropped the leading-whitespace check reached
    # RHEL 8 at a minor release we have not pinned down [unverified; early 8.x
    # may still behave like RHEL 7 there].
    accepted = accepted_directives(major)
    targets = target_directives(major)
    out: List[ConfProblem] = []
    opt_set = {}  # _set_config's OPT[]: name -> lineno of the first setting

    def set_config(lineno: int, opt: str, val: str) -> None:
        if not val:
            out.append(_err(lineno, f"Invalid kdump config value for option '{opt}'"))
            return
        if opt in opt_set:
            if opt in ("_target", "_fstype"):
                out.append(_err(lineno, "More than one dump targets specified"))
            else:
                out.append(_err(lineno, f"Duplicated kdump config value of option {opt}"))
            return
        opt_set[opt] = lineno

    failure_action: Optional[Tuple[int, str]] = None
    final_action: Optional[Tuple[int, str]] = None
    for line in conf.lines:
        opt, val, n = line.directive, line.value, line.lineno
        if opt is None or val is None:
            continue
        if opt == "dracut_args":
            if "--mount" in val:
                if val.count("--mount") != 1:
                    out.append(_err(n, 'Multiple mount targets specified in one "dracut_args".'))
                    continue
                if "_fstype" in opt_set:  # _set_config _fstype fails first
                    out.append(_err(n, "More than one dump targets specified"))
                    continue
                opt_set["_fstype"] = opt_set["_target"] = n
        elif opt in targets:
            # _set_config _fstype <name>; config_opt=_target; _set_config _target <value>
            if "_fstype" in opt_set:
                out.append(_err(n, "More than one dump targets specified"))
                continue
            opt_set["_fstype"] = n
            opt = "_target"
        elif opt == "default":
            out.append(
                ConfProblem(
                    n,
                    "warning",
                    "Option 'default' was renamed 'failure_action' and will be removed in the future.",
                )
            )
            before = len(out)
            set_config(n, "failure_action", val)
            if len(out) > before:
                continue
            if failure_action is None:
                failure_action = (n, val)
        elif opt in DEPRECATED_DIRECTIVES:
            out.append(
                _err(
                    n, f"Deprecated kdump config option: {opt}. Refer to kdump.conf manpage for alternatives."
                )
            )
            continue
        elif opt not in accepted:
            out.append(_err(n, f"Invalid kdump config option {opt}"))
            continue
        before = len(out)
        set_config(n, opt, val)
        if len(out) > before:
            continue
        if opt == "failure_action" and failure_action is None:
            failure_action = (n, val)
        elif opt == "final_action" and final_action is None:
            final_action = (n, val)
    if failure_action and failure_action[1] not in FAILURE_ACTIONS:
        out.append(
            _err(
                failure_action[0],
                "Usage kdump.conf: failure_action {reboot|halt|poweroff|shell|dump_to_rootfs}",
            )
        )
    if final_action and final_action[1] not in FINAL_ACTIONS:
        out.append(_err(final_action[0], "Usage kdump.conf: final_action {reboot|halt|poweroff}"))
    out.extend(_check_rebuild_current(conf))
    return out


def _check_rebuild_current(conf: KdumpConf) -> List[ConfProblem]:
    """KDU check_rebuild: the last value of each option (kdump_get_conf_val), default 0."""
    out: List[ConfProblem] = []
    values = {}
    for opt in ("force_no_rebuild", "force_rebuild"):
        hits = [line for line in conf.lines if line.directive == opt]
        value = hits[-1].value if hits and hits[-1].value else "0"
        values[opt] = (value, hits[-1].lineno if hits else None)
        if value not in ("0", "1"):
            out.append(_err(hits[-1].lineno, f"Error: {opt} value is invalid"))
    (no_val, no_line), (re_val, re_line) = values["force_no_rebuild"], values["force_rebuild"]
    if no_val == "1" and re_val == "1":
        out.append(_err(max(no_line or 0, re_line or 0), _BOTH_REBUILD))
    return out


# --- rendering -----------------------------------------------------------------
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
    {"ext2", "ext3", "ext4", "minix", "btrfs", "xfs", "nfs", "virtiofs", "local", "dracut_args"}
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
