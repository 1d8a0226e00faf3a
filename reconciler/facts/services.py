"""Pure parsers for ``systemctl is-enabled UNIT`` and ``systemctl is-active UNIT`` (one unit).

Exit codes (platform-facts §7; systemd 219 / 239 / 252 and current upstream):

is-enabled: 0 for enabled, enabled-runtime, static, indirect, alias, generated;
1 for disabled, masked, masked-runtime (and linked, linked-runtime, transient,
bad); unit file absent on RHEL 7/8/9: nothing on stdout, stderr ``Failed to get
unit file state for kdump.service: No such file or directory``, exit 1; current
upstream systemd prints ``not-found`` and exits 4.

is-active: 0 for active, reloading (refreshing upstream); 3 (4 upstream for an
unknown unit) for inactive, failed, activating, deactivating, maintenance and
RHEL 7's ``unknown``.  On RHEL 7 ``unknown`` means "not loaded" (e.g. installed
but disabled and never started), NOT "not installed"; RHEL 8/9 print
``inactive`` for an absent unit.
"""

from __future__ import annotations

import re

from ..host import CommandResult
from .model import ActiveState, ParseError, UnitFileState

__all__ = ["parse_is_active", "parse_is_enabled"]

ENABLED_STATES = frozenset({"enabled", "enabled-runtime", "static", "indirect", "alias", "generated"})
# enabled-runtime exits 0 too, but its links live under /run and are gone after the next boot,
# the very reboot the barrier asks for: it does not count as enabled, so `systemctl enable` is
# planned (as Ansible's systemd_service does).  indirect and alias stay enabled: kdump.service
# has WantedBy=multi-user.target, and `systemctl enable` would not change those words (a loop).
RUNTIME_ONLY_STATES = frozenset({"enabled-runtime"})
DISABLED_STATES = frozenset(
    {"disabled", "masked", "masked-runtime", "linked", "linked-runtime", "transient", "bad"}
)
_ABSENT_STDERR = re.compile(
    r"^Failed to get unit file state for \S+: (No such file or directory|Unit file \S+ does not exist\.?)$"
)

ACTIVE_STATES = frozenset({"active", "reloading", "refreshing"})
INACTIVE_STATES = frozenset({"inactive", "failed", "activating", "deactivating", "maintenance", "unknown"})


def _one_word(result: CommandResult, command: str) -> str:
    if result.timed_out:
        raise ParseError(f"systemctl {command} timed out")
    words = result.stdout.split()
    if len(words) > 1:
        raise ParseError(f"systemctl {command} printed more than one word: {result.stdout.strip()!r}")
    return words[0] if words else ""


def _describe(result: CommandResult) -> str:
    err = result.stderr.strip().splitlines()
    return f"exit {result.returncode}, stdout {result.stdout.strip()!r}" + (
        f", stderr {err[0]!r}" if err else ""
    )


def parse_is_enabled(result: CommandResult) -> UnitFileState:
    """``systemctl is-enabled UNIT`` -> state word (or "not-found"), enabled, exists."""
    word = _one_word(result, "is-enabled")
    rc = result.returncode
    if word in ENABLED_STATES and rc == 0:
        return UnitFileState(state=word, enabled=word not in RUNTIME_ONLY_STATES, exists=True)
    if word in DISABLED_STATES and rc == 1:
        return UnitFileState(state=word, enabled=False, exists=True)
    if word == "not-found" and rc == 4:
        return UnitFileState(state="not-found", enabled=False, exists=False)
    if not word and rc == 1:
        lines = [ln.strip() for ln in result.stderr.splitlines() if ln.strip()]
        if len(lines) == 1 and _ABSENT_STDERR.match(lines[0]):
            return UnitFileState(state="not-found", enabled=False, exists=False)
    raise ParseError(f"systemctl is-enabled gave an unexpected answer ({_describe(result)})")


def parse_is_active(result: CommandResult) -> ActiveState:
    """``systemctl is-active UNIT`` -> state word and whether it is active."""
    word = _one_word(result, "is-active")
    rc = result.returncode
    if word in ACTIVE_STATES and rc == 0:
        return ActiveState(state=word, active=True)
    if word in INACTIVE_STATES and rc in (3, 4):
        return ActiveState(state=word, active=False)
    raise ParseError(f"systemctl is-active gave an unexpected answer ({_describe(result)})")
