"""Which metric goes into which EMF document, with which members: the plan of one flush.

A *unit* is the metrics of one attribute set (histograms with > 100 values and sets of > 100
metrics are cut into several units, EMF's limits per member and per directive). Units share a
document when nothing disputes it: a document holds one value per top-level key, so two
units that write a key differently (a hit and a miss, two customers) or hold the same metric
stay apart, and a unit never joins a document that disagrees with it on whether a disputed
key is there at all (a metric recorded without a customer id is never placed next to one of
several customer ids). The common case, one invocation's metrics, is one document.

A plan depends only on the points' names, units, kinds and attribute sets (never on their
values) and on which base members there are, so `emf.EmfEncoder` memoises it per shape.
"""

from __future__ import annotations

from typing import Any, Final

MAX_METRICS_PER_DIRECTIVE: Final = 100
MAX_VALUES_PER_METRIC: Final = 100
# Our bound, not the specification's: ≤ 100 metrics of ≤ 100 values keeps a document far below
# the CloudWatch Logs event size limit (256 KB, now 1 MB) whatever the directives.
MAX_METRICS_PER_DOCUMENT: Final = 100

# (metric name, unit, attribute keys): what a metric's dimension layout depends on.
MemoKey = tuple[str, str, frozenset[str]]
# (dimension sets, their layout key, the metric definition, every key of the sets, memo key):
# shared by every document that uses it, never mutated.
Layout = tuple[list[list[str]], str, dict[str, Any], frozenset[str], MemoKey]
# (metric name, index of its point, first value of the chunk or -1 for the whole value)
Slot = tuple[str, int, int]


class Unit:
    """One attribute set's metrics (or one chunk of them) and the attribute members they need."""

    __slots__ = ("layouts", "members", "names", "slots")

    def __init__(self, members: dict[str, Any], slots: list[Slot], layouts: list[Layout]) -> None:
        self.members = members  # the base, then the attributes as written (and service.name)
        self.slots = slots
        self.layouts = layouts  # one per slot
        self.names = frozenset(slot[0] for slot in slots)


class Planned:
    """One document of a plan: its members (values filled in per flush) and its directives."""

    __slots__ = ("directives_json", "layouts", "slots", "static", "template")

    def __init__(self, static: dict[str, Any], slots: list[Slot], layouts: list[Layout]) -> None:
        self.static = static  # attribute members, base members it overrides, service.name
        self.slots = slots
        self.layouts = layouts
        self.directives_json: str | None = None  # set by the encoder on first use
        # (the static members' JSON without braces, each metric's `"name":` prefix), or ()
        # where the members cannot be concatenated in documents' order; set on first use.
        self.template: tuple[str, tuple[str, ...]] | tuple[()] | None = None


def _same(a: object, b: object) -> bool:
    """Equal as JSON renders them (True and 1 are not the same member)."""
    return a.__class__ is b.__class__ and a == b


class _Document:
    __slots__ = ("members", "names", "units")

    def __init__(self, unit: Unit) -> None:
        self.members = dict(unit.members)
        self.names = set(unit.names)
        self.units = [unit]

    def accepts(self, unit: Unit, disputed: frozenset[str]) -> bool:
        if len(self.names) + len(unit.names) > MAX_METRICS_PER_DOCUMENT:
            return False
        members, names = self.members, self.names
        for key in disputed:  # present in both with one value, or in neither
            here = key in members or key in names
            there = key in unit.members or key in unit.names
            if here != there:
                return False
            if here and (
                key in names or key in unit.names or not _same(members[key], unit.members[key])
            ):
                return False  # a metric twice (or a metric and an attribute), or two values
        return True

    def add(self, unit: Unit) -> None:
        self.members.update(unit.members)
        self.names.update(unit.names)
        self.units.append(unit)

    def planned(self, base: dict[str, Any]) -> Planned:
        static = {
            key: value
            for key, value in self.members.items()
            if key not in base or not _same(value, base[key])
        }
        slots = [slot for unit in self.units for slot in unit.slots]
        layouts = [layout for unit in self.units for layout in unit.layouts]
        return Planned(static, slots, layouts)


def pack(units: list[Unit], base: dict[str, Any]) -> list[Planned]:
    """As few documents as the units allow (first fit, in recording order)."""
    if not units:
        return []
    disputed = _disputed(units, base)
    docs: list[_Document] = []
    if not disputed and sum(len(u.names) for u in units) <= MAX_METRICS_PER_DOCUMENT:
        docs.append(_Document(units[0]))  # the common case: everything agrees
        for unit in units[1:]:
            docs[0].add(unit)
    else:
        for unit in units:
            for doc in docs:
                if doc.accepts(unit, disputed):
                    doc.add(unit)
                    break
            else:
                docs.append(_Document(unit))
    return [doc.planned(base) for doc in docs]


def _disputed(units: list[Unit], base: dict[str, Any]) -> frozenset[str]:
    """Keys two units would write differently, metric names more than one unit holds, and
    metric names that are attributes elsewhere (a document holds one value per key)."""
    seen = dict(base)  # every unit has the base members unless it writes its own
    disputed: set[str] = set()
    metric_names: set[str] = set()
    for unit in units:
        disputed.update(metric_names & unit.names)
        metric_names |= unit.names
        for key, value in unit.members.items():
            found = seen.get(key, seen)
            if found is seen:
                seen[key] = value
            elif found is not value and not _same(found, value):
                disputed.add(key)
    disputed.update(metric_names & seen.keys())
    return frozenset(disputed)
