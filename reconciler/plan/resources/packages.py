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
    installed = ctx.require(
        fact,
        "tell which packages are installed",
        hint="check `rpm -q` by hand (rpm --rebuilddb for a broken database)",
    )
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
