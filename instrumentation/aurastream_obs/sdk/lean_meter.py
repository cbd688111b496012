"""`LeanMeterProvider`: the SDK MeterProvider, with the declared instruments recorded by the
lean instruments (`lean_instruments.py`) and collected into the same export (`lean_streams.py`).

Everything else stays the SDK's: meters and their caching, instrument registration (names,
units, duplicate and conflict handling), readers, views, the exemplar filter, the resource,
observable instruments, and every instrument not declared in `core.conventions` (libraries,
auto-instrumentation, user code): those keep the SDK's measurement path. A declared instrument
gets its lean twin only when it is of its declared kind; the twin exports the same stream the
SDK would (the View's attribute keys, buckets and cardinality limit, see `sdk/metrics.py`).

The lean streams are cumulative, like every reader of ours (OTLP, the local files, Prometheus).
A provider built with a reader that prefers delta temporality, or another aggregation than a
sum for counters, keeps the SDK path for every instrument: same data by construction.
`AURASTREAM_SDK_PATH=stock` builds the plain SDK MeterProvider instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.metrics import Counter, Histogram, Meter, MeterProvider, UpDownCounter
from opentelemetry.sdk.metrics.export import AggregationTemporality
from opentelemetry.sdk.metrics.view import DefaultAggregation, SumAggregation

from aurastream_obs.core import otel_compat
from aurastream_obs.sdk.lean_instruments import (
    LeanCounter,
    LeanHistogram,
    LeanInstrument,
    LeanUpDownCounter,
    SpanGate,
)
from aurastream_obs.sdk.lean_streams import LeanStreams, merge

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter as ApiMeter
    from opentelemetry.sdk.metrics import ExemplarFilter
    from opentelemetry.sdk.metrics.export import MetricReader, MetricsData
    from opentelemetry.sdk.metrics.view import View
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.util.types import Attributes

    from aurastream_obs.core.conventions import InstrumentSpec

_log = logging.getLogger("aurastream_obs")


def takes_lean_streams(reader: MetricReader) -> bool:
    """The reader wants what the lean streams give: cumulative counters, up-down counters and
    histograms, sums for the counters (histograms get the View's buckets either way)."""
    temporality, aggregation = otel_compat.reader_preferences(reader)
    kinds = (Counter, UpDownCounter, Histogram)
    cumulative = all(
        value is AggregationTemporality.CUMULATIVE
        for cls, value in temporality.items()
        if issubclass(cls, kinds)
    )
    sums = all(
        type(value) in (DefaultAggregation, SumAggregation)
        for cls, value in aggregation.items()
        if issubclass(cls, (Counter, UpDownCounter))
    )
    return cumulative and sums


class LeanMeterProvider(MeterProvider):
    """An SDK MeterProvider whose declared instruments record through the lean path."""

    def __init__(
        self,
        metric_readers: Sequence[MetricReader] = (),
        resource: Resource | None = None,
        exemplar_filter: ExemplarFilter | None = None,
        shutdown_on_exit: bool = True,
        views: Sequence[View] = (),
        *,
        declared: Sequence[InstrumentSpec] = (),
        cardinality_limit: int = 2000,
    ) -> None:
        super().__init__(
            metric_readers=metric_readers,
            resource=resource,
            exemplar_filter=exemplar_filter,
            shutdown_on_exit=shutdown_on_exit,
            views=views,
        )
        self._declared = {spec.name: spec for spec in declared}
        self._default_limit = cardinality_limit
        self._lean_lock = threading.Lock()
        self._lean_of: dict[Any, LeanInstrument] = {}  # the SDK's instrument -> its twin
        self._streams = LeanStreams()
        self._gate = SpanGate()
        self.lean_path = all(takes_lean_streams(reader) for reader in metric_readers)
        if self.lean_path:
            for reader in metric_readers:
                self._attach(reader)

    def _attach(self, reader: MetricReader) -> None:
        if not self._streams.add_reader(reader):
            return  # attached already
        if not takes_lean_streams(reader):
            _log.warning(
                "aurastream_obs: reader %s added later prefers delta temporality (or another "
                "aggregation): the declared instruments reach it as cumulative sums",
                type(reader).__name__,
            )
        otel_compat.wrap_reader_collect(reader, lambda inner: partial(self._collect, inner))

    def _collect(
        self,
        inner: Callable[..., MetricsData | None],
        reader: MetricReader,
        timeout_millis: float = 10_000,
    ) -> MetricsData | None:
        data = inner(reader, timeout_millis=timeout_millis)
        return merge(data, self._streams.collect(reader), self._resource)

    def _resource(self) -> Resource:
        resource: Resource = otel_compat.meter_provider_config(self).resource
        return resource

    def add_metric_reader(self, metric_reader: MetricReader) -> None:
        super().add_metric_reader(metric_reader)
        if self.lean_path:
            self._attach(metric_reader)

    def remove_metric_reader(self, metric_reader: MetricReader) -> None:
        super().remove_metric_reader(metric_reader)
        self._streams.remove_reader(metric_reader)

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes = None,
    ) -> ApiMeter:
        meter = super().get_meter(name, version, schema_url, attributes)
        if self.lean_path and type(meter) is Meter:  # not the NoOpMeter of a disabled SDK
            meter.__class__ = LeanMeter
            meter._aurastream_provider = self  # type: ignore[attr-defined]
        return meter

    def lean_twin(self, instrument: Any, kind: str) -> Any:
        """The lean instrument for the SDK's `instrument` if it is declared with this kind
        (the same twin for the same instrument), else `instrument` itself."""
        spec = self._declared.get(getattr(instrument, "name", ""))
        if spec is None or spec.kind != kind or (kind == "histogram" and not spec.buckets):
            return instrument
        with self._lean_lock:
            twin = self._lean_of.get(instrument)
            if twin is None:
                twin = self._lean_of[instrument] = self._build(instrument, spec)
                self._streams.register(twin)
        return twin

    def _build(self, instrument: Any, spec: InstrumentSpec) -> LeanInstrument:
        options: dict[str, Any] = {
            "allowed": frozenset(spec.attributes),
            # The View's limit: the tighter of the instrument's and the configured one.
            "limit": min(spec.cardinality_limit, self._default_limit),
            "exemplar_filter": otel_compat.meter_provider_config(self).exemplar_filter,
            "on_first": self._streams.activate,
            "gate": self._gate,
        }
        if spec.kind == "histogram":
            return LeanHistogram(instrument, boundaries=tuple(spec.buckets or ()), **options)
        if spec.kind == "up_down_counter":
            return LeanUpDownCounter(instrument, **options)
        return LeanCounter(instrument, **options)


class LeanMeter(Meter):
    """The SDK Meter whose declared synchronous instruments are lean (set by the provider)."""

    _aurastream_provider: LeanMeterProvider

    def create_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        created = super().create_counter(name, unit, description)
        return self._aurastream_provider.lean_twin(created, "counter")

    def create_up_down_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        created = super().create_up_down_counter(name, unit, description)
        return self._aurastream_provider.lean_twin(created, "up_down_counter")

    def create_histogram(
        self,
        name: str,
        unit: str = "",
        description: str = "",
        *,
        explicit_bucket_boundaries_advisory: Sequence[float] | None = None,
    ) -> Any:
        created = super().create_histogram(
            name,
            unit,
            description,
            explicit_bucket_boundaries_advisory=explicit_bucket_boundaries_advisory,
        )
        return self._aurastream_provider.lean_twin(created, "histogram")
