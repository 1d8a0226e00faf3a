"""Every conformance state on every release: a kdump.conf the real rules accept, or a clear refusal.

tests/fixtures/conformance-states/*.yaml cover each target type, core_collector
forms, failure/final actions, extra directives and the issue-9 cases.  The
first line says what must happen:

- ``# expect: accept``: validate and plan pass on every release, and the
  kdump.conf rtkdump writes is one the rules of that release accept (no real
  error, no rtkdump refusal);
- ``# expect: refuse-validate``: ``rtkdump validate`` refuses it (located);
- ``# expect: refuse-plan R1 R2 | all``: plan refuses it on those releases
  (exit 1, nothing written), the others accept as above.

``# host-files: /path:mode ...`` are created on the fixture host.  The rules
are reconciler/rules/kdumpctl (docs/kdumpctl-rules.md), applied with the
host's files, as kdumpctl start would see them.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from fixturehost import RELEASES, FixtureHost

from reconciler import cli
from reconciler.errors import PlanError, StateFileError
from reconciler.host import Host
from reconciler.plan.planner import plan_for
from reconciler.rules import kdumpctl as rules
from reconciler.state import load_state

STATES = sorted((Path(__file__).parent / "fixtures" / "conformance-states").glob("*.yaml"))
LOCATED = re.compile(r"^\S+\.yaml:\d+:\d+: ")


def _header(path: Path):
    lines = path.read_text().splitlines()
    m = re.match(r"# expect: (accept|refuse-validate|refuse-plan)(?: (.+))?$", lines[0])
    assert m, path
    files = {}
    if lines[1].startswith("# host-files: "):
        for item in lines[1][len("# host-files: ") :].split():
            p, mode = item.rsplit(":", 1)
            files[p] = int(mode, 8)
    refused = set()
    if m.group(1) == "refuse-plan":
        refused = set(RELEASES) if m.group(2) == "all" else set(m.group(2).split())
    return m.group(1), refused, files


def _host(tmp_path: Path, release: str, files) -> Path:
    root = FixtureHost(release=release, installed=("kexec-tools",), dirs=("/var/crash",)).write(
        tmp_path / "h"
    )
    for p, mode in files.items():
        f = root / p.lstrip("/")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("#!/bin/sh\n")
        os.chmod(f, mode)
    return root


def _view(root: Path) -> rules.HostView:
    def under(p: str) -> Path:
        return root / p.lstrip("/")

    return rules.HostView(
        exists=lambda p: under(p).exists(),
        is_file=lambda p: under(p).is_file(),
        is_executable=lambda p: under(p).is_dir() or os.access(under(p), os.X_OK),
    )


def _snapshot(root: Path):
    # apply's own lock file (/run/rtkdump.lock) is the one file a refused apply may leave
    return {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file() and p.name != "rtkdump.lock"}


def test_enough_states():
    assert len(STATES) >= 30


@pytest.mark.parametrize("release", sorted(RELEASES))
@pytest.mark.parametrize("path", STATES, ids=[p.stem for p in STATES])
def test_state_on_release(tmp_path, path, release):
    expect, refused, files = _header(path)
    if expect == "refuse-validate":
        with pytest.raises(StateFileError) as info:
            load_state(str(path))
        assert LOCATED.match(info.value.render()), info.value.render()
        return
    desired = load_state(str(path))
    root = _host(tmp_path, release, files)
    if release in refused:
        with pytest.raises(PlanError) as info:
            plan_for(Host.open(str(root)), desired)
        assert info.value.location and LOCATED.match(info.value.location + ": "), info.value.location
        before = _snapshot(root)
        out, err = io.StringIO(), io.StringIO()
        assert cli.main(["apply", str(path), "--root", str(root)], out, err) == 1, out.getvalue()
        assert _snapshot(root) == before  # nothing written
        assert "error" in err.getvalue() or "error" in out.getvalue()
        return
    plan = plan_for(Host.open(str(root)), desired)
    text = next(a.after for a in plan.actions if a.id == "file:/etc/kdump.conf")
    rel = rules.release_for(int(release.split(".")[0]), int(release.split(".")[1]))
    findings = rules.check_kdump_conf(text, rel, _view(root))
    shown = [(f.lineno, f.rule, f.message) for f in findings]
    assert rules.tool_verdict(findings) == "accept", (text, shown)
    assert rules.rtkdump_verdict(findings) == "accept", (text, shown)
    assert '"' not in text.split("\n\n", 1)[1]  # never quoted
