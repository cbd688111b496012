"""Hand-built OTLP/JSON lines, the local-mode file format (traces/metrics/logs.jsonl), for the
telemetry_files, demo and operations-tools tests.

Builders are named after what they return: `span()` and `traces_line()`, `sum_metric()` and
`metrics_line()`, `log_record()` and `logs_line()`; `write_lines()` writes a .jsonl file.
`counter()` and `latency_histogram()` build metrics with known numbers at known times
(`NOW_NS`, series started at `START_NS`) for the KPI and analytics tools.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aurastream_obs.core.conventions import DURATION_BUCKETS_S

CUMULATIVE = 2
DELTA = 1
INTERNAL = 1
SERVER = 2
CLIENT = 3
STATUS_ERROR = 2
NOW_NS = 1_790_000_000 * 10**9  # a fixed "now" (2026-09-21)
START_NS = NOW_NS - 600 * 10**9  # series start ten minutes earlier
SERVICE = "aurastream-api"


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


def _resource(service: str) -> dict[str, Any]:
    return {"attributes": attributes({"service.name": service})}


# --- metrics ---------------------------------------------------------------------------------


def histogram_point(
    attrs: Mapping[str, object],
    bounds: Sequence[float],
    counts: Sequence[int],
    *,
    start: int = 1,
    time: int = 2,
    total: float = 0.0,
) -> dict[str, Any]:
    return {
        "attributes": attributes(attrs),
        "startTimeUnixNano": str(start),
        "timeUnixNano": str(time),
        "count": str(sum(counts)),
        "sum": total,
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


def counter(name: str, points: Sequence[tuple[Mapping[str, Any], int, float]]) -> dict[str, Any]:
    """A cumulative monotonic sum started at START_NS; points are (attributes, time_ns, value),
    written as doubles."""
    return sum_metric(name, [sum_point(a, float(v), start=START_NS, time=t) for a, t, v in points])


def latency_histogram(
    points: Sequence[tuple[Mapping[str, Any], int, Sequence[float]]],
) -> dict[str, Any]:
    """http.server.request.duration started at START_NS, in the service's buckets; points are
    (attributes, time_ns, observed seconds)."""
    data = []
    for attrs, time_ns, observations in points:
        counts = [0] * (len(DURATION_BUCKETS_S) + 1)
        for value in observations:
            index = next(
                (i for i, b in enumerate(DURATION_BUCKETS_S) if value <= b), len(counts) - 1
            )
            counts[index] += 1
        data.append(
            histogram_point(
                attrs,
                DURATION_BUCKETS_S,
                counts,
                start=START_NS,
                time=time_ns,
                total=float(sum(observations)),
            )
        )
    return histogram_metric("http.server.request.duration", data)


def metrics_line(*metrics: dict[str, Any], service: str = SERVICE) -> str:
    scope = {"scope": {"name": "aurastream_obs"}, "metrics": list(metrics)}
    return json.dumps(
        {"resourceMetrics": [{"resource": _resource(service), "scopeMetrics": [scope]}]}
    )


# --- traces ----------------------------------------------------------------------------------


def at_ms(ms: float) -> int:
    """A span timestamp `ms` milliseconds into a trace that started a minute before NOW_NS."""
    return NOW_NS - 60 * 10**9 + int(ms * 1e6)


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
    error: bool = False,
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
    if error:
        record["status"] = {"code": STATUS_ERROR}
    return record


def traces_line(*spans: dict[str, Any], service: str = SERVICE) -> str:
    scope = {"scope": {"name": "aurastream_obs.asgi"}, "spans": list(spans)}
    return json.dumps({"resourceSpans": [{"resource": _resource(service), "scopeSpans": [scope]}]})


# --- logs ------------------------------------------------------------------------------------


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


def logs_line(*records: dict[str, Any], service: str = SERVICE) -> str:
    scope = {"scope": {"name": "aurastream_obs"}, "logRecords": list(records)}
    return json.dumps({"resourceLogs": [{"resource": _resource(service), "scopeLogs": [scope]}]})


def write_lines(path: Path, *lines: str) -> Path:
    """Write `lines` as a .jsonl file (one line each); returns `path`."""
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path
