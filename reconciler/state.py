"""Load a state file (docs/state-file.md) into a validated, frozen DesiredState.

Public API::

    load_state(path)             -> DesiredState   # reads the file's bytes
    load_state_text(text, path)  -> DesiredState   # ``path`` is only used in messages
    load_schema()                -> dict           # schemas/state-v1.schema.json

Every problem is a :class:`~reconciler.errors.StateFileError` naming
``file:line:column`` (1-based) of the offending YAML node, the dotted field
(``dump.target.server``, list items as ``...ensure[0]``) and a fix hint.  Only
the first problem is reported, in this order: reading/decoding, YAML syntax
(duplicate keys, aliases and unknown tags included), ``version``, the JSON
schema (its best match), then the checks a schema cannot express
(crashkernel syntax, injection safety, path normalisation, kernel-argument
conflicts).

Where an error points:
- unknown key, key not allowed here, duplicate key: at the key;
- missing required key: at the mapping that lacks it;
- anything else: at the value.

``DesiredState.locations`` maps every field written in the file to
``file:line:column``: the value for scalars and list items, the key for
mappings and lists (their own line rather than their first child's).
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import json
import re
from functools import cache
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple, Union

import jsonschema
import yaml

from .crashkernel import parse_crashkernel
from .desired import (
    DEFAULT_PACKAGES,
    CrashkernelSpec,
    DesiredState,
    DumpSpec,
    DumpTarget,
    RebootSpec,
    ServiceSpec,
    SysconfigSpec,
)
from .errors import StateFileError

__all__ = ["SUPPORTED_VERSIONS", "SCHEMA_NAME", "load_schema", "load_state", "load_state_text"]

SUPPORTED_VERSIONS = (1,)
SCHEMA_NAME = "state-v1.schema.json"
MAX_FILE_BYTES = 1024 * 1024

Key = Union[str, int]
FieldPath = Tuple[Key, ...]
Pos = Tuple[int, int]

_T = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = _T + "str", _T + "int", _T + "float", _T + "bool", _T + "null"
_TIMESTAMP, _VALUE, _MERGE, _MAP, _SEQ = _T + "timestamp", _T + "value", _T + "merge", _T + "map", _T + "seq"
_CONSTRUCTED_SCALARS = (_INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP)

# Characters refused in anything written to kdump.conf, /etc/sysconfig/kdump
# (a sourced shell fragment) or a kernel command line.
_FORBIDDEN = {
    "\n": "a newline",
    "\r": "a carriage return",
    "\0": "a NUL character",
    '"': 'a double quote (")',
    "'": "a single quote (')",
    "\\": "a backslash (\\)",
    "`": "a backtick (`)",
    "$": "'$'",
    ";": "';'",
    "&": "'&'",
    "|": "'|'",
    "<": "'<'",
    ">": "'>'",
    "#": "'#' (kdump.conf would read the rest of the line as a comment)",
}
_FORBIDDEN_LIST = "newlines, quotes, backslashes, backticks or any of $ ; & | < > #"
# What is left of printable ASCII once whitespace and _FORBIDDEN are taken out;
# the same class as the schema's $defs patterns.
_SAFE_CHARS = r"A-Za-z0-9!%()*+,./:=?@\[\]^_{}~-"
_KARG_RE = re.compile(rf"^[A-Za-z0-9_][A-Za-z0-9_.-]*(=[{_SAFE_CHARS}]+)?$")
_UNAME_RE = re.compile(r"^[0-9][A-Za-z0-9._+~-]*$")
_PACKAGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_NFS_RE = re.compile(r"^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(/.*)$")
_SSH_RE = re.compile(r"^[A-Za-z0-9._-]+@([A-Za-z0-9._:-]+|\[[0-9A-Fa-f:.]+\])$")
_KERNELVER_WORDS = ("unmanaged", "running", "latest-rt")

# Fields whose strings end up in a file or command line: field pattern -> kind.
_KINDS: Dict[Tuple[str, ...], str] = {
    ("packages", "*"): "package",
    ("crashkernel", "value"): "crashkernel",
    ("crashkernel", "value", "*"): "crashkernel",
    ("crashkernel", "entries", "*"): "entry",
    ("dump", "target", "device"): "device",
    ("dump", "target", "server"): "server",
    ("dump", "target", "sshkey"): "path",
    ("dump", "path"): "path",
    ("dump", "core_collector"): "words",
    ("dump", "extra", "dracut_args"): "words",
    ("dump", "extra", "extra_modules"): "words",
    ("dump", "extra", "extra_bins"): "words",
    ("dump", "extra", "kdump_pre"): "path",
    ("dump", "extra", "kdump_post"): "path",
    ("sysconfig", "commandline_append", "ensure", "*"): "karg",
    ("sysconfig", "commandline_append", "remove", "*"): "karg",
    ("sysconfig", "kernelver"): "kernelver",
}
_MULTIWORD = {"words"}
_DESTINATION = {
    "packages": "the yum/dnf command line",
    "crashkernel": "the kernel command line of the boot entries",
    "dump": "/etc/kdump.conf",
    "sysconfig": "/etc/sysconfig/kdump",
}


# --------------------------------------------------------------------------- YAML


class _AliasError(yaml.MarkedYAMLError):
    pass


class _MarkedLoader(yaml.SafeLoader):
    """SafeLoader that composes a node tree (nodes keep their marks) and refuses aliases.

    An alias node is the anchored node itself, so a value read through ``*x``
    would carry the anchor's line; state files are short enough to write out.
    """

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasError(
                None,
                None,
                f"YAML aliases (*{event.anchor}) are not supported in a state file",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_T) :] if tag.startswith(_T) else tag


def _dotted(at: FieldPath) -> str:
    out = ""
    for part in at:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _node_pos(node: yaml.Node) -> Pos:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Doc:
    """The parsed file: plain Python data plus where each field was written."""

    def __init__(self, source: str):
        self.source = source
        self.data: Any = None
        self.key_pos: Dict[FieldPath, Pos] = {}
        self.value_pos: Dict[FieldPath, Pos] = {}
        self.collections: Set[FieldPath] = set()

    def pos(self, at: FieldPath, on: str = "value") -> Pos:
        table = self.key_pos if on == "key" else self.value_pos
        at = tuple(at)
        while True:
            if at in table:
                return table[at]
            if at in self.value_pos:
                return self.value_pos[at]
            if not at:
                return (1, 1)
            at = at[:-1]

    def error(
        self,
        message: str,
        at: FieldPath = (),
        *,
        on: str = "value",
        pos: Optional[Pos] = None,
        field: Optional[str] = None,
        hint: Optional[str] = None,
    ) -> StateFileError:
        line, column = pos if pos is not None else self.pos(at, on)
        if field is None:
            field = _dotted(at) or None
        return StateFileError(
            message,
            path=self.source,
            line=line,
            column=column,
            field=field,
            hint=hint or "see docs/state-file.md",
        )

    def location(self, at: FieldPath) -> str:
        on = "key" if at in self.collections else "value"
        line, column = self.pos(at, on)
        return f"{self.source}:{line}:{column}"


def _line_col(text: str, index: int) -> Pos:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _parse(text: str, doc: _Doc) -> None:
    try:
        loader = _MarkedLoader(text)
    except yaml.reader.ReaderError as e:
        raise _reader_error(e, text, doc) from None
    try:
        node = loader.get_single_node()
        doc.data = None if node is None else _walk(loader, node, (), doc)
    except yaml.reader.ReaderError as e:
        raise _reader_error(e, text, doc) from None
    except _AliasError as e:
        mark = e.problem_mark
        raise doc.error(
            e.problem or "YAML aliases are not supported",
            pos=(mark.line + 1, mark.column + 1),
            hint="write the value out in full instead of *alias",
        ) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        message = f"YAML syntax error: {e.problem or e.context}"
        if e.context and e.problem and e.context_mark is not None:
            message += f" ({e.context} at line {e.context_mark.line + 1}, column {e.context_mark.column + 1})"
        pos = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise doc.error(
            message,
            pos=pos,
            hint="check indentation and quoting here; quote values that contain ': ', ' #' or start with "
            "one of [ ] { } & * ! | > ' \" % @ `",
        ) from None
    except yaml.YAMLError as e:
        raise doc.error(f"YAML error: {e}", pos=(1, 1)) from None
    except RecursionError:
        raise doc.error("the YAML is nested too deeply", pos=(1, 1)) from None
    finally:
        loader.dispose()


def _reader_error(e: yaml.reader.ReaderError, text: str, doc: _Doc) -> StateFileError:
    line, column = _line_col(text, e.position)
    char = e.character if isinstance(e.character, str) else chr(e.character)
    return doc.error(
        f"the file contains the control character U+{ord(char):04X}, which YAML does not allow",
        pos=(line, column),
        hint="remove it (state files are UTF-8 text)",
    )


def _walk(loader: _MarkedLoader, node: yaml.Node, at: FieldPath, doc: _Doc) -> Any:
    doc.value_pos[at] = _node_pos(node)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            raise doc.error(f"the YAML tag {_tag_name(node.tag)} is not supported in a state file", at)
        doc.collections.add(at)
        out: Dict[str, Any] = {}
        first: Dict[str, Pos] = {}
        for knode, vnode in node.value:
            kpos = _node_pos(knode)
            if knode.tag == _MERGE:
                raise doc.error(
                    "YAML merge keys (<<) are not supported in a state file",
                    pos=kpos,
                    field=_dotted(at) or None,
                    hint="write the keys out in full",
                )
            if not isinstance(knode, yaml.ScalarNode) or knode.tag != _STR:
                shown = knode.value if isinstance(knode, yaml.ScalarNode) else "a collection"
                raise doc.error(
                    f"keys must be names, but YAML reads {shown!r} as {_tag_name(knode.tag)}",
                    pos=kpos,
                    field=_dotted(at) or None,
                    hint="use one of the documented key names (docs/state-file.md)",
                )
            key = knode.value
            if key in first:
                line, column = first[key]
                raise doc.error(
                    f"duplicate key '{key}' (first at line {line}, column {column})",
                    pos=kpos,
                    field=_dotted(at + (key,)),
                    hint="a key may appear once per mapping: delete or merge one of them "
                    "(YAML would otherwise silently keep the last one)",
                )
            first[key] = kpos
            doc.key_pos[at + (key,)] = kpos
            out[key] = _walk(loader, vnode, at + (key,), doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise doc.error(f"the YAML tag {_tag_name(node.tag)} is not supported in a state file", at)
        doc.collections.add(at)
        return [_walk(loader, item, at + (i,), doc) for i, item in enumerate(node.value)]
    # scalar
    if node.tag in (_STR, _VALUE):
        return node.value
    if node.tag in _CONSTRUCTED_SCALARS:
        try:
            return loader.construct_object(node, deep=True)
        except Exception:  # PyYAML raises ValueError/AttributeError/... on e.g. "!!int x"
            raise doc.error(
                f"YAML reads {node.value!r} as {_tag_name(node.tag)} but it is not a valid one",
                at,
                hint="quote the value if it is meant as text",
            ) from None
    raise doc.error(
        f"the YAML tag {_tag_name(node.tag)} is not allowed in a state file",
        at,
        hint="remove the tag: a state file holds plain strings, numbers, booleans, lists and mappings",
    )


# ------------------------------------------------------------------------- schema


@cache
def _schema_text() -> str:
    try:
        from importlib.resources import files

        return (files("reconciler.schemas") / SCHEMA_NAME).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        # running from a source tree that is not installed: schemas/ sits beside reconciler/
        from pathlib import Path

        return (Path(__file__).resolve().parent.parent / "schemas" / SCHEMA_NAME).read_text(encoding="utf-8")


def load_schema() -> Dict[str, Any]:
    """The state file JSON schema (a fresh copy)."""
    return json.loads(_schema_text())


@cache
def _validator() -> Any:
    schema = load_schema()
    cls = getattr(jsonschema, "Draft202012Validator", None)
    if cls is None:  # jsonschema < 4: the schema uses no 2020-12-only keyword
        cls = jsonschema.Draft7Validator
    return cls(schema)


def _root_schema() -> Dict[str, Any]:
    return _validator().schema


def _resolve(node: Dict[str, Any]) -> Dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = _root_schema()["$defs"][ref[len("#/$defs/") :]]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _subschema(at: FieldPath) -> Optional[Dict[str, Any]]:
    node: Any = _root_schema()
    for part in at:
        if isinstance(part, int):
            nxt = node.get("items") or node.get("then", {}).get("items")
        else:
            nxt = node.get("properties", {}).get(part)
        if not isinstance(nxt, dict):
            return None
        node = _resolve(nxt)
    return node


def _description(at: FieldPath) -> Optional[str]:
    node = _subschema(at)
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
    for part in schema_path:
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


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return repr(value) if isinstance(value, str) else str(value)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {_show(value)} (YAML reads unquoted yes/no/on/off/true/false as booleans)"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if value is None:
        return "empty (null)"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"the date {value} (YAML reads unquoted dates as dates)"
    return type(value).__name__


_EXPECTED = {
    "string": "a string",
    "array": "a list",
    "object": "a mapping of keys",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _closest(word: Any, options: List[str]) -> Optional[str]:
    if not isinstance(word, str):
        return None
    found = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not found:
        found = difflib.get_close_matches(word.lower(), options, n=1, cutoff=0.6)
    return found[0] if found else None


def _schema_error(e: Any, doc: _Doc) -> StateFileError:
    at: FieldPath = tuple(e.absolute_path)
    v = e.validator
    inst = e.instance
    desc = _description(at)
    context, branch_hint = _branch(e.absolute_schema_path)

    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = list(e.schema.get("properties", {}))
        extra = [k for k in inst if k not in allowed][0]
        key_at = at + (extra,)
        where = f" in {_dotted(at)}" if at else " at the top level"
        close = _closest(extra, allowed)
        if close:
            hint = f"did you mean '{close}'?"
        else:
            elsewhere = [_dotted(p) for p in _all_fields() if p[-1] == extra and p[:-1] != at]
            if elsewhere:
                hint = (
                    f"'{extra}' belongs under {', '.join(sorted({x.rsplit('.', 1)[0] for x in elsewhere}))}"
                )
            else:
                hint = "valid keys here: " + ", ".join(allowed)
        return doc.error(f"unknown key '{extra}'{where}", key_at, on="key", hint=hint)

    if v == "required" and isinstance(inst, dict):
        missing = [k for k in e.validator_value if k not in inst][0]
        message = f"'{missing}' is required" + (f" {context}" if context else "")
        hint = branch_hint or _description(at + (missing,))
        return doc.error(message, at, field=_dotted(at + (missing,)), hint=hint)

    if v == "not":
        key = at[-1] if at else "this key"
        message = f"'{key}' is not allowed" + (f" {context}" if context else " here")
        return doc.error(message, at, on="key", hint=branch_hint or desc)

    if v == "type":
        expected = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
        want = " or ".join(_EXPECTED.get(t, t) for t in expected)
        hint = desc
        if "string" in expected and isinstance(inst, (bool, int, float, datetime.date)):
            hint = "quote the value to make it a string" + (f". {desc}" if desc else "")
        elif "boolean" in expected and isinstance(inst, str):
            hint = "write true or false without quotes"
        elif expected == ["array"] and isinstance(inst, str):
            hint = f"write a list: [{inst}]"
        elif inst is None:
            hint = "give it a value or delete the key" + (f". {desc}" if desc else "")
        return doc.error(f"must be {want}, not {_type_name(inst)}", at, hint=hint)

    if v == "enum":
        words = [o for o in e.validator_value if isinstance(o, str)]
        flags = [_show(o) for o in e.validator_value if isinstance(o, bool)]
        options = ", ".join(words) + (f" (or {'/'.join(flags)})" if flags else "")
        close = _closest(inst, [o for o in e.validator_value if isinstance(o, str)])
        hint = f"did you mean '{close}'?" if close else desc
        if isinstance(inst, bool) and inst not in e.validator_value:
            hint = f'write one of the words, in quotes if YAML would read it as a boolean: "{words[-1]}"'
        return doc.error(f"must be one of {options}, not {_show(inst)}", at, hint=hint)

    if v in ("minimum", "maximum"):
        sub = e.schema
        low, high = sub.get("minimum"), sub.get("maximum")
        if low is not None and high is not None:
            message = f"must be between {low} and {high}, not {_show(inst)}"
        elif v == "minimum":
            message = f"must be at least {low}, not {_show(inst)}"
        else:
            message = f"must be at most {high}, not {_show(inst)}"
        return doc.error(message, at, hint=desc)

    if v == "minItems":
        return doc.error("must not be an empty list", at, hint=desc)

    if v == "maxItems":
        return doc.error(f"has {len(inst)} items; at most {e.validator_value} are allowed", at, hint=desc)

    if v == "uniqueItems" and isinstance(inst, list):
        for j, item in enumerate(inst):
            if item in inst[:j]:
                return doc.error(f"lists {_show(item)} twice", at + (j,), hint="delete the repeated item")
        return doc.error("has repeated items", at, hint="delete the repeated items")

    if v == "pattern" and isinstance(inst, str):
        problem = _check_string(at, inst, doc.data)
        if problem:
            return doc.error(problem[0], at, hint=problem[1])
        leaf = _dotted(at[-1:]) if at and isinstance(at[-1], str) else "item"
        message = f"{inst!r} is not a valid {leaf}" + (f" {context}" if context else "")
        return doc.error(message, at, hint=branch_hint or e.schema.get("description") or desc)

    if v == "const":
        return doc.error(f"must be {_show(e.validator_value)}, not {_show(inst)}", at, hint=desc)

    return doc.error(e.message, at, hint=desc)


# ---------------------------------------------------------------- semantic checks


def _kind(at: FieldPath) -> Optional[str]:
    return _KINDS.get(tuple("*" if isinstance(p, int) else p for p in at))


def _destination(at: FieldPath) -> str:
    if at[:2] == ("crashkernel", "entries"):
        return "the grubby command line"
    return _DESTINATION.get(str(at[0]) if at else "", "the host")


def _unsafe(value: str, at: FieldPath, multiword: bool) -> Optional[Tuple[str, str]]:
    dest = _destination(at)
    for ch in value:
        if ch in _FORBIDDEN:
            return (
                f"contains {_FORBIDDEN[ch]}, which rtkdump refuses in a value it writes to {dest}",
                f"remove it: this field must not contain {_FORBIDDEN_LIST}",
            )
    if not value:
        return "must not be empty", "give it a value or delete the key"
    for ch in value:
        if ch.isspace():
            if multiword and ch == " ":
                continue
            if multiword:
                return (
                    f"contains the whitespace character U+{ord(ch):04X}; words must be separated by single spaces",
                    "use single plain spaces between words",
                )
            return "contains whitespace, but this field is a single token", _token_hint(at)
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            return f"contains the control character U+{ord(ch):04X}", "remove it"
        if ord(ch) > 0x7E:
            return (
                f"contains the non-ASCII character {ch!r} (U+{ord(ch):04X})",
                f"only printable ASCII is allowed in a value written to {dest}",
            )
    if multiword:
        if value != value.strip(" "):
            return "starts or ends with a space", "delete the leading/trailing spaces"
        if "  " in value:
            return "contains two spaces in a row", "separate words with single spaces"
    return None


def _token_hint(at: FieldPath) -> str:
    if _kind(at) == "karg":
        return "write each kernel argument as its own list item, e.g. ensure: [reset_devices, nr_cpus=1]"
    if _kind(at) == "crashkernel":
        return "write crashkernel values without spaces, e.g. 1G-4G:192M,4G-64G:256M,64G-:512M"
    return "remove the whitespace"


def _path_problem(value: str, what: str) -> Optional[Tuple[str, str]]:
    if not value.startswith("/"):
        return f"{value!r} is not an absolute path", f"write the full {what} starting with /, e.g. /{value}"
    parts = value.split("/")
    if ".." in parts:
        return f"{value!r} contains '..'", f"write the {what} without '..' (the resolved path)"
    if "." in parts or "//" in value or (len(value) > 1 and value.endswith("/")):
        clean = "/" + "/".join(p for p in parts if p not in ("", "."))
        return f"{value!r} is not a normalised path", f"write {clean}"
    return None


def _check_string(at: FieldPath, value: str, data: Any) -> Optional[Tuple[str, str]]:
    """(message, hint) for a bad value of an injection-sensitive field, None when fine."""
    kind = _kind(at)
    if kind is None:
        return None
    problem = _unsafe(value, at, kind in _MULTIWORD)
    if problem:
        return problem
    if kind == "path":
        return _path_problem(value, "path")
    if kind == "package":
        if not _PACKAGE_RE.match(value):
            return f"{value!r} is not a package name", "an RPM name such as kexec-tools"
    elif kind == "entry":
        if value.startswith("/"):
            problem = _path_problem(value, "kernel path")
            if problem:
                return problem
            if not value.rsplit("/", 1)[-1].startswith("vmlinuz-"):
                return (
                    f"{value!r} is not a kernel image path",
                    "name a kernel as /boot/vmlinuz-<uname -r> or by its uname -r string",
                )
        elif not _UNAME_RE.match(value):
            return (
                f"{value!r} is neither a kernel path nor a uname -r string",
                "name a kernel as /boot/vmlinuz-5.14.0-427.20.1.el9_4.x86_64+rt or 5.14.0-427.20.1.el9_4.x86_64+rt; "
                "or use entries: realtime | all | default",
            )
    elif kind == "device":
        if value.startswith("/"):
            return _path_problem(value, "device path")
    elif kind == "server":
        ttype = _get(data, ("dump", "target", "type"))
        if ttype == "nfs":
            m = _NFS_RE.match(value)
            if m:
                return _path_problem(m.group(2), "export path")
        elif ttype == "ssh" and not _SSH_RE.match(value):
            return f"{value!r} is not user@host", "e.g. kdump@dumps.example.com"
    elif kind == "karg":
        if not _KARG_RE.match(value):
            if value.endswith("=") and _KARG_RE.match(value[:-1]):
                return f"{value!r} has nothing after '='", "write key=value, or the bare key for a flag"
            return (
                f"{value!r} is not a kernel argument (key or key=value)",
                "a key is letters, digits, '_', '.' and '-', e.g. reset_devices or nr_cpus=1",
            )
    elif kind == "kernelver":
        if value not in _KERNELVER_WORDS and not _UNAME_RE.match(value):
            close = _closest(value, list(_KERNELVER_WORDS))
            return (
                f"{value!r} is not unmanaged, running, latest-rt or a uname -r string",
                f"did you mean '{close}'?" if close else "e.g. kernelver: 5.14.0-427.20.1.el9_4.x86_64+rt",
            )
    return None


def _get(data: Any, at: FieldPath, default: Any = None) -> Any:
    for part in at:
        if isinstance(data, dict) and isinstance(part, str) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return default
    return data


def _strings(data: Any, at: FieldPath = ()) -> Iterator[Tuple[FieldPath, str]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _strings(v, at + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _strings(v, at + (i,))
    elif isinstance(data, str):
        yield at, data


def _check_crashkernel(doc: _Doc) -> None:
    at: FieldPath = ("crashkernel", "value")
    value = _get(doc.data, at)
    if value is None:
        return
    items = [(at, value)] if isinstance(value, str) else [(at + (i,), v) for i, v in enumerate(value)]
    kinds = []
    for where, text in items:
        if text in ("recommended", "auto"):
            if isinstance(value, list):
                raise doc.error(
                    f"{text} cannot be part of a list",
                    where,
                    hint=f"write value: {text} on its own; a list is only for a SIZE,high + SIZE,low pair",
                )
            return
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


def _check_value_list(doc: _Doc) -> None:
    """Mistakes in a crashkernel.value list that the schema would only call "not valid"."""
    at: FieldPath = ("crashkernel", "value")
    value = _get(doc.data, at)
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


def _check_commandline(doc: _Doc) -> None:
    base: FieldPath = ("sysconfig", "commandline_append")
    ensure = _get(doc.data, base + ("ensure",), []) or []
    remove = _get(doc.data, base + ("remove",), []) or []
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


def _semantic(doc: _Doc) -> None:
    data = doc.data
    for at, value in _strings(data):
        problem = _check_string(at, value, data)
        if problem:
            raise doc.error(problem[0], at, hint=problem[1])
    _check_crashkernel(doc)
    _check_commandline(doc)
    dracut = _get(data, ("dump", "extra", "dracut_args"))
    if isinstance(dracut, str) and "--mount" in dracut.split():
        raise doc.error(
            "--mount in dracut_args declares a dump target",
            ("dump", "extra", "dracut_args"),
            hint="declare the target with dump.target (type fs with device and fstype)",
        )
    if _get(data, ("verify", "crash_test")) == "once" and _get(data, ("service", "running")) is False:
        raise doc.error(
            "a crash test needs the kdump service running",
            ("verify", "crash_test"),
            hint="set service.running: true or verify.crash_test: off",
        )


# -------------------------------------------------------------------------- build


def _build(doc: _Doc, sha256: str) -> DesiredState:
    d = doc.data
    present = d.get("state", "present") == "present"
    ck = d.get("crashkernel", {})
    value = ck.get("value", "recommended")
    values = (value,) if isinstance(value, str) else tuple(value)
    entries = ck.get("entries", "realtime")
    if isinstance(entries, list):
        crashkernel = CrashkernelSpec(values=values, entries="list", entry_list=tuple(entries))
    else:
        crashkernel = CrashkernelSpec(values=values, entries=entries)
    rb = d.get("reboot", {})
    reboot = RebootSpec(policy=rb.get("policy", "manual"), max_reboots=rb.get("max_reboots", 2))
    locations = {_dotted(at): doc.location(at) for at in doc.value_pos if at}

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

    dm = d.get("dump", {})
    tg = dm.get("target", {"type": "local"})
    target = DumpTarget(
        kind=tg["type"],
        device=tg.get("device"),
        fstype=tg.get("fstype"),
        server=tg.get("server"),
        sshkey=tg.get("sshkey"),
    )
    extra = []
    for name, val in dm.get("extra", {}).items():
        extra.append((name, ("yes" if val else "no") if isinstance(val, bool) else val))
    dump = DumpSpec(
        target=target,
        path=dm.get("path", "/var/crash"),
        core_collector=dm.get("core_collector"),
        failure_action=dm.get("failure_action"),
        final_action=dm.get("final_action"),
        extra=tuple(extra),
    )
    sc = d.get("sysconfig", {})
    ca = sc.get("commandline_append", {})
    kernelver = sc.get("kernelver", "unmanaged")
    sysconfig = SysconfigSpec(
        append_ensure=tuple(ca.get("ensure", ())),
        append_remove=tuple(ca.get("remove", ())),
        kernelver=kernelver if kernelver in _KERNELVER_WORDS else "explicit",
        kernelver_value=None if kernelver in _KERNELVER_WORDS else kernelver,
    )
    quirk = d.get("quirks", {}).get("ls21_acpi_noirq", "auto")
    if isinstance(quirk, bool):
        quirk = "on" if quirk else "off"
    crash_test = d.get("verify", {}).get("crash_test", "off")
    if crash_test is False:
        crash_test = "off"
    sv = d.get("service", {})
    return DesiredState(
        source=doc.source,
        sha256=sha256,
        present=True,
        packages=tuple(d["packages"]) if "packages" in d else DEFAULT_PACKAGES,
        crashkernel=crashkernel,
        dump=dump,
        sysconfig=sysconfig,
        ls21_acpi_noirq=quirk,
        service=ServiceSpec(enabled=sv.get("enabled", True), running=sv.get("running", True)),
        reboot=reboot,
        crash_test=crash_test,
        locations=locations,
    )


# ------------------------------------------------------------------------ loading


def _load(text: str, path: str, sha256: str) -> DesiredState:
    doc = _Doc(path)
    if text.startswith("\ufeff"):
        text = text[1:]
    _parse(text, doc)
    data = doc.data
    if data is None:
        raise doc.error(
            "the state file is empty", pos=(1, 1), hint="start with: version: 1 (see states/default.yaml)"
        )
    if not isinstance(data, dict):
        raise doc.error(
            f"the top level must be a mapping of keys (version: 1, ...), not {_type_name(data)}",
            pos=doc.pos(()),
            hint="start with: version: 1 and put the other keys beside it, unindented",
        )
    versions = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
    if "version" not in data:
        raise doc.error(
            "'version' is missing",
            (),
            field="version",
            hint=f"add version: 1 at the top (this rtkdump reads state file version {versions})",
        )
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version not in SUPPORTED_VERSIONS:
        raise doc.error(
            f"this rtkdump reads state file version {versions} only, not {_type_name(version)}",
            ("version",),
            hint="write version: 1, or use the rtkdump release that wrote this format",
        )
    _check_value_list(doc)
    errors = list(_validator().iter_errors(data))
    if errors:
        raise _schema_error(jsonschema.exceptions.best_match(errors), doc)
    _semantic(doc)
    return _build(doc, sha256)


def load_state_text(text: str, path: str) -> DesiredState:
    """Validate state-file ``text``; ``path`` names it in errors and DesiredState.source."""
    return _load(text, path, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


def load_state(path: str) -> DesiredState:
    """Read, validate and return the state file at ``path``. Raises StateFileError."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        reason = e.strerror or str(e)
        raise StateFileError(
            f"cannot read the state file: {reason}",
            path=str(path),
            hint="check the path and its permissions",
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise StateFileError(
            f"the state file is larger than {MAX_FILE_BYTES // 1024} KiB",
            path=str(path),
            line=1,
            column=1,
            hint="is this really a state file?",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        start = e.start
        line = raw.count(b"\n", 0, start) + 1
        line_start = raw.rfind(b"\n", 0, start) + 1
        column = len(raw[line_start:start].decode("utf-8", "replace")) + 1
        raise StateFileError(
            f"the file is not UTF-8 text: byte 0x{raw[start]:02x} cannot be decoded",
            path=str(path),
            line=line,
            column=column,
            hint="save the file as UTF-8, e.g. iconv -f latin1 -t utf-8",
        ) from None
    return _load(text, str(path), hashlib.sha256(raw).hexdigest())
