"""``@dataclass`` without compiling each class's methods at import.

Why: until Python 3.13, ``dataclasses.dataclass`` writes a class's
``__init__``, ``__repr__``, ``__eq__`` (and, frozen, ``__hash__``,
``__setattr__``, ``__delattr__``) as source text and compiles each with its
own ``exec``.  rtkdump's converged cron run imports about 50 dataclasses: 273
compiles, 25-40 ms of CPU on every run (measured for issue 12; the whole floor
script spends about 35 ms), and on RHEL the run repeats every few minutes.

Here ``dataclasses`` still processes the fields (so ``fields``, ``replace``,
``asdict`` and ``is_dataclass`` work unchanged); the methods are shared
functions closed over the field list.  They behave as the generated ones do
(tests/test_records.py checks them side by side) and cost a few microseconds
more per instance; rtkdump builds a few hundred per run.

Only what rtkdump uses: ``@dataclass`` and ``@dataclass(frozen=True)``.  Type
checkers see ``dataclasses.dataclass`` itself.  Equality compares the fields as
one tuple, as dataclasses did up to 3.12 (3.13 compares them one by one, which
differs only for a NaN field).
"""

from __future__ import annotations

import dataclasses
from _thread import get_ident
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

__all__ = ["dataclass"]

_MISSING = dataclasses.MISSING
_fields_only = dataclasses.dataclass

if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
else:

    def dataclass(cls: Optional[type] = None, *, frozen: bool = False) -> Any:
        """``@dataclass`` or ``@dataclass(frozen=True)``: see the module docstring."""

        def wrap(c: type) -> type:
            return _build(c, frozen)

        return wrap if cls is None else wrap(cls)


def _build(cls: type, frozen: bool) -> type:
    undocumented = cls.__doc__ is None
    if undocumented:
        cls.__doc__ = "-"  # any true text: else dataclasses asks inspect.signature (~0.5 ms a class)
    cls = _fields_only(cls, init=False, repr=False, eq=False)  # the fields; no exec
    fields = dataclasses.fields(cls)
    if undocumented:
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in fields if f.init)})"
    names = tuple(f.name for f in fields)
    compared = tuple(f.name for f in fields if f.compare)
    shown = tuple(f.name for f in fields if f.repr)
    own = cls.__dict__
    class_hash = own.get("__hash__", _MISSING)  # before __eq__ is set: dataclasses' own rule
    explicit_hash = not (class_hash is _MISSING or (class_hash is None and "__eq__" in own))
    methods: Dict[str, Any] = {}
    if "__init__" not in own:
        methods["__init__"] = _init_for(cls, fields, frozen)
    if "__repr__" not in own:
        methods["__repr__"] = _repr_for(shown)
    if "__eq__" not in own:
        methods["__eq__"] = _eq_for(compared)
    if frozen:
        for name in ("__setattr__", "__delattr__"):
            if name in own:  # dataclasses refuses it too
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
        # as dataclasses: assigning a field (or anything, on this very class) raises
        methods["__setattr__"] = _frozen_setattr(cls, names)
        methods["__delattr__"] = _frozen_delattr(cls, names)
        if not explicit_hash:
            hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
            methods["__hash__"] = _hash_for(hashed)
    elif not explicit_hash:
        methods["__hash__"] = None  # eq without frozen: unhashable, as dataclasses
    for name, method in methods.items():
        setattr(cls, name, method)
    return cls


def _init_for(cls: type, fields: Tuple[dataclasses.Field, ...], frozen: bool) -> Callable[..., None]:
    qualname = f"{cls.__qualname__}.__init__()"
    params: List[Tuple[str, Any, Any]] = [(f.name, f.default, f.default_factory) for f in fields if f.init]
    position = {name: i for i, (name, _, _) in enumerate(params)}
    later = [(f.name, f.default, f.default_factory) for f in fields if not f.init]
    post_init = getattr(cls, "__post_init__", None)
    # as dataclasses: a frozen class sets through object, another by plain assignment
    setter: Callable[[Any, str, Any], None] = object.__setattr__ if frozen else setattr

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(params):
            raise TypeError(
                f"{qualname} takes {len(params) + 1} positional arguments but {len(args) + 1} were given"
            )
        for name in kwargs:
            at = position.get(name)
            if at is None:
                raise TypeError(f"{qualname} got an unexpected keyword argument {name!r}")
            if at < len(args):
                raise TypeError(f"{qualname} got multiple values for argument {name!r}")
        missing = []
        for i, (name, default, factory) in enumerate(params):
            if i < len(args):
                value = args[i]
            elif name in kwargs:
                value = kwargs[name]
            elif default is not _MISSING:
                value = default
            elif factory is not _MISSING:
                value = factory()
            else:
                missing.append(name)
                continue
            setter(self, name, value)
        if missing:
            raise TypeError(f"{qualname} missing {_count(missing)}: {_listed(missing)}")
        for name, default, factory in later:
            if factory is not _MISSING:
                setter(self, name, factory())
            elif default is not _MISSING:
                setter(self, name, default)
        if post_init is not None:
            self.__post_init__()

    __init__.__qualname__ = qualname[:-2]
    return __init__


def _count(missing: List[str]) -> str:
    n = len(missing)
    return f"{n} required positional argument{'' if n == 1 else 's'}"


def _listed(missing: List[str]) -> str:
    quoted = [repr(name) for name in missing]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + (" and " if len(quoted) == 2 else ", and ") + quoted[-1]


def _repr_for(shown: Tuple[str, ...]) -> Callable[[Any], str]:
    running: Dict[Tuple[int, int], bool] = {}

    def __repr__(self: Any) -> str:
        key = (id(self), get_ident())
        if key in running:  # a record that contains itself, as reprlib.recursive_repr
            return "..."
        running[key] = True
        try:
            inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        finally:
            del running[key]
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _values_of(names: Tuple[str, ...]) -> Callable[[Any], Tuple[Any, ...]]:
    """The tuple of those attributes (the one dataclasses compares and hashes), in C where it can."""
    if len(names) > 1:
        return attrgetter(*names)  # a tuple already
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _eq_for(compared: Tuple[str, ...]) -> Callable[[Any, Any], Any]:
    values = _values_of(compared)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return values(self) == values(other)

    return __eq__


def _hash_for(hashed: Tuple[str, ...]) -> Callable[[Any], int]:
    values = _values_of(hashed)

    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _frozen_setattr(cls: Any, names: Tuple[str, ...]) -> Callable[[Any, str, Any], None]:
    fields = frozenset(names)

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in fields:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _frozen_delattr(cls: Any, names: Tuple[str, ...]) -> Callable[[Any, str], None]:
    fields = frozenset(names)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in fields:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__
