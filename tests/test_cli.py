"""The CLI as a user runs it: exit codes, output formats, colour rules."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixturehost import FixtureHost, converged

from reconciler.cli import main

REPO = Path(__file__).resolve().parent.parent
DEFAULT_STATE = str(REPO / "states" / "default.yaml")
EXAMPLE = str(REPO / "examples" / "rhel9-rt-host")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def converged_root(tmp_path, release="9.4"):
    fx = converged(release)
    rc, out, _ = run("plan", DEFAULT_STATE, "--root", str(fx.write(tmp_path / "probe")), "--json")
    for phase in json.loads(out)["phases"]:
        for a in phase["actions"]:
            if a["id"] == "file:/etc/kdump.conf":
                fx.kdump_conf = a["after"]
            elif a["resource"] == "kernel-hook":
                fx.files[a["write"]["path"]] = a["after"]
    return fx.write(tmp_path / "host")


def test_plan_on_the_bundled_example_shows_the_whole_story_and_exits_2():
    rc, out, err = run("plan", DEFAULT_STATE, "--root", EXAMPLE)
    assert rc == 2, err
    lines = out.splitlines()
    barrier = next(i for i, line in enumerate(lines) if "reboot barrier" in line)
    before, after = "\n".join(lines[:barrier]), "\n".join(lines[barrier:])
    assert "+ install realtime-setup, kexec-tools (dnf)" in before
    assert "+rt: no crashkernel= -> crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M" in before
    assert "+++ /etc/kdump.conf" in before and "+ enable kdump.service" in before
    assert "+ start kdump.service" in after and "? verify the crash kernel is loaded" in after
    assert "x86_64: no crashkernel=" not in out, "the non-RT entry is not touched"
    assert lines[-1].startswith("Plan: ") and "1 reboot" in lines[-1]
    assert "\033[" not in out, "no colour when not on a terminal"


def test_plan_json_matches_its_schema(tmp_path, plan_output_validator):
    rc, out, _ = run("plan", DEFAULT_STATE, "--root", EXAMPLE, "--json", "-o", str(tmp_path / "plan.json"))
    assert rc == 2
    data = json.loads(out)
    plan_output_validator.validate(data)
    assert json.loads((tmp_path / "plan.json").read_text()) == data
    assert data["phases"][0]["barrier"]["reason"] and data["phases"][1]["barrier"] is None


@pytest.mark.parametrize("release", ["7.9", "9.4"])
def test_plan_exits_0_on_a_converged_host_and_says_why(tmp_path, release):
    rc, out, err = run("plan", DEFAULT_STATE, "--root", str(converged_root(tmp_path, release)))
    assert rc == 0, out + err
    assert "Nothing to do: converged" in out
    assert "= service:kdump.service:running: kdump.service is active and the crash kernel is loaded" in out


def test_bad_state_exits_1_with_file_line_column_and_touches_no_host(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ncrashkernel:\n  valeu: 256M\n")
    root = FixtureHost(release="9.4").write(tmp_path / "host")
    rc, out, err = run("plan", str(bad), "--root", str(root))
    assert rc == 1 and out == ""
    assert err.startswith(f"{bad}:3:3:")


def test_validate_reports_each_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nreboot:\n  policy: sometimes\n")
    rc, out, err = run("validate", DEFAULT_STATE, str(bad))
    assert rc == 1
    assert f"{DEFAULT_STATE}: valid" in out and str(bad) in err
    assert run("validate", DEFAULT_STATE)[0] == 0


def test_plan_error_exits_1_and_names_the_field(tmp_path):
    state = tmp_path / "auto.yaml"
    state.write_text("version: 1\ncrashkernel:\n  value: auto\n")
    rc, out, err = run("plan", str(state), "--root", EXAMPLE)
    assert rc == 1
    assert f"{state}:3:10: crashkernel.value: plan error: crashkernel=auto is not supported on RHEL 9" in err
    assert "fix:" in err


def test_facts_json_has_every_fact_known_or_unknown_with_a_reason():
    rc, out, _ = run("facts", "--root", EXAMPLE, "--json")
    assert rc == 0
    facts = json.loads(out)["facts"]
    assert facts["os_release"]["value"]["version_id"] == "9.4"
    assert facts["running_kernel"]["value"]["is_rt"] is True
    assert facts["packages"]["value"]["missing"] == ["realtime-setup", "kexec-tools"]  # RHEL 9's set
    assert facts["iomem_crash"]["value"]["regions"] == [] and facts["iomem_crash"]["value"]["total"] == 0
    for name, fact in facts.items():
        assert fact["known"] or fact["unknown"], name
    rc, out, _ = run("facts", "--root", EXAMPLE)
    assert "running_kernel" in out and "from file /proc/sys/kernel/osrelease" in out


def test_unknown_facts_are_said_not_guessed(tmp_path):
    root = FixtureHost(release="9.4", reserved=(256 * 1024**2,), iomem_hidden=True).write(tmp_path / "host")
    (root / "sys/kernel/kexec_crash_size").unlink()
    rc, out, _ = run("facts", "--root", str(root), "--json")
    facts = json.loads(out)["facts"]
    assert facts["iomem_crash"]["unknown"].startswith("/proc/iomem shows all-zero")
    assert facts["kexec_crash_size"]["unknown"] == "/sys/kernel/kexec_crash_size: file not found"
    rc, out, _ = run("plan", DEFAULT_STATE, "--root", str(root))
    assert "? unknown: could not check whether crash memory is reserved now" in out


def test_color_only_on_a_tty_and_never_with_no_color(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    monkeypatch.delenv("NO_COLOR", raising=False)
    main(["plan", DEFAULT_STATE, "--root", EXAMPLE], out=out, err=io.StringIO())
    assert "\033[" in out.getvalue()
    out = Tty()
    monkeypatch.setenv("NO_COLOR", "1")
    main(["plan", DEFAULT_STATE, "--root", EXAMPLE], out=out, err=io.StringIO())
    assert "\033[" not in out.getvalue()


def test_python_m_reconciler_runs_the_same_cli():
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", DEFAULT_STATE, "--root", EXAMPLE],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "reboot barrier" in proc.stdout


def test_usage_errors_exit_1():
    assert run("plan")[0] == 1
    assert run("frobnicate")[0] == 1


BAD_STATES = sorted((Path(__file__).resolve().parent / "bad_states").glob("*.yaml"))


@pytest.mark.parametrize("bad", BAD_STATES, ids=lambda p: p.name)
def test_every_bad_state_exits_1_with_one_located_error_and_no_host_access(tmp_path, bad):
    root = FixtureHost(release="9.4").write(tmp_path / "host")
    (root / ".rtkdump-recorded/commands.json").write_text("not json: any command run would crash the replay")
    rc, out, err = run("plan", str(bad), "--root", str(root))
    assert rc == 1 and out == ""
    first = err.splitlines()[0]
    assert first.startswith(f"{bad}:"), first
    line_col = first[len(str(bad)) + 1 :].split(":")[:2]
    assert all(part.isdigit() for part in line_col), first
    assert sum(1 for line in err.splitlines() if line.startswith(str(bad))) == 1


def test_the_bundled_example_host_is_what_the_fixture_builder_makes(tmp_path):
    import fixturehost

    fixturehost.main([str(tmp_path / "example"), "9.4"])
    made = {
        p.relative_to(tmp_path / "example"): p.read_bytes()
        for p in (tmp_path / "example").rglob("*")
        if p.is_file()
    }
    bundled = {p.relative_to(EXAMPLE): p.read_bytes() for p in Path(EXAMPLE).rglob("*") if p.is_file()}
    assert made == bundled, "regenerate: python3 tests/fixturehost.py examples/rhel9-rt-host 9.4"


def test_long_runs_of_removed_comments_are_folded_for_the_terminal_only(tmp_path):
    from reconciler.render import fold_comment_runs

    diff = ["@@ -1,12 +1,2 @@"] + [f"-# line {i}" for i in range(10)] + ["+path /var/crash", "-#a", "-#b"]
    folded = fold_comment_runs(diff)
    assert folded[:4] == ["@@ -1,12 +1,2 @@", "-# line 0", "-# line 1", "-# line 2"]
    assert folded[4] == "-# ... 6 more removed comment lines (the whole diff: --json)"
    assert folded[5:] == ["-# line 9", "+path /var/crash", "-#a", "-#b"]
    root = FixtureHost(release="7.9", installed=("kexec-tools",)).write(tmp_path / "host")
    rc, text, _ = run("plan", DEFAULT_STATE, "--root", str(root))
    rc, js, _ = run("plan", DEFAULT_STATE, "--root", str(root), "--json")
    assert "more removed comment lines" in text
    diffs = [a["diff"] for p in json.loads(js)["phases"] for a in p["actions"] if a["diff"]]
    assert "-# This file contains a series of commands" in diffs[0] and "more removed" not in diffs[0]


@pytest.mark.parametrize("bad", BAD_STATES, ids=lambda p: p.name)
def test_apply_with_a_bad_state_changes_nothing_on_the_host(tmp_path, bad):
    from test_planner import tree_digest

    root = FixtureHost(release="9.4").write(tmp_path / "host")
    before = tree_digest(root)
    rc, out, err = run("apply", str(bad), "--root", str(root))
    assert rc == 1 and err.startswith(f"{bad}:")
    assert tree_digest(root) == before
    assert not (root / "run").exists() and not (root / "var").exists(), "not even the lock or the journal"


def test_apply_verdict_is_coloured_only_when_asked():
    from reconciler.apply.report import ApplyReport, render_apply

    report = ApplyReport(run_id="r", state_file="s.yaml", result="converged", exit_code=0)
    assert "\033[32m" in render_apply(report, color=True)
    assert "\033[" not in render_apply(report)


@pytest.mark.parametrize("columns", ["50", "100", "0", "junk", None])
def test_help_is_what_argparse_prints_at_the_same_width(columns, monkeypatch) -> None:
    # rtkdump's formatter only avoids importing shutil; the help must not change
    import argparse
    import shutil

    from reconciler import cli

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert cli.terminal_columns() == shutil.get_terminal_size().columns

    def helps(parser: argparse.ArgumentParser) -> list:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return [parser.format_help()] + [p.format_help() for p in sub.choices.values()]

    ours = helps(cli.build_parser())
    monkeypatch.setattr(cli, "HelpFormatter", argparse.HelpFormatter)
    assert ours == helps(cli.build_parser())


@pytest.fixture
def gathered(monkeypatch) -> list:
    """The FactRequest of every gather (PendingFacts.facts: one read of the host) in this test."""
    import reconciler.facts

    real = reconciler.facts.PendingFacts.facts
    seen: list = []

    def counting(pending):
        seen.append(pending.request)
        return real(pending)

    monkeypatch.setattr(reconciler.facts.PendingFacts, "facts", counting)
    return seen


def test_a_converged_apply_writes_its_metrics_from_its_own_facts(tmp_path, gathered) -> None:
    # the packaged cron line runs apply --textfile-dir: converged, it reads the host once
    if os.geteuid() != 0:
        pytest.skip("apply runs as root")
    root = converged_root(tmp_path)
    textfile = tmp_path / "prom"
    textfile.mkdir()
    gathered.clear()  # the probe plan that built the host
    rc, out, err = run("apply", DEFAULT_STATE, "--root", str(root), "--textfile-dir", str(textfile))
    assert rc == 0, out + err
    assert len(gathered) == 1
    from_apply = (textfile / "rtkdump.prom").read_text()
    rc, out, err = run("status", "--root", str(root), "--textfile-dir", str(textfile))
    from_status = (textfile / "rtkdump.prom").read_text()
    assert len(gathered) == 2

    def host_lines(prom: str) -> set:  # what the facts say, not the report or the clock
        return {line for line in prom.splitlines() if "last_apply" not in line and "timestamp" not in line}

    assert host_lines(from_status) == host_lines(from_apply)
    assert "rtkdump_crash_kernel_loaded 1" in from_apply


def test_metrics_after_a_failed_apply_read_the_host_again(tmp_path, gathered) -> None:
    if os.geteuid() != 0:
        pytest.skip("apply runs as root")
    root = converged_root(tmp_path)
    (root / "etc/kdump.conf").write_text("path /var/crash\ncore_collector makedumpfile -c\n")
    textfile = tmp_path / "prom"
    textfile.mkdir()
    gathered.clear()  # the probe plan that built the host
    rc, out, err = run("apply", DEFAULT_STATE, "--root", str(root), "--textfile-dir", str(textfile))
    # kdump.conf is written, then the restart fails (the fixture has no systemctl restart)
    assert rc == 1 and "write /etc/kdump.conf" in err, out + err
    assert len(gathered) == 2  # the run's own, then the host as the failure left it
    assert 'rtkdump_last_apply_result{result="failed"} 1' in (textfile / "rtkdump.prom").read_text()
