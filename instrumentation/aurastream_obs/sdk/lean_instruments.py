"""Lean synchronous instruments for the declared metrics: the SDK's measurement semantics at a
fraction of its cost (the record side; `lean_streams.py` is the collect side).

The SDK records a point through a `Measurement` dataclass (attribute cleaning), the measurement
consumer, one `MetricReaderStorage` per reader, `_ViewInstrumentMatch` (a dict copy, the View's
key filter, `_hash_attributes`), an aggregation lock and an exemplar reservoir per reader:
≈6-9 µs on the project's 2-core machine. Here a point is one dict lookup, one lock and a few
stores into a cell shared by every reader:

- the attribute dict → a cell cache, keyed by the dict's keys, values and value types (so
  `True`, `1` and `1.0` stay three series, as in the SDK), filled only for dicts the SDK would
  not clean (str keys; str, bool, int, float, bytes or None values). Anything else (sequences,
  odd types, a non-mapping) takes the slow path every time: the SDK's own cleaning (and its
  warnings), the View's key filter, the SDK's aggregation key, the cardinality limit with the
  `otel.metric.overflow` series;
- amounts are checked as the SDK checks them, with its warnings on its logger;
- exemplars follow the provider's filter (trace-based by default) into a reservoir held in the
  cell, with the SDK's sampling rules (`exemplars.py`): one uniformly sampled measurement per
  sum series, the last measurement per histogram bucket.

Cells keep what was recorded since the last collection (the interval); the collect side folds
it into each reader's cumulative state exactly as the SDK's aggregations do.
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_left
from collections.abc import Callable, Mapping
from math import inf
from random import random
from time import time_ns
from typing import TYPE_CHECKING, Any, Final

from opentelemetry import metrics as metrics_api
from opentelemetry.context import get_current
from opentelemetry.trace import Span, get_current_span

from aurastream_obs.core import otel_compat

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.metrics import ExemplarFilter
    from opentelemetry.util.types import Attributes

# The SDK's loggers, so that a rejected amount or attribute set reads the same on either path.
_INSTRUMENT_LOG: Final = logging.getLogger("opentelemetry.sdk.metrics._internal.instrument")
_MEASUREMENT_LOG: Final = logging.getLogger("opentelemetry.sdk.metrics._internal.measurement")

OVERFLOW_ATTRIBUTES: Final = {"otel.metric.overflow": True}
EXEMPLARS_OFF, EXEMPLARS_TRACE_BASED, EXEMPLARS_ALWAYS, EXEMPLARS_CUSTOM = range(4)
_PLAIN: Final = frozenset({str, bool, int, float, bytes, type(None)})
_Slot = tuple[float, int, "dict[str, Any] | None", Any]  # value, time, filtered attrs, span
_SPAN_SOURCE: Final = otel_compat.current_span_source()


def aggregation_key(value: Any) -> Any:
    """The SDK's aggregation key (`_hash_attributes`): values tagged with their type name, so
    that values Python finds equal but the data model does not (True/1/1.0) stay apart."""
    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return (type(value).__name__, value)
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda k: k if isinstance(k, str) else str(k))
        return ("mapping", tuple((k, aggregation_key(value[k])) for k in keys))
    return ("sequence", tuple(aggregation_key(v) for v in value))


_OVERFLOW_KEY: Final = aggregation_key(OVERFLOW_ATTRIBUTES)


class SumCell:
    """One attribute set of a sum: the interval's value and its exemplar reservoir (size 1)."""

    __slots__ = ("attributes", "n", "seen", "slot", "start", "value")

    def __init__(self, attributes: dict[str, Any]) -> None:
        self.attributes = attributes
        self.start = time_ns()
        self.n = 0  # measurements this interval
        self.value: Any = 0  # the SDK's sum starts at int 0: int amounts stay ints
        self.seen = 0
        self.slot: _Slot | None = None

    def take(self) -> tuple[Any, int, _Slot | None]:
        """The interval, reset (called under the instrument's lock)."""
        taken = (self.value, self.seen, self.slot)
        self.n, self.value, self.seen, self.slot = 0, 0, 0, None
        return taken


class HistogramCell:
    """One attribute set of an explicit-bucket histogram: the interval's buckets, sum, min,
    max, and the last exemplar of each bucket."""

    __slots__ = ("attributes", "counts", "max", "min", "n", "slots", "start", "sum")

    def __init__(self, attributes: dict[str, Any], buckets: int) -> None:
        self.attributes = attributes
        self.start = time_ns()
        self.n = 0
        self.counts = [0] * buckets
        self.sum: Any = 0
        self.min: Any = inf
        self.max: Any = -inf
        self.slots: list[_Slot | None] | None = None

    def take(self) -> tuple[list[int], Any, Any, Any, list[_Slot | None] | None]:
        taken = (self.counts, self.sum, self.min, self.max, self.slots)
        self.n, self.counts, self.sum, self.min, self.max = 0, [0] * len(self.counts), 0, inf, -inf
        self.slots = None
        return taken


Cell = SumCell | HistogramCell
_Entry = tuple[Any, "dict[str, Any] | None"]  # (cell, the exemplar's filtered attributes)


