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

from typing import TYPE_CHECKING, Optional

from ..digest import sha256
from ..errors import StateFileError
from .build import build
from .doc import Doc, line_col
from .model import DesiredState
from .schema import (
    SCHEMA_NAME,
    best_error,
    load_schema,
    schema_error,
    schema_errors,
    schema_text,
    type_name,
)
from .semantic import check_after_schema, check_before_schema

if TYPE_CHECKING:  # pragma: no cover
    from .cache import StateCache

__all__ = [
    "SUPPORTED_VERSIONS",
    "SCHEMA_NAME",
    "DesiredState",
    "load_schema",
    "load_state",
    "load_state_text",
]

SUPPORTED_VERSIONS = (1,)
# YAML reads these as line breaks; grep, diff and a reviewer's eye do not: a line
# that looks like a comment could carry a live key.  Refused anywhere.
_HIDDEN_BREAKS = {"\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR", "\x85": "NEXT LINE"}


def check_line_breaks(text: str, doc: Doc) -> None:
    """A located error for the first Unicode line break or lone carriage return."""
    for i, ch in enumerate(text):
        if ch in _HIDDEN_BREAKS or (ch == "\r" and text[i + 1 : i + 2] != "\n"):
            name = _HIDDEN_BREAKS.get(ch, "CARRIAGE RETURN")
            raise doc.error(
                f"the file contains U+{ord(ch):04X} {name}, a line break for YAML but not for grep or a "
                "reviewer",
                pos=line_col(text, i),
                hint="remove it; end lines with \\n (or \\r\\n) only",
            )


MAX_FILE_BYTES = 1024 * 1024


def _parse(text: str, path: str) -> Doc:
    from .yamlpos import parse  # PyYAML: only for a text the cache does not hold

    doc = Doc(path)
    check_line_breaks(text, doc)
    parse(text, doc)
    return doc


def _load(text: str, path: str, sha256: str, cache: Optional[StateCache] = None) -> DesiredState:
    if text.startswith("\ufeff"):
        text = text[1:]
    key = doc = None
    if cache is not None:
        from .cache import cache_key

        key = cache_key(text, schema_text())
        doc = cache.lookup(key, path)
    validated = doc is not None  # this very text (and schema, and rtkdump) passed before
    if doc is None:
        doc = _parse(text, path)
    data = doc.data
    if data is None:
        raise doc.error(
            "the state file is empty", pos=(1, 1), hint="start with: version: 1 (see states/default.yaml)"
        )
    if not isinstance(data, dict):
        raise doc.error(
            f"the top level must be a mapping of keys (version: 1, ...), not {type_name(data)}",
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
            f"this rtkdump reads state file version {versions} only, not {type_name(version)}",
            ("version",),
            hint="write version: 1, or use the rtkdump release that wrote this format",
        )
    check_before_schema(doc)
    if not validated:
        errors = schema_errors(data)
        if errors:
            raise schema_error(best_error(errors), doc)
    check_after_schema(doc)
    if key is not None and cache is not None:
        cache.record(key, doc)
    return build(doc, sha256)


def load_state_text(text: str, path: str) -> DesiredState:
    """Validate state-file ``text``; ``path`` names it in errors and DesiredState.source."""
    return _load(text, path, sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


def load_state(path: str, cache: Optional[StateCache] = None) -> DesiredState:
    """Read, validate and return the state file at ``path``. Raises StateFileError.

    ``cache`` (state/cache.py): skip the YAML parse and the JSON schema for a text that
    already passed them.
    """
    from ..host.safety import read_regular

    try:
        # non-blocking, regular files only: a FIFO as the state file is an error, not a hang
        raw = read_regular(str(path), limit=MAX_FILE_BYTES)
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
    return _load(text, str(path), sha256(raw).hexdigest(), cache)
