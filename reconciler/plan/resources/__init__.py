"""One module per managed thing. Each turns (desired, facts) into actions, or says why it is unchanged.

Every resource function takes a ``PlanContext`` and returns an ``Outcome``;
the planner (``reconciler.planner``) orders the outcomes into phases and puts
the reboot barrier where the crash-kernel reservation requires it.
"""

from __future__ import annotations

from dataclasses import field
from typing import List, Optional, Tuple

from ...errors import FactError, PlanError
from ...facts import Facts
from ...facts.model import Fact, OsRelease
from ...host import Host
from ...records import dataclass
from ...rules.releases import ReleaseProfile, profile_for
from ...state.model import DesiredState
from ..model import Action, Note, Unchanged


@dataclass
class PlanContext:
    desired: DesiredState
    facts: Facts
    host: Host
    notes: List[Note] = field(default_factory=list)
    # the desired crashkernel= values resolved for this host (set by the crashkernel resource)
    crashkernel_values: Tuple[str, ...] = ()

    @property
    def release(self) -> OsRelease:
        fact = self.facts.os_release
        if not fact.known:
            raise FactError(
                f"cannot tell which RHEL release this is: {fact.unknown}",
                source=fact.source,
                hint="rtkdump needs /etc/os-release (or /etc/redhat-release) under the host root",
            )
        return fact.known_value

    @property
    def profile(self) -> ReleaseProfile:
        """This host's row of the release table; PlanError for a distribution or major rtkdump does not know."""
        osr = self.release
        where = self.facts.os_release.source.replace("file ", "")
        return profile_for(osr.id, osr.major, osr.minor, where)

    def require(self, fact: Fact, what: str, hint: Optional[str] = None):
        """The value of a fact the plan cannot go on without."""
        if not fact.known:
            raise FactError(f"cannot {what}: {fact.unknown}", source=fact.source, hint=hint)
        return fact.known_value

    def note(self, level: str, message: str) -> None:
        self.notes.append(Note(level, message))

    def unknown(self, fact: Fact, what: str) -> None:
        self.notes.append(Note("unknown", f"could not check {what}: {fact.unknown} ({fact.source})"))

    def plan_error(self, message: str, field_path: str, hint: Optional[str] = None) -> PlanError:
        return PlanError(message, field=field_path, location=self.desired.where(field_path), hint=hint)


@dataclass
class Outcome:
    actions: List[Action] = field(default_factory=list)
    unchanged: List[Unchanged] = field(default_factory=list)
    # set by the crash-kernel resource: why the actions that need the
    # reservation must wait for a reboot (None: the running kernel has it)
    barrier: Optional[str] = None
