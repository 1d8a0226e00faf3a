"""Checks a JSON Schema cannot express: crashkernel syntax, kernel-argument conflicts, and the rest.

``check_before_schema`` runs first, for mistakes the schema would only call "not
valid" (YAML splitting a crashkernel value at its comma); ``check_after_schema``
runs on data the schema accepted.
"""

from __future__ import annotations

from typing import Dict

from ..rules.crashkernel import parse_crashkernel
from .doc import Doc, FieldPath, get
from .kdump import check_kdump
from .safety import check_strings


def _check_crashkernel(doc: Doc) -> None:
    at: FieldPath = ("crashkernel", "value")
    value = get(doc.data, at)
    if value is None:
        return
    items = [(at, value)] if isinstance(value, str) else [(at + (i,), v) for i, v in enumerate(value)]
    kinds = []
    for where, text in items:
        if text in ("recommended", "auto"):
            return  # words, not sizes; check_before_schema refused them inside a list
        try:
            parsed = parse_crashkernel(text)
        except ValueError as exc:
            hint = "see docs/state-file.md, crashkernel.value"
            try:
                parse_crashkernel(text.upper().replace(",HIGH", ",high").replace(",LOW", ",low"))
                hint = "write the size units in upper case: K, M, G, T"
            except ValueError:
                pass
            raise doc.error(str(exc), where, hint=hint) from None
        if parsed.kind in ("size", "high", "low") and parsed.size == 0:
            raise doc.error(
                f"{text!r} reserves no memory", where, hint="use recommended, or a size such as 256M"
            )
        kinds.append((where, parsed.kind))
    if isinstance(value, list):
        highs = [w for w, k in kinds if k == "high"]
        lows = [w for w, k in kinds if k == "low"]
        others = [w for w, k in kinds if k not in ("high", "low")]
        pair_hint = (
            'a list holds exactly one SIZE,high and optionally one SIZE,low, e.g. ["512M,high", "256M,low"]'
        )
        if others:
            raise doc.error("only SIZE,high and SIZE,low values may be listed", others[0], hint=pair_hint)
        if len(highs) > 1:
            raise doc.error("two ,high values: the kernel would use only the last", highs[1], hint=pair_hint)
        if len(lows) > 1:
            raise doc.error("two ,low values: the kernel would use only the last", lows[1], hint=pair_hint)
        if not highs:
            raise doc.error(
                "a ,low value alone reserves nothing",
                at,
                hint='add a SIZE,high value: ["512M,high", "256M,low"]',
            )
    elif kinds and kinds[0][1] == "low":
        raise doc.error(
            "a ,low value alone reserves nothing", at, hint='add a SIZE,high value: ["512M,high", "256M,low"]'
        )


def check_before_schema(doc: Doc) -> None:
    """Mistakes in a crashkernel.value list that the schema would only call "not valid"."""
    at: FieldPath = ("crashkernel", "value")
    value = get(doc.data, at)
    if not isinstance(value, list):
        return
    for i, item in enumerate(value):
        if item in ("high", "low"):
            # value: [512M,high, 256M,low] -- YAML splits unquoted flow items at the commas
            raise doc.error(
                f"YAML split a crashkernel value at its comma (this item reads just {item!r})",
                at + (i,),
                hint='in a [flow list] quote each value: ["512M,high", "256M,low"], or write a block list '
                "with one '- 512M,high' per line",
            )
        if item in ("recommended", "auto"):
            raise doc.error(
                f"{item} cannot be part of a list",
                at + (i,),
                hint=f"write value: {item} on its own; a list is only for a SIZE,high + SIZE,low pair",
            )


def _check_commandline(doc: Doc) -> None:
    base: FieldPath = ("sysconfig", "commandline_append")
    ensure = get(doc.data, base + ("ensure",), []) or []
    remove = get(doc.data, base + ("remove",), []) or []
    for name, tokens in (("ensure", ensure), ("remove", remove)):
        for i, tok in enumerate(tokens):
            at = base + (name, i)
            key = tok.split("=", 1)[0]
            if tok == "acpi=noirq":
                word = "on" if name == "ensure" else "off"
                raise doc.error(
                    "acpi=noirq is managed by quirks.ls21_acpi_noirq",
                    at,
                    hint=f"use quirks.ls21_acpi_noirq: {word} (the RHEL for Real Time guide: only on IBM LS21, "
                    "elsewhere it can break booting; auto decides from DMI)",
                )
            if key == "crashkernel":
                raise doc.error(
                    "crashkernel= does not belong in KDUMP_COMMANDLINE_APPEND (kdumpctl strips it from the "
                    "capture kernel's command line)",
                    at,
                    hint="set the reservation with crashkernel.value",
                )
    seen: Dict[str, int] = {}
    for i, tok in enumerate(ensure):
        key = tok.split("=", 1)[0]
        if key in seen and ensure[seen[key]] != tok:
            raise doc.error(
                f"{tok!r} and {ensure[seen[key]]!r} set {key} twice",
                base + ("ensure", i),
                hint="keep one: the kernel uses only the last value",
            )
        seen[key] = i
    for j, tok in enumerate(remove):
        for i, ens in enumerate(ensure):
            if tok == ens or ("=" not in tok and ens.split("=", 1)[0] == tok):
                raise doc.error(
                    f"{tok!r} is both ensured (ensure[{i}]) and removed",
                    base + ("remove", j),
                    hint="delete it from one of the two lists",
                )


def check_after_schema(doc: Doc) -> None:
    data = doc.data
    check_strings(doc)
    _check_crashkernel(doc)
    _check_commandline(doc)
    dracut = get(data, ("dump", "extra", "dracut_args"))
    if isinstance(dracut, str) and "--mount" in dracut.split():
        raise doc.error(
            "--mount in dracut_args declares a dump target",
            ("dump", "extra", "dracut_args"),
            hint="declare the target with dump.target (type fs with device and fstype)",
        )
    if get(data, ("verify", "crash_test")) == "once" and get(data, ("service", "running")) is False:
        raise doc.error(
            "a crash test needs the kdump service running",
            ("verify", "crash_test"),
            hint="set service.running: true or verify.crash_test: off",
        )
    check_kdump(doc)
