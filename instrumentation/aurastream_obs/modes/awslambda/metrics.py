"""A lean MeterProvider behind the OTel metrics API, collected once per flush (Lambda mode).

Why not the SDK: see `tracing.py`. Aggregation is per flush interval (one invocation): sums
for counters (delta), last value for gauges and up-down counters, the raw values for
histograms (EMF arrays let CloudWatch compute exact percentiles). Series with no recording in
the interval are not emitted (no zeros). Attribute keys are filtered by the instrument specs
in `core.conventions` (as the SDK Views do in the other modes), and every instrument has a
cardinality limit; overflow lands in the `otel.metric.overflow` series, as in the SDK.

The OTel metrics API is not imported here: `opentelemetry.metrics` (with the `dataclasses` it
loads) is ≈ 19 M instructions of a cold start that most functions never use. These classes
implement its interface (type checkers see them as its subclasses); when anything imports the
API, `install_into_api` (called by bootstrap/install.py) sets the provider there and registers
these classes as virtual subclasses of the API's, so `isinstance` checks hold as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

from opentelemetry.util.types import Attributes, AttributeValue

from aurastream_obs.core.conventions import ALL_INSTRUMENTS

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackT
    from opentelemetry.metrics import Counter as _CounterApi
    from opentelemetry.metrics import Histogram as _HistogramApi
    from opentelemetry.metrics import Meter as _MeterApi
    from opentelemetry.metrics import MeterProvider as _MeterProviderApi
    from opentelemetry.metrics import UpDownCounter as _UpDownCounterApi
else:  # at run time plain classes (see the module doc)
    _CounterApi = _HistogramApi = _UpDownCounterApi = _MeterApi = _MeterProviderApi = object

Kind = Literal["sum", "gauge", "histogram"]
AttrKey = tuple[tuple[str, AttributeValue], ...]
_OVERFLOW: Final[AttrKey] = (("otel.metric.overflow", True),)
MAX_HISTOGRAM_VALUES: Final = 10_000  # per series per flush; beyond, counted as dropped
_ALLOWED: Final = {spec.name: frozenset(spec.attributes) for spec in ALL_INSTRUMENTS}


class MetricPoint:
    """One series of one flush (a plain class: dataclass creation costs cold-start time)."""

    __slots__ = ("attributes", "key", "kind", "name", "shape", "unit", "value", "values")

    def __init__(  # noqa: PLR0917  (a record: positional like the dataclass it replaces)
        self,
        name: str,
        unit: str,
        kind: Kind,
        attributes: Mapping[str, AttributeValue],
        value: float = 0.0,
        values: tuple[float, ...] = (),
        key: AttrKey | None = None,
    ) -> None:
        self.name, self.unit, self.kind = name, unit, kind
        self.attributes, self.value, self.values = attributes, value, values
        # The attributes as a sorted tuple when the caller has it (a collection does): the
        # EMF encoder groups points by it and memoises its plans by `shape`.
        self.key = key
        self.shape = None if key is None else (name, unit, kind, key)


class _Instrument:
    kind: Kind = "sum"
    observed = False  # an observable: collected by calling its callbacks, data or not

    def __init__(self, name: str, unit: str, description: str, limit: int) -> None:
        self.name = name
        self.unit = unit
        self.description = description
        self._limit = limit
        self._allowed = _ALLOWED.get(name)
        self._lock = threading.Lock()
        self._data: dict[AttrKey, Any] = {}
        self._keys: dict[tuple[Any, ...], AttrKey] = {}  # attributes as given -> series key

    def _key(self, attributes: Attributes) -> AttrKey:
        if not attributes:
            return ()
        raw = tuple(attributes.items())
        try:  # the same few attribute sets come back on every invocation: memoised
            key, hashable = self._keys.get(raw), True
        except TypeError:  # an unhashable value (a list): computed each time
            key, hashable = None, False
        if key is None:
            allowed = self._allowed
            items = attributes.items()
            if allowed is not None:
                items = [(k, v) for k, v in items if k in allowed]  # type: ignore[assignment]
            key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in items))
            if hashable and len(self._keys) < self._limit:
                self._keys[raw] = key
        if key not in self._data and len(self._data) >= self._limit:
            return _OVERFLOW
        return key

    def collect(self) -> list[MetricPoint]:
        if not self._data:  # nothing recorded since the last flush (read without the lock)
            return []
        with self._lock:
            data, self._data = self._data, {}
        return [self._point(key, value) for key, value in data.items()]

    def _point(self, key: AttrKey, value: Any) -> MetricPoint:
        return MetricPoint(self.name, self.unit, self.kind, dict(key), float(value), (), key)


class _Adder(_Instrument):
    def add(self, amount: float, attributes: Attributes = None, context: Any = None) -> None:
        try:
            key = self._key(attributes)
            with self._lock:
                self._data[key] = self._data.get(key, 0) + amount
        except Exception:  # noqa: BLE001 - recording never raises (API rule)
            return


class LambdaCounter(_Adder, _CounterApi):
    def add(self, amount: float, attributes: Attributes = None, context: Any = None) -> None:
        if amount >= 0:  # a negative counter increment is invalid: ignored, as the SDK does
            super().add(amount, attributes, context)


class LambdaUpDownCounter(_Adder, _UpDownCounterApi):
    pass


class LambdaGauge(_Instrument):  # the API's Gauge base is exported as the private _Gauge
    kind: Kind = "gauge"

    def set(self, amount: float, attributes: Attributes = None, context: Any = None) -> None:
        try:
            key = self._key(attributes)
            with self._lock:
                self._data[key] = amount
        except Exception:  # noqa: BLE001 - recording never raises
            return


class LambdaHistogram(_Instrument, _HistogramApi):
    kind: Kind = "histogram"
    dropped = 0

    def record(self, amount: float, attributes: Attributes = None, context: Any = None) -> None:
        try:
            key = self._key(attributes)
            with self._lock:
                values = self._data.setdefault(key, [])
                if len(values) < MAX_HISTOGRAM_VALUES:
                    values.append(float(amount))
                else:
                    self.dropped += 1
        except Exception:  # noqa: BLE001 - recording never raises
            return

    def _point(self, key: AttrKey, value: Any) -> MetricPoint:
        return MetricPoint(self.name, self.unit, "histogram", dict(key), 0.0, tuple(value), key)


class CallbackOptions:
    """What an observable callback is given (the API's `CallbackOptions`: its one field)."""

    __slots__ = ("timeout_millis",)

    def __init__(self, timeout_millis: float = 10_000) -> None:
        self.timeout_millis = timeout_millis


class Observation:
    """An observable callback's result (the API's `Observation`: value and attributes), for
    callbacks of this package that must not import the API; any object with `value` and
    `attributes` is accepted, the API's `Observation` included."""

    __slots__ = ("attributes", "value")

    def __init__(self, value: float, attributes: Attributes = None) -> None:
        self.value = value
        self.attributes = attributes


class _Observable(_Instrument):
    """Callbacks run at collect; cumulative counters are turned into deltas."""

    observed = True

    def __init__(
        self, name: str, unit: str, description: str, limit: int, *,
        callbacks: Sequence[CallbackT] | None, kind: Kind, cumulative: bool,
    ) -> None:  # fmt: skip
        super().__init__(name, unit, description, limit)
        self.kind = kind
        self._callbacks = tuple(callbacks or ())
        self._cumulative = cumulative
        self._last: dict[AttrKey, float] = {}

    def collect(self) -> list[MetricPoint]:
        points = []
        for callback in self._callbacks:
            try:
                # Generator callbacks (allowed by the API type) are not supported here.
                observations = list(callback(CallbackOptions()))  # type: ignore[arg-type,operator]
            except Exception:  # noqa: BLE001 - a failing callback loses its own points only
                continue
            for obs in observations:
                key = self._key(obs.attributes)
                value = float(obs.value)
                if self._cumulative:
                    delta = value - self._last.get(key, 0.0)
                    self._last[key] = value
                    if delta <= 0:
                        continue  # nothing new: no zero points
                    value = delta
                points.append(self._point(key, value))
        return points


class LambdaMeter(_MeterApi):
    def __init__(self, provider: LambdaMeterProvider, name: str, version: str | None) -> None:
        self._name, self._version = name, version
        self._provider = provider

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str | None:
        return self._version

    @property
    def schema_url(self) -> str | None:
        return None

    def _add(self, instrument: Any) -> Any:
        return self._provider.register(instrument)

    def create_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._add(LambdaCounter(name, unit, description, self._provider.limit))

    def create_up_down_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        instrument = LambdaUpDownCounter(name, unit, description, self._provider.limit)
        instrument.kind = "gauge"  # EMF has no up-down sum: the interval's net change is shown
        return self._add(instrument)

    def create_gauge(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._add(LambdaGauge(name, unit, description, self._provider.limit))

    def create_histogram(
        self,
        name: str,
        unit: str = "",
        description: str = "",
        *,
        explicit_bucket_boundaries_advisory: Sequence[float] | None = None,
    ) -> Any:
        return self._add(LambdaHistogram(name, unit, description, self._provider.limit))

    def _observable(
        self, name: str, callbacks: Sequence[CallbackT] | None, unit: str, description: str, *,
        kind: Kind, cumulative: bool,
    ) -> Any:  # fmt: skip
        instrument = _Observable(
            name, unit, description, self._provider.limit,
            callbacks=callbacks, kind=kind, cumulative=cumulative,
        )  # fmt: skip
        return self._add(instrument)

    def create_observable_counter(
        self, name: str, callbacks: Sequence[CallbackT] | None = None, unit: str = "",
        description: str = "",
    ) -> Any:  # fmt: skip
        return self._observable(name, callbacks, unit, description, kind="sum", cumulative=True)

    def create_observable_gauge(
        self, name: str, callbacks: Sequence[CallbackT] | None = None, unit: str = "",
        description: str = "",
    ) -> Any:  # fmt: skip
        return self._observable(name, callbacks, unit, description, kind="gauge", cumulative=False)

    def create_observable_up_down_counter(
        self, name: str, callbacks: Sequence[CallbackT] | None = None, unit: str = "",
        description: str = "",
    ) -> Any:  # fmt: skip
        return self._observable(name, callbacks, unit, description, kind="gauge", cumulative=False)


class LambdaMeterProvider(_MeterProviderApi):
    """Instruments by name (same name → same instrument); `force_flush` exports the interval."""

    def __init__(
        self, export: Callable[[list[MetricPoint]], bool], *, cardinality_limit: int = 2000
    ) -> None:
        self._export = export
        self.limit = cardinality_limit
        self._instruments: dict[str, _Instrument] = {}
        # What collect() walks at every flush: replaced (never changed) under the lock.
        self._registered: tuple[_Instrument, ...] = ()
        self._lock = threading.Lock()

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes = None,
    ) -> _MeterApi:
        return LambdaMeter(self, name, version)

    def register(self, instrument: _Instrument) -> _Instrument:
        with self._lock:
            existing = self._instruments.get(instrument.name)
            if existing is not None and type(existing) is type(instrument):
                return existing  # e.g. AuraStreamMetrics built twice: one series, not two
            self._instruments[instrument.name] = instrument
            self._registered = tuple(self._instruments.values())
            return instrument

    def collect(self) -> list[MetricPoint]:
        points: list[MetricPoint] = []
        for instrument in self._registered:
            # Most instruments record nothing in a given invocation: no call for those.
            if instrument._data or instrument.observed:
                points += instrument.collect()
        return points

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        points = self.collect()
        return self._export(points) if points else True

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        self.force_flush(timeout_millis)


def install_into_api(metrics_api: Any, provider: object) -> None:
    """`provider` as the OTel metrics API's global, and these classes as virtual subclasses of
    the API's (they implement its interface without importing it)."""
    for ours, api in (
        (LambdaMeterProvider, metrics_api.MeterProvider),
        (LambdaMeter, metrics_api.Meter),
        (LambdaCounter, metrics_api.Counter),
        (LambdaUpDownCounter, metrics_api.UpDownCounter),
        (LambdaHistogram, metrics_api.Histogram),
    ):
        api.register(ours)
    metrics_api.set_meter_provider(provider)
