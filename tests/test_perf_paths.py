"""The cron path's shortcuts (issue 12): commands at once, boot entries without grubby, the schema cache.

Each shortcut is checked against the slow path it replaces: run_many against
one-by-one, the BLS reader against grubby on the simulated hosts, the RHEL 7
default against the 260 recorded real C grubby cases.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.errors import StateFileError
from reconciler.facts import boot, bootread
from reconciler.host import Host, RecordedRunner, SubprocessRunner
from reconciler.state import load_state
from reconciler.state.cache import CACHE_FILE, StateCache

REPO = Path(__file__).resolve().parent.parent
GRUBBY_C = REPO / "tests" / "fixtures" / "grubby-c" / "cases.json"


# --- commands at once ----------------------------------------------------------------
def test_run_many_starts_every_command_before_waiting(tmp_path: Path) -> None:
    # the first command waits for a file only the second creates: one after another it would time out
    flag = tmp_path / "flag"
    wait = [
        sys.executable,
        "-c",
        f"import os,time\nwhile not os.path.exists({str(flag)!r}): time.sleep(0.01)\nprint('saw it')",
    ]
    make = [sys.executable, "-c", f"open({str(flag)!r}, 'w').close()"]
    results = SubprocessRunner().run_many([wait, make], timeout=60)
    assert [r.returncode for r in results] == [0, 0]
    assert results[0].stdout == "saw it\n" and results[0].argv == tuple(wait)


def test_run_many_keeps_each_timeout_and_missing_programs() -> None:
    sleep = [sys.executable, "-c", "import time; time.sleep(30)"]
    quick = [sys.executable, "-c", "print('ok')"]
    missing = ["/nonexistent/rtkdump-test-program"]
    slow, fast, gone = SubprocessRunner().run_many([sleep, quick, missing], timeout=1)
    assert slow.timed_out and "timed out after 1s" in slow.stderr
    assert fast.ok and fast.stdout == "ok\n"
    assert gone.not_found


def test_recorded_runner_run_many(tmp_path: Path) -> None:
    rec = tmp_path / "commands.json"
    rec.write_text(json.dumps([{"argv": ["a", "{root}"], "returncode": 0, "stdout": "x", "stderr": ""}]))
    runner = RecordedRunner(rec, tmp_path)
    a, b = runner.run_many([["a", str(tmp_path)], ["b"]], timeout=5)
    assert (a.returncode, a.stdout, b.returncode) == (0, "x", 127)


# --- where boot entries come from ----------------------------------------------------
def test_mountinfo_and_mounts_parsing() -> None:
    info = "1 0 253:0 / / rw - xfs /dev/x rw\n60 1 8:1 / /bo\\040ot rw - xfs /dev/sda1 rw\n61 1 8:1 / /boot rw - xfs a rw\n"
    assert bootread.mount_points_of_mountinfo(info) == {"/", "/bo ot", "/boot"}
    assert bootread.mount_points_of_mounts("/dev/sda1 /boot xfs rw 0 0\nproc /proc proc rw 0 0\n") == {
        "/boot",
        "/proc",
    }


def _tree(tmp_path: Path, files: dict) -> Host:
    for path, (text, mode) in files.items():
        target = tmp_path / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)
    return Host(root=tmp_path)


SCRIPT = (REPO / "simhost" / "data" / "grubby-bls.fedora-68f872a").read_text()
WRAPPER = (
    '#!/bin/bash\nif [[ -x /usr/libexec/grubby/grubby ]] ; then\n\texec /usr/libexec/grubby/grubby "${@}"\n'
    'elif [[ -x /usr/libexec/grubby/grubby-bls ]] ; then\n\texec /usr/libexec/grubby/grubby-bls "${@}"\nfi\n'
)


def test_grubby_flavor_from_the_script_the_wrapper_or_refused(tmp_path: Path) -> None:
    host = _tree(tmp_path / "a", {"/usr/sbin/grubby": (SCRIPT, 0o755)})
    assert bootread.grubby_bls_flavor(host)[0] is not None
    host = _tree(tmp_path / "b", {"/usr/sbin/grubby": (WRAPPER, 0o755), bootread.GRUBBY_BLS: (SCRIPT, 0o755)})
    assert bootread.grubby_bls_flavor(host)[0] is not None
    host = _tree(
        tmp_path / "c",
        {
            "/usr/sbin/grubby": (WRAPPER, 0o755),
            bootread.GRUBBY_BLS: (SCRIPT, 0o755),
            bootread.GRUBBY_C: ("\x7fELF", 0o755),
        },
    )
    flavor, why = bootread.grubby_bls_flavor(host)
    assert flavor is None and "grubby-deprecated" in why
    host = _tree(tmp_path / "d", {"/usr/sbin/grubby": (SCRIPT.replace("sort -Vr", "sort -r"), 0o755)})
    assert bootread.grubby_bls_flavor(host)[0] is None  # a read path no recorded revision has
    assert bootread.grubby_bls_flavor(Host(root=tmp_path / "none"))[0] is None


def _grubby_c_pairs():
    data = json.loads(GRUBBY_C.read_text())
    plain = {}
    for case in data["cases"]:
        argv = case["argv"]
        if (
            len(argv) == 2
            and argv[0].startswith("--config-file=")
            and argv[1] in ("--info=ALL", "--default-kernel")
        ):
            if not case["files"]["changed"] and not case["files"]["removed"]:
                plain.setdefault((case["layout"], argv[0]), {})[argv[1]] = case
    return data["layouts"], {k: v for k, v in plain.items() if len(v) == 2}


def test_rhel7_default_equals_c_grubby_default_kernel_where_derived() -> None:
    layouts, pairs = _grubby_c_pairs()
    derived = 0
    for (layout, config), case in pairs.items():
        info = case["--info=ALL"]
        if info["rc"] != 0:
            continue
        files = layouts[layout]
        cfg_path = config.split("=", 1)[1].replace("{root}", "")
        env_path = str(Path(cfg_path).parent / "grubenv")
        entries = list(boot.parse_grubby_info(info["stdout"]))
        got = bootread.grub2_default_kernel(entries, files[cfg_path], files[env_path])
        if got is None:
            continue  # not derivable: the reader asks grubby --default-kernel
        derived += 1
        want = boot.parse_grubby_default_kernel(case["--default-kernel"]["stdout"])
        assert got == want, layout
    assert derived >= 9  # stock, uefi, saved indexes, custom titles; the odd layouts ask grubby


# --- the state cache ------------------------------------------------------------------
def _state_texts():
    paths = sorted((REPO / "states").glob("*.yaml"))
    paths += sorted((REPO / "tests" / "fixtures" / "conformance-states").glob("*.yaml"))
    paths += sorted((REPO / "tests" / "bad_states").glob("*.yaml"))
    return [p for p in paths if p.is_file()]


@pytest.mark.parametrize("path", _state_texts(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_kept_parse_is_the_parse(path: Path) -> None:
    from reconciler.state.doc import Doc
    from reconciler.state.yamlpos import parse

    doc = Doc(str(path))
    try:
        parse(path.read_text(encoding="utf-8"), doc)
    except (StateFileError, UnicodeDecodeError):
        return  # refused by the parse: such a text is never kept
    plain = doc.to_plain()
    if plain is None:
        return
    kept = Doc.from_plain(str(path), json.loads(json.dumps(plain)))
    # json.dumps compares key order too: errors are reported in document order
    assert json.dumps(kept.data) == json.dumps(doc.data)
    assert kept.data == doc.data
    assert kept.key_pos == doc.key_pos and list(kept.key_pos) == list(doc.key_pos)
    assert kept.value_pos == doc.value_pos
    assert kept.collections == doc.collections


def test_a_parse_json_cannot_carry_is_not_kept() -> None:
    import datetime

    from reconciler.state.doc import Doc

    doc = Doc("x.yaml")
    doc.data = {"version": 1, "when": datetime.date(2026, 12, 2)}
    assert doc.to_plain() is None
    doc.data = {"version": 1, "ok": [1, 2.5, True, None, "s"]}
    assert doc.to_plain() is not None


def test_state_cache_skips_yaml_and_jsonschema_only_for_a_text_that_passed(
    tmp_path: Path, monkeypatch
) -> None:
    state = str(REPO / "states" / "default.yaml")
    host = Host(root=tmp_path)
    cache = StateCache(host)
    first = load_state(state, cache=cache)
    assert not (tmp_path / "var").exists()  # nothing written before the run says it went well
    cache.save()
    kept = tmp_path / CACHE_FILE.lstrip("/")
    assert kept.stat().st_mode & 0o777 == 0o600

    def boom(*args):
        raise AssertionError("asked again")

    monkeypatch.setattr("reconciler.state.schema_errors", boom)
    monkeypatch.setattr("reconciler.state._parse", boom)
    again = load_state(state, cache=StateCache(host))
    assert again == first and again.locations == first.locations and again.source == first.source
    kept.chmod(0o644)  # not root-only any more: not trusted
    with pytest.raises(AssertionError, match="asked again"):
        load_state(state, cache=StateCache(host))
    kept.chmod(0o600)
    other = tmp_path / "other.yaml"
    other.write_text(Path(state).read_text() + "\n# changed\n")
    with pytest.raises(AssertionError):  # a new text is parsed and validated
        load_state(str(other), cache=StateCache(host))


def test_the_kept_parse_names_the_file_it_is_loaded_as(tmp_path: Path) -> None:
    host = Host(root=tmp_path)
    text = (REPO / "states" / "default.yaml").read_text()
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text(text)
    two.write_text(text)
    cache = StateCache(host)
    load_state(str(one), cache=cache)
    cache.save()
    loaded = load_state(str(two), cache=StateCache(host))
    assert loaded.source == str(two)
    assert all(loc.startswith(str(two) + ":") for loc in loaded.locations.values())


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json",
        "[]",
        '{"format": 2, "entries": []}',
        '{"format": 1, "entries": {}}',
        '{"format": 1, "entries": [1, {"key": "K"}, {"key": "K", "doc": {"data": 1}}]}',
    ],
)
def test_a_cache_file_rtkdump_did_not_write_is_a_miss(tmp_path: Path, content: str) -> None:
    from reconciler.state.cache import cache_key
    from reconciler.state.schema import schema_text

    state = REPO / "states" / "default.yaml"
    kept = tmp_path / CACHE_FILE.lstrip("/")
    kept.parent.mkdir(parents=True, mode=0o700)
    kept.write_text(content.replace("K", cache_key(state.read_text(), schema_text())))
    kept.chmod(0o600)
    cache = StateCache(Host(root=tmp_path))
    assert load_state(str(state), cache=cache) == load_state(str(state))
    cache.save()  # and is replaced by one that is
    assert (
        StateCache(Host(root=tmp_path)).lookup(cache_key(state.read_text(), schema_text()), "x") is not None
    )


def test_saving_removes_the_keys_only_cache_of_earlier_versions(tmp_path: Path) -> None:
    from reconciler.state.cache import LEGACY_CACHE_FILE

    legacy = tmp_path / LEGACY_CACHE_FILE.lstrip("/")
    legacy.parent.mkdir(parents=True, mode=0o700)
    legacy.write_text("0" * 64 + "\n")
    legacy.chmod(0o600)
    cache = StateCache(Host(root=tmp_path))
    load_state(str(REPO / "states" / "default.yaml"), cache=cache)
    cache.save()
    assert not legacy.exists() and (tmp_path / CACHE_FILE.lstrip("/")).exists()


def test_plan_only_reads_the_cache(tmp_path: Path) -> None:
    load_state(str(REPO / "states" / "default.yaml"), cache=StateCache(Host(root=tmp_path), record=False))
    assert not (tmp_path / "var").exists()


def test_validate_imports_no_facts_plan_or_render() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "reconciler", "validate", "states/default.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "reconciler.state" in modules
    assert not {
        m for m in modules if m.startswith(("reconciler.facts", "reconciler.plan", "reconciler.render"))
    }
    assert "tenacity" not in modules


# --- the files are read while the commands run -----------------------------------------
class _EventRunner:
    """Answers every command with exit 0; records when commands start and are collected."""

    def __init__(self, events: list):
        self.events, self.calls = events, []

    def __call__(self, argv, timeout, stdin=None):
        return self.run_many([argv], timeout)[0]

    def run_many(self, argvs, timeout, stdin=None):
        return self.start_many(argvs, timeout).results()

    def start_many(self, argvs, timeout, stdin=None):
        from reconciler.host import CommandResult, StartedCommands

        self.calls += [tuple(a) for a in argvs]
        self.events.append(("start", [a[0] for a in argvs]))

        def collect():
            self.events.append(("collect", [a[0] for a in argvs]))
            return [CommandResult(tuple(a), 0, "", "") for a in argvs]

        return StartedCommands(collect)


def test_gather_starts_every_command_before_reading_the_files_and_collects_after(monkeypatch) -> None:
    import tempfile

    from fixturehost import converged

    from reconciler.facts import gather

    with tempfile.TemporaryDirectory() as tmp:
        root = converged("9.4").write(Path(tmp) / "h")
        events: list = []
        host = Host(root=root, runner=_EventRunner(events))
        real_read = Host.read_text

        def read(self, path, follow=True):
            events.append(("read", path))
            return real_read(self, path, follow)

        monkeypatch.setattr(Host, "read_text", read)
        gather(host)
    kinds = [e[0] for e in events]
    first_start, first_collect = kinds.index("start"), kinds.index("collect")
    assert events[first_start][1] == ["systemctl", "systemctl", "kdumpctl"]  # rpm: nothing asked
    assert [e[1] for e in events[:first_start]] == ["/etc/os-release"]  # only what picks the commands
    reads_while_running = [e[1] for e in events[first_start:first_collect] if e[0] == "read"]
    assert {"/proc/iomem", "/proc/cmdline", "/etc/kdump.conf", "/etc/sysconfig/kdump"} <= set(
        reads_while_running
    )
    assert "read" not in kinds[first_collect:]  # once collected, nothing is left to read


def test_early_facts_are_dropped_when_another_apply_journaled_meanwhile(tmp_path: Path) -> None:
    from fixturehost import converged

    from reconciler.facts import JOURNAL, start_gather

    root = converged("9.4").write(tmp_path / "h")
    host = Host.open(str(root))
    pending = start_gather(host)
    assert not pending.journal_moved()
    journal = root / JOURNAL.lstrip("/")
    journal.parent.mkdir(parents=True, exist_ok=True)
    with journal.open("a") as fh:
        fh.write('{"event": "run-started"}\n')
    assert pending.journal_moved()


def test_the_executor_gathers_again_when_it_waited_for_the_lock(tmp_path: Path, monkeypatch) -> None:
    from test_cli import converged_root

    import reconciler.apply.executor as executor_mod
    from reconciler.apply.executor import ApplyOptions, apply_state
    from reconciler.apply.lock import HostLock
    from reconciler.facts import start_gather

    host = Host.open(str(converged_root(tmp_path)))
    desired = load_state(str(REPO / "states" / "default.yaml"))
    fresh = []
    real_gather_for = executor_mod.gather_for

    def gather_for(h, d):
        fresh.append(1)
        return real_gather_for(h, d)

    monkeypatch.setattr(executor_mod, "gather_for", gather_for)
    apply_state(host, desired, ApplyOptions(), early=start_gather(host))
    assert fresh == []  # the lock was free: the early facts were used
    real_enter = HostLock.__enter__

    def waited_enter(self):
        out = real_enter(self)
        self.waited = True  # as if another apply had held it
        return out

    monkeypatch.setattr(HostLock, "__enter__", waited_enter)
    apply_state(host, desired, ApplyOptions(), early=start_gather(host))
    assert fresh == [1]


# --- a long journal ---------------------------------------------------------------------
def _long_journal_lines() -> list:
    """300 past runs of what a changing apply journals (action output included), plus the odd lines."""
    lines = []
    for k in range(300):
        run = f"2026{k:04d}-abcd"
        boot = f"boot-{k // 3}"
        for event, extra in [
            ("run-started", {"state_file": "/etc/rtkdump/state.yaml", "boot_id": boot}),
            ("restart-pending", {"by": "file:/etc/kdump.conf", "notifies": ["kdump"], "boot_id": boot}),
            # output that names other events must not confuse the filter
            ("action-done", {"action": "x", "output": "reboot-requested restart-done " * 100}),
            ("restart-done", {"action": "service:kdump.service:restart", "boot_id": boot}),
            ("barrier-reached", {"reason": "crashkernel", "boot_id": boot}),
            ("reboot-requested", {"key": f"key-{k % 5}", "boot_id": boot}),
            ("crash-test-triggered", {"key": f"sha-{k % 7}", "boot_id": boot}),
            ("run-finished", {"result": "converged"}),
        ]:
            lines.append(json.dumps({"time": k, "run": run, "event": event, **extra}, sort_keys=True))
    lines[100:100] = ["[1, 2]", "null", '"text"', "{torn"]
    lines.append(
        json.dumps({"time": 999, "run": "last", "event": "restart-pending", "by": "x", "boot_id": "b"})
    )
    lines.append('{"event": "restart-pen')  # torn last line
    return lines


def test_the_history_filter_gives_what_parsing_every_line_gives() -> None:
    from reconciler.facts import history

    text = "\n".join(_long_journal_lines()) + "\n"
    for boot_id in ("b", "boot-3", None):
        with pytest.MonkeyPatch.context() as m:
            m.setattr(history, "_KINDS", ("",))  # "" is in every line: every line parsed
            every_line = history.parse_journal(text, boot_id)
        assert history.parse_journal(text, boot_id) == every_line
    assert history.parse_journal(text, "b").pending_restart == "x (run last)"
    assert history.parse_journal(text, "b").skipped_lines == 3


def test_a_long_journal_is_read_once_and_parsed_only_where_it_answers(tmp_path: Path, monkeypatch) -> None:
    import reconciler.apply.journal as journal_mod
    from reconciler.apply.journal import JOURNAL, Journal

    path = tmp_path / JOURNAL.lstrip("/")
    path.parent.mkdir(parents=True)
    lines = _long_journal_lines()
    path.write_text("\n".join(lines) + "\n")
    journal = Journal(Host(root=tmp_path), "now")
    every = list(journal.events())
    assert journal.skipped == [101, 102, 103]
    parsed = []
    real_loads = json.loads
    monkeypatch.setattr(
        journal_mod.json, "loads", lambda s, *a, **k: parsed.append(s) or real_loads(s, *a, **k)
    )
    fresh = Journal(Host(root=tmp_path), "now")
    assert fresh.warnings() and len(parsed) == 3  # only the three lines that are not objects
    assert fresh.find("crash-test-triggered") == [e for e in every if e["event"] == "crash-test-triggered"]
    assert fresh.last("barrier-reached") == [e for e in every if e["event"] == "barrier-reached"][-1]
    assert fresh.find("reboot-requested", key="key-1") == [
        e for e in every if e["event"] == "reboot-requested" and e["key"] == "key-1"
    ]
    before = len(parsed)
    fresh.find("crash-test-triggered")
    assert len(parsed) == before  # parsed once, remembered
    # the 3 odd lines, the 900 answers, and the 300 action-done lines whose output names
    # reboot-requested (a text match is only a hint); never the run-started/-finished lines
    assert len(parsed) == 3 + 900 + 300
    fresh.append("run-started")  # the file changed: read again
    assert fresh.last("run-started")["run"] == "now"
