"""The state file's JSON Schema, and its errors translated into located, fixable messages.

``schemas/state-v1.schema.json`` is the one place that defines the fields, their
types and their defaults (``default_of``).  jsonschema's best error is turned
into a ``StateFileError`` by one small handler per schema keyword (``_HANDLERS``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..errors import StateFileError
from .doc import Doc, FieldPath, dotted

SCHEMA_NAME = "state-v1.schema.json"


@lru_cache(maxsize=None)
def schema_text() -> str:
    try:
        from .. import schemas  # type: ignore[attr-defined]  # schemas/ is installed as reconciler.schemas

        return (Path(str(schemas.__file__)).parent / SCHEMA_NAME).read_text(encoding="utf-8")
    except (ImportError, TypeError, FileNotFoundError):
        # a source tree that is not installed: schemas/ sits beside reconciler/
        return (Path(__file__).resolve().parents[2] / "schemas" / SCHEMA_NAME).read_text(encoding="utf-8")


def load_schema() -> Dict[str, Any]:
    """The state file JSON schema (a fresh copy)."""
    return json.loads(schema_text())


@lru_cache(maxsize=None)
def validator() -> Any:
    import jsonschema  # only when a state file is validated

    schema = load_schema()
    cls = getattr(jsonschema, "Draft202012Validator", None)
    if cls is not None:
        return cls(schema)
    # jsonschema < 4 (3.2.0 is RHEL 9's python3-jsonschema): Draft 7 (the schema uses no 2020-12-only
    # keyword), and a resolver with an empty base URI: 3.2 would resolve "#/$defs/..." against the
    # schema's urn: $id and fail with "RefResolutionError: unknown url type: ''".
    resolver = jsonschema.RefResolver(base_uri="", referrer=schema)
    return jsonschema.Draft7Validator(schema, resolver=resolver)


def schema_errors(data: Any) -> List[Any]:
    return list(validator().iter_errors(data))


def best_error(errors: List[Any]) -> Any:
    import jsonschema

    return jsonschema.exceptions.best_match(errors)


@lru_cache(maxsize=None)
def _root_schema() -> Dict[str, Any]:
    return load_schema()


def _resolve(node: Dict[str, Any]) -> Dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = _root_schema()["$defs"][ref[len("#/$defs/") :]]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def subschema(at: FieldPath) -> Optional[Dict[str, Any]]:
    node: Any = _root_schema()
    for part in at:
        if isinstance(part, int):
            nxt = node.get("items") or node.get("then", {}).get("items") or node.get("else", {}).get("items")
        else:
            nxt = node.get("properties", {}).get(part)
        if not isinstance(nxt, dict):
            return None
        node = _resolve(nxt)
    return node


def default_of(*at: str) -> Any:
    """The schema's ``default`` for a field: the only place defaults are written down."""
    node = subschema(tuple(at))
    if node is None or "default" not in node:
        raise KeyError(f"the state schema has no default for {'.'.join(at)}")
    value = node["default"]
    return json.loads(json.dumps(value))  # a copy: callers may not change the schema


def _description(at: FieldPath) -> Optional[str]:
    node = subschema(at)
    return node.get("description") if node else None


def _all_fields() -> List[FieldPath]:
    out: List[FieldPath] = []

    def visit(node: Dict[str, Any], at: FieldPath) -> None:
        for key, sub in node.get("properties", {}).items():
            out.append(at + (key,))
            if isinstance(sub, dict):
                visit(_resolve(sub), at + (key,))

    visit(_root_schema(), ())
    return out


