"""Build the frozen DesiredState from a validated document.

Every default comes from the schema (``default_of``), so a key left out of a
state file means exactly what ``schemas/state-v1.schema.json`` says;
``tests/test_state.py`` checks that the model's own defaults agree.
"""

from __future__ import annotations

from typing import Any, Dict, List

from .doc import Doc, FieldPath, dotted
from .model import (
    CrashkernelSpec,
    DesiredState,
    DumpSpec,
    DumpTarget,
    RebootSpec,
    ServiceSpec,
    SysconfigSpec,
)
from .safety import KERNELVER_WORDS
from .schema import default_of


def _value(data: Dict[str, Any], *at: str) -> Any:
    """The value written at ``at``, else the schema's default for it."""
    node: Any = data
    for part in at:
        if not isinstance(node, dict) or part not in node:
            return default_of(*at)
        node = node[part]
    return node


def _word(value: Any, yes: str, no: str) -> str:
    """Fields that take a word or (for YAML's sake) a boolean: on/off, yes/no."""
    if isinstance(value, bool):
        return yes if value else no
    return value


def build(doc: Doc, sha256: str) -> DesiredState:
    d = doc.data
    present = _value(d, "state") == "present"
    value = _value(d, "crashkernel", "value")
    values = (value,) if isinstance(value, str) else tuple(value)
    entries = _value(d, "crashkernel", "entries")
    if isinstance(entries, list):
        crashkernel = CrashkernelSpec(values=values, entries="list", entry_list=tuple(entries))
    else:
        crashkernel = CrashkernelSpec(values=values, entries=entries)
    reboot = RebootSpec(policy=_value(d, "reboot", "policy"), max_reboots=_value(d, "reboot", "max_reboots"))
    locations = {dotted(at): doc.location(at) for at in _written(doc)}

    if not present:
        return DesiredState(
            source=doc.source,
            sha256=sha256,
            present=False,
            packages=(),
            crashkernel=CrashkernelSpec(
                values=(), entries=crashkernel.entries, entry_list=crashkernel.entry_list
            ),
            service=ServiceSpec(enabled=False, running=False),
            reboot=reboot,
            locations=locations,
        )

    tg = _value(d, "dump", "target")
    target = DumpTarget(
        kind=tg["type"],
        device=tg.get("device"),
        fstype=tg.get("fstype"),
        server=tg.get("server"),
        sshkey=tg.get("sshkey"),
    )
    dm = d.get("dump", {})
    extra = tuple((name, _word(val, "yes", "no")) for name, val in dm.get("extra", {}).items())
    dump = DumpSpec(
        target=target,
        path=_value(d, "dump", "path"),
        core_collector=dm.get("core_collector"),
        failure_action=dm.get("failure_action"),
        final_action=dm.get("final_action"),
        extra=extra,
    )
    kernelver = _value(d, "sysconfig", "kernelver")
    sysconfig = SysconfigSpec(
        append_ensure=tuple(_value(d, "sysconfig", "commandline_append", "ensure")),
        append_remove=tuple(_value(d, "sysconfig", "commandline_append", "remove")),
        kernelver=kernelver if kernelver in KERNELVER_WORDS else "explicit",
        kernelver_value=None if kernelver in KERNELVER_WORDS else kernelver,
    )
    crash_test = _value(d, "verify", "crash_test")
    return DesiredState(
        source=doc.source,
        sha256=sha256,
        present=True,
        packages=None if _value(d, "packages") == "recommended" else tuple(_value(d, "packages")),
        crashkernel=crashkernel,
        dump=dump,
        sysconfig=sysconfig,
        ls21_acpi_noirq=_word(_value(d, "quirks", "ls21_acpi_noirq"), "on", "off"),
        service=ServiceSpec(enabled=_value(d, "service", "enabled"), running=_value(d, "service", "running")),
        reboot=reboot,
        crash_test="off" if crash_test is False else crash_test,
        locations=locations,
    )


def _written(doc: Doc) -> List[FieldPath]:
    return [at for at in doc.value_pos if at]
