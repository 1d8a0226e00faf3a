#!/usr/bin/python
# -*- coding: utf-8 -*-
# Ansible module conventions (checked by ansible-test sanity) over the project's ruff rules:
# the boilerplate header, imports after DOCUMENTATION/EXAMPLES/RETURN, %-formatting.
# ruff: noqa: E402, UP009, UP010, UP001, UP031
# Copyright: rtkdump developers
# GNU General Public License v2.0+ (see https://www.gnu.org/licenses/old-licenses/gpl-2.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apply
short_description: Converge kdump on a RHEL for Real Time host with rtkdump
version_added: "0.1.0"
description:
  - Runs C(rtkdump apply --json) on the managed host, or C(rtkdump plan --json) in check mode.
  - rtkdump stops at the reboot barrier (the C(crashkernel=) reservation only exists after a
    reboot); the module then returns RV(reboot_required=true) and the play reboots and runs it again.
  - In diff mode the file changes of the plan (C(/etc/kdump.conf), C(/etc/sysconfig/kdump)) are
    returned as before/after diffs.
options:
  state_file:
    description:
      - Path of the rtkdump state file on the managed host.
      - Defaults to C(/etc/rtkdump/state.yaml) when O(state) is not given either.
    type: path
  state:
    description:
      - The state itself, as a dict or as YAML text. It is written to a temporary file with mode
        0600 on the managed host, used, and removed.
      - Mutually exclusive with O(state_file).
    type: raw
  root:
    description:
      - Act on the host tree under this directory (C(rtkdump --root)), for image builds and tests.
    type: path
  crash_test:
    description:
      - Once the host is converged, crash it with sysrq to prove that a vmcore is written
        (C(--crash-test --yes-crash-this-host)). The host panics and reboots; the next run records
        the result. Ignored in check mode.
    type: bool
    default: false
  lock_timeout:
    description:
      - Seconds to wait for another rtkdump apply on the host to finish.
    type: float
    default: 60
  executable:
    description:
      - The rtkdump command, a name on E(PATH) or a path.
    type: str
    default: rtkdump
notes:
  - Check mode runs C(rtkdump plan), which reads the host and writes nothing.
  - Exit status 2 of rtkdump (changes pending, waiting for a reboot) is not a failure.
attributes:
  check_mode:
    description: Runs C(rtkdump plan), which reads the host and writes nothing.
    support: full
  diff_mode:
    description: Returns the plan's file changes as before/after diffs.
    support: full
requirements:
  - rtkdump on the managed host
author:
  - rtkdump developers (@rtkdump)
"""

EXAMPLES = r"""
- name: Converge kdump to the state file kept on the host
  rtkdump.kdump.apply:
    state_file: /etc/rtkdump/state.yaml
  register: kdump

- name: Reboot at the barrier
  ansible.builtin.reboot:
  when: kdump.reboot_required

- name: Converge to a state given inline
  rtkdump.kdump.apply:
    state:
      version: 1
      crashkernel:
        value: recommended
        entries: realtime
      reboot:
        policy: manual

- name: What would change (writes nothing)
  rtkdump.kdump.apply:
    state_file: /etc/rtkdump/state.yaml
  check_mode: true
  diff: true
"""

RETURN = r"""
changed:
  description: Whether anything was (or, in check mode, would be) changed.
  returned: always
  type: bool
reboot_required:
  description: True when rtkdump stopped at the reboot barrier and waits for a reboot.
  returned: always
  type: bool
rebooting:
  description: True when rtkdump itself asked for a reboot (C(reboot.policy=automatic)) or triggered the crash test.
  returned: always
  type: bool