def _branch(schema_path: Any) -> Tuple[Optional[str], Optional[str]]:
    """For an error raised inside an if/then: ("with type: nfs", the branch's description)."""
    node: Any = _root_schema()
    context = hint = None
    parts = list(schema_path)
    for i, part in enumerate(parts):
        if part == "if" and parts[i + 1 : i + 2] in (["then"], ["else"]):
            continue  # jsonschema 3.2 puts the "if" keyword before "then"; 4.x does not
        if part == "then" and isinstance(node, dict) and "if" in node:
            conds = []
            for prop, sub in node["if"].get("properties", {}).items():
                if isinstance(sub, dict) and "const" in sub:
                    conds.append(f"{prop}: {sub['const']}")
            context = "with " + ", ".join(conds) if conds else None
            hint = node["then"].get("description")
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    return context, hint


def show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return repr(value) if isinstance(value, str) else str(value)


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {show(value)} (YAML reads unquoted yes/no/on/off/true/false as booleans)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if value is None:
        return "empty (null)"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, _dates()):
        return f"the date {value} (YAML reads unquoted dates as dates)"
    return type(value).__name__


def _dates() -> Tuple[type, ...]:
    import datetime  # only on the way to an error message (a converged run imports none)

    return (datetime.date,)  # datetime.datetime is a date too


