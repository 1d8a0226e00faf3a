"""The kdumpctl rules that the state file alone decides, applied at ``rtkdump validate``.

``rtkdump validate`` does not know the host, so it cannot know the release.  It
renders the kdump.conf this state means for *every* supported release
(``candidate``), runs the real tools' rules on each text (rules/kdumpctl,
``host=None``: the state-only rules), and refuses:

- an error that every release gives (ssh/raw without ``makedumpfile -F``,
  ``-F`` with a file target, a dump level outside 0..31, an unknown
  makedumpfile option, ...): the state can never work;
- ``ssh-hostname``: kdumpctl of 8.10 and 9.2+ compares the host with
  ``ssh -G``, which lower-cases it; 7.9 and 9.0 accept it, but a state file
  that breaks on a kdump-utils update is refused here too.

What one release alone refuses (``final_action`` on RHEL 7, a bare
``makedumpfile`` on 8.x/9.x, ...) is refused by ``rtkdump plan``, which knows
the release (plan/resources/kdump_conf.py).  Both point at the field with
file:line:column and quote the real tool's reason.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ..formats.kdumpconf import default_core_collector
from ..rules.kdumpctl import RELEASES, Finding, check_kdump_conf
from .doc import Doc, FieldPath, get

# (directive, value, field the line comes from)
Line = Tuple[str, str, FieldPath]

_ALWAYS_REFUSED_HERE = frozenset({"ssh-hostname"})
# RHEL 7 has no --check-params; rtkdump's own rules stand in for it there
_SAME = {"el7-flattened-fs": "check-params", "el7-makedumpfile": "check-params"}


def candidate(data: Any, release: str) -> List[Line]:
    """The kdump.conf lines rtkdump writes for this (schema-valid) state on ``release``.

    The planner writes the same lines (plan/resources/kdump_conf.py), plus
    ``auto_reset_crashkernel no`` where the release has it.
    """
    major = int(release.split(".")[0])
    target: Dict[str, Any] = get(data, ("dump", "target"), {}) or {}
    kind = target.get("type", "local")
    t: FieldPath = ("dump", "target")
    out: List[Line] = []
    if kind == "raw":
        out.append(("raw", target.get("device", ""), t + ("device",)))
    elif kind == "fs":
        out.append((target.get("fstype", ""), target.get("device", ""), t + ("device",)))
    elif kind in ("nfs", "ssh"):
        out.append((kind, target.get("server", ""), t + ("server",)))
        if kind == "ssh" and target.get("sshkey"):
            out.append(("sshkey", target["sshkey"], t + ("sshkey",)))
    out.append(("path", get(data, ("dump", "path"), "/var/crash"), ("dump", "path")))
    collector = get(data, ("dump", "core_collector"))
    out.append(
        (
            "core_collector",
            collector or default_core_collector(kind, major),
            ("dump", "core_collector") if collector else t + ("type",),
        )
    )
    failure = get(data, ("dump", "failure_action"))
    if failure:
        out.append(("default" if major <= 7 else "failure_action", failure, ("dump", "failure_action")))
    final = get(data, ("dump", "final_action"))
    if final and major > 7:  # the planner refuses it on RHEL 7 with its own message
        out.append(("final_action", final, ("dump", "final_action")))
    for name, value in (get(data, ("dump", "extra"), {}) or {}).items():
        if name == "auto_reset_crashkernel":
            continue  # written by the planner from the release table
        out.append((name, value, ("dump", "extra", name)))
    return out


def render(lines: List[Line]) -> str:
    return "".join(f"{name} {value}\n" for name, value, _ in lines)


def field_of(lines: List[Line], finding: Finding) -> Optional[FieldPath]:
    if finding.lineno is None or not 1 <= finding.lineno <= len(lines):
        return None
    return lines[finding.lineno - 1][2]


def check_kdump(doc: Doc) -> None:
    """Raise the located error of the first state-only kdumpctl rule this state breaks."""
    data = doc.data
    if get(data, ("state",), "present") == "absent":
        return
    per_release: Dict[str, List[Tuple[Optional[FieldPath], Finding]]] = {}
    for release in RELEASES:
        lines = candidate(data, release)
        findings = check_kdump_conf(render(lines), release)
        per_release[release] = [(field_of(lines, f), f) for f in findings if f.severity == "error"]
    # newest first: their message is the real tool's (RHEL 7 has rtkdump's stand-ins for --check-params)
    for at, finding in [x for r in reversed(RELEASES) for x in per_release[r]]:
        rule = _SAME.get(finding.rule, finding.rule)
        refusing = [r for r in RELEASES if any(_SAME.get(f.rule, f.rule) == rule for _, f in per_release[r])]
        if finding.rule not in _ALWAYS_REFUSED_HERE and len(refusing) < len(RELEASES):
            continue  # release-dependent: rtkdump plan decides, with the host's release
        where = "every release" if len(refusing) == len(RELEASES) else "RHEL " + ", ".join(refusing)
        who = "rtkdump" if finding.origin == "rtkdump" else finding.origin
        message = finding.message.replace("rtkdump: ", "")
        detail = f" ({finding.detail})" if finding.detail else ""
        raise doc.error(
            f"{who} refuses this on {where}: {message}{detail}",
            at or ("dump",),
            hint=_HINTS.get(finding.rule, "see docs/kdumpctl-rules.md, rule " + finding.rule),
        )


_HINTS = {
    "needs-F": "ssh and raw targets need the flattened format: add -F, e.g. makedumpfile -F -l --message-level 7 -d 31",
    "check-params": "makedumpfile --check-params must pass: no -F for local/fs/nfs targets, -d and "
    "--message-level 0..31, no -c/-l/-p/-z with -E",
    "el7-flattened-fs": "drop -F: only ssh and raw targets take the flattened format",
    "ssh-hostname": "write the host in lower case (and an address in its canonical form), as `ssh -G` prints it",
    "ssh-no-at": "write user@host, e.g. kdump@dumps.example.com",
}