class LeanInstrument:
    """What every lean instrument shares: identity, cells, the attribute cache, exemplars."""

    kind: str = "sum"
    monotonic: bool = False
    boundaries: tuple[float, ...] = ()

    def __init__(
        self,
        sdk_instrument: Any,
        *,
        allowed: frozenset[str],
        limit: int,
        exemplar_filter: ExemplarFilter,
        on_first: Callable[[LeanInstrument], None],
        gate: SpanGate | None = None,
    ) -> None:
        self.name: str = sdk_instrument.name
        self.unit: str = sdk_instrument.unit
        self.description: str = sdk_instrument.description
        self.instrumentation_scope = sdk_instrument.instrumentation_scope
        self._allowed = allowed
        self._limit = limit
        self._fast_cap = 4 * limit + 64  # beyond (e.g. overflowing ids): the slow path
        self._filter = exemplar_filter
        self._exemplars = _exemplar_mode(exemplar_filter)
        self._on_first = on_first
        self._gate = gate if gate is not None else SpanGate()
        self.lock = threading.Lock()
        self.cells: dict[Any, Any] = {}  # aggregation key -> cell, in creation order
        self._fast: dict[tuple[Any, ...], _Entry] = {}
        self._empty: _Entry | None = None  # no attributes

    def reset_lock(self) -> None:
        """In a forked child: a lock held by a parent thread at fork would never be released."""
        self.lock = threading.Lock()

    def take(self) -> list[tuple[Any, Any]]:
        """(cell, interval) of every cell recorded into since the last call; resets them."""
        with self.lock:
            return [(cell, cell.take()) for cell in self.cells.values() if cell.n]

    def _new_cell(self, attributes: dict[str, Any]) -> Any:
        return SumCell(attributes)

    def _entry(self, attributes: Any) -> _Entry:
        """The slow path: what `Measurement` and `_ViewInstrumentMatch` do, then cached."""
        valid = attributes is None or isinstance(attributes, Mapping)
        if not valid:
            _MEASUREMENT_LOG.warning(
                "Invalid type '%s' for attributes. Expected a Mapping or None.", type(attributes)
            )
            attributes = None
        cleaned = otel_compat.clean_attribute_value(attributes, None) if attributes else None
        point = {k: v for k, v in (cleaned or {}).items() if k in self._allowed}
        key = aggregation_key(point)
        first = False
        with self.lock:
            cell = self.cells.get(key)
            if cell is None:
                if len(self.cells) >= self._limit:  # the SDK's overflow series, once
                    key, point = _OVERFLOW_KEY, dict(OVERFLOW_ATTRIBUTES)
                    cell = self.cells.get(key)
                if cell is None:
                    first = not self.cells
                    cell = self.cells[key] = self._new_cell(point)
            # What the SDK's reservoirs keep: the measurement's attributes the point lacks.
            filtered = (
                {k: v for k, v in cleaned.items() if k not in cell.attributes} if cleaned else None
            )
            entry: _Entry = (cell, filtered)
            if not attributes:
                if valid:  # an invalid one warns every time, as the SDK does
                    self._empty = entry
            elif len(self._fast) < self._fast_cap and _cacheable(attributes):
                values = attributes.values()
                self._fast[(*attributes, *values, *map(type, values))] = entry
        if first:
            self._on_first(self)
        return entry

    def _cell(self, attributes: Any) -> _Entry:
        """(cell, exemplar's filtered attributes) for an attribute set: the cache, else the
        slow path."""
        if attributes:
            try:
                values = attributes.values()
                return self._fast[(*attributes, *values, *map(type, values))]
            except (KeyError, TypeError, AttributeError):  # new, unhashable, not a mapping
                return self._entry(attributes)
        return self._lookup_empty(attributes)

    def _lookup_empty(self, attributes: Any) -> _Entry:
        """No attributes (None, {}), or a falsy non-mapping (warned about every time)."""
        if attributes is None or type(attributes) is dict:
            return self._empty or self._entry(attributes)
        return self._entry(attributes)

    def _sampled(self, amount: float, attributes: Any, context: Context | None) -> Any:
        """The span to keep with the measurement if the exemplar filter samples it, else None
        (the filter's decision, as `SynchronousMeasurementConsumer` asks it)."""
        mode = self._exemplars
        if mode == EXEMPLARS_TRACE_BASED and context is None and _SPAN_SOURCE is not None:
            span = _SPAN_SOURCE[0].get().get(_SPAN_SOURCE[1])
            if span is None:
                return None
            gate = self._gate  # the last span seen and its sampled flag (a span's is fixed)
            last = gate.last
            if last[0] is not span:
                is_span = type(span) in _SPAN_CLASSES or _is_span(span)
                sampled = is_span and span.get_span_context().trace_flags.sampled
                last = gate.last = (span, sampled)
            return span if last[1] else None
        span = get_current_span(context or None)
        if mode == EXEMPLARS_TRACE_BASED:
            return span if span.get_span_context().trace_flags.sampled else None
        if mode == EXEMPLARS_ALWAYS:
            return span
        ctx = context or get_current()
        return span if self._filter.should_sample(amount, time_ns(), attributes, ctx) else None