_EXPECTED = {
    "string": "a string",
    "array": "a list",
    "object": "a mapping of keys",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def closest(word: Any, options: List[str]) -> Optional[str]:
    if not isinstance(word, str):
        return None
    import difflib  # only when a diff or a suggestion is made

    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not found:
        found = difflib.get_close_matches(word.lower(), options, n=1, cutoff=0.6)
    return found[0] if found else None


class _Err:
    """One jsonschema error with what every handler needs, computed once."""

    def __init__(self, e: Any, doc: Doc):
        self.e = e
        self.doc = doc
        self.at: FieldPath = tuple(e.absolute_path)
        self.inst = e.instance
        self.desc = _description(self.at)
        self.context, self.branch_hint = _branch(e.absolute_schema_path)


def _additional_properties(x: _Err) -> Optional[StateFileError]:
    if not isinstance(x.inst, dict):
        return None
    allowed = list(x.e.schema.get("properties", {}))
    extra = [k for k in x.inst if k not in allowed][0]
    where = f" in {dotted(x.at)}" if x.at else " at the top level"
    close = closest(extra, allowed)
    if close:
        hint = f"did you mean '{close}'?"
    else:
        elsewhere = [dotted(p) for p in _all_fields() if p[-1] == extra and p[:-1] != x.at]
        if elsewhere:
            hint = f"'{extra}' belongs under {', '.join(sorted({p.rsplit('.', 1)[0] for p in elsewhere}))}"
        else:
            hint = "valid keys here: " + ", ".join(allowed)
    return x.doc.error(f"unknown key '{extra}'{where}", x.at + (extra,), on="key", hint=hint)


def _required(x: _Err) -> Optional[StateFileError]:
    if not isinstance(x.inst, dict):
        return None
    missing = [k for k in x.e.validator_value if k not in x.inst][0]
    message = f"'{missing}' is required" + (f" {x.context}" if x.context else "")
    hint = x.branch_hint or _description(x.at + (missing,))
    return x.doc.error(message, x.at, field=dotted(x.at + (missing,)), hint=hint)


def _not(x: _Err) -> StateFileError:
    key = x.at[-1] if x.at else "this key"
    message = f"'{key}' is not allowed" + (f" {x.context}" if x.context else " here")
    return x.doc.error(message, x.at, on="key", hint=x.branch_hint or x.desc)


def _type(x: _Err) -> StateFileError:
    value = x.e.validator_value
    expected = value if isinstance(value, list) else [value]
    want = " or ".join(_EXPECTED.get(str(t), str(t)) for t in expected)
    inst, desc = x.inst, x.desc
    hint = desc
    if "string" in expected and isinstance(inst, (bool, int, float) + _dates()):
        hint = "quote the value to make it a string" + (f". {desc}" if desc else "")
    elif "boolean" in expected and isinstance(inst, str):
        hint = "write true or false without quotes"
    elif expected == ["array"] and isinstance(inst, str):
        hint = f"write a list: [{inst}]"
    elif inst is None:
        hint = "give it a value or delete the key" + (f". {desc}" if desc else "")
    return x.doc.error(f"must be {want}, not {type_name(inst)}", x.at, hint=hint)


def _enum(x: _Err) -> StateFileError:
    if x.at == ("packages",) and isinstance(x.inst, str):  # the word or a list (oneOf)
        return x.doc.error(
            f"must be recommended or a list of package names, not {show(x.inst)}",
            x.at,
            hint=f"write a list: [{x.inst}], or packages: recommended (this release's set)",
        )
    options_all = x.e.validator_value
    words = [o for o in options_all if isinstance(o, str)]
    flags = [show(o) for o in options_all if isinstance(o, bool)]
    options = ", ".join(words) + (f" (or {'/'.join(flags)})" if flags else "")
    close = closest(x.inst, words)
    hint = f"did you mean '{close}'?" if close else x.desc
    if isinstance(x.inst, bool) and x.inst not in options_all:
        hint = f'write one of the words, in quotes if YAML would read it as a boolean: "{words[-1]}"'
    return x.doc.error(f"must be one of {options}, not {show(x.inst)}", x.at, hint=hint)


def _bounds(x: _Err) -> StateFileError:
    low, high = x.e.schema.get("minimum"), x.e.schema.get("maximum")
    if low is not None and high is not None:
        message = f"must be between {low} and {high}, not {show(x.inst)}"
    elif x.e.validator == "minimum":
        message = f"must be at least {low}, not {show(x.inst)}"
    else:
        message = f"must be at most {high}, not {show(x.inst)}"
    return x.doc.error(message, x.at, hint=x.desc)


def _min_items(x: _Err) -> StateFileError:
    return x.doc.error("must not be an empty list", x.at, hint=x.desc)


def _max_items(x: _Err) -> StateFileError:
    return x.doc.error(
        f"has {len(x.inst)} items; at most {x.e.validator_value} are allowed", x.at, hint=x.desc
    )


def _unique_items(x: _Err) -> Optional[StateFileError]:
    if not isinstance(x.inst, list):
        return None
    for j, item in enumerate(x.inst):
        if item in x.inst[:j]:
            return x.doc.error(f"lists {show(item)} twice", x.at + (j,), hint="delete the repeated item")
    return x.doc.error("has repeated items", x.at, hint="delete the repeated items")


def _pattern(x: _Err) -> Optional[StateFileError]:
    if not isinstance(x.inst, str):
        return None
    from .safety import check_string  # the precise reason a value is unsafe beats "does not match"

    problem = check_string(x.at, x.inst, x.doc.data)
    if problem:
        return x.doc.error(problem[0], x.at, hint=problem[1])
    leaf = dotted(x.at[-1:]) if x.at and isinstance(x.at[-1], str) else "item"
    message = f"{x.inst!r} is not a valid {leaf}" + (f" {x.context}" if x.context else "")
    return x.doc.error(message, x.at, hint=x.branch_hint or x.e.schema.get("description") or x.desc)


def _const(x: _Err) -> StateFileError:
    return x.doc.error(f"must be {show(x.e.validator_value)}, not {show(x.inst)}", x.at, hint=x.desc)


# schema keyword -> the message for a value that breaks it
_HANDLERS: Dict[str, Callable[[_Err], Optional[StateFileError]]] = {
    "additionalProperties": _additional_properties,
    "required": _required,
    "not": _not,
    "type": _type,
    "enum": _enum,
    "minimum": _bounds,
    "maximum": _bounds,
    "minItems": _min_items,
    "maxItems": _max_items,
    "uniqueItems": _unique_items,
    "pattern": _pattern,
    "const": _const,
}


def schema_error(e: Any, doc: Doc) -> StateFileError:
    """The located, fixable error for jsonschema's best-matching error ``e``."""
    x = _Err(e, doc)
    handler = _HANDLERS.get(e.validator)
    found = handler(x) if handler else None
    return found or doc.error(e.message, x.at, hint=x.desc)
