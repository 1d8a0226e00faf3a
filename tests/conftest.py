"""Counts the hardening tests report at the end of a run (issue 10: "the test run prints the counts")."""

from __future__ import annotations

from pathlib import Path

import pytest
from _counts import COUNTS

BAD_STATES = Path(__file__).resolve().parent / "bad_states"
PLAN_OUTPUT_SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "plan-output.schema.json"


@pytest.fixture(scope="session")
def plan_output_validator():
    """A validator for schemas/plan-output.schema.json on the jsonschema installed.

    jsonschema 3.2 (RHEL 9's) has no 2020-12: Draft 7 checks all but prefixItems there. (Its
    ``jsonschema.validate`` would pick a validator from ``$schema`` and warn that it knows none.)
    """
    import json

    import jsonschema

    schema = json.loads(PLAN_OUTPUT_SCHEMA.read_text())
    return getattr(jsonschema, "Draft202012Validator", jsonschema.Draft7Validator)(schema)


@pytest.fixture
def tally():
    """tally("kill points") / tally("fuzz examples", n): add to the end-of-run summary."""

    def add(kind: str, n: int = 1) -> None:
        COUNTS[kind] += n

    return add


def pytest_terminal_summary(terminalreporter):
    counts = dict(COUNTS)
    counts.setdefault("bad inputs (tests/bad_states)", len(list(BAD_STATES.glob("*.yaml"))))
    line = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    terminalreporter.write_sep("-", "rtkdump hardening counts")
    terminalreporter.write_line(line + " (each passed test: nothing lost)")
