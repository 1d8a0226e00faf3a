"""Command line: argument parsing, output format choice, exit codes. Nothing else.

Exit codes (as ``terraform plan -detailed-exitcode``):
  0  converged / valid
  1  error (bad state file, unreadable host, refused plan, failed action)
  2  changes pending (plan), or changed and waiting for a reboot (apply)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import List, Optional, TextIO

from . import __version__
from .errors import HostAccessError, RtkdumpError, StateFileError
from .host import Host, write_local_file
from .host.safety import insecure_reason
from .state import load_state

# facts, plan and render are imported by the commands that use them: `validate`
# needs none of them (python -X importtime -m reconciler validate ...).

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR", "") != "":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def terminal_columns() -> int:
    """shutil.get_terminal_size().columns, without importing shutil.

    argparse's HelpFormatter imports shutil (which maps bz2 and lzma: about
    0.5 MiB of a cron run's peak memory) on every add_argument, to size help
    text nobody prints; the answer is the same: $COLUMNS, else the terminal
    on stdout, else 80.
    """
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    stdout = sys.__stdout__
    if columns <= 0 and stdout is not None:
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class HelpFormatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width=None):
        if width is None:
            width = terminal_columns() - 2  # as argparse does
        super().__init__(prog, indent_increment, max_help_position, width)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rtkdump",
        formatter_class=HelpFormatter,
        description="Declarative kdump for RHEL for Real Time hosts: validate a state file, "
        "show the facts, plan the changes.",
    )
    parser.add_argument("--version", action="version", version=f"rtkdump {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def command(name: str, **kwargs) -> argparse.ArgumentParser:
        return sub.add_parser(name, formatter_class=HelpFormatter, **kwargs)

    def textfile_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--textfile-dir",
            metavar="DIR",
            help="also write DIR/rtkdump.prom for node_exporter's textfile collector (atomically)",
        )

    def host_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--root", metavar="DIR", help="act on the host tree under DIR (offline-root command forms)"
        )
        p.add_argument(
            "--timeout",
            type=float,
            default=120.0,
            metavar="SECONDS",
            help="timeout for each command (default 120)",
        )

    def strict_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--insecure-state-ok",
            action="store_true",
            help="as root, accept a state file (or a file kdump runs) that others could have written; "
            "says so loudly",
        )

    p = command("validate", help="check state files; exit 0 when all are valid, 1 otherwise")
    p.add_argument("states", nargs="+", metavar="STATE")

    p = command("facts", help="show what rtkdump reads from the host")
    host_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--state", metavar="STATE", help="also ask about this state's packages and dump path")

    p = command("plan", help="show what apply would change; exit 0 converged, 2 changes pending, 1 error")
    host_args(p)
    strict_args(p)
    p.add_argument("state", metavar="STATE")
    p.add_argument(
        "--json", action="store_true", help="machine-readable output (schemas/plan-output.schema.json)"
    )
    p.add_argument("-o", "--out", metavar="FILE", help="also save the plan as JSON to FILE")

    p = command("apply", help="carry the plan out; exit 0 converged, 2 waiting for a reboot, 1 failed")
    host_args(p)
    strict_args(p)
    textfile_arg(p)
    p.add_argument(
        "target",
        metavar="STATE|PLAN.json",
        help="a state file, or a plan saved with `rtkdump plan -o` (run exactly that plan)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.add_argument(
        "--crash-test",
        action="store_true",
        help="once converged, crash the host with sysrq to prove a vmcore is written",
    )
    p.add_argument("--yes-crash-this-host", action="store_true", help="required with --crash-test")
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for another apply to finish (default 60)",
    )

    p = command(
        "status",
        help="what the host is now: reservation, capture kernel, last apply, crash test, pending reboot",
    )
    host_args(p)
    textfile_arg(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = command("history", help="the runs in the journal (/var/lib/rtkdump/journal.jsonl)")
    host_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def cmd_validate(args, out: TextIO, err: TextIO) -> int:
    rc = EXIT_OK
    for path in args.states:
        try:
            load_state(path)
        except RtkdumpError as exc:
            err.write(exc.render() + "\n")
            rc = EXIT_ERROR
        else:
            out.write(f"{path}: valid\n")
    return rc


def cmd_facts(args, out: TextIO, err: TextIO) -> int:
    from .facts import FactRequest, gather
    from .render import render_facts

    host = Host.open(args.root, timeout=args.timeout)
    if args.state:
        from .plan.planner import fact_request

        request = fact_request(load_state(args.state))
    else:
        request = FactRequest(packages=None)
    facts = gather(host, request)
    if args.json:
        out.write(
            json.dumps(
                {"host": host.describe(), "fingerprint": facts.fingerprint(), "facts": facts.to_json()},
                indent=2,
            )
            + "\n"
        )
    else:
        out.write(render_facts(facts))
    return EXIT_OK


def require_root(command: str) -> None:
    """apply changes the host, and plan on the real root reads root-only facts: root or nothing."""
    if not Host.is_root():
        raise HostAccessError(f"rtkdump {command} must run as root")


def strict_modes(path: str, insecure_ok: bool, err: TextIO) -> None:
    """sshd's StrictModes for the state file, as root: owned by root, nobody else can write it."""
    if not Host.is_root():
        return
    reason = insecure_reason(path)
    if reason is None:
        return
    if insecure_ok:
        err.write(f"rtkdump: WARNING: using {path} although {reason} (--insecure-state-ok)\n")
        return
    raise StateFileError(
        f"refusing a state file others could have written, as root: {reason}",
        path=path,
        hint="chown root and chmod go-w the file and the directories above it, "
        "or pass --insecure-state-ok (loudly)",
    )


