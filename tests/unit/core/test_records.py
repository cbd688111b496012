"""`Record` behaves as `@dataclass` does for what the records use: the same class written both
ways must construct, compare, hash, repr, freeze and replace alike."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import pytest

from aurastream_obs.core.records import FrozenRecordError, Record, field, field_names, replace


@dataclasses.dataclass(frozen=True)
class FrozenDc:
    name: str
    count: int
    rate: float = 0.5
    tags: dict[str, str] = dataclasses.field(default_factory=dict, hash=False)
    LIMIT: ClassVar[int] = 3


class FrozenRec(Record, frozen=True):
    name: str
    count: int
    rate: float = 0.5
    tags: dict[str, str] = field(default_factory=dict, hash=False)
    LIMIT: ClassVar[int] = 3


@dataclasses.dataclass
class MutableDc:
    settings: str
    items: list[int] = dataclasses.field(default_factory=list)
    _private: int = 0


class MutableRec(Record):
    settings: str
    items: list[int] = field(default_factory=list)
    _private: int = 0


class Checked(Record, frozen=True):
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError(f"negative: {self.value}")
        object.__setattr__(self, "value", self.value * 2)


class Child(FrozenRec, frozen=True):
    extra: str = "x"


CASES: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a", 1), {}),
    (("a",), {"count": 2, "rate": 1.0}),
    ((), {"name": "b", "count": 3, "tags": {"k": "v"}}),
]


@pytest.mark.parametrize(("args", "kwargs"), CASES)
def test_frozen_record_matches_dataclass(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    dc, rec = FrozenDc(*args, **kwargs), FrozenRec(*args, **kwargs)
    names = [f.name for f in dataclasses.fields(FrozenDc)]
    assert list(field_names(FrozenRec)) == names
    assert [getattr(rec, n) for n in names] == [getattr(dc, n) for n in names]
    assert repr(rec) == repr(dc).replace("FrozenDc", "FrozenRec")
    assert rec == FrozenRec(*args, **kwargs)
    assert rec != FrozenRec("other", 9)
    # Hash: the fields but `tags` (hash=False), as the dataclass's.
    assert hash(rec) == hash((rec.name, rec.count, rec.rate)) == hash(dc)
    assert hash(rec) == hash(replace(rec, tags={"other": "tag"}))
    with pytest.raises(FrozenRecordError):
        rec.name = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):  # FrozenInstanceError is an AttributeError too
        del rec.count


def test_defaults_factories_and_class_vars() -> None:
    first, second = FrozenRec("a", 1), FrozenRec("b", 2)
    assert first.tags == {} and first.tags is not second.tags  # a fresh dict each time
    assert FrozenRec.LIMIT == 3 and "LIMIT" not in field_names(FrozenRec)
    assert FrozenRec.rate == 0.5  # a plain default stays a class attribute, as in dataclasses
    assert field_names(Child) == ("name", "count", "rate", "tags", "extra")
    assert Child("c", 1).extra == "x"


def test_mutable_record_matches_dataclass() -> None:
    dc, rec = MutableDc("s"), MutableRec("s")
    rec.items.append(1)
    dc.items.append(1)
    rec._private = 5
    dc._private = 5
    assert repr(rec) == repr(dc).replace("MutableDc", "MutableRec")
    with pytest.raises(TypeError):
        hash(rec)  # eq without frozen: unhashable, as a dataclass
    with pytest.raises(TypeError):
        hash(dc)


def test_construction_errors_name_the_argument() -> None:
    with pytest.raises(TypeError, match="'count'"):
        FrozenRec("a")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'colour'"):
        FrozenRec("a", 1, colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'name'"):
        FrozenRec("a", 1, name="b")  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        FrozenRec("a", 1, 0.1, {}, "extra")  # type: ignore[call-arg]


def test_post_init_and_replace() -> None:
    assert Checked(2).value == 4
    with pytest.raises(ValueError, match="negative"):
        Checked(-1)
    rec = FrozenRec("a", 1, tags={"k": "v"})
    changed = replace(rec, count=7)
    assert (changed.name, changed.count, changed.tags) == ("a", 7, {"k": "v"})
    assert rec.count == 1
    assert replace(Checked(1), value=3).value == 6  # __post_init__ runs again, as dataclasses
    with pytest.raises(TypeError, match="'nope'"):
        replace(rec, nope=1)
