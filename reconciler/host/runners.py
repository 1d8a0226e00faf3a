"""Command runners behind the host seam: for real (``SubprocessRunner``) or from a recording (``RecordedRunner``).

Both take argv lists (never a shell string) with a timeout and return a
``CommandResult`` that keeps stdout and stderr apart.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..records import dataclass

try:
    from typing import Protocol
except ImportError:  # pragma: no cover - Python < 3.8
    Protocol = object  # type: ignore[assignment]

# A fixture host (a tree of files plus recorded command outputs) carries its
# recordings here; see docs/architecture.md "Fixture hosts".
RECORDING_FILE = ".rtkdump-recorded/commands.json"
ROOT_PLACEHOLDER = "{root}"


class Runner(Protocol):
    """What a Host needs to run commands: argv + timeout (+ stdin) in, CommandResult out."""

    calls: List[Tuple[str, ...]]

    def __call__(self, argv: Sequence[str], timeout: float, stdin: Optional[str] = None) -> CommandResult: ...

    def run_many(self, argvs: Sequence[Sequence[str]], timeout: float) -> List[CommandResult]:
        """Every argv started at once, each with its own ``timeout``; results in argv order."""
        ...


@dataclass(frozen=True)
class CommandResult:
    """What one command did: argv, exit code, and both streams, kept apart."""

    argv: Tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def not_found(self) -> bool:
        """The program itself is missing (exit 127, as a shell would say)."""
        return self.returncode == 127


class SubprocessRunner:
    """Runs argv lists for real, with a timeout, capturing both streams."""

    def __init__(self, env: Optional[Dict[str, str]] = None):
        self.env = env
        self.calls: List[Tuple[str, ...]] = []

    def _env(self) -> Dict[str, str]:
        env = dict(os.environ if self.env is None else self.env)
        # Parsers expect the C locale's messages ("package X is not installed").
        env["LC_ALL"] = "C"
        env.pop("LANGUAGE", None)
        return env

    def __call__(self, argv: Sequence[str], timeout: float, stdin: Optional[str] = None) -> CommandResult:
        return self.run_many([argv], timeout, stdin)[0]

    def run_many(
        self, argvs: Sequence[Sequence[str]], timeout: float, stdin: Optional[str] = None
    ) -> List[CommandResult]:
        """Start every argv, then collect each (one thread per command reads its pipes, so a
        chatty command never waits on a quiet one); each has ``timeout`` from its own start."""
        return self.start_many(argvs, timeout, stdin, eager=True).results()

    def start_many(
        self, argvs: Sequence[Sequence[str]], timeout: float, stdin: Optional[str] = None, eager: bool = False
    ) -> StartedCommands:
        """Start every argv and return at once; ``results()`` waits for them (see run_many).

        A reader thread per command starts with it, so its timeout runs from its own
        start however late the results are asked for (``eager``: a lone command
        collected right away needs no thread).
        """
        env = self._env()
        started: List[Tuple[Tuple[str, ...], Union[CommandResult, subprocess.Popen[str]]]] = []
        for raw in argvs:
            argv = tuple(raw)
            self.calls.append(argv)
            try:
                proc = subprocess.Popen(  # noqa: S603 - argv list, never a shell
                    list(argv),
                    stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    errors="replace",
                    env=env,
                )
            except FileNotFoundError:
                started.append((argv, CommandResult(argv, 127, "", f"{argv[0]}: command not found\n")))
                continue
            except PermissionError as exc:
                started.append((argv, CommandResult(argv, 126, "", f"{argv[0]}: {exc.strerror}\n")))
                continue
            started.append((argv, proc))
        results: List[Optional[CommandResult]] = [None] * len(started)
        threads = []
        lone: Optional[Tuple[int, Tuple[str, ...], subprocess.Popen[str]]] = None
        for k, (argv, item) in enumerate(started):
            if isinstance(item, CommandResult):
                results[k] = item
            elif eager and len(started) == 1:  # the common single command: no thread
                lone = (k, argv, item)
            else:
                thread = threading.Thread(target=_collect_into, args=(results, k, argv, item, timeout, stdin))
                thread.start()
                threads.append(thread)

        def collect() -> List[CommandResult]:
            if lone is not None:
                results[lone[0]] = _collect(lone[1], lone[2], timeout, stdin)
            for thread in threads:
                thread.join()
            return [r for r in results if r is not None]

        return StartedCommands(collect)


class StartedCommands:
    """Commands started together; ``results()`` waits for them all (argv order), once."""

    def __init__(self, collect: Callable[[], List[CommandResult]]):
        self._collect: Optional[Callable[[], List[CommandResult]]] = collect
        self._results: List[CommandResult] = []

    def results(self) -> List[CommandResult]:
        if self._collect is not None:
            collect, self._collect = self._collect, None
            self._results = collect()
        return self._results


def _collect(
    argv: Tuple[str, ...], proc: subprocess.Popen[str], timeout: float, stdin: Optional[str]
) -> CommandResult:
    try:
        out, err = proc.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return CommandResult(
            argv, -1, out or "", (err or "") + f"\ntimed out after {timeout:g}s\n", timed_out=True
        )
    return CommandResult(argv, proc.returncode, out, err)


def _collect_into(
    results: List[Optional[CommandResult]],
    k: int,
    argv: Tuple[str, ...],
    proc: subprocess.Popen[str],
    timeout: float,
    stdin: Optional[str],
) -> None:
    results[k] = _collect(argv, proc, timeout, stdin)


class RecordedRunner:
    """Answers commands from recorded outputs (a fixture host). Never runs anything.

    The recording is a JSON list of ``{"argv": [...], "returncode": N,
    "stdout": "...", "stderr": "..."}``; ``{root}`` in an argv element stands for
    the host root so a fixture tree can live anywhere.  A command that was not
    recorded answers like a missing program (exit 127), which the facts turn
    into "unknown" with that reason.
    """

    def __init__(self, recording: Path, root: Path):
        self.recording = recording
        self.calls: List[Tuple[str, ...]] = []
        self._answers: Dict[Tuple[str, ...], dict] = {}
        entries = json.loads(recording.read_text(encoding="utf-8"))
        for entry in entries:
            argv = tuple(a.replace(ROOT_PLACEHOLDER, str(root)) for a in entry["argv"])
            self._answers[argv] = entry

    def __call__(self, argv: Sequence[str], timeout: float, stdin: Optional[str] = None) -> CommandResult:
        argv = tuple(argv)
        self.calls.append(argv)
        entry = self._answers.get(argv)
        if entry is None:
            return CommandResult(argv, 127, "", f"{argv[0]}: not in the fixture recording\n")
        return CommandResult(argv, int(entry["returncode"]), entry.get("stdout", ""), entry.get("stderr", ""))

    def run_many(
        self, argvs: Sequence[Sequence[str]], timeout: float, stdin: Optional[str] = None
    ) -> List[CommandResult]:
        return [self(argv, timeout, stdin) for argv in argvs]

    def start_many(
        self, argvs: Sequence[Sequence[str]], timeout: float, stdin: Optional[str] = None
    ) -> StartedCommands:
        answers = self.run_many(argvs, timeout, stdin)
        return StartedCommands(lambda: answers)
