"""The lean metric path exports what the SDK's own path exports: the same recordings through
both (support.metric_paths), the collected MetricsData compared field by field (timestamps
aside, number types included) for every declared instrument and the edge cases."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import Counter as SdkCounter
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from aurastream_obs.core import conventions as c
from aurastream_obs.http_server import HttpServerRecorder
from aurastream_obs.http_server.info import RequestInfo
from aurastream_obs.sdk.lean_instruments import LeanCounter, LeanHistogram
from aurastream_obs.sdk.lean_meter import LeanMeterProvider
from aurastream_obs.signals import AuraStreamMetrics
from support.metric_paths import MetricPaths, names, normalized, point_count

SAMPLED = TracerProvider().get_tracer("t")
UNSAMPLED = TracerProvider(sampler=ALWAYS_OFF).get_tracer("t")


@pytest.fixture
def paths() -> Iterator[MetricPaths]:
    built = MetricPaths.build()
    yield built
    built.shutdown()


def _domain(meter: Meter) -> None:
    metrics = AuraStreamMetrics(meter)
    for sentiment, confidence, duration, analyzer in (
        ("POSITIVE", 0.93, 0.012, "vader"),
        ("POSITIVE", 0.5, None, ""),
        ("NEGATIVE", 0.71, 0.3, "comprehend"),
        ("ODD", 1.0, 7.5, "vader"),  # an unknown sentiment is UNKNOWN
    ):
        metrics.record_sentiment_analysis(sentiment, confidence, duration, analyzer)
    for hit in (True, False, True):
        metrics.record_cache_lookup(hit)
    metrics.record_customer_activity("acme", "analysis")
    metrics.record_customer_activity("acme", "analysis", 2.5)
    metrics.record_revenue("acme", 0.25, 3)
    metrics.record_revenue("globex", 1, 0)
    metrics.record_security_event("failed_authentication")
    for name in (c.LAMBDA_COLDSTARTS.name, c.DROPPED_TELEMETRY.name):
        meter.create_counter(name).add(1, {"signal": "logs", "reason": "queue_full", "x": 1})


def _http(meter_provider: Any) -> None:
    recorder = HttpServerRecorder(meter_provider=meter_provider)
    for method, route, status, customer in (
        ("POST", "/v1/analyze", 200, "acme"),
        ("POST", "/v1/analyze", 503, "acme"),
        ("BREW", None, 429, None),
        ("GET", "/v1/health", 200, "globex"),
    ):
        info = RequestInfo("r", "203.0.113.9", "ua", {}, customer_id=customer)
        request = recorder.start(info, method=method, path="/p", route=route)
        recorder.finish(request, status)
    request = recorder.start(RequestInfo("r", "::1", "ua", {}), method="GET", path="/p", route="/x")
    recorder.finish(request, None, ValueError("boom"))


def test_every_declared_instrument_exports_the_same(
    paths: MetricPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Request durations from a clock that ticks 7 ms per reading, the same on both paths.
    with SAMPLED.start_as_current_span("request"):
        for provider in paths.providers.values():
            ticks = iter(range(0, 10**12, 7_000_000))
            monkeypatch.setattr(time, "perf_counter_ns", lambda t=ticks: next(t))
            _http(provider)
        monkeypatch.undo()
        paths.record(_domain)
    lean = paths.assert_same()
    assert names(lean) == {spec.name for spec in c.ALL_INSTRUMENTS}
    paths.record(_domain)  # a second period: cumulative on top of the first
    paths.assert_same()
    paths.assert_same()  # and a period without measurements


def test_the_lean_path_really_records_the_declared_instruments(paths: MetricPaths) -> None:
    lean, stock = paths.meters()["lean"], paths.meters()["stock"]
    assert isinstance(paths.providers["lean"], LeanMeterProvider)
    assert isinstance(lean.create_counter(c.CACHE_LOOKUPS.name), LeanCounter)
    assert isinstance(lean.create_histogram(c.HTTP_SERVER_DURATION.name, unit="s"), LeanHistogram)
    # The same instrument twice is the same twin (one stream, as in the SDK).
    assert lean.create_counter(c.USAGE.name) is lean.create_counter(c.USAGE.name)
    # Undeclared instruments, and declared names created as another kind, stay the SDK's.
    assert isinstance(lean.create_counter("library.requests"), SdkCounter)
    assert not isinstance(lean.create_histogram(c.CACHE_LOOKUPS.name), LeanHistogram)
    assert isinstance(stock.create_counter(c.CACHE_LOOKUPS.name), SdkCounter)


def test_undeclared_and_misdeclared_instruments_export_the_same(paths: MetricPaths) -> None:
    def record(meter: Meter) -> None:
        meter.create_counter("library.requests").add(3, {"any": "key"})
        meter.create_histogram(c.CACHE_LOOKUPS.name, unit="s").record(2.0, {"k": 1})
        meter.create_up_down_counter("library.inflight").add(-2)
        meter.create_counter(c.CACHE_LOOKUPS.name).add(1, {c.CACHE_HIT: True})

    paths.record(record)
    paths.assert_same()


def test_amounts_keep_their_type_and_the_sdk_arithmetic(paths: MetricPaths) -> None:
    def record(meter: Meter) -> None:
        counter = meter.create_counter(c.REVENUE.name, unit="USD")
        histogram = meter.create_histogram(c.SENTIMENT_CONFIDENCE.name, unit="1")
        usage = meter.create_counter(c.USAGE.name)
        for amount in (0.1, 0.2, 0.3, 1e-17, 3, True):
            counter.add(amount, {c.CUSTOMER_ID: "acme"})
            histogram.record(amount, {c.SENTIMENT: "MIXED"})
        for amount in (1, 2, 0):
            usage.add(amount, {c.CUSTOMER_ID: "acme"})  # stays an int sum
        histogram.record(0, {c.SENTIMENT: "ints"})
        histogram.record(1, {c.SENTIMENT: "ints"})
        histogram.record(0.0, {c.SENTIMENT: "edge"})  # on a boundary: (lower, upper]
        histogram.record(0.1, {c.SENTIMENT: "edge"})
        histogram.record(1e9, {c.SENTIMENT: "edge"})  # above the last boundary

    paths.record(record)
    lean = paths.assert_same()
    paths.record(record)
    assert paths.assert_same() != lean


def _logged(caplog: pytest.LogCaptureFixture, fn: Any) -> list[tuple[str, str, int]]:
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        fn()
    return [(r.name, r.getMessage(), r.levelno) for r in caplog.records]


def test_invalid_amounts_are_rejected_with_the_sdks_warnings(
    paths: MetricPaths, caplog: pytest.LogCaptureFixture
) -> None:
    def record(meter: Meter) -> None:
        counter = meter.create_counter(c.CACHE_LOOKUPS.name)
        histogram = meter.create_histogram(c.SENTIMENT_DURATION.name, unit="s")
        for amount in (-1, -0.5, float("nan"), float("inf"), float("-inf")):
            counter.add(amount, {c.CACHE_HIT: True})
            histogram.record(amount, {c.SENTIMENT: "POSITIVE"})
        counter.add(1, {c.CACHE_HIT: True})
        histogram.record(-0.0, {c.SENTIMENT: "POSITIVE"})  # -0.0 >= 0: recorded by both

    meters = paths.meters()
    logs = {path: _logged(caplog, lambda m=meter: record(m)) for path, meter in meters.items()}
    assert logs["lean"] == logs["stock"]
    assert ("opentelemetry.sdk.metrics._internal.instrument",
            "Add amount must be non-negative on Counter aurastream.cache.lookups.",
            logging.WARNING) in logs["lean"]  # fmt: skip
    assert len(logs["lean"]) == 10
    paths.assert_same()
    with pytest.raises(TypeError):  # not a number: raises on both paths (the API boundary)
        meters["lean"].create_counter(c.CACHE_LOOKUPS.name).add("1", {})  # type: ignore[arg-type]


class _Odd:
    def __str__(self) -> str:
        return "odd"


def test_attribute_edge_cases_make_the_same_series(
    paths: MetricPaths, caplog: pytest.LogCaptureFixture
) -> None:
    def record(meter: Meter) -> None:
        counter = meter.create_counter(c.CACHE_LOOKUPS.name)
        histogram = meter.create_histogram(c.HTTP_SERVER_DURATION.name, unit="s")
        cases: list[Any] = [
            {c.CACHE_HIT: True},
            {c.CACHE_HIT: 1},  # equal to True in Python, another series in the data model
            {c.CACHE_HIT: 1.0},
            {c.CACHE_HIT: True, "undeclared": "dropped"},
            {"undeclared": "only"},
            None,
            {},
            {c.CACHE_HIT: [1, 2]},  # a sequence value: cleaned to a tuple
            {c.CACHE_HIT: _Odd()},  # an invalid type: str() with a warning
            {c.CACHE_HIT: "x", 3: "non-str key", "": "empty key"},
            [(c.CACHE_HIT, True)],  # not a mapping: a warning and no attributes
            [],
            {c.CACHE_HIT: False},
        ]
        for attributes in cases * 2:
            counter.add(1, attributes)
        ordered = {c.HTTP_METHOD: "GET", c.HTTP_ROUTE: "/a", c.HTTP_STATUS: 200}
        reordered = {c.HTTP_STATUS: 200, c.HTTP_ROUTE: "/a", c.HTTP_METHOD: "GET"}
        for attributes in (ordered, reordered, {**ordered, c.HTTP_STATUS: 200.0}):
            histogram.record(0.2, attributes)

    logs = {
        path: _logged(caplog, lambda m=meter: record(m)) for path, meter in paths.meters().items()
    }
    assert logs["lean"] == logs["stock"]
    assert len(logs["lean"]) >= 6  # every warning every time, as the SDK does
    paths.assert_same()
    assert point_count(paths.collect()["lean"]) == 10


def test_the_cardinality_limit_and_the_overflow_series() -> None:
    paths = MetricPaths.build(cardinality_limit=3)
    try:
        with SAMPLED.start_as_current_span("request"):
            for i in range(10):
                paths.record(
                    lambda m, i=i: AuraStreamMetrics(m).record_customer_activity(f"c{i}", "x")
                )
                paths.record(
                    lambda m, i=i: m.create_histogram(c.SENTIMENT_DURATION.name, unit="s").record(
                        i / 10, {c.SENTIMENT: f"s{i}", c.ANALYZER: "a", "extra": i}
                    )
                )
        lean = paths.assert_same()
        got = paths.collect()["lean"]
        assert got is not None
        points = [
            dict(p.attributes or {})
            for m in got.resource_metrics[0].scope_metrics[0].metrics
            for p in m.data.data_points
        ]
        assert points.count({"otel.metric.overflow": True}) == 2 and len(points) == 8
        # Series first seen after the limit go on overflowing, in later periods too.
        paths.record(lambda m: AuraStreamMetrics(m).record_customer_activity("c9", "x"))
        paths.record(lambda m: AuraStreamMetrics(m).record_customer_activity("c0", "x"))
        assert paths.assert_same() != lean
    finally:
        paths.shutdown()


def _exemplars(data: Any) -> list[Any]:
    return [
        e
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        for p in m.data.data_points
        for e in p.exemplars
    ]


@pytest.mark.parametrize(
    ("exemplar_filter", "expected"), [("trace_based", 4), ("always_on", 6), ("always_off", 0)]
)
def test_exemplars_follow_the_filter_like_the_sdk(exemplar_filter: str, expected: int) -> None:
    paths = MetricPaths.build(exemplar_filter=exemplar_filter)

    def record(meter: Meter) -> None:
        counter = meter.create_counter(c.SENTIMENT_ANALYSES.name)
        histogram = meter.create_histogram(c.SENTIMENT_CONFIDENCE.name, unit="1")
        counter.add(2, {c.SENTIMENT: "POSITIVE", "request": "r-1"})  # filtered: in exemplar
        histogram.record(0.95, {c.SENTIMENT: "POSITIVE", "request": "r-1"})
        histogram.record(0.15, {c.SENTIMENT: "POSITIVE"})  # another bucket, no extra attrs
        histogram.record(0.12, {c.SENTIMENT: "NEUTRAL"})

    try:
        with SAMPLED.start_as_current_span("sampled") as span:
            paths.record(record)
        with UNSAMPLED.start_as_current_span("not sampled"):
            paths.record(lambda m: m.create_counter(c.CACHE_LOOKUPS.name).add(1, {}))
        paths.record(lambda m: m.create_counter(c.USAGE.name).add(1, {c.CUSTOMER_ID: "a"}))
        data = paths.collect()
        assert normalized(data["lean"]) == normalized(data["stock"])
        found = _exemplars(data["lean"])
        assert len(found) == expected
        ids = span.get_span_context()
        if expected:
            (counted,) = [e for e in found if e.value == 2]
            assert counted.filtered_attributes == {"request": "r-1"}
            assert (counted.span_id, counted.trace_id) == (ids.span_id, ids.trace_id)
        # A new period starts without exemplars, on both paths.
        data = paths.collect()
        assert normalized(data["lean"]) == normalized(data["stock"])
        assert _exemplars(data["lean"]) == []
    finally:
        paths.shutdown()


def test_a_delta_reader_keeps_the_sdk_path() -> None:
    from opentelemetry.sdk.metrics import Histogram
    from opentelemetry.sdk.metrics.export import AggregationTemporality

    def delta() -> InMemoryMetricReader:
        return InMemoryMetricReader(
            preferred_temporality={
                SdkCounter: AggregationTemporality.DELTA,
                Histogram: AggregationTemporality.DELTA,
            }
        )

    paths = MetricPaths.build(reader_factory=delta)
    try:
        provider = paths.providers["lean"]
        assert isinstance(provider, LeanMeterProvider) and not provider.lean_path
        meter = paths.meters()["lean"]
        assert isinstance(meter.create_counter(c.CACHE_LOOKUPS.name), SdkCounter)
        for _ in range(2):
            paths.record(_domain)
            data = paths.collect()
            assert normalized(data["lean"]) == normalized(data["stock"])
            assert data["lean"] is not None
            (scope,) = data["lean"].resource_metrics[0].scope_metrics
            temporalities = {m.data.aggregation_temporality for m in scope.metrics}
            assert temporalities == {AggregationTemporality.DELTA}
    finally:
        paths.shutdown()


def test_what_the_context_holds_decides_like_the_sdk(paths: MetricPaths) -> None:
    """A remote sampled parent (no local span) gives exemplars with its ids; an object that
    is no span under the span key gives none; an explicit context argument is used."""
    from opentelemetry import context as context_api
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    remote = NonRecordingSpan(
        SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    )

    def record(meter: Meter) -> None:
        counter = meter.create_counter(c.CACHE_LOOKUPS.name)
        counter.add(1, {c.CACHE_HIT: True})
        counter.add(1, {c.CACHE_HIT: False}, context=trace.set_span_in_context(remote))

    for current in (remote, "not a span"):
        token = context_api.attach(trace.set_span_in_context(current))  # type: ignore[arg-type]
        try:
            paths.record(record)
        finally:
            context_api.detach(token)
        data = paths.collect()
        assert normalized(data["lean"]) == normalized(data["stock"])
        ids = {(e.span_id, e.trace_id) for e in _exemplars(data["lean"])}
        assert ids == {(0xDEF, 0xABC)}  # the explicit context's, and the current one if a span


def _points(data: Any) -> list[Any]:
    assert data is not None
    return [
        p for m in data.resource_metrics[0].scope_metrics[0].metrics for p in m.data.data_points
    ]


def test_start_and_end_times_mean_what_the_sdks_mean(paths: MetricPaths) -> None:
    """A cumulative point starts at its series' first measurement (kept across collections)
    and ends at the collection, on both paths."""

    def record(meter: Meter) -> None:
        meter.create_counter(c.CACHE_LOOKUPS.name).add(1, {c.CACHE_HIT: True})
        meter.create_histogram(c.SENTIMENT_DURATION.name, unit="s").record(0.1, {})

    before = time.time_ns()
    paths.record(record)
    between = time.time_ns()
    first = paths.collect()
    after = time.time_ns()
    paths.record(record)
    second = paths.collect()
    for path in ("lean", "stock"):
        starts = [p.start_time_unix_nano for p in _points(first[path])]
        assert len(starts) == 2 and all(before <= start <= between for start in starts)
        assert all(between <= p.time_unix_nano <= after for p in _points(first[path]))
        assert [p.start_time_unix_nano for p in _points(second[path])] == starts
