"""reconciler.records.dataclass behaves as dataclasses.dataclass: the same class body, both ways."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Generic, List, Optional, Tuple, TypeVar

import pytest

from reconciler import records

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")
BOTH = pytest.mark.parametrize("kind", ["dataclasses", "records"])


def make(kind: str, frozen: bool = True) -> Dict[str, Any]:
    """The same classes, decorated by the standard library or by rtkdump's records."""
    deco = (dataclasses.dataclass if kind == "dataclasses" else records.dataclass)(frozen=frozen)
    made: List[str] = []

    @deco
    class Point:
        x: int
        y: int = 0
        tags: List[str] = dataclasses.field(default_factory=list)
        note: Optional[str] = dataclasses.field(default=None, compare=False, repr=False)

    @deco
    class Box(Generic[T]):
        value: T
        where: str = "here"

    @deco
    class Counted:
        name: str
        seen: int = dataclasses.field(init=False, default_factory=lambda: 7)

        def __post_init__(self) -> None:
            made.append(self.name)

    @deco
    class OwnMethods:
        a: int

        def __repr__(self) -> str:
            return "own repr"

        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 5

    @deco
    class Hashed:
        a: int
        b: int = dataclasses.field(default=0, hash=False)
        c: int = dataclasses.field(default=0, compare=False, hash=True)

    @deco
    class Child(Point):
        z: int = 3

    @deco
    class Single:
        a: float

    @deco
    class Empty:
        pass

    return {
        "Point": Point,
        "Box": Box,
        "Counted": Counted,
        "OwnMethods": OwnMethods,
        "Hashed": Hashed,
        "Child": Child,
        "Single": Single,
        "Empty": Empty,
        "made": made,
    }


def outcome(call: Any) -> Tuple[str, Any]:
    """What a call gives: its value, or the exception's type and the names it quotes."""
    try:
        return "value", call()
    except Exception as exc:  # noqa: BLE001 - the type is the outcome
        return type(exc).__name__, tuple(sorted(re.findall(r"'(\w+)'", str(exc))))


def on_both(frozen: bool, use: Any) -> Tuple[Any, Any]:
    std, ours = make("dataclasses", frozen), make("records", frozen)
    return use(std), use(ours)


@pytest.mark.parametrize("frozen", [True, False])
@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((1,), {}),
        ((1, 2), {}),
        ((1, 2, ["a"]), {}),
        ((1, 2, ["a"], "n"), {}),
        ((), {"x": 1, "note": "n"}),
        ((1,), {"tags": ["t"]}),
        ((), {}),  # x missing
        ((1, 2, [], None, 5), {}),  # too many
        ((1,), {"x": 2}),  # x twice
        ((1,), {"w": 2}),  # no such field
    ],
)
def test_init_takes_and_refuses_the_same_arguments(frozen, args, kwargs):
    def build(ns: Dict[str, Any]) -> Any:
        got = outcome(lambda: ns["Point"](*args, **kwargs))
        if got[0] == "value":
            p = got[1]
            return (
                "value",
                (p.x, p.y, p.tags, p.note),
                repr(p),
                dataclasses.astuple(p),
                dataclasses.asdict(p),
            )
        return got

    std, ours = on_both(frozen, build)
    assert ours == std


@pytest.mark.parametrize("frozen", [True, False])
def test_defaults_factories_post_init_and_init_false(frozen):
    def use(ns: Dict[str, Any]) -> Any:
        a, b = ns["Point"](1), ns["Point"](1)
        a.tags.append("only a")  # a factory makes a new list each time
        c = ns["Counted"]("c")
        return (a.tags, b.tags, c.seen, list(ns["made"]), repr(c), outcome(lambda: ns["Counted"]("d", 1)))

    std, ours = on_both(frozen, use)
    assert ours == std


@pytest.mark.parametrize("frozen", [True, False])
def test_equality_hash_and_repr(frozen):
    def use(ns: Dict[str, Any]) -> Any:
        P, H = ns["Point"], ns["Hashed"]
        a, b = P(1, 2, note="a"), P(1, 2, note="b")  # note: compare=False
        eqs = (a == b, a != b, a == P(1, 3), a == (1, 2), a.__eq__(object()), ns["Child"](1, 2) == P(1, 2))
        hashes = outcome(
            lambda: (hash(a) == hash(b), hash(H(1, 2, 3)) == hash(H(1, 9, 3)), hash(H(1)) == hash(H(1, 0, 4)))
        )
        one, none = ns["Single"], ns["Empty"]  # (not NaN: 3.13 compares field by field, earlier as tuples)
        small = (one(1.0) == one(1.0), one(1.0) == one(2.0), none() == none())
        small_hashes = outcome(lambda: (hash(one(1.5)) == hash((1.5,)), hash(none()) == hash(())))
        return (
            eqs,
            hashes,
            small,
            small_hashes,
            repr(a),
            repr(ns["Child"](1)),
            repr(ns["Box"]([1])),
            repr(none()),
        )

    std, ours = on_both(frozen, use)
    assert ours == std


def test_own_methods_are_kept_and_hash_is_none_when_not_frozen():
    for frozen in (True, False):
        std, ours = on_both(
            frozen,
            lambda ns: (repr(ns["OwnMethods"](1)), ns["OwnMethods"](1) == 3, hash(ns["OwnMethods"](1))),
        )
        assert ours == std == ("own repr", True, 5)
    std, ours = on_both(False, lambda ns: (ns["Point"].__hash__, outcome(lambda: hash(ns["Point"](1)))))
    assert ours == std and std[0] is None


