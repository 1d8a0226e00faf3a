"""bash completion: subcommands and per-command options (bash-completion's helpers stubbed)."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import CONTRIB, have

# Minimal stand-ins for bash-completion's _init_completion and _filedir, so the test does not
# need the bash-completion package; they set the same variables the real ones do.
STUBS = r"""
_init_completion() { words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; cur=${COMP_WORDS[COMP_CWORD]};
                     prev=${COMP_WORDS[COMP_CWORD-1]}; }
_filedir() { COMPREPLY=("FILEDIR:${1:-}"); }
"""


def complete(line: str) -> list:
    words = line.split(" ")
    script = STUBS + f"source {CONTRIB / 'completion/rtkdump.bash'}\n" + \
        "COMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + f")\nCOMP_CWORD={len(words) - 1}\n" + \
        '_rtkdump; printf "%s\\n" "${COMPREPLY[@]}"\n'
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


pytestmark = pytest.mark.skipif(not have("bash"), reason="needs bash")


def test_subcommands():
    assert complete("rtkdump ") == ["validate", "facts", "plan", "apply", "status", "history", "--version", "--help"]
    assert complete("rtkdump st") == ["status"]


def test_options_per_command():
    assert "--textfile-dir" in complete("rtkdump apply --")
    assert "--yes-crash-this-host" in complete("rtkdump apply --")
    assert "--crash-test" not in complete("rtkdump plan --")
    assert complete("rtkdump plan --j") == ["--json"]


def test_arguments():
    assert complete("rtkdump plan ") == ["FILEDIR:@(yaml|yml)"]
    assert complete("rtkdump apply ") == ["FILEDIR:@(yaml|yml|json)"]
    assert complete("rtkdump plan s.yaml --root ") == ["FILEDIR:-d"]
