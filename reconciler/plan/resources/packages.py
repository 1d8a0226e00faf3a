"""Packages: every missing one installed in one transaction (yum on RHEL 7, dnf on 8/9)."""

from __future__ import annotations

from ..model import ADD, PACKAGE_LOCK_RETRY, Action, Unchanged
from . import Outcome, PlanContext


def check(ctx: PlanContext) -> Outcome:
    out = Outcome()
    wanted = ctx.desired.packages if ctx.desired.packages is not None else ctx.profile.packages
    if not wanted:
        return out
    fact = ctx.facts.packages
    if not fact.known:
        ctx.unknown(fact, "which packages are installed")
        return out
    installed = fact.known_value
    for name in wanted:
        if name not in installed.missing:
            nvras = ", ".join(installed.installed.get(name, ())) or name
            out.unchanged.append(Unchanged(f"package:{name}", "packages", f"installed ({nvras})"))
    missing = [name for name in wanted if name in installed.missing]
    if missing:
        manager = ctx.release.package_manager
        out.actions.append(
            Action(
                id="packages:install",
                symbol=ADD,
                resource="packages",
                summary=f"install {', '.join(missing)} ({manager})",
                why=f"rpm -q reports {len(missing)} of them not installed",
                argv=(tuple(ctx.host.package_manager(manager, "install", *missing)),),
                after="\n".join(missing),
                retry=PACKAGE_LOCK_RETRY,
            )
        )
    return out