class SpanGate:
    """The last span a measurement saw, with its sampled flag (shared by a provider's
    instruments: a request records several points under one span)."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last: tuple[Any, bool] = (None, False)


_SPAN_CLASSES: set[type] = set()  # classes found to be Spans (ABC isinstance is slow)


def _is_span(span: Any) -> bool:
    """`get_current_span`'s check: anything else under the span key is no span."""
    if isinstance(span, Span):
        _SPAN_CLASSES.add(type(span))
        return True
    return False


def _cacheable(attributes: Mapping[Any, Any]) -> bool:
    """The SDK's cleaning would leave this mapping as it is (and warn about nothing)."""
    return all(type(k) is str and k for k in attributes) and all(
        type(v) in _PLAIN for v in attributes.values()
    )


def _exemplar_mode(exemplar_filter: ExemplarFilter) -> int:
    from opentelemetry.sdk.metrics import (
        AlwaysOffExemplarFilter,
        AlwaysOnExemplarFilter,
        TraceBasedExemplarFilter,
    )

    kind = type(exemplar_filter)
    if kind is AlwaysOffExemplarFilter:
        return EXEMPLARS_OFF
    if kind is TraceBasedExemplarFilter:
        return EXEMPLARS_TRACE_BASED
    if kind is AlwaysOnExemplarFilter:
        return EXEMPLARS_ALWAYS
    return EXEMPLARS_CUSTOM


class _LeanSum(LeanInstrument):
    def _add(self, amount: Any, attributes: Attributes, context: Context | None) -> None:
        cell, filtered = self._cell(attributes)
        span = self._sampled(amount, attributes, context) if self._exemplars else None
        lock = self.lock
        lock.acquire()
        try:
            cell.n += 1
            cell.value += amount
            if span is not None:  # reservoir sampling, size 1 (SampledReservoir)
                seen = cell.seen = cell.seen + 1
                if seen == 1 or int(random() * seen) == 0:
                    cell.slot = (amount, time_ns(), filtered, span)
        finally:
            lock.release()


class LeanCounter(_LeanSum, metrics_api.Counter):
    """`Counter.add` with the SDK's checks: a negative or non-finite amount is ignored with
    the SDK's warning."""

    monotonic = True

    def add(
        self, amount: float, attributes: Attributes = None, context: Context | None = None
    ) -> None:
        if 0 <= amount < inf:
            self._add(amount, attributes, context)
        elif -inf < amount < 0:  # the SDK checks finiteness first: -inf is "not finite"
            _INSTRUMENT_LOG.warning("Add amount must be non-negative on Counter %s.", self.name)
        else:  # inf or NaN
            _INSTRUMENT_LOG.warning(
                "Add amount %s is not finite on Counter %s, ignoring measurement.",
                amount,
                self.name,
            )


class LeanUpDownCounter(_LeanSum, metrics_api.UpDownCounter):
    def add(
        self, amount: float, attributes: Attributes = None, context: Context | None = None
    ) -> None:
        if -inf < amount < inf:
            self._add(amount, attributes, context)
        else:
            _INSTRUMENT_LOG.warning(
                "Add amount %s is not finite on UpDownCounter %s, ignoring measurement.",
                amount,
                self.name,
            )


class LeanHistogram(LeanInstrument, metrics_api.Histogram):
    """`Histogram.record` into explicit buckets (the View's), with min and max."""

    kind = "histogram"

    def __init__(self, sdk_instrument: Any, *, boundaries: tuple[float, ...], **kwargs: Any):
        super().__init__(sdk_instrument, **kwargs)
        self.boundaries = boundaries

    def _new_cell(self, attributes: dict[str, Any]) -> Any:
        return HistogramCell(attributes, len(self.boundaries) + 1)

    def record(
        self, amount: float, attributes: Attributes = None, context: Context | None = None
    ) -> None:
        if not 0 <= amount < inf:
            if -inf < amount < 0:
                _INSTRUMENT_LOG.warning(
                    "Record amount must be non-negative on Histogram %s.", self.name
                )
            else:
                _INSTRUMENT_LOG.warning(
                    "Record amount %s is not finite on Histogram %s, ignoring measurement.",
                    amount,
                    self.name,
                )
            return
        cell, filtered = self._cell(attributes)
        span = self._sampled(amount, attributes, context) if self._exemplars else None
        index = bisect_left(self.boundaries, amount)  # buckets are (lower, upper]
        lock = self.lock
        lock.acquire()
        try:
            cell.n += 1
            cell.counts[index] += 1
            cell.sum += amount
            # Comparisons, not min()/max() calls: the same result, a third of the cost.
            if amount < cell.min:  # noqa: PLR1730
                cell.min = amount
            if amount > cell.max:  # noqa: PLR1730
                cell.max = amount
            if span is not None:  # the last measurement of its bucket (BucketReservoir)
                slots = cell.slots
                if slots is None:
                    slots = cell.slots = [None] * len(cell.counts)
                slots[index] = (amount, time_ns(), filtered, span)
        finally:
            lock.release()