barrier:
  description: Why a reboot is needed (the barrier's reason), or null.
  returned: always
  type: str
actions:
  description: The actions done (or in check mode, planned before the barrier and after it), each with C(id) and C(summary).
  returned: always
  type: list
  elements: dict
plan:
  description: The plan as C(rtkdump plan --json) printed it (format C(rtkdump-plan/1)).
  returned: always
  type: dict
report:
  description: The apply report as C(rtkdump apply --json) printed it (format C(rtkdump-apply/1)); empty in check mode.
  returned: always
  type: dict
msg:
  description: What happened, or rtkdump's own error message when it failed.
  returned: always
  type: str
fix:
  description: rtkdump's suggested fix when it failed.
  returned: failure
  type: str
exit_code:
  description:
    - Exit status of the last rtkdump command (0 converged, 2 changes pending or waiting for a reboot, 1 failed).
    - Not called C(rc), which Ansible would read as a failure whenever it is not 0.
  returned: always
  type: int
stderr:
  description: Standard error of the last rtkdump command (progress lines, errors).
  returned: always
  type: str
"""

import json
import os
import tempfile
from typing import Any, Dict, List, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

DEFAULT_STATE_FILE = "/etc/rtkdump/state.yaml"


def parse_json(text: Optional[str]) -> Optional[Dict[str, Any]]:
    """The JSON document rtkdump printed on stdout, or None."""
    text = (text or "").strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def error_from(stdout: str, stderr: str) -> Tuple[str, Optional[str]]:
    """rtkdump's message and fix: from the --json error document when it prints one
    ({"error": {"phase", "message", "fix", ...}}), else from its text on stderr
    ("<phase> error: <message>" then "  fix: <fix>")."""
    doc = parse_json(stdout)
    if doc and isinstance(doc.get("error"), dict):
        err = doc["error"]
        message = err.get("message") or ""
        location = err.get("location")
        if location and location not in message:
            message = "%s: %s" % (location, message)
        return message, err.get("fix")
    lines = [line for line in (stderr or "").splitlines() if line.strip()]
    fix = None
    message_lines = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("fix:"):
            fix = stripped[len("fix:"):].strip()
        elif not stripped.startswith("rtkdump: "):  # progress lines are not the error
            message_lines.append(stripped)
    message = "\n".join(message_lines) or "rtkdump failed without a message"
    return message, fix


def plan_actions(plan: Dict[str, Any]) -> List[Dict[str, str]]:
    return [{"id": a["id"], "summary": a["summary"]}
            for phase in plan.get("phases", []) for a in phase.get("actions", [])]


def plan_barrier(plan: Dict[str, Any]) -> Optional[str]:
    for phase in plan.get("phases", []):
        barrier = phase.get("barrier")
        if barrier:
            return barrier.get("reason")
    return None


def plan_diff(plan: Dict[str, Any]) -> List[Dict[str, str]]:
    """Ansible diffs for the plan's file actions: before/after text with the path as header."""
    diffs = []
    for phase in plan.get("phases", []):
        for action in phase.get("actions", []):
            if not action.get("write") and not action.get("diff"):
                continue  # packages, boot entries, services: listed in actions, not file diffs
            path = (action.get("write") or {}).get("path") or action["id"]
            diffs.append({
                "before_header": path,
                "after_header": path,
                "before": action.get("before") or "",
                "after": action.get("after") or "",
            })
    return diffs


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            state_file=dict(type="path"),
            state=dict(type="raw"),
            root=dict(type="path"),
            crash_test=dict(type="bool", default=False),
            lock_timeout=dict(type="float", default=60),
            executable=dict(type="str", default="rtkdump"),
        ),
        mutually_exclusive=[["state_file", "state"]],
        supports_check_mode=True,
    )
    p = module.params
    executable = p["executable"]
    if os.sep not in executable:
        executable = module.get_bin_path(executable, required=True)

    temp_path = None
    state_file = p["state_file"]
    if p["state"] is not None:
        state = p["state"]
        if isinstance(state, dict):
            # JSON is YAML: no YAML library needed on the managed host.
            text = json.dumps(state, indent=2, sort_keys=True) + "\n"
        elif isinstance(state, str):
            text = state
        else:
            module.fail_json(msg="state must be a dict or a YAML string, not %s" % type(state).__name__)
        fd, temp_path = tempfile.mkstemp(prefix="rtkdump-state-", suffix=".yaml")
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        state_file = temp_path
    elif state_file is None:
        state_file = DEFAULT_STATE_FILE

    try:
        run(module, executable, state_file, p)
    finally:
        if temp_path is not None and os.path.exists(temp_path):
            os.unlink(temp_path)


def rtkdump(module: AnsibleModule, argv: List[str]) -> Tuple[int, str, str]:
    """Run rtkdump (an argv list, never a shell string); 0 and 2 are not failures."""
    rc, out, err = module.run_command(argv, check_rc=False, environ_update={"NO_COLOR": "1"})
    return rc, out, err


def fail(module: AnsibleModule, what: str, rc: int, out: str, err: str, **extra: Any) -> None:
    message, fix = error_from(out, err)
    result = dict(changed=extra.pop("changed", False), exit_code=rc, stderr=err, msg="rtkdump %s failed: %s" % (what, message),
                  reboot_required=False, rebooting=False, barrier=None, actions=[], plan={}, report={})
    if fix:
        result["fix"] = fix
    result.update(extra)
    module.fail_json(**result)


def run(module: AnsibleModule, executable: str, state_file: str, p: Dict[str, Any]) -> None:
    root = ["--root", p["root"]] if p["root"] else []
    plan_argv = [executable, "plan", state_file, "--json"] + root
    rc, out, err = rtkdump(module, plan_argv)
    if rc not in (0, 2):
        fail(module, "plan", rc, out, err)
    plan = parse_json(out)
    if plan is None:
        fail(module, "plan", rc, out, err + "\nrtkdump plan --json printed no JSON document")
    diff = plan_diff(plan) if module._diff else None

    if module.check_mode:
        result = dict(changed=(rc == 2), exit_code=rc, stderr=err, plan=plan, report={}, actions=plan_actions(plan),
                      barrier=plan_barrier(plan), reboot_required=False, rebooting=False,
                      msg="converged" if rc == 0 else "changes pending")
        if diff is not None:
            result["diff"] = diff
        module.exit_json(**result)

    apply_argv = [executable, "apply", state_file, "--json", "--lock-timeout", str(p["lock_timeout"])] + root
    if p["crash_test"]:
        apply_argv += ["--crash-test", "--yes-crash-this-host"]
    rc, out, err = rtkdump(module, apply_argv)
    report = parse_json(out)
    if rc not in (0, 2) or report is None or "error" in report:
        if report is None and rc in (0, 2):
            err = err + "\nrtkdump apply --json printed no JSON document"
        extra = {"plan": plan}
        if report and "error" not in report:
            extra["report"] = report
            extra["actions"] = report.get("done", [])
            extra["changed"] = bool(report.get("done"))
        fail(module, "apply", rc, out, err, **extra)

    result_kind = report.get("result")
    done = report.get("done") or []
    changed = bool(done) or result_kind in ("rebooting", "crash-test-triggered")
    result = dict(
        changed=changed, exit_code=rc, stderr=err, plan=plan, report=report, actions=done,
        barrier=report.get("barrier"),
        reboot_required=(result_kind == "waiting-for-reboot"),
        rebooting=result_kind in ("rebooting", "crash-test-triggered"),
        msg=to_native(result_kind or "done"),
    )
    if diff is not None and changed:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
