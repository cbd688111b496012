"""build_telemetry() end to end: what a real receiver (otlp) or the files (local) get back.

Every span, log record and metric point recorded through the configured pipeline is decoded
with opentelemetry-proto and checked field by field: ids, parents, attributes of every type,
events, links, status, scope, resource, log ↔ span correlation, redaction, exemplars.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.trace import Link, SpanKind, StatusCode

from aurastream_obs.bootstrap import Telemetry, build_telemetry
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.encoding.otlp_json import iter_json_lines

pytestmark = pytest.mark.integration

ROOT_ATTRIBUTES: dict[str, Any] = {
    "http.request.method": "POST",
    "http.route": "/v1/analyze",
    "http.response.status_code": 200,
    "aurastream.score": 0.75,
    "aurastream.cached": False,
    "aurastream.tags": ["a", "b"],
    "aurastream.sizes": [1, 2, 3],
}


def _value(any_value: Any) -> Any:
    which = any_value.WhichOneof("value")
    value = getattr(any_value, which)
    if which == "array_value":
        return [_value(v) for v in value.values]
    return value


def _attrs(kvs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in kvs}


@pytest.fixture
def wire_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("aurastream.wire.test")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger
    logger.handlers.clear()


def _record_one_request(telemetry: Telemetry, logger: logging.Logger) -> dict[str, Any]:
    """The same traffic for both modes; returns the ids it produced."""
    assert telemetry.log_handler is not None and telemetry.tracer_provider is not None
    logger.addHandler(telemetry.log_handler)
    tracer = telemetry.tracer_provider.get_tracer("aurastream.wire", "9.9.9")
    with tracer.start_as_current_span("POST /v1/analyze", kind=SpanKind.SERVER) as root:
        root.set_attributes(ROOT_ATTRIBUTES)
        link = Link(root.get_span_context(), {"link.reason": "same-request"})
        with tracer.start_as_current_span(
            "comprehend.detect_sentiment", kind=SpanKind.CLIENT, links=[link]
        ) as child:
            child.add_event("cache.miss", {"cache.key": "k-1"})
            telemetry.metrics.record_sentiment_analysis("POSITIVE", 0.91, 0.012)
            logger.info(
                "analysis done",
                extra={"customer_tier": "pro", "contact": "someone@example.com"},
            )
            assert telemetry.logger_provider is not None  # a library on the OTel logs API
            telemetry.logger_provider.get_logger("some.library").emit(
                severity_number=SeverityNumber.WARN, body="from the logs API"
            )
        with pytest.raises(ValueError, match="boom"), tracer.start_as_current_span("failing"):
            raise ValueError("boom")
    logger.warning("outside any span")
    assert telemetry.force_flush(10_000)
    return {
        "trace_id": root.get_span_context().trace_id,
        "root_id": root.get_span_context().span_id,
        "child_id": child.get_span_context().span_id,
    }


def _check_spans(spans: list[Any], ids: dict[str, Any], resource: dict[str, Any]) -> None:
    by_name = {s.name: s for s in spans}
    assert set(by_name) == {"POST /v1/analyze", "comprehend.detect_sentiment", "failing"}
    root, child, failing = (
        by_name["POST /v1/analyze"],
        by_name["comprehend.detect_sentiment"],
        by_name["failing"],
    )
    trace_id = ids["trace_id"].to_bytes(16, "big")
    assert root.trace_id == child.trace_id == failing.trace_id == trace_id
    assert abs(int.from_bytes(trace_id[:4], "big") - time.time()) < 600  # X-Ray style id
    assert root.span_id == ids["root_id"].to_bytes(8, "big")
    assert child.span_id == ids["child_id"].to_bytes(8, "big")
    assert not root.parent_span_id
    assert child.parent_span_id == failing.parent_span_id == root.span_id
    assert (root.kind, child.kind, failing.kind) == (2, 3, 1)  # SERVER, CLIENT, INTERNAL
    assert _attrs(root.attributes) == ROOT_ATTRIBUTES
    assert root.end_time_unix_nano >= child.end_time_unix_nano > child.start_time_unix_nano
    assert [(e.name, _attrs(e.attributes)) for e in child.events] == [
        ("cache.miss", {"cache.key": "k-1"})
    ]
    (link,) = child.links
    assert (link.trace_id, link.span_id) == (trace_id, root.span_id)
    assert _attrs(link.attributes) == {"link.reason": "same-request"}
    assert failing.status.code == StatusCode.ERROR.value
    assert failing.status.message == "ValueError: boom"
    (exception,) = failing.events
    assert exception.name == "exception"
    assert _attrs(exception.attributes)["exception.type"] == "ValueError"
    assert resource["service.name"] == "wire-test" and resource["team"] == "observability"


def _check_logs(records: list[Any], ids: dict[str, Any]) -> None:
    by_message = {r.body.string_value: r for r in records}  # the body is the message
    assert set(by_message) == {"analysis done", "from the logs API", "outside any span"}
    done, api, outside = (
        by_message["analysis done"],
        by_message["from the logs API"],
        by_message["outside any span"],
    )
    assert api.body.string_value == "from the logs API"  # third-party records: untouched
    attributes = _attrs(done.attributes)  # semconv shape: the fields are attributes
    assert (done.severity_text, attributes["aurastream.log.category"]) == ("INFO", "application")
    assert (attributes["customer_tier"], attributes["contact"]) == ("pro", "[EMAIL]")
    assert outside.severity_text == "WARNING" and not outside.trace_id
    # Trace-correlated: the active span's ids, and the sampled flag.
    for record in (done, api):
        assert record.trace_id == ids["trace_id"].to_bytes(16, "big")
        assert record.span_id == ids["child_id"].to_bytes(8, "big")
        assert record.flags & 1
    assert not outside.trace_id and not outside.span_id
    assert (done.severity_number, done.severity_text) == (9, "INFO")
    assert (outside.severity_number, outside.severity_text) == (13, "WARNING")
    assert api.severity_number == SeverityNumber.WARN.value
    attributes = _attrs(done.attributes)
    # The service is the resource's, the logger the scope's, the rest the record's fields.
    assert not {"service", "logger", "category", "trace_id", "message"} & set(attributes)
    assert attributes["contact"] == "[EMAIL]"  # redacted before export, as on stdout
    assert done.time_unix_nano and done.observed_time_unix_nano >= done.time_unix_nano


def _check_metrics(metrics: list[Any], ids: dict[str, Any]) -> None:
    by_name = {m.name: m for m in metrics}
    analyses = by_name["aurastream.sentiment.analyses"].sum.data_points
    assert [(_attrs(p.attributes), p.as_int) for p in analyses] == [({"sentiment": "POSITIVE"}, 1)]
    (exemplar,) = analyses[0].exemplars  # recorded inside the sampled child span
    assert exemplar.trace_id == ids["trace_id"].to_bytes(16, "big")
    assert exemplar.span_id == ids["child_id"].to_bytes(8, "big")
    (point,) = by_name["aurastream.sentiment.duration"].histogram.data_points
    assert point.count == 1 and point.sum == pytest.approx(0.012)
    assert [e.span_id for e in point.exemplars] == [ids["child_id"].to_bytes(8, "big")]


def test_otlp_mode_delivers_every_signal_to_the_receiver(
    otlp_receiver: Any, wire_logger: logging.Logger
) -> None:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url,
        "OTEL_SERVICE_NAME": "wire-test",
        "OTEL_RESOURCE_ATTRIBUTES": "team=observability",
        "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=aurastream",
        "AURASTREAM_LOG_STDOUT": "false",
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
    }
    telemetry = build_telemetry(resolve_settings(mode="otlp", env=env))
    try:
        ids = _record_one_request(telemetry, wire_logger)
    finally:
        telemetry.shutdown()  # exports the final metrics

    (request,) = otlp_receiver.requests("traces")
    (resource_spans,) = request.resource_spans
    (scope_spans,) = resource_spans.scope_spans
    assert (scope_spans.scope.name, scope_spans.scope.version) == ("aurastream.wire", "9.9.9")
    _check_spans(list(scope_spans.spans), ids, _attrs(resource_spans.resource.attributes))

    (log_request,) = otlp_receiver.requests("logs")
    (resource_logs,) = log_request.resource_logs
    assert _attrs(resource_logs.resource.attributes)["service.name"] == "wire-test"
    scopes = {sl.scope.name: sl for sl in resource_logs.scope_logs}
    assert set(scopes) == {"aurastream.wire.test", "some.library"}  # the logger is the scope
    _check_logs(otlp_receiver.log_records(), ids)

    # The force_flush export (exemplars are per collection period; shutdown exports again).
    first = otlp_receiver.requests("metrics")[0]
    _check_metrics(
        [m for rm in first.resource_metrics for sm in rm.scope_metrics for m in sm.metrics], ids
    )
    posts = otlp_receiver.attempts
    assert all(h["content-encoding"] == "gzip" for h in posts)
    assert all(h["content-type"] == "application/x-protobuf" for h in posts)
    assert all(h["x-tenant"] == "aurastream" for h in posts)
    assert telemetry.drops.total() == 0


def test_local_mode_writes_every_signal_to_the_files(
    tmp_path: Path, wire_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        "AURASTREAM_TELEMETRY_DIR": str(tmp_path),
        "AURASTREAM_PROMETHEUS_PORT": "0",
        "OTEL_SERVICE_NAME": "wire-test",
        "OTEL_RESOURCE_ATTRIBUTES": "team=observability",
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
    }
    telemetry = build_telemetry(resolve_settings(mode="local", env=env))
    try:
        ids = _record_one_request(telemetry, wire_logger)
    finally:
        telemetry.shutdown()

    traces = list(iter_json_lines(tmp_path / "traces.jsonl", "traces"))
    spans = [
        s for r in traces for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans
    ]
    resource = _attrs(traces[0].resource_spans[0].resource.attributes)
    _check_spans(spans, ids, resource)

    logs = list(iter_json_lines(tmp_path / "logs.jsonl", "logs"))
    records = [
        x for r in logs for rl in r.resource_logs for sl in rl.scope_logs for x in sl.log_records
    ]
    _check_logs(records, ids)

    metric_requests = list(iter_json_lines(tmp_path / "metrics.jsonl", "metrics"))
    first = metric_requests[0]  # the force_flush export, as in the otlp test
    _check_metrics(
        [m for rm in first.resource_metrics for sm in rm.scope_metrics for m in sm.metrics], ids
    )

    # The same lines reached stdout (flushed by force_flush/shutdown), trace-correlated.
    out = capsys.readouterr().out
    assert f'"trace_id":"{ids["trace_id"]:032x}"' in out
    assert out.count("\n") == 2  # "analysis done" and "outside any span"
