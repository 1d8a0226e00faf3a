"""Validate a parsed /etc/kdump.conf the way kdumpctl of a release does: an adapter onto rules/kdumpctl.

The rules themselves (per release: 7.9, 8.10, 9.0, 9.2, 9.4, 10.0, 10.1, read
from the real kdumpctl/mkdumprd of each, see docs/kdumpctl-rules.md) live in
``reconciler.rules.kdumpctl``; this module keeps the older ``(conf, major)``
entry point.  A bare major stands for its newest profile (7 -> 7.9, 8 -> 8.10,
9 -> 9.4, 10 -> 10.1); pass ``"9.2"`` etc. for a minor.  Pure.
"""

from __future__ import annotations

from typing import List, Optional, Union

from ..records import dataclass
from ..rules import kdumpctl
from .kdumpconf import KdumpConf

_NEWEST = {7: "7.9", 8: "8.10", 9: "9.4", 10: "10.1"}


@dataclass(frozen=True)
class ConfProblem:
    lineno: Optional[int]
    severity: str  # "error" | "warning"
    message: str  # kdumpctl's own wording for that release (without the "kdump: " prefix)


def release_key(release: Union[int, str]) -> str:
    if isinstance(release, bool):
        raise ValueError(f"unsupported RHEL release {release!r}")
    if isinstance(release, int):
        if release not in _NEWEST:
            raise ValueError(f"unsupported RHEL major release {release!r} (7, 8, 9 or 10 expected)")
        return _NEWEST[release]
    kdumpctl.profile(release)
    return release


def validate_kdump_conf(
    conf: KdumpConf, release: Union[int, str], host: Optional[kdumpctl.HostView] = None
) -> List[ConfProblem]:
    """What kdumpctl start of ``release`` says about ``conf``, in file order (the real tool's messages).

    rtkdump's own refusals (quotes, RHEL 7's ``cut -d' '`` readers, ...) are
    left out: they are about what rtkdump writes, not what kdumpctl says.
    """
    findings = kdumpctl.check_kdump_conf(conf.text, release_key(release), host)
    return [ConfProblem(f.lineno, f.severity, f.message) for f in findings if f.origin != "rtkdump"]
