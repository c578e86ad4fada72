"""`@record` behaves as `@dataclass(frozen=True)` does, only cheaper to define."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from prepcli.records import record


@record
class Point:
    """A record with defaults, a field left out of comparisons and one out of repr."""

    x: int
    y: float = 0.5
    tags: tuple[str, ...] = ()
    note: str = field(default="", compare=False)
    secret: str = field(default="s", repr=False)


@dataclass(frozen=True)
class Plain:
    x: int
    y: float = 0.5
    tags: tuple[str, ...] = ()
    note: str = field(default="", compare=False)
    secret: str = field(default="s", repr=False)


@record
class One:
    """A record of one field (its values are a one-item tuple, as dataclass makes them)."""

    only: str


VALUES = [(1, 0.5, (), "", "s"), (1, 0.5, ("a",), "n", "s"), (2, 1.0, ("a", "b"), "", "t")]


@pytest.mark.parametrize("left", VALUES)
@pytest.mark.parametrize("right", VALUES)
def test_equality_and_hash_as_dataclass(
    left: tuple[object, ...], right: tuple[object, ...]
) -> None:
    ours = (Point(*left), Point(*right))  # type: ignore[arg-type]
    theirs = (Plain(*left), Plain(*right))  # type: ignore[arg-type]
    assert (ours[0] == ours[1]) is (theirs[0] == theirs[1])
    assert (ours[0] != ours[1]) is (theirs[0] != theirs[1])
    assert hash(ours[0]) == hash(theirs[0])  # both hash the tuple of compared fields
    assert repr(ours[0]).removeprefix("Point") == repr(theirs[0]).removeprefix("Plain")


def test_other_types_never_compare_equal() -> None:
    point = Point(1)
    assert point != Plain(1) and point != (1, 0.5, (), "", "s") and point != "Point(x=1)"
    assert One("a") == One("a") and One("a") != One("b") and hash(One("a")) == hash(("a",))
    assert repr(One("a")) == "One(only='a')"


def test_frozen_and_a_dataclass_for_the_standard_helpers() -> None:
    point = Point(1, tags=("a",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2  # type: ignore[misc]
    assert dataclasses.is_dataclass(point)
    assert dataclasses.replace(point, x=3) == Point(3, tags=("a",))
    assert dataclasses.asdict(point) == dataclasses.asdict(Plain(1, tags=("a",)))
    assert [f.name for f in dataclasses.fields(Point)] == ["x", "y", "tags", "note", "secret"]
    assert pickle.loads(pickle.dumps(point)) == point
    assert {point, Point(1, tags=("a",), note="other")} == {point}  # note is not compared
