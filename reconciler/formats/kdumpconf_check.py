"""Validate /etc/kdump.conf the way kdumpctl of each release does, with its own wording.

- RHEL 7: ``check_config`` / ``check_default_config`` / ``check_rebuild`` of
  KT-EL7 (kexec-tools-2.0.15-33.el7, i.e. 7.7).
- RHEL 8 and 9: the current ``parse_config`` / ``_set_config`` /
  ``check_failure_action_config`` / ``check_final_action_config`` of KDU.

kdumpctl stops at the first problem; ``validate_kdump_conf`` reports all of
them, in file order, so one pass shows everything to fix.  Pure: data in, data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .kdumpconf import (
    _ACCEPTED_7,
    CONF_PATH,
    DEPRECATED_DIRECTIVES,
    FAILURE_ACTIONS,
    FINAL_ACTIONS,
    KdumpConf,
    _check_major,
    _split_line,
    accepted_directives,
    target_directives,
)


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
    values: Dict[str, Tuple[str, Optional[int]]] = {}
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
    values: Dict[str, Tuple[str, Optional[int]]] = {}
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
