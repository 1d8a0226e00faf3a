"""The man page and the bash completion name every option the CLI has (and the CLI has every
option they name, except the planned ones of docs/deploy.md, section 6)."""

from __future__ import annotations

import argparse
import re

from reconciler.cli import build_parser

from .conftest import CONTRIB

# Documented ahead of the reconciler (docs/deploy.md, section 6).
PLANNED = {
    "status": {"--json", "--textfile-dir", "--root"},
    "history": {"--json", "--root"},
    "apply": {"--textfile-dir"},
}


def cli_options() -> dict:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: {s for a in p._actions for s in a.option_strings if s.startswith("--") and s != "--help"}
        for name, p in sub.choices.items()
    }


def man_text() -> str:
    # roff escapes the hyphens of options as \-
    return (CONTRIB / "man/rtkdump.8").read_text().replace("\\-", "-")


def test_man_page_names_every_command_and_option():
    text = man_text()
    for command, options in cli_options().items():
        assert re.search(rf"^\.(B|BI|BR|TP)\s+{command}\b", text, re.M), command
        for option in options:
            assert option in text, f"{command} {option}"


def test_completion_offers_every_option():
    script = (CONTRIB / "completion/rtkdump.bash").read_text()
    for command, options in cli_options().items():
        line = re.search(rf"^\s+{command}\) opts=\"([^\"]*)\"", script, re.M)
        assert line, command
        offered = set(line.group(1).replace("$common", "--root --timeout --help").split())
        assert options <= offered, f"{command}: {options - offered}"
        unknown = offered - options - {"--help", "-o"} - PLANNED.get(command, set())
        assert not unknown, f"{command}: completion offers {unknown}, which the CLI does not have"
