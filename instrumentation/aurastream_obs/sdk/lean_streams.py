"""The collect side of the lean instruments: each reader's cumulative streams, as SDK data.

At a reader's collection every lean instrument hands over what its cells recorded since the
last collection of any reader (`LeanInstrument.take`); the interval is folded into the state
each reader keeps per attribute set, with the arithmetic of the SDK's cumulative aggregations
(`_SumAggregation`, `_ExplicitBucketHistogramAggregation`: previous = interval + previous,
bucket by bucket, min of mins, max of maxes), so one reader gets the very numbers the SDK
would give. Exemplars are per reader too: each reader gets the measurements sampled since its
own last collection (bucket exemplars: the latest per bucket; a sum's single exemplar: two
uniform samples merged with the weights of what each saw, i.e. still uniform).

The result is the SDK's own `Metric`/`ScopeMetrics`/`MetricsData`, merged into what the SDK
collected for the instruments it still owns, so every exporter sees one ordinary collection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from math import inf
from random import random
from time import time_ns
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.metrics import Exemplar
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.trace import INVALID_SPAN

from aurastream_obs.core.forking import after_fork_in_child

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

    from aurastream_obs.sdk.lean_instruments import LeanInstrument

_CUMULATIVE = AggregationTemporality.CUMULATIVE
ScopedMetric = tuple["InstrumentationScope", Metric]


class _SumState:
    __slots__ = ("seen", "slot", "start", "total")

    def __init__(self, start: int) -> None:
        self.start = start
        self.total: Any = 0
        self.seen = 0
        self.slot: Any = None


class _HistogramState:
    __slots__ = ("counts", "max", "min", "slots", "start", "sum")

    def __init__(self, start: int, buckets: int) -> None:
        self.start = start
        self.counts = [0] * buckets
        self.sum: Any = 0
        self.min: Any = inf
        self.max: Any = -inf
        self.slots: list[Any] = [None] * buckets


class _Reader:
    """One reader's streams: instrument → {cell: state}, both in first-recorded order."""

    def __init__(self, since: int) -> None:
        self.since = since  # measurements before the reader was added are not its own
        self.streams: dict[LeanInstrument, dict[Any, Any]] = {}


class LeanStreams:
    """The lean instruments of one meter provider and each reader's view of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one collection (drain + fold) at a time
        self._active: list[LeanInstrument] = []  # in first-measurement order
        self._instruments: list[LeanInstrument] = []
        self._readers: dict[object, _Reader] = {}
        after_fork_in_child(self, LeanStreams._after_fork)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        for instrument in list(self._instruments):
            instrument.reset_lock()

    def register(self, instrument: LeanInstrument) -> None:
        self._instruments.append(instrument)

    def activate(self, instrument: LeanInstrument) -> None:
        """The instrument's first measurement (list.append is atomic: no lock on that path)."""
        self._active.append(instrument)

    def add_reader(self, reader: object) -> bool:
        """A reader's streams start now, as a new SDK reader storage does; False if the
        reader was added already."""
        with self._lock:
            if reader in self._readers:
                return False
            self._drain()  # what was recorded so far belongs to the readers already there
            self._readers[reader] = _Reader(time_ns())
            return True

    def remove_reader(self, reader: object) -> None:
        with self._lock:
            self._readers.pop(reader, None)

    def collect(self, reader: object) -> list[ScopedMetric]:
        """The reader's lean metrics now, as the SDK's storage would collect them."""
        with self._lock:
            self._drain()
            state = self._readers.get(reader)
            if state is None:
                return []
            now = time_ns()
            return [
                (instrument.instrumentation_scope, _metric(instrument, states, now))
                for instrument, states in state.streams.items()
                if states
            ]

    def _drain(self) -> None:
        taken = [(instrument, instrument.take()) for instrument in list(self._active)]
        for reader in self._readers.values():
            for instrument, cells in taken:
                if cells:
                    states = reader.streams.setdefault(instrument, {})
                    if instrument.kind == "histogram":
                        _fold_histograms(states, cells, reader.since)
                    else:
                        _fold_sums(states, cells, reader.since)


def _fold_sums(states: dict[Any, Any], cells: Iterable[tuple[Any, Any]], since: int) -> None:
    for cell, (value, seen, slot) in cells:
        state = states.get(cell)
        if state is None:
            state = states[cell] = _SumState(max(cell.start, since))
        state.total = value + state.total  # the SDK's order: interval + previous
        if slot is not None and (state.slot is None or random() * (state.seen + seen) < seen):
            state.slot = slot
        state.seen += seen


