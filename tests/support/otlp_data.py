"""Hand-built OTLP/JSON lines (the local exporters' format) for telemetry_files and demo tests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

CUMULATIVE = 2
DELTA = 1
SERVER = 2
INTERNAL = 1
_RESOURCE = {"attributes": [{"key": "service.name", "value": {"stringValue": "aurastream-api"}}]}


def attributes(values: Mapping[str, object]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key, value in values.items():
        if isinstance(value, bool):
            any_value: dict[str, Any] = {"boolValue": value}
        elif isinstance(value, int):
            any_value = {"intValue": str(value)}  # proto3 JSON: int64 as a string
        elif isinstance(value, float):
            any_value = {"doubleValue": value}
        else:
            any_value = {"stringValue": str(value)}
        out.append({"key": key, "value": any_value})
    return out


def histogram_point(
    attrs: Mapping[str, object],
    bounds: Sequence[float],
    counts: Sequence[int],
    *,
    start: int = 1,
    time: int = 2,
) -> dict[str, Any]:
    return {
        "attributes": attributes(attrs),
        "startTimeUnixNano": str(start),
        "timeUnixNano": str(time),
        "count": str(sum(counts)),
        "sum": 0.0,
        "bucketCounts": [str(c) for c in counts],
        "explicitBounds": list(bounds),
    }


def sum_point(
    attrs: Mapping[str, object], value: float, *, start: int = 1, time: int = 2
) -> dict[str, Any]:
    point: dict[str, Any] = {
        "attributes": attributes(attrs),
        "startTimeUnixNano": str(start),
        "timeUnixNano": str(time),
    }
    if isinstance(value, int):
        point["asInt"] = str(value)
    else:
        point["asDouble"] = value
    return point


def histogram_metric(
    name: str, points: Iterable[dict[str, Any]], temporality: int = CUMULATIVE
) -> dict[str, Any]:
    return {
        "name": name,
        "unit": "s",
        "histogram": {"dataPoints": list(points), "aggregationTemporality": temporality},
    }


def sum_metric(
    name: str, points: Iterable[dict[str, Any]], temporality: int = CUMULATIVE
) -> dict[str, Any]:
    return {
        "name": name,
        "sum": {
            "dataPoints": list(points),
            "aggregationTemporality": temporality,
            "isMonotonic": True,
        },
    }


def metrics_line(*metrics: dict[str, Any]) -> str:
    scope = {"scope": {"name": "aurastream_obs"}, "metrics": list(metrics)}
    return json.dumps({"resourceMetrics": [{"resource": _RESOURCE, "scopeMetrics": [scope]}]})


def span(
    trace_id: str,
    span_id: str,
    name: str,
    *,
    parent: str = "",
    kind: int = INTERNAL,
    start: int = 0,
    end: int = 0,
    attrs: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(end),
        "attributes": attributes(attrs or {}),
    }
    if parent:
        record["parentSpanId"] = parent
    return record


def traces_line(*spans: dict[str, Any]) -> str:
    scope = {"scope": {"name": "aurastream_obs.asgi"}, "spans": list(spans)}
    return json.dumps({"resourceSpans": [{"resource": _RESOURCE, "scopeSpans": [scope]}]})


def log_record(
    trace_id: str, span_id: str, body: str, attrs: Mapping[str, object] | None = None
) -> dict[str, Any]:
    return {
        "timeUnixNano": "1",
        "severityText": "INFO",
        "severityNumber": 9,
        "body": {"stringValue": body},
        "traceId": trace_id,
        "spanId": span_id,
        "attributes": attributes(attrs or {}),
    }


def logs_line(*records: dict[str, Any]) -> str:
    scope = {"scope": {"name": "aurastream_obs"}, "logRecords": list(records)}
    return json.dumps({"resourceLogs": [{"resource": _RESOURCE, "scopeLogs": [scope]}]})


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path