def test_init_assigns_as_dataclasses_does():
    def use(kind: str, frozen: bool) -> Any:
        deco = (dataclasses.dataclass if kind == "dataclasses" else records.dataclass)(frozen=frozen)
        seen: List[str] = []

        def build() -> Any:
            @deco
            class Watched:
                a: int

                def __setattr__(self, name: str, value: Any) -> None:
                    seen.append(name)
                    object.__setattr__(self, name, value)

            return Watched(1).a

        return outcome(build), seen

    for frozen in (False, True):  # plain assignment; frozen: a class's own __setattr__ is refused
        assert use("records", frozen) == use("dataclasses", frozen)
    assert use("records", False) == (("value", 1), ["a"])
    assert use("records", True)[0] == ("TypeError", ())


def test_frozen_refuses_assignment_and_deletion_with_the_same_error():
    def use(ns: Dict[str, Any]) -> Any:
        p = ns["Point"](1)
        set_field = outcome(lambda: setattr(p, "x", 2))
        set_other = outcome(lambda: setattr(p, "other", 2))
        delete = outcome(lambda: delattr(p, "x"))
        child = ns["Child"](1)
        return set_field, set_other, delete, outcome(lambda: setattr(child, "z", 4)), p.x

    std, ours = on_both(True, use)
    assert ours == std
    assert std[0] == ("FrozenInstanceError", ("x",))


@pytest.mark.parametrize("frozen", [True, False])
def test_fields_replace_pickle_copy_and_match_args(frozen):
    def use(ns: Dict[str, Any]) -> Any:
        p = ns["Point"](1, 2, ["t"], "n")
        r = dataclasses.replace(p, y=5)
        back = pickle.loads(pickle.dumps(p))
        deep = copy.deepcopy(p)
        return (
            [f.name for f in dataclasses.fields(p)],
            dataclasses.is_dataclass(p),
            repr(r),
            r.note,
            repr(back) == repr(p) and back == p,
            deep == p and deep.tags is not p.tags,
            getattr(ns["Point"], "__match_args__", None),
            outcome(lambda: dataclasses.replace(ns["Counted"]("e"), seen=1)),
        )

    # pickle finds a class by its module and name: each pair in turn is put at module level
    std, ours = on_both(frozen, lambda ns: _with_module_level(ns, use))
    assert ours == std


def _with_module_level(ns: Dict[str, Any], use: Any) -> Any:
    for name in ("Point", "Counted"):
        cls = ns[name]
        cls.__qualname__ = cls.__name__ = f"_Pickled{name}"
        globals()[cls.__qualname__] = cls
        cls.__module__ = __name__
    return use(ns)


def test_a_class_without_a_docstring_is_documented_by_its_fields():
    ours = make("records")
    assert ours["Point"].__doc__ == "Point(x, y, tags, note)"
    assert ours["Counted"].__doc__ == "Counted(name)"  # seen: init=False
    assert make("dataclasses")["Point"].__doc__.startswith("Point(x: ")  # the standard library's, with types


def test_a_dataclass_of_the_standard_library_is_nowhere_in_rtkdump():
    """Every rtkdump dataclass goes through reconciler.records (a new module would undo issue 12's gain)."""
    found = []
    for path in sorted((REPO / "reconciler").rglob("*.py")):
        if path.name == "records.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if (
                re.match(r"\s*from dataclasses import .*\bdataclass\b", line)
                or "dataclasses.dataclass" in line
            ):
                found.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert found == []


COUNT_GENERATED = """
import dataclasses, inspect, sys
generated = []
signatures = []  # dataclasses documents a class without a docstring by inspect.signature: ~0.5 ms each
orig_signature = inspect.signature
inspect.signature = lambda *a, **k: (signatures.append(a[0]), orig_signature(*a, **k))[1]
if hasattr(dataclasses, "_FuncBuilder"):  # 3.13+: one exec per class, of the functions added
    orig = dataclasses._FuncBuilder.add_fn
    def add_fn(self, name, *a, **k):
        generated.append(name)
        return orig(self, name, *a, **k)
    dataclasses._FuncBuilder.add_fn = add_fn
else:  # up to 3.12: one exec per function
    orig = dataclasses._create_fn
    def create_fn(name, *a, **k):
        generated.append(name)
        return orig(name, *a, **k)
    dataclasses._create_fn = create_fn
import reconciler.cli, reconciler.apply.executor, reconciler.facts.gather, reconciler.plan.planner
import reconciler.apply.status, reconciler.apply.metrics, reconciler.formats.kdumpconf_check
n = sum(1 for m in sys.modules.values() for v in vars(m).values()
        if isinstance(v, type) and getattr(v, "__module__", "") == m.__name__
        and m.__name__.startswith("reconciler") and dataclasses.is_dataclass(v))
print(n, len(generated), len(signatures))
"""


def test_rtkdump_builds_its_dataclasses_without_compiling():
    """The cron path's dataclasses: no function generated by dataclasses, no inspect.signature for a __doc__."""
    out = subprocess.run(
        [sys.executable, "-c", COUNT_GENERATED], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    classes, generated, signatures = map(int, out)
    assert classes >= 45 and generated == 0 and signatures == 0, (classes, generated, signatures)
