"""Exemplars through our reservoirs: trace-correlated, filtered attributes, SDK sampling rules."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.context import get_current
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from aurastream_obs.core.records import replace
from aurastream_obs.core.settings import Settings
from aurastream_obs.sdk.exemplars import BucketReservoir, SampledReservoir
from aurastream_obs.sdk.metrics import build_meter_provider


def _collect(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    """One collection: the data points of every metric, by name."""
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: list(metric.data.data_points)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
    }


@pytest.fixture
def pipeline() -> Any:
    reader = InMemoryMetricReader()
    provider = build_meter_provider(Resource.create({}), [reader], settings=Settings())
    meter = provider.get_meter("t")
    yield (
        reader,
        meter.create_counter("aurastream.sentiment.analyses"),
        meter.create_histogram("aurastream.sentiment.duration", unit="s"),
    )
    provider.shutdown()


def test_measurements_in_a_sampled_span_carry_its_ids(pipeline: Any) -> None:
    reader, counter, histogram = pipeline
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("work") as span:
        # "extra" is not a declared attribute of the view: it moves to the exemplar.
        counter.add(2, {"sentiment": "POSITIVE", "extra": "e"})
        histogram.record(0.05, {"sentiment": "POSITIVE"})
    counter.add(1, {"sentiment": "POSITIVE"})  # no span: no exemplar (trace_based)
    ctx = span.get_span_context()
    points = _collect(reader)
    (point,) = points["aurastream.sentiment.analyses"]
    assert point.value == 3 and dict(point.attributes) == {"sentiment": "POSITIVE"}
    (exemplar,) = point.exemplars
    assert (exemplar.trace_id, exemplar.span_id) == (ctx.trace_id, ctx.span_id)
    assert exemplar.value == 2 and exemplar.filtered_attributes == {"extra": "e"}
    (hist,) = points["aurastream.sentiment.duration"]
    assert [(e.value, e.span_id) for e in hist.exemplars] == [(0.05, ctx.span_id)]
    # Collected once: the next period starts empty.
    (point,) = _collect(reader)["aurastream.sentiment.analyses"]
    assert point.exemplars == []


def test_unsampled_spans_give_no_exemplar_unless_always_on() -> None:
    tracer = TracerProvider(sampler=ALWAYS_OFF).get_tracer("t")
    for mode, expected in (("trace_based", 0), ("always_on", 1), ("always_off", 0)):
        reader = InMemoryMetricReader()
        settings = replace(Settings(), exemplar_filter=mode)
        provider = build_meter_provider(Resource.create({}), [reader], settings=settings)
        counter = provider.get_meter("t").create_counter("aurastream.cache.lookups")
        with tracer.start_as_current_span("not sampled"):
            counter.add(1, {"aurastream.cache.hit": True})
        (point,) = _collect(reader)["aurastream.cache.lookups"]
        assert len(point.exemplars) == expected, mode
        provider.shutdown()


def test_sampled_reservoir_is_uniform_and_bounded() -> None:
    reservoir = SampledReservoir(size=2)
    kept = {0: 0, 1: 0, 2: 0, 3: 0}
    for _ in range(4000):
        for value in range(4):
            reservoir.offer(value, value, None, get_current())
        exemplars = reservoir.collect(None)
        assert len(exemplars) == 2
        for exemplar in exemplars:
            kept[int(exemplar.value)] += 1
    # Each of 4 measurements is kept with probability 2/4: about 2000 times in 4000 rounds.
    assert all(1700 < n < 2300 for n in kept.values()), kept
    assert reservoir.collect(None) == []


def test_bucket_reservoir_keeps_the_last_value_per_bucket() -> None:
    reservoir = BucketReservoir(boundaries=[1.0, 10.0])
    for value in (0.5, 1.0, 5.0, 7.0, 50.0):
        reservoir.offer(value, int(value * 10), {"a": 1, "b": 2}, get_current())
    exemplars = reservoir.collect({"a": 1})
    assert [e.value for e in exemplars] == [1.0, 7.0, 50.0]  # buckets (-inf,1], (1,10], (10,+inf)
    assert all(e.filtered_attributes == {"b": 2} for e in exemplars)
    assert all(e.span_id is None and e.trace_id is None for e in exemplars)  # no span