def cmd_plan(args, out: TextIO, err: TextIO) -> int:
    if args.root is None:
        require_root("plan")
    strict_modes(args.state, args.insecure_state_ok, err)
    from .state.cache import StateCache

    # a bad state file fails before the host is touched (plan only reads the cache)
    desired = load_state(args.state, cache=StateCache.under(args.root, record=False))
    host = Host.open(args.root, timeout=args.timeout)
    host.insecure_ok = args.insecure_state_ok
    pending = start_fact_commands(host, desired)
    from .plan.planner import make_plan
    from .render import plan_json, render_plan

    plan = make_plan(desired, pending.facts(), host)
    if args.out:
        write_local_file(args.out, plan_json(plan))
    if args.json:
        out.write(plan_json(plan))
    else:
        out.write(render_plan(plan, color=use_color(out)))
    return EXIT_OK if plan.converged else EXIT_CHANGES


def progress_printer(out: TextIO, err: TextIO, to_syslog: bool):
    """One line per action: on a terminal to stdout; otherwise to stderr and syslog/journal."""
    if hasattr(out, "isatty") and out.isatty():
        from .render import Style

        style = Style(use_color(out))

        def show(line: str) -> None:
            body = line.lstrip()
            symbol = body[:1]  # "+ install ...": the symbol in plan's colours
            if body[1:2] == " ":
                line = line[: len(line) - len(body)] + style(symbol, symbol) + body[1:]
            out.write(line + "\n")
            out.flush()

        return show
    log = None
    if to_syslog:
        try:
            import syslog

            syslog.openlog("rtkdump", syslog.LOG_PID, syslog.LOG_DAEMON)
            log = syslog.syslog
        except ImportError:  # pragma: no cover - not on Linux
            log = None

    def emit(line: str) -> None:
        err.write("rtkdump: " + line.strip() + "\n")
        err.flush()
        if log is not None:
            log(line.strip())

    return emit


def start_fact_commands(host: Host, desired):
    """The fact commands started now (a PendingFacts), to run while the planner and the executor load."""
    from .facts import start_gather
    from .plan.request import fact_request

    return start_gather(host, fact_request(desired))


def cmd_apply(args, out: TextIO, err: TextIO) -> int:
    from .apply.saved import load_saved_plan
    from .errors import ApplyError

    if args.crash_test and not args.yes_crash_this_host:
        raise ApplyError("--crash-test crashes this host on purpose; add --yes-crash-this-host to confirm")
    from .state.cache import StateCache

    require_root("apply")
    saved = load_saved_plan(args.target)
    if saved:
        strict_modes(args.target, args.insecure_state_ok, err)
    state_path = saved["state_file"] if saved else args.target
    strict_modes(state_path, args.insecure_state_ok, err)
    cache = StateCache.under(args.root)
    desired = load_state(state_path, cache=cache)
    host = Host.open(args.root, timeout=args.timeout)
    host.insecure_ok = args.insecure_state_ok
    early = start_fact_commands(host, desired)  # used only if the lock is free (executor.py)
    from .apply.executor import ApplyOptions, apply_saved_plan, apply_state
    from .apply.report import render_apply

    options = ApplyOptions(
        crash_test=args.crash_test,
        lock_timeout=args.lock_timeout,
        progress=progress_printer(out, err, to_syslog=not args.root),
    )
    try:
        if saved:
            report = apply_saved_plan(host, saved, desired, options, early=early)
        else:
            report = apply_state(host, desired, options, early=early)
    except ApplyError:
        if args.textfile_dir:  # a failed apply is exactly what the metrics must show
            write_metrics(host, args.textfile_dir, failed=True)
        raise
    if args.textfile_dir:
        write_metrics(host, args.textfile_dir, report=report)
    if report.exit_code != 1:  # a refused or failed run writes nothing more, the cache included
        cache.save()
    if args.json:
        out.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        out.write(render_apply(report, color=use_color(out)))
    return report.exit_code


