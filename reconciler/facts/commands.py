"""Fact commands: one result -> one Fact, and the batch that runs independent commands together."""

from __future__ import annotations

from typing import Callable, Dict, List, Sequence, Tuple

from ..host import CommandResult, Host, StartedCommands
from .model import Fact, ParseError

__all__ = ["Commands", "command_fact", "result_fact"]


def command_fact(
    host: Host, name: str, argv: Sequence[str], parse: Callable[[CommandResult], object]
) -> Fact:
    """A fact from one command. A missing program or a failure the parser rejects is unknown."""
    return result_fact(host.run(argv), name, parse)


def result_fact(result: CommandResult, name: str, parse: Callable[[CommandResult], object]) -> Fact:
    """The fact one command's result gives (see command_fact)."""
    argv = result.argv
    source = "command " + " ".join(argv)
    if result.not_found:
        return Fact.missing(
            name, source, f"{argv[0]}: not available ({result.stderr.strip() or 'command not found'})"
        )
    if result.timed_out:
        return Fact.missing(name, source, f"{argv[0]} timed out")
    try:
        return Fact.of(name, source, parse(result))
    except (ParseError, ValueError) as exc:
        detail = result.stderr.strip().splitlines()[-1:] or [""]
        return Fact.missing(name, source, f"{argv[0]} exited {result.returncode}: {exc} {detail[0]}".strip())


class Commands:
    """Independent fact commands: asked for first, started together (``Host.start_many``),
    collected when the first result is needed, so the files are read while they run."""

    def __init__(self, host: Host):
        self.host = host
        self.argvs: List[Tuple[str, ...]] = []
        self.results: Dict[Tuple[str, ...], CommandResult] = {}
        self._started: List[Tuple[str, ...]] = []
        self._batches: List[StartedCommands] = []

    def want(self, argv: Sequence[str]) -> Tuple[str, ...]:
        key = tuple(argv)
        if key not in self.argvs:
            self.argvs.append(key)
        return key

    def start(self) -> None:
        """Start every wanted command not started yet."""
        todo = [a for a in self.argvs if a not in self._started]
        if todo:
            self._started += todo
            self._batches.append(self.host.start_many([list(a) for a in todo]))

    def collect(self) -> None:
        """Wait for every started command."""
        batches, self._batches = self._batches, []
        for batch in batches:
            for result in batch.results():
                self.results[tuple(result.argv)] = result

    def run(self) -> None:
        self.start()
        self.collect()

    def fact(self, key: Tuple[str, ...], name: str, parse: Callable[[CommandResult], object]) -> Fact:
        if key not in self.results:
            self.collect()
        if key not in self.results:  # asked for after start(): run it now
            self._started.append(key)
            self.results[key] = self.host.run(list(key))
        return result_fact(self.results[key], name, parse)
