"""Metric pipeline: one View per declared instrument, lean exemplar reservoirs, bounded
cardinality, and the lean recording path for the declared instruments (`lean_meter.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.metrics import Instrument
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider, UpDownCounter
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View

from aurastream_obs.core.conventions import ALL_INSTRUMENTS, InstrumentSpec
from aurastream_obs.sdk.exemplars import reservoir_factory

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import ExemplarFilter
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.resources import Resource

    from aurastream_obs.core.settings import Settings

_KIND_TYPE: dict[str, type[Instrument]] = {
    "counter": Counter,
    "histogram": Histogram,
    "up_down_counter": UpDownCounter,
}


def view_for(spec: InstrumentSpec, default_limit: int) -> View:
    """Keep only the declared attribute keys and cap the attribute sets of one instrument."""
    aggregation = (
        ExplicitBucketHistogramAggregation(boundaries=spec.buckets) if spec.buckets else None
    )
    return View(
        instrument_type=_KIND_TYPE[spec.kind],
        instrument_name=spec.name,
        attribute_keys=set(spec.attributes),
        aggregation=aggregation,
        # The tighter of the instrument's own limit and the configured one.
        aggregation_cardinality_limit=min(spec.cardinality_limit, default_limit),
        # Same sampling rules as the SDK's reservoirs, a fraction of the cost (exemplars.py).
        exemplar_reservoir_factory=reservoir_factory,
    )


def build_views(settings: Settings) -> list[View]:
    # Instruments not declared here (auto-instrumentation, libraries) keep the SDK's default
    # view, which is capped at 2000 attribute sets too; a "*" view would duplicate our streams.
    return [view_for(spec, settings.cardinality_limit) for spec in ALL_INSTRUMENTS]


def _exemplar_filter(name: str) -> ExemplarFilter:
    from opentelemetry.sdk.metrics import (
        AlwaysOffExemplarFilter,
        AlwaysOnExemplarFilter,
        TraceBasedExemplarFilter,
    )

    if name == "always_off":
        return AlwaysOffExemplarFilter()
    if name == "always_on":
        return AlwaysOnExemplarFilter()
    return TraceBasedExemplarFilter()


def build_meter_provider(
    resource: Resource, readers: Sequence[MetricReader], *, settings: Settings
) -> MeterProvider:
    """The SDK MeterProvider with our views; on the lean path (the default) the declared
    instruments record through `lean_meter.py` and export the same streams."""
    options: dict[str, Any] = {
        "metric_readers": list(readers),
        "resource": resource,
        "exemplar_filter": _exemplar_filter(settings.exemplar_filter),
        "views": build_views(settings),
        "shutdown_on_exit": False,  # Telemetry.shutdown() owns the bounded shutdown
    }
    if settings.sdk_path == "stock":
        return MeterProvider(**options)
    from aurastream_obs.sdk.lean_meter import LeanMeterProvider

    return LeanMeterProvider(
        **options, declared=ALL_INSTRUMENTS, cardinality_limit=settings.cardinality_limit
    )