def write_metrics(host: Host, directory: str, report=None, failed: bool = False) -> None:
    from .apply.journal import Journal
    from .apply.metrics import render_metrics, write_textfile
    from .apply.report import ApplyReport
    from .apply.status import host_status
    from .facts import FactRequest, gather

    facts = report.final_facts if report is not None else None
    if facts is None:  # something ran after the last gather (or the run failed): read the host again
        facts = gather(host, FactRequest())
    status = host_status(facts, Journal(host, "metrics"))
    if failed:
        report = ApplyReport(run_id="", state_file="", result="failed")
    write_textfile(directory, render_metrics(status, report))


def cmd_status(args, out: TextIO, err: TextIO) -> int:
    from .apply.journal import Journal
    from .apply.metrics import render_metrics, write_textfile
    from .apply.status import host_status, render_status
    from .facts import FactRequest, gather

    host = Host.open(args.root, timeout=args.timeout)
    status = host_status(gather(host, FactRequest()), Journal(host, "status"))
    if args.textfile_dir:
        write_textfile(args.textfile_dir, render_metrics(status))
    out.write(json.dumps(status.to_json(), indent=2) + "\n" if args.json else render_status(status))
    return status.exit_code


def cmd_history(args, out: TextIO, err: TextIO) -> int:
    from .apply.journal import Journal
    from .apply.status import render_history, runs

    host = Host.open(args.root, timeout=args.timeout)
    entries = runs(Journal(host, "history"))
    out.write(
        json.dumps({"format": "rtkdump-history/1", "runs": entries}, indent=2) + "\n"
        if args.json
        else render_history(entries)
    )
    return EXIT_OK


COMMANDS = {
    "validate": cmd_validate,
    "facts": cmd_facts,
    "plan": cmd_plan,
    "apply": cmd_apply,
    "status": cmd_status,
    "history": cmd_history,
}


def main(argv: Optional[List[str]] = None, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors are exit 2 there; ours are 1
        return EXIT_OK if exc.code == 0 else EXIT_ERROR
    try:
        return COMMANDS[args.command](args, out, err)
    except RtkdumpError as exc:
        err.write(exc.render() + "\n")
        json_error(args, out, exc.to_json())
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return EXIT_ERROR
    except Exception as exc:  # a bug: say so plainly, never a silent success
        import traceback

        err.write("rtkdump internal error (please report):\n" + traceback.format_exc())
        json_error(
            args,
            out,
            {
                "phase": "internal",
                "message": f"{type(exc).__name__}: {exc}",
                "fix": "please report this with the traceback on stderr",
                "location": None,
                "already_changed": [],
            },
        )
        return EXIT_ERROR


def json_error(args, out: TextIO, error: dict) -> None:
    """`plan --json` and `apply --json` print one JSON document, on failure too."""
    if getattr(args, "json", False) and args.command in JSON_FORMATS:
        out.write(json.dumps({"format": JSON_FORMATS[args.command], "error": error}, indent=2) + "\n")


JSON_FORMATS = {"plan": "rtkdump-plan/1", "apply": "rtkdump-apply/1"}


def _root_of(argv: List[str]) -> Optional[str]:
    for k, arg in enumerate(argv):
        if arg == "--root" and k + 1 < len(argv):
            return argv[k + 1]
        if arg.startswith("--root="):
            return arg[len("--root=") :]
    return None


def entry() -> int:
    """The `rtkdump` program: polite first (reconciler/polite.py), then main().

    Only here, not in main(): main() also runs inside other processes (the tests).
    """
    from .polite import be_polite

    try:
        notes = be_polite(Host(root=Path(os.path.abspath(_root_of(sys.argv[1:]) or "/"))))
    except Exception as exc:  # politeness never fails the run
        notes = [f"could not lower the priority: {exc}"]
    for note in notes:
        sys.stderr.write(f"rtkdump: note: {note}\n")
    return main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(entry())
