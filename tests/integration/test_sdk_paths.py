"""The lean path (our spans, metric instruments and encoders inside the SDK providers) and the
stock path (`AURASTREAM_SDK_PATH=stock`: the SDK's own spans, measurement path, log records and
OTLP encoders) deliver the same telemetry for the same scenario, over OTLP to a decoding
receiver and into local files (metric points, exemplars and all)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, Status, StatusCode

from aurastream_obs.asgi import TelemetryMiddleware
from aurastream_obs.bootstrap import Telemetry, build_telemetry
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.encoding.otlp_json import iter_json_lines
from aurastream_obs.sdk.spans import LeanSpan
from support.otlp_receiver import OtlpReceiver

pytestmark = pytest.mark.integration


def _scenario(telemetry: Telemetry) -> None:
    """One request through the middleware with a child span, an event, an error, logs."""
    assert telemetry.tracer_provider is not None and telemetry.log_handler is not None
    tracer = telemetry.tracer_provider.get_tracer("paths.app", "1.0")
    logger = logging.getLogger("paths.app")
    logger.propagate = False
    logger.handlers = [telemetry.log_handler]
    logger.setLevel(logging.INFO)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        with tracer.start_as_current_span("analyze", kind=SpanKind.INTERNAL) as span:
            span.set_attribute("aurastream.sentiment", "POSITIVE")
            span.set_attribute("aurastream.sizes", [1, 2, 3])
            span.add_event("cache.miss", {"key": "abc"})
            logger.info("analysis done", extra={"customer_id": "acme", "data": {"n": 1}})
            logger.warning(  # an event: EventName and the `event.name` attribute
                "failed_authentication",
                extra={"event_type": "failed_authentication", "category": "security"},
            )
            # Metric points inside a sampled span: exemplars with its ids.
            telemetry.metrics.record_sentiment_analysis("POSITIVE", 0.93, 0.012, "vader")
            telemetry.metrics.record_customer_activity("acme", "analysis")
            telemetry.metrics.record_revenue("acme", 0.25, 3)
        with tracer.start_as_current_span("store") as failing:
            failing.set_status(Status(StatusCode.ERROR, "throttled"))
        telemetry.metrics.record_cache_lookup(hit=False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    middleware = TelemetryMiddleware(
        app,
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
        route_resolver=lambda path: path,
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/analyze",
        "headers": [(b"user-agent", b"paths-test")],
        "client": ("203.0.113.9", 4000),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    asyncio.run(middleware(scope, receive, send))
    assert telemetry.force_flush(10_000)
    logger.handlers = []


def _value(any_value: Any) -> Any:
    which = any_value.WhichOneof("value")
    value = getattr(any_value, which)
    if which == "array_value":
        return tuple(_value(v) for v in value.values)
    if which == "kvlist_value":
        return tuple(sorted((kv.key, _value(kv.value)) for kv in value.values))
    return value


def _attrs(pairs: Any, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in pairs if kv.key not in drop}


# Values that differ per run, not per path.
_VOLATILE = ("aurastream.request.id", "request_id", "timestamp", "trace_id", "span_id",
             "xray_trace_id", "response_time_ms")  # fmt: skip


def _summary(traces: list[Any], logs: list[Any], metrics: list[Any]) -> dict[str, Any]:
    spans = [
        s for req in traces for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans
    ]
    by_id = {s.span_id: s.name for s in spans}
    records = [
        r
        for req in logs
        for rl in req.resource_logs
        for sl in rl.scope_logs
        for r in sl.log_records
    ]
    return {
        "spans": sorted(
            (
                s.name,
                int(s.kind),
                by_id.get(s.parent_span_id, ""),
                int(s.status.code),
                s.status.message,
                tuple(sorted(_attrs(s.attributes, _VOLATILE).items())),
                tuple((e.name, tuple(sorted(_attrs(e.attributes).items()))) for e in s.events),
            )
            for s in spans
        ),
        "logs": sorted(
            (
                r.severity_text,
                int(r.severity_number),
                r.event_name,
                bool(r.trace_id),
                tuple(sorted(_attrs(r.attributes, _VOLATILE).items())),
            )
            for r in records
        ),
        "metrics": _metrics(metrics),
    }


def _metrics(requests: list[Any]) -> list[Any]:
    """Every metric stream as its last export has it (cumulative: kind, unit, description,
    temporality, the points' attributes and values) with the exemplars of every export (each
    export has those sampled since the one before). Request durations are wall time: only
    their count and the buckets' bounds."""
    last: dict[tuple[str, str], Any] = {}
    exemplars: dict[tuple[str, str, Any], list[Any]] = {}
    for req in requests:
        for rm in req.resource_metrics:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    last[(sm.scope.name, m.name)] = m
                    for p in getattr(m, m.WhichOneof("data")).data_points:
                        key = (sm.scope.name, m.name, tuple(sorted(_attrs(p.attributes).items())))
                        exemplars.setdefault(key, []).extend(
                            (tuple(sorted(_attrs(e.filtered_attributes).items())), bool(e.span_id))
                            for e in p.exemplars
                        )
    out = []
    for (scope, name), metric in sorted(last.items()):
        kind = metric.WhichOneof("data")
        data = getattr(metric, kind)
        points = []
        for p in data.data_points:
            attributes = tuple(sorted(_attrs(p.attributes).items()))
            if kind == "histogram":
                timed = name == "http.server.request.duration"
                numbers: tuple[Any, ...] = (p.count, tuple(p.explicit_bounds)) + (
                    () if timed else (p.sum, tuple(p.bucket_counts), p.min, p.max)
                )
            else:
                numbers = (p.WhichOneof("value"), getattr(p, p.WhichOneof("value")))
            sampled = tuple(sorted(exemplars.get((scope, name, attributes), [])))
            points.append((attributes, numbers, sampled))
        out.append((scope, name, kind, metric.unit, metric.description,
                    getattr(data, "aggregation_temporality", 0),
                    getattr(data, "is_monotonic", None), tuple(sorted(points))))  # fmt: skip
    return out


