"""Exporters against real servers: an OTLP/HTTP receiver, a Prometheus endpoint, promtool."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from aurastream_obs.core.settings import Settings
from aurastream_obs.modes.local.prometheus import start_prometheus_endpoint
from aurastream_obs.modes.otlp.exporters import build_otlp_exporters
from support.budgets import assert_within_budget
from support.tools import require_tool

pytestmark = pytest.mark.integration

RESOURCE = Resource.create({"service.name": "aurastream-wire-test"})


def _settings(receiver: Any, timeout_s: float = 5.0) -> Settings:
    return Settings(
        traces_endpoint=receiver.endpoint("traces"),
        metrics_endpoint=receiver.endpoint("metrics"),
        logs_endpoint=receiver.endpoint("logs"),
        otlp_headers={"x-aurastream-key": "secret"},
        otlp_compression="gzip",
        otlp_timeout_s=timeout_s,
    )


def _attrs(kvs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in kvs:
        out[kv.key] = getattr(kv.value, kv.value.WhichOneof("value"))
    return out


def test_sdk_pipelines_deliver_exact_telemetry_over_gzip(otlp_receiver: Any) -> None:
    span_exporter, metric_exporter, log_exporter = build_otlp_exporters(_settings(otlp_receiver))
    tracer_provider = TracerProvider(resource=RESOURCE)
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    meter_provider = MeterProvider(
        resource=RESOURCE,
        metric_readers=[
            PeriodicExportingMetricReader(metric_exporter, export_interval_millis=3_600_000)
        ],
    )
    logger_provider = LoggerProvider(resource=RESOURCE)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter))
    meter = meter_provider.get_meter("aurastream.tests")
    analyses = meter.create_counter("aurastream.sentiment.analyses")
    duration = meter.create_histogram("http.server.request.duration", unit="s")
    tracer = tracer_provider.get_tracer("aurastream.tests")
    try:
        with tracer.start_as_current_span("POST /analyze", kind=SpanKind.SERVER) as root:
            root.set_attribute("http.response.status_code", 200)
            with tracer.start_as_current_span("comprehend.detect_sentiment") as child:
                child.set_attribute("sentiment", "NEGATIVE")
                analyses.add(2, {"sentiment": "NEGATIVE"})
                duration.record(0.042, {"http.response.status_code": 200})
                logger_provider.get_logger("aurastream.tests").emit(
                    severity_number=SeverityNumber.ERROR, body="comprehend throttled"
                )
        assert tracer_provider.force_flush(5_000)
        assert meter_provider.force_flush(5_000)
        assert logger_provider.force_flush(5_000)
    finally:
        tracer_provider.shutdown()
        meter_provider.shutdown()
        logger_provider.shutdown()

    assert otlp_receiver.wait_for(lambda: otlp_receiver.span_count() >= 2)
    spans = {s.name: s for s in otlp_receiver.spans()}
    assert set(spans) == {"POST /analyze", "comprehend.detect_sentiment"}
    sent_child = child.get_span_context()
    got_child = spans["comprehend.detect_sentiment"]
    assert int.from_bytes(got_child.trace_id) == sent_child.trace_id
    assert int.from_bytes(got_child.span_id) == sent_child.span_id
    assert got_child.parent_span_id == spans["POST /analyze"].span_id
    assert spans["POST /analyze"].kind == 2  # SERVER
    assert _attrs(got_child.attributes) == {"sentiment": "NEGATIVE"}
    assert _attrs(spans["POST /analyze"].attributes) == {"http.response.status_code": 200}

    assert {"aurastream.sentiment.analyses", "http.server.request.duration"} <= (
        otlp_receiver.metric_names()
    )
    # force_flush and shutdown each export; cumulative, so every export repeats the totals.
    points = otlp_receiver.data_points("aurastream.sentiment.analyses")
    assert points
    assert {(p.as_int, tuple(_attrs(p.attributes).items())) for p in points} == {
        (2, (("sentiment", "NEGATIVE"),))
    }
    hist = otlp_receiver.data_points("http.server.request.duration")[0]
    assert (hist.count, hist.sum) == (1, pytest.approx(0.042))
    sums = [m.sum for m in otlp_receiver.metrics() if m.name == "aurastream.sentiment.analyses"]
    assert sums[0].aggregation_temporality == 2  # CUMULATIVE

    (record,) = otlp_receiver.log_records()
    assert record.body.string_value == "comprehend throttled"
    assert record.severity_number == SeverityNumber.ERROR.value
    assert int.from_bytes(record.trace_id) == sent_child.trace_id

    posts = otlp_receiver.attempts
    assert len(posts) >= 3
    assert all(h.get("content-encoding") == "gzip" for h in posts)
    assert all(h.get("content-type") == "application/x-protobuf" for h in posts)
    assert all(h.get("x-aurastream-key") == "secret" for h in posts)


def _finished_spans(count: int) -> Any:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for i in range(count):
        with provider.get_tracer("t").start_as_current_span(f"span-{i}"):
            pass
    provider.shutdown()
    return memory.get_finished_spans()


@pytest.mark.parametrize(
    ("status", "close_connections", "delay_s"),
    [(503, False, 0.0), (200, True, 0.0), (200, False, 3.0)],
    ids=["503-dead-collector", "connection-closed", "slow-collector"],
)
def test_failing_collector_fails_the_export_boundedly(
    otlp_receiver: Any, status: int, close_connections: bool, delay_s: float
) -> None:
    otlp_receiver.status = status
    otlp_receiver.close_connections = close_connections
    otlp_receiver.delay_s = delay_s
    timeout_s = 1.0
    span_exporter, _, _ = build_otlp_exporters(_settings(otlp_receiver, timeout_s=timeout_s))
    spans = _finished_spans(3)
    try:
        started = time.monotonic()
        result = span_exporter.export(spans)  # must return, not raise
        elapsed = time.monotonic() - started
    finally:
        span_exporter.shutdown()
    assert result is SpanExportResult.FAILURE
    assert_within_budget(elapsed, timeout_s, "a failing export")
    assert otlp_receiver.attempts, "the exporter never reached the receiver"
    assert otlp_receiver.span_count() == 0


def test_export_succeeds_after_collector_recovers(otlp_receiver: Any) -> None:
    otlp_receiver.status = 503
    span_exporter, _, _ = build_otlp_exporters(_settings(otlp_receiver, timeout_s=0.5))
    try:
        assert span_exporter.export(_finished_spans(1)) is SpanExportResult.FAILURE
        otlp_receiver.status = 200
        assert span_exporter.export(_finished_spans(2)) is SpanExportResult.SUCCESS
    finally:
        span_exporter.shutdown()
    assert otlp_receiver.span_count() == 2


# --- Prometheus endpoint -----------------------------------------------------------------


def _promtool() -> str:
    return require_tool("promtool")


def _scrape(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


@pytest.fixture
def prometheus_endpoint() -> Any:
    reader, endpoint = start_prometheus_endpoint("127.0.0.1", 0)
    provider = MeterProvider(metric_readers=[reader], resource=RESOURCE)
    meter = provider.get_meter("aurastream_obs", "0.1.0")
    duration = meter.create_histogram(
        "http.server.request.duration", unit="s", description="Duration of HTTP server requests."
    )
    analyses = meter.create_counter(
        "aurastream.sentiment.analyses", unit="{analysis}", description="Sentiment analyses."
    )
    for status_code in (200, 200, 503):
        duration.record(
            0.05,
            {
                "http.request.method": "POST",
                "http.route": "/analyze",
                "http.response.status_code": status_code,
            },
        )
    analyses.add(4, {"sentiment": "POSITIVE"})
    yield endpoint
    endpoint.close()
    provider.shutdown()


def test_prometheus_endpoint_serves_lint_clean_text_with_expected_names(
    prometheus_endpoint: Any,
) -> None:
    assert prometheus_endpoint.port > 0
    status, content_type, body = _scrape(prometheus_endpoint.url)
    assert status == 200
    assert content_type.startswith("text/plain")

    assert "# TYPE http_server_request_duration_seconds histogram" in body
    for suffix in ("_bucket", "_sum", "_count"):
        assert re.search(
            rf"^http_server_request_duration_seconds{suffix}\{{[^}}]*"
            rf'http_response_status_code="503"',
            body,
            re.MULTILINE,
        ), suffix
    assert re.search(
        r'^http_server_request_duration_seconds_count\{[^}]*http_response_status_code="200"'
        r"[^}]*\} 2\.0$",
        body,
        re.MULTILINE,
    )
    assert "# TYPE aurastream_sentiment_analyses_total counter" in body
    assert re.search(
        r'^aurastream_sentiment_analyses_total\{[^}]*sentiment="POSITIVE"[^}]*\} 4\.0$',
        body,
        re.MULTILINE,
    )
    assert 'service_name="aurastream-wire-test"' in body  # resource, once, in target_info

    lint = subprocess.run(
        [_promtool(), "check", "metrics"],
        input=body.encode(),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()


def test_a_flush_between_scrapes_does_not_duplicate_families() -> None:
    reader, endpoint = start_prometheus_endpoint("127.0.0.1", 0)
    provider = MeterProvider(metric_readers=[reader], resource=RESOURCE)
    try:
        counter = provider.get_meter("t").create_counter("flushes", description="Flushes.")
        counter.add(1)
        provider.force_flush()  # queues a snapshot in the pull reader
        counter.add(1)
        provider.force_flush()
        body = _scrape(endpoint.url)[2]
        types = [line for line in body.splitlines() if line.startswith("# TYPE")]
        assert len(types) == len(set(types)), types
        assert re.search(r"^flushes_total\{[^}]*\} 2\.0$", body, re.MULTILINE), body
    finally:
        endpoint.close()
        provider.shutdown()


def test_prometheus_endpoint_concurrent_scrapes_stay_valid(prometheus_endpoint: Any) -> None:
    # The exporter's collector queues one snapshot per collection and drains the whole queue:
    # overlapping scrapes without the endpoint's lock yield duplicated families or empty bodies
    # (rarely; a tiny switch interval makes the interleaving likely enough to catch).
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            bodies = list(pool.map(lambda _: _scrape(prometheus_endpoint.url)[2], range(400)))
    finally:
        sys.setswitchinterval(interval)
    for body in bodies:
        types = re.findall(r"^# TYPE (\S+)", body, re.MULTILINE)
        assert len(types) == len(set(types)), "duplicated metric family in one scrape"
        assert "aurastream_sentiment_analyses_total" in types


def test_prometheus_endpoint_only_serves_metrics_and_closes_quickly() -> None:
    reader, endpoint = start_prometheus_endpoint("127.0.0.1", 0)
    other_reader, other = start_prometheus_endpoint("127.0.0.1", 0)  # private registries
    try:
        assert endpoint.port != other.port
        status, _, _ = _scrape(f"http://127.0.0.1:{endpoint.port}/other")
        assert status == 404
        assert _scrape(endpoint.url)[0] == 200
    finally:
        started = time.monotonic()
        endpoint.close()
        other.close()
        elapsed = time.monotonic() - started
        reader.shutdown()
        other_reader.shutdown()
    assert_within_budget(elapsed, 2 * 0.05, "closing two endpoints")  # 0.05 s poll each
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", endpoint.port), 1):
        pass
