"""bash completion: subcommands and per-command options (bash-completion's helpers stubbed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

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
    script = (
        STUBS
        + f"source {CONTRIB / 'completion/rtkdump.bash'}\n"
        + "COMP_WORDS=("
        + " ".join(f"'{w}'" for w in words)
        + f")\nCOMP_CWORD={len(words) - 1}\n"
        + '_rtkdump; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


pytestmark = pytest.mark.skipif(not have("bash"), reason="needs bash")


def test_subcommands():
    assert complete("rtkdump ") == [
        "validate",
        "facts",
        "plan",
        "apply",
        "status",
        "history",
        "--version",
        "--help",
    ]
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


BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")


@pytest.mark.skipif(not BASH_COMPLETION.exists(), reason="needs the bash-completion package")
def test_with_the_real_bash_completion(tmp_path):
    """The real _init_completion and _filedir: state files are offered, other files are not."""
    for name in ("a.yaml", "b.yml", "c.json", "d.txt"):
        (tmp_path / name).write_text("")
    (tmp_path / "sub").mkdir()

    def real(line: str) -> list:
        words = line.split(" ")
        script = (
            f"source {BASH_COMPLETION}\nsource {CONTRIB / 'completion/rtkdump.bash'}\n"
            "COMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + f")\nCOMP_CWORD={len(words) - 1}\n"
            f"COMP_LINE='{line}'\nCOMP_POINT={len(line)}\n"
            '_rtkdump; printf "%s\\n" "${COMPREPLY[@]}"\n'
        )
        proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        return sorted(proc.stdout.split())

    assert real("rtkdump pl") == ["plan"]
    assert real("rtkdump plan ") == ["a.yaml", "b.yml", "sub"]
    assert real("rtkdump apply ") == ["a.yaml", "b.yml", "c.json", "sub"]
    assert real("rtkdump plan a.yaml --root ") == ["sub"]