def _fold_histograms(states: dict[Any, Any], cells: Iterable[tuple[Any, Any]], since: int) -> None:
    for cell, (counts, sum_, min_, max_, slots) in cells:
        state = states.get(cell)
        if state is None:
            state = states[cell] = _HistogramState(max(cell.start, since), len(counts))
        state.counts = [v + p for v, p in zip(counts, state.counts, strict=True)]
        state.min = min(min_, state.min)
        state.max = max(max_, state.max)
        state.sum = sum_ + state.sum
        if slots is not None:
            for index, slot in enumerate(slots):
                if slot is not None:
                    state.slots[index] = slot


def _exemplar(slot: Any) -> Exemplar:
    value, time_unix_nano, filtered, span = slot
    span_id = trace_id = None
    if span is not INVALID_SPAN:
        span_context = span.get_span_context()
        span_id, trace_id = span_context.span_id, span_context.trace_id
    attributes = dict(filtered) if filtered is not None else None
    return Exemplar(attributes, value, time_unix_nano, span_id, trace_id)


def _metric(instrument: LeanInstrument, states: dict[Any, Any], now: int) -> Metric:
    data: Sum | Histogram
    if instrument.kind == "histogram":
        points: list[Any] = []
        for cell, state in states.items():
            slots, state.slots = state.slots, [None] * len(state.slots)
            points.append(
                HistogramDataPoint(
                    attributes=cell.attributes,
                    start_time_unix_nano=state.start,
                    time_unix_nano=now,
                    count=sum(state.counts),
                    sum=state.sum,
                    bucket_counts=tuple(state.counts),
                    explicit_bounds=instrument.boundaries,
                    min=state.min,
                    max=state.max,
                    exemplars=[_exemplar(slot) for slot in slots if slot is not None],
                )
            )
        data = Histogram(data_points=points, aggregation_temporality=_CUMULATIVE)
    else:
        points = []
        for cell, state in states.items():
            slot, state.slot, state.seen = state.slot, None, 0
            points.append(
                NumberDataPoint(
                    attributes=cell.attributes,
                    start_time_unix_nano=state.start,
                    time_unix_nano=now,
                    value=state.total,
                    exemplars=[_exemplar(slot)] if slot is not None else [],
                )
            )
        data = Sum(
            data_points=points,
            aggregation_temporality=_CUMULATIVE,
            is_monotonic=instrument.monotonic,
        )
    return Metric(
        name=instrument.name, description=instrument.description, unit=instrument.unit, data=data
    )


def merge(
    data: MetricsData | None, lean: list[ScopedMetric], resource: Callable[[], Resource]
) -> MetricsData | None:
    """`data` (the SDK's collection, or None) with the lean metrics added, in the SDK's order.

    The SDK lists a reader's instruments in the order of their first measurement, grouped by
    scope in the order of each scope's first. A cumulative stream starts at its first
    measurement, so the earliest start of a metric's points places it: the SDK's metrics and
    the lean ones are ordered by it (stable: the SDK's own order is kept for equal keys and
    for points without a start, e.g. gauges, which take their neighbour's key).
    """
    if not lean:
        return data
    if data is None or not data.resource_metrics:
        res = resource()
        head = ResourceMetrics(resource=res, scope_metrics=[], schema_url=res.schema_url)
        rest: list[ResourceMetrics] = []
    else:
        head, *rest = data.resource_metrics
    entries: list[tuple[int, InstrumentationScope, str, Metric]] = []
    for found in head.scope_metrics:
        keys = [_first_start(metric) for metric in found.metrics]
        known = [k for k in keys if k is not None]
        key = known[0] if known else 0
        for metric, start in zip(found.metrics, keys, strict=True):
            key = start if start is not None else key
            entries.append((key, found.scope, found.schema_url, metric))
    for scope, metric in lean:
        entries.append((_first_start(metric) or 0, scope, scope.schema_url or "", metric))
    entries.sort(key=lambda entry: entry[0])
    grouped: dict[InstrumentationScope, tuple[str, list[Metric]]] = {}
    for _, scope, schema_url, metric in entries:
        grouped.setdefault(scope, (schema_url, []))[1].append(metric)
    scopes = [
        ScopeMetrics(scope=scope, metrics=metrics, schema_url=schema_url)
        for scope, (schema_url, metrics) in grouped.items()
    ]
    merged = ResourceMetrics(
        resource=head.resource, scope_metrics=scopes, schema_url=head.schema_url
    )
    return MetricsData(resource_metrics=[merged, *rest])


def _first_start(metric: Metric) -> int | None:
    starts = [
        start
        for point in metric.data.data_points
        if (start := getattr(point, "start_time_unix_nano", None))
    ]
    return min(starts) if starts else None
