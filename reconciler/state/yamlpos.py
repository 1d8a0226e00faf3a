"""YAML with positions: a state file's plain data plus where each field was written.

A SafeLoader composes a node tree (nodes keep their marks); ``Doc`` holds the
data, the key and value positions, and makes located ``StateFileError``s.
Aliases, merge keys, non-string keys, duplicate keys and unknown tags are
refused here, before any schema sees the data.
"""

from __future__ import annotations

from typing import Any, Dict

import yaml

from ..errors import StateFileError
from .doc import Doc, FieldPath, Pos, dotted, line_col

_T = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = _T + "str", _T + "int", _T + "float", _T + "bool", _T + "null"
_TIMESTAMP, _VALUE, _MERGE, _MAP, _SEQ = _T + "timestamp", _T + "value", _T + "merge", _T + "map", _T + "seq"
_CONSTRUCTED_SCALARS = (_INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP)


class _AliasError(yaml.MarkedYAMLError):
    pass


class _MarkedLoader(yaml.SafeLoader):
    """SafeLoader that composes a node tree (nodes keep their marks) and refuses aliases.

    An alias node is the anchored node itself, so a value read through ``*x``
    would carry the anchor's line; state files are short enough to write out.
    """

    def compose_node(self, parent, index):
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


def _node_pos(node: yaml.Node) -> Pos:
    return node.start_mark.line + 1, node.start_mark.column + 1


def parse(text: str, doc: Doc) -> None:
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
            pos=(mark.line + 1, mark.column + 1) if mark is not None else (1, 1),
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
    except (ValueError, OverflowError, TypeError, IndexError, KeyError) as e:
        # PyYAML's scanner lets some errors out unwrapped (chr() of "\U00110000"):
        # still one located error, where the scanner stopped.
        mark = loader.get_mark()
        raise doc.error(
            f"YAML error: the scanner cannot read this: {e}",
            pos=(mark.line + 1, mark.column + 1),
            hint="check the escapes and quoting here (\\U escapes must be at most \\U0010FFFF)",
        ) from None
    finally:
        loader.dispose()


def _reader_error(e: yaml.reader.ReaderError, text: str, doc: Doc) -> StateFileError:
    line, column = line_col(text, e.position)
    char = e.character if isinstance(e.character, str) else chr(e.character)
    return doc.error(
        f"the file contains the control character U+{ord(char):04X}, which YAML does not allow",
        pos=(line, column),
        hint="remove it (state files are UTF-8 text)",
    )


def _walk(loader: _MarkedLoader, node: yaml.Node, at: FieldPath, doc: Doc) -> Any:
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
                    field=dotted(at) or None,
                    hint="write the keys out in full",
                )
            if not isinstance(knode, yaml.ScalarNode) or knode.tag != _STR:
                shown = knode.value if isinstance(knode, yaml.ScalarNode) else "a collection"
                raise doc.error(
                    f"keys must be names, but YAML reads {shown!r} as {_tag_name(knode.tag)}",
                    pos=kpos,
                    field=dotted(at) or None,
                    hint="use one of the documented key names (docs/state-file.md)",
                )
            key = knode.value
            if key in first:
                line, column = first[key]
                raise doc.error(
                    f"duplicate key '{key}' (first at line {line}, column {column})",
                    pos=kpos,
                    field=dotted(at + (key,)),
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
