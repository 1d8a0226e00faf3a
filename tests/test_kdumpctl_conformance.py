"""Both sides against the real tools' verdicts: the reconciler's validator and the simhost kdumpctl.

For every file of tests/fixtures/kdumpconf-corpus (the verdict the real
kdumpctl/mkdumprd of its release gives, read from their source, see
docs/kdumpctl-rules.md) both ``reconciler.formats.kdumpconf_check`` (what
``rtkdump plan`` uses) and the rule table itself, as the simulated ``kdumpctl start``
applies it (simhost/kdumpcheck.py), must reproduce the verdict and the messages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.formats.kdumpconf import parse_kdump_conf
from reconciler.formats.kdumpconf_check import validate_kdump_conf
from reconciler.rules import kdumpctl as rules

CORPUS = Path(__file__).parent / "fixtures" / "kdumpconf-corpus"
VERDICTS = json.loads((CORPUS / "verdicts.json").read_text())


def _real(problems) -> str:
    return "refuse" if any(p.severity == "error" for p in problems) else "accept"


@pytest.mark.parametrize("key", sorted(VERDICTS))
def test_reconciler_validator_reproduces_the_verdict(key):
    v = VERDICTS[key]
    text = (CORPUS / key).read_text()
    host = rules.HostView.from_dict(v["host"]) if "host" in v else None
    problems = validate_kdump_conf(parse_kdump_conf(text), v["release"], host)
    assert _real(problems) == v["verdict"], problems
    assert set(v["messages"]) - {p.message for p in problems} <= _rtkdump_messages(text, v, host), problems


def _rtkdump_messages(text, v, host):
    # verdicts.json lists rtkdump's own messages too; the adapter leaves those out by design
    return {f.message for f in rules.check_kdump_conf(text, v["release"], host) if f.origin == "rtkdump"}


@pytest.mark.parametrize("key", sorted(VERDICTS))
def test_simhost_rules_reproduce_the_verdict(key):
    v = VERDICTS[key]
    text = (CORPUS / key).read_text()
    host = rules.HostView.from_dict(v["host"]) if "host" in v else None
    found = rules.check_kdump_conf(text, v["release"], host)
    assert rules.tool_verdict(found) == v["verdict"], found
    assert set(v["messages"]) <= {f.message for f in found}, found


def test_simhost_imports_only_the_rule_table_from_the_reconciler():
    root = Path(__file__).parent.parent / "simhost"
    for path in root.rglob("*.py"):
        for line in path.read_text().splitlines():
            if line.startswith(("import reconciler", "from reconciler")):
                assert line == "from reconciler.rules import kdumpctl as kdumprules", (path, line)
