"""Command runners behind the host seam: for real (``SubprocessRunner``) or from a recording (``RecordedRunner``).

Both take argv lists (never a shell string) with a timeout and return a
``CommandResult`` that keeps stdout and stderr apart.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

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

    def __call__(self, argv: Sequence[str], timeout: float, stdin: Optional[str] = None) -> CommandResult:
        argv = tuple(argv)
        self.calls.append(argv)
        env = dict(os.environ if self.env is None else self.env)
        # Parsers expect the C locale's messages ("package X is not installed").
        env["LC_ALL"] = "C"
        env.pop("LANGUAGE", None)
        try:
            proc = subprocess.run(  # noqa: S603 - argv list, never a shell
                list(argv),
                input=stdin,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                env=env,
                check=False,
            )
        except FileNotFoundError:
            return CommandResult(argv, 127, "", f"{argv[0]}: command not found\n")
        except PermissionError as exc:
            return CommandResult(argv, 126, "", f"{argv[0]}: {exc.strerror}\n")
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            return CommandResult(argv, -1, out, err + f"\ntimed out after {timeout:g}s\n", timed_out=True)
        return CommandResult(argv, proc.returncode, proc.stdout, proc.stderr)


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
