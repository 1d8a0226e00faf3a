"""Saved plans (`rtkdump plan -o PLAN.json`, then `rtkdump apply PLAN.json`).

A saved plan is never executed as written: apply derives the plan again from
the state file and the current facts, and runs it only when it is the saved
one (same actions, argv, contents).  Whatever differs makes it stale, named.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from ..errors import ApplyError
from ..facts import Facts
from ..plan.model import Plan
from ..state.model import DesiredState

PLAN_FORMAT = "rtkdump-plan/1"


def load_saved_plan(path: str) -> Optional[Dict[str, Any]]:
    """The saved plan in ``path``, or None when it is not one (then it is a state file)."""
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(1)
            if head != "{":
                return None
            data = json.loads(head + fh.read())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) and data.get("format") == PLAN_FORMAT else None


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
