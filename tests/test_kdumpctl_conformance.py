"""Both sides against the real tools' verdicts: the reconciler's validator and the simhost kdumpctl.

For every file of tests/fixtures/kdumpconf-corpus (the verdict the real
kdumpctl/mkdumprd of its release gives, read from their source, see
docs/kdumpctl-rules.md) both ``reconciler.formats.kdumpconf_check`` (what
``rtkdump plan`` uses) and ``simhost.kdumprules`` (what the simulated
``kdumpctl start`` uses) must reproduce the verdict and the messages; and on
every release, for every file, the two must say exactly the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.formats.kdumpconf import parse_kdump_conf
from reconciler.formats.kdumpconf_check import validate_kdump_conf
from reconciler.rules import kdumpctl as rules
from simhost import kdumprules

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
    host = kdumprules.HostView.from_dict(v["host"]) if "host" in v else None
    found = kdumprules.check_kdump_conf(text, v["release"], host)
    assert kdumprules.tool_verdict(found) == v["verdict"], found
    assert set(v["messages"]) <= {f.message for f in found}, found


@pytest.mark.parametrize("release", rules.RELEASES)
def test_both_sides_agree_on_every_corpus_file_on_every_release(release):
    for key, v in sorted(VERDICTS.items()):
        text = (CORPUS / key).read_text()
        ours = rules.check_kdump_conf(
            text, release, rules.HostView.from_dict(v["host"]) if "host" in v else None
        )
        sim = kdumprules.check_kdump_conf(
            text, release, kdumprules.HostView.from_dict(v["host"]) if "host" in v else None
        )
        assert [(f.lineno, f.rule, f.severity, f.message) for f in ours] == [
            (f.lineno, f.rule, f.severity, f.message) for f in sim
        ], key


def test_simhost_shares_no_code_with_the_reconciler():
    root = Path(__file__).parent.parent / "simhost"
    for path in root.rglob("*.py"):
        for line in path.read_text().splitlines():
            assert not line.startswith(("import reconciler", "from reconciler")), path
