"""Hand-built OTLP/JSON lines (the local-mode file format) with numbers the tests know, and a
CLI runner for one subcommand module."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aurastream_obs.core.conventions import DURATION_BUCKETS_S

NOW_NS = 1_790_000_000 * 10**9  # a fixed "now" (2026-09-21)
START_NS = NOW_NS - 600 * 10**9  # series start ten minutes earlier


def _attrs(attrs: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, value in attrs.items():
        if isinstance(value, bool):
            out.append({"key": key, "value": {"boolValue": value}})
        elif isinstance(value, int):
            out.append({"key": key, "value": {"intValue": str(value)}})
        else:
            out.append({"key": key, "value": {"stringValue": str(value)}})
    return out


def counter(name: str, points: Sequence[tuple[Mapping[str, Any], int, float]]) -> dict[str, Any]:
    """A cumulative monotonic sum; points are (attributes, time_ns, value)."""
    return {
        "name": name,
        "sum": {
            "aggregationTemporality": 2,
            "isMonotonic": True,
            "dataPoints": [
                {"attributes": _attrs(a), "startTimeUnixNano": str(START_NS),
                 "timeUnixNano": str(t), "asDouble": v}
                for a, t, v in points
            ],
        },
    }  # fmt: skip


def latency_histogram(
    points: Sequence[tuple[Mapping[str, Any], int, Sequence[float]]],
) -> dict[str, Any]:
    """http.server.request.duration: points are (attributes, time_ns, observed seconds)."""
    data = []
    for attrs, time_ns, observations in points:
        counts = [0] * (len(DURATION_BUCKETS_S) + 1)
        for value in observations:
            index = next(
                (i for i, b in enumerate(DURATION_BUCKETS_S) if value <= b), len(counts) - 1
            )
            counts[index] += 1
        data.append({
            "attributes": _attrs(attrs), "startTimeUnixNano": str(START_NS),
            "timeUnixNano": str(time_ns), "count": str(len(observations)),
            "sum": float(sum(observations)), "bucketCounts": [str(c) for c in counts],
            "explicitBounds": list(DURATION_BUCKETS_S),
        })  # fmt: skip
    return {
        "name": "http.server.request.duration",
        "unit": "s",
        "histogram": {"aggregationTemporality": 2, "dataPoints": data},
    }


def metrics_line(metrics: Sequence[dict[str, Any]]) -> str:
    return json.dumps({
        "resourceMetrics": [{
            "resource": {"attributes": _attrs({"service.name": "aurastream-api"})},
            "scopeMetrics": [{"scope": {"name": "test"}, "metrics": list(metrics)}],
        }]
    })  # fmt: skip


def span(  # noqa: PLR0917 - a span reads best as one positional row
    trace_id: str, span_id: str, parent: str, name: str, start_ms: float, end_ms: float,
    *, kind: int = 1, error: bool = False, attrs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    base = NOW_NS - 60 * 10**9
    return {
        "traceId": trace_id, "spanId": span_id, "parentSpanId": parent, "name": name,
        "kind": kind, "startTimeUnixNano": str(base + int(start_ms * 1e6)),
        "endTimeUnixNano": str(base + int(end_ms * 1e6)),
        "attributes": _attrs(attrs or {}), "status": {"code": 2 if error else 0},
    }  # fmt: skip


def traces_line(spans: Sequence[dict[str, Any]], service: str = "aurastream-api") -> str:
    return json.dumps({
        "resourceSpans": [{
            "resource": {"attributes": _attrs({"service.name": service})},
            "scopeSpans": [{"scope": {"name": "test"}, "spans": list(spans)}],
        }]
    })  # fmt: skip


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def run_command(module: str, argv: Sequence[str]) -> tuple[int, str]:
    """Run one `aurastream-obs` subcommand module in-process; (exit code, stdout)."""
    parser = argparse.ArgumentParser(prog="aurastream-obs")
    importlib.import_module(f"aurastream_obs.commands.{module}").register(
        parser.add_subparsers(dest="command", required=True)
    )
    args = parser.parse_args([module, *argv])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = int(args.handler(args))
    return code, out.getvalue()
