"""A parsed state file: its plain data and where each field was written.

No YAML here: ``yamlpos.parse`` fills a ``Doc`` from the text, and
``state/cache.py`` refills one from a text that already passed, so a
converged cron run never imports PyYAML.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, Optional, Set, Tuple, Union

from ..errors import StateFileError

Key = Union[str, int]
FieldPath = Tuple[Key, ...]
Pos = Tuple[int, int]


def dotted(at: FieldPath) -> str:
    out = ""
    for part in at:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


class Doc:
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
            field = dotted(at) or None
        return StateFileError(
            message,
            path=self.source,
            line=line,
            column=column,
            field=field,
            hint=hint or "see docs/state-file.md",
        )

    def to_plain(self) -> Optional[Dict[str, Any]]:
        """The parse as JSON data (state/cache.py keeps it), or None when JSON cannot carry it.

        Only str, int, float, bool, null, lists and string-keyed mappings
        round-trip exactly; a YAML timestamp, say, does not, and such a file is
        simply parsed again next time.
        """
        if not _json_exact(self.data):
            return None
        return {
            "data": self.data,
            "key_pos": [[list(at), list(pos)] for at, pos in self.key_pos.items()],
            "value_pos": [[list(at), list(pos)] for at, pos in self.value_pos.items()],
            "collections": [list(at) for at in self.collections],
        }

    @classmethod
    def from_plain(cls, source: str, plain: Dict[str, Any]) -> Doc:
        """The Doc ``to_plain`` described; ValueError/TypeError/KeyError when it is not one."""
        doc = cls(source)
        doc.data = plain["data"]
        if not _json_exact(doc.data):
            raise ValueError("not plain data")
        for name in ("key_pos", "value_pos"):
            table: Dict[FieldPath, Pos] = getattr(doc, name)
            for at, (line, column) in plain[name]:
                table[_field_path(at)] = (_int(line), _int(column))
        doc.collections = {_field_path(at) for at in plain["collections"]}
        return doc

    def location(self, at: FieldPath) -> str:
        on = "key" if at in self.collections else "value"
        line, column = self.pos(at, on)
        return f"{self.source}:{line}:{column}"


def _json_exact(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _json_exact(v) for k, v in value.items())
    if kind is list:
        return all(_json_exact(v) for v in value)
    return value is None or kind in (str, int, float, bool)


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"not an int: {value!r}")
    return value


def _field_path(parts: Any) -> FieldPath:
    if type(parts) is not list or not all(type(p) in (str, int) for p in parts):
        raise TypeError(f"not a field path: {parts!r}")
    return tuple(parts)


def line_col(text: str, index: int) -> Pos:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def get(data: Any, at: FieldPath, default: Any = None) -> Any:
    """The value at ``at`` in plain data, or ``default`` when any step is missing."""
    for part in at:
        if isinstance(data, dict) and isinstance(part, str) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return default
    return data


def strings(data: Any, at: FieldPath = ()) -> Iterator[Tuple[FieldPath, str]]:
    """Every string in the data with its field path, in document order."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from strings(v, at + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from strings(v, at + (i,))
    elif isinstance(data, str):
        yield at, data