def _otlp(path: str, receiver: OtlpReceiver) -> dict[str, Any]:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.base_url,
        "OTEL_TRACES_SAMPLER": "always_on",
        "AURASTREAM_LOG_STDOUT": "false",
        "AURASTREAM_SDK_PATH": path,
    }
    telemetry = build_telemetry(resolve_settings("paths", "otlp", env=env))
    try:
        _scenario(telemetry)
    finally:
        telemetry.shutdown(5_000)
    return _summary(
        receiver.requests("traces"), receiver.requests("logs"), receiver.requests("metrics")
    )


def _local(path: str, folder: Path) -> dict[str, Any]:
    env = {
        "AURASTREAM_TELEMETRY_DIR": str(folder),
        "AURASTREAM_PROMETHEUS_PORT": "0",
        "OTEL_TRACES_SAMPLER": "always_on",
        "AURASTREAM_SDK_PATH": path,
    }
    telemetry = build_telemetry(resolve_settings("paths", "local", env=env))
    try:
        tracer = telemetry.tracer_provider.get_tracer("probe")  # type: ignore[union-attr]
        with tracer.start_as_current_span("probe") as probe:
            lean = isinstance(probe, LeanSpan)
        assert lean is (path == "lean")  # the switch really switches the span class
        lookups = type(telemetry.metrics._cache).__name__  # and the metric instruments
        assert lookups == ("LeanCounter" if path == "lean" else "_Counter")
        _scenario(telemetry)
    finally:
        telemetry.shutdown(5_000)
    read = {
        s: list(iter_json_lines(folder / f"{s}.jsonl", s)) for s in ("traces", "logs", "metrics")
    }  # type: ignore[arg-type]
    summary = _summary(read["traces"], read["logs"], read["metrics"])
    summary["spans"] = [s for s in summary["spans"] if s[0] != "probe"]
    return summary


def _has_the_event(summary: dict[str, Any]) -> bool:
    """The scenario's event with its name as the EventName field and the `event.name`
    attribute (the one the collector's CloudWatch Logs exporter keeps)."""
    return any(
        log[2] == "failed_authentication" and ("event.name", "failed_authentication") in log[4]
        for log in summary["logs"]
    )


def _has_the_metrics(summary: dict[str, Any]) -> bool:
    """The scenario's metrics, with exemplars (trace-based: inside the sampled span)."""
    names = {metric[1] for metric in summary["metrics"]}
    exemplars = [e for metric in summary["metrics"] for p in metric[7] for e in p[2]]
    return {
        "http.server.request.duration",
        "aurastream.cache.lookups",
        "aurastream.sentiment.analyses",
        "aurastream.sentiment.duration",
        "aurastream.revenue",
        "aurastream.usage",
    } <= names and len(exemplars) >= 6


def test_both_paths_send_the_same_otlp() -> None:
    results = {}
    for path in ("lean", "stock"):
        with OtlpReceiver() as receiver:
            results[path] = _otlp(path, receiver)
    assert results["lean"]["spans"] and results["lean"]["logs"]
    assert _has_the_event(results["lean"]) and _has_the_metrics(results["lean"])
    assert results["lean"] == results["stock"]


def test_both_paths_write_the_same_local_files(tmp_path: Path) -> None:
    lean = _local("lean", tmp_path / "lean")
    stock = _local("stock", tmp_path / "stock")
    assert lean["spans"] and lean["logs"] and _has_the_event(lean) and _has_the_metrics(lean)
    assert lean == stock
