"""What a desired state makes worth asking the host (the FactRequest), without the planner.

Its own module so that ``rtkdump apply`` and ``plan`` can start the fact
commands before they import the planner and the executor.
"""

from __future__ import annotations

from typing import Tuple

from ..facts import FactRequest
from ..state.model import DesiredState


def fact_request(desired: DesiredState) -> FactRequest:
    target = desired.dump.target
    devices: Tuple[str, ...] = ()
    if target.kind in ("raw", "fs") and target.device and target.device.startswith("/dev/"):
        devices = (target.device,)
    files: Tuple[str, ...] = ()
    if desired.present:
        extra = dict(desired.dump.extra)
        for name in ("kdump_pre", "kdump_post", "extra_bins"):
            files += tuple(extra.get(name, "").split())
        if target.kind == "ssh" and target.sshkey:
            files += (target.sshkey,)
    return FactRequest(
        packages=desired.packages if desired.present else (),
        files=files,
        dump_path=desired.dump.path if target.kind == "local" and desired.present else None,
        devices=devices,
    )
