"""The plain git pre-commit hook (contrib/git/pre-commit) and the pre-commit framework hook."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import CONTRIB, REPO, TOOLS_VENV, bindir, have, tool_env

pytestmark = pytest.mark.skipif(not have("git", "bash"), reason="needs git and bash")

GOOD = (REPO / "states/default.yaml").read_text()
BAD = "version: 1\ncrashkernel:\n  value: lots\n"


def git(repo: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env or tool_env())


@pytest.fixture
def repo(tmp_path) -> Path:
    repo = tmp_path / "fleet"
    repo.mkdir()
    assert git(repo, "init", "-q").returncode == 0
    git(repo, "config", "user.email", "ci@example.invalid")
    git(repo, "config", "user.name", "CI")
    hook = repo / ".git/hooks/pre-commit"
    shutil.copy2(CONTRIB / "git/pre-commit", hook)
    hook.chmod(0o755)
    return repo


def commit(repo: Path, path: str, text: str, env=None) -> subprocess.CompletedProcess:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    git(repo, "add", path)
    return git(repo, "commit", "-q", "-m", f"add {path}", env=env)


def test_accepts_a_good_state_file(repo):
    proc = commit(repo, "states/rt-host.yaml", GOOD)
    assert proc.returncode == 0, proc.stderr
    assert git(repo, "log", "--oneline").stdout.count("\n") == 1


def test_refuses_a_bad_state_file_with_the_tools_message(repo):
    proc = commit(repo, "states/rt-host.yaml", BAD)
    assert proc.returncode == 1
    # rtkdump's own message, with the path as it is in the repository (not the temp copy).
    assert "states/rt-host.yaml:3:" in proc.stderr and "crashkernel.value" in proc.stderr
    assert "refused the staged state file" in proc.stderr
    assert git(repo, "log", "--oneline").returncode != 0  # no commit was made


def test_checks_the_staged_content_not_the_work_tree(repo):
    (repo / "states").mkdir()
    (repo / "states/a.yaml").write_text(BAD)
    git(repo, "add", "states/a.yaml")
    (repo / "states/a.yaml").write_text(GOOD)  # fixed on disk, not re-added
    assert git(repo, "commit", "-q", "-m", "x").returncode == 1


def test_ignores_yaml_outside_the_state_dirs(repo):
    assert commit(repo, "ci/pipeline.yaml", BAD).returncode == 0


def test_state_dirs_are_configurable(repo):
    git(repo, "config", "rtkdump.stateDirs", "hosts/rt")
    assert commit(repo, "states/not-a-state.yaml", BAD).returncode == 0
    proc = commit(repo, "hosts/rt/node1.yaml", BAD)
    assert proc.returncode == 1 and "hosts/rt/node1.yaml:3:" in proc.stderr


def test_missing_rtkdump_is_an_error_not_a_pass(repo, tmp_path):
    env = tool_env({"RTKDUMP": str(tmp_path / "no-such-rtkdump")})
    proc = commit(repo, "states/rt-host.yaml", GOOD, env=env)
    assert proc.returncode == 1 and "not found" in proc.stderr


def test_pre_commit_framework_hook_definition():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "rtkdump-validate"
    assert hook["entry"] == "rtkdump validate"
    assert hook["language"] == "python"
    import re

    pattern = re.compile(hook["files"])
    assert pattern.search("states/default.yaml") and pattern.search("site/states/rt.yml")
    assert not pattern.search("ci/pipeline.yaml")
    # The entry with the files pre-commit would pass: good passes, bad fails.
    rtkdump = str(bindir() / "rtkdump")
    assert (
        subprocess.run(
            [rtkdump, "validate", str(REPO / "states/default.yaml")], capture_output=True
        ).returncode
        == 0
    )


@pytest.mark.slow
@pytest.mark.skipif(
    not (TOOLS_VENV / "bin/pre-commit").exists(),
    reason=f"pre-commit not installed in {TOOLS_VENV} (contrib/ci-checks.sh does it)",
)
def test_pre_commit_framework_runs_the_hook_from_this_repository(tmp_path):
    """The real pre-commit: `try-repo` installs this repository into its own environment, as a
    user's `.pre-commit-config.yaml` would, and runs rtkdump-validate on the state files."""
    repo = tmp_path / "fleet"
    (repo / "states").mkdir(parents=True)
    assert git(repo, "init", "-q").returncode == 0
    (repo / "states/good.yaml").write_text(GOOD)
    (repo / "states/bad.yaml").write_text(BAD)
    (repo / "ci.yaml").write_text(BAD)  # not a state file: the hook's files pattern skips it
    git(repo, "add", ".")
    env = tool_env({"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache")})
    base = [str(TOOLS_VENV / "bin/pre-commit"), "try-repo", str(REPO), "rtkdump-validate"]
    good = subprocess.run(
        [*base, "--files", "states/good.yaml", "ci.yaml"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    bad = subprocess.run(
        [*base, "--files", "states/good.yaml", "states/bad.yaml"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert bad.returncode == 1
    assert "states/bad.yaml:3:10: crashkernel.value" in bad.stdout
