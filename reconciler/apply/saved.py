"""Saved plans (`rtkdump plan -o PLAN.json`, then `rtkdump apply PLAN.json`).

A saved plan is never executed as written: apply derives the plan again from
the state file and the current facts, and runs it only when it is the saved
one (same actions, argv, contents).  Whatever differs makes it stale, named.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ..errors import ApplyError
from ..host.safety import read_regular

if TYPE_CHECKING:  # annotations only: `apply` asks load_saved_plan before the fact commands start
    from ..facts import Facts
    from ..plan.model import Plan
    from ..state.model import DesiredState

PLAN_FORMAT = "rtkdump-plan/1"


MAX_PLAN_BYTES = 16 * 1024 * 1024


def load_saved_plan(path: str) -> Optional[Dict[str, Any]]:
    """The saved plan in ``path``, or None when it is not one (then it is a state file).

    A file that says it is a saved plan (``"format": "rtkdump-plan/1"``) but is
    malformed is a one-line ApplyError, never a KeyError further on.
    """
    try:
        raw = read_regular(path, limit=MAX_PLAN_BYTES)  # non-blocking: a FIFO never hangs
    except OSError:
        return None  # load_state reports the unreadable file, located
    text = raw.decode("utf-8", "replace")
    if not text.lstrip().startswith("{") or PLAN_FORMAT not in text:
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ApplyError(f"{path}: not a valid saved plan: not JSON ({exc})", hint=_REMAKE) from None
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        return None
    problem = _malformed(data)
    if problem:
        raise ApplyError(f"{path}: not a valid saved plan: {problem}", hint=_REMAKE)
    return data


_REMAKE = "make it again with: rtkdump plan STATE -o PLAN.json (never edit a saved plan)"


def _malformed(data: Dict[str, Any]) -> Optional[str]:
    """What is wrong with a saved plan's shape (None: fine); its contents are re-derived anyway."""
    for key in ("state_file", "state_sha256"):
        if not isinstance(data.get(key), str) or not data[key]:
            return f"{key} is {json.dumps(data.get(key))}, not a non-empty string"
    if not os.path.isabs(data["state_file"]):
        return f"state_file {data['state_file']!r} is not an absolute path"
    digests = data.get("fact_digests")
    if not isinstance(digests, dict) or not all(isinstance(v, str) for v in digests.values()):
        return "fact_digests is not an object of strings"
    phases = data.get("phases")
    if not isinstance(phases, list) or not all(
        isinstance(p, dict) and isinstance(p.get("actions"), list) for p in phases
    ):
        return "phases is not a list of {actions: [...]} objects"
    for phase in phases:
        if not all(isinstance(a, dict) and isinstance(a.get("id"), str) for a in phase["actions"]):
            return "an action is not an object with an id"
    return None


def stale_reasons(saved: Dict[str, Any], desired: DesiredState, facts: Facts) -> List[str]:
    reasons = []
    if saved.get("state_sha256") != desired.sha256:
        reasons.append(f"the state file {desired.source} changed since the plan was made")
    digests = facts.digests()
    old = saved.get("fact_digests", {})
    changed = sorted(k for k in set(old) | set(digests) if old.get(k) != digests.get(k))
    if changed:
        reasons.append("these facts changed: " + ", ".join(changed))
    return reasons


def differences(saved: Dict[str, Any], plan: Plan) -> List[str]:
    """Where the saved plan's phases differ from the plan derived now (empty: identical)."""
    now = json.loads(json.dumps(plan.to_json()["phases"]))  # as saved: tuples become lists
    was = saved.get("phases")
    if not isinstance(was, list) or len(was) != len(now):
        return ["the number of phases"]
    out = []
    for i, (old, new) in enumerate(zip(was, now)):
        if not isinstance(old, dict) or old.get("barrier") != new["barrier"]:
            out.append(f"phase {i + 1}: the reboot barrier")
        old_actions = old.get("actions") if isinstance(old, dict) else None
        if old_actions != new["actions"]:
            ids = {a.get("id") for a in old_actions or [] if isinstance(a, dict)} ^ {
                a["id"] for a in new["actions"]
            }
            which = ", ".join(sorted(str(i) for i in ids)) if ids else "their commands or contents"
            out.append(f"phase {i + 1} actions ({which})")
    return out


def check_saved(saved: Dict[str, Any], plan: Plan, desired: DesiredState, facts: Facts) -> None:
    """Raise ApplyError unless the saved plan is exactly what would run now."""
    reasons = stale_reasons(saved, desired, facts) or [
        "it is not the plan rtkdump derives now from the state and the facts: " + "; ".join(d)
        for d in [differences(saved, plan)]
        if d
    ]
    if reasons:
        raise ApplyError(
            "the saved plan is stale: " + "; ".join(reasons),
            hint=f"make a new one: rtkdump plan {desired.source} -o PLAN.json",
        )
