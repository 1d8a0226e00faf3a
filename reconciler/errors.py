"""The exception tree, split by the phase that failed.

Every error carries what the user needs to fix it: where (file/line/column or
the fact source), what, and a hint.  The CLI turns any of these into one clear
message and exit code 1; nothing below the CLI prints.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional


class RtkdumpError(Exception):
    """Base of every error rtkdump reports to a user."""

    phase = "rtkdump"

    def __init__(self, message: str, *, hint: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        # ids of the actions a failed apply had already carried out (for --json)
        self.already_changed: List[str] = []

    @property
    def where(self) -> Optional[str]:
        """file:line:column (or the fact source) the error points at, when there is one."""
        return None

    def to_json(self) -> Dict[str, Any]:
        """The ``error`` object of `plan --json` / `apply --json` on failure."""
        return {
            "phase": self.phase,
            "message": self.message,
            "fix": self.hint,
            "location": self.where,
            "already_changed": list(self.already_changed),
        }

    def render(self) -> str:
        text = f"{self.phase} error: {self.message}"
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class StateFileError(RtkdumpError):
    """The desired-state file is unreadable, not YAML, or not valid."""

    phase = "state file"

    def __init__(
        self,
        message: str,
        *,
        path: str,
        line: Optional[int] = None,
        column: Optional[int] = None,
        field: Optional[str] = None,
        hint: Optional[str] = None,
    ):
        super().__init__(message, hint=hint)
        self.path = path
        self.line = line
        self.column = column
        self.field = field

    @property
    def location(self) -> str:
        loc = self.path
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    @property
    def where(self) -> Optional[str]:
        return self.location

    def to_json(self) -> Dict[str, Any]:
        out = super().to_json()
        if self.field:  # as the text says it: "<field>: <message>"
            out["message"] = f"{self.field}: {self.message}"
        return out

    def render(self) -> str:
        where = self.location
        field = f" {self.field}:" if self.field else ""
        text = f"{where}:{field} {self.message}"
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class FactError(RtkdumpError):
    """A fact that must be known to go on could not be gathered."""

    phase = "facts"

    def __init__(self, message: str, *, source: str, hint: Optional[str] = None):
        super().__init__(message, hint=hint)
        self.source = source

    @property
    def where(self) -> Optional[str]:
        return self.source

    def render(self) -> str:
        text = f"facts error ({self.source}): {self.message}"
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class PlanError(RtkdumpError):
    """The desired state cannot be reached safely on this host.

    ``field`` names the state-file field at fault (dotted path) and
    ``location`` the file:line:column it came from, when known.
    """

    phase = "plan"

    def __init__(
        self,
        message: str,
        *,
        field: Optional[str] = None,
        location: Optional[str] = None,
        hint: Optional[str] = None,
    ):
        super().__init__(message, hint=hint)
        self.field = field
        self.location = location

    @property
    def where(self) -> Optional[str]:
        if self.location and self.field:
            return f"{self.location} ({self.field})"
        return self.location or self.field

    def render(self) -> str:
        prefix = ""
        if self.location:
            prefix = f"{self.location}: "
        if self.field:
            prefix += f"{self.field}: "
        text = f"{prefix}plan error: {self.message}"
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class ApplyError(RtkdumpError):
    """An action failed while being carried out."""

    phase = "apply"

    def __init__(
        self,
        message: str,
        *,
        action_id: Optional[str] = None,
        stderr: str = "",
        hint: Optional[str] = None,
    ):
        super().__init__(message, hint=hint)
        self.action_id = action_id
        self.stderr = stderr

    @property
    def where(self) -> Optional[str]:
        return self.action_id

    def render(self) -> str:
        text = "apply error"
        if self.action_id:
            text += f" in {self.action_id}"
        text += f": {self.message}"
        if self.stderr.strip():
            text += "\n  " + "\n  ".join(self.stderr.strip().splitlines()[-30:])
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class HostAccessError(RtkdumpError):
    """The host seam could not run a command or read a file at all."""

    phase = "host"


class ParseError(ValueError):
    """A parser got text it cannot make sense of; becomes an unknown fact."""
