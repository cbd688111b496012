"""The direct OTLP/JSON encoder writes the same text as the SDK encoder + json_format route."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs as sdk_encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits

from aurastream_obs.encoding.json_values import any_value
from aurastream_obs.encoding.otlp_json import (
    decode_logs_json,
    decode_traces_json,
    encode_logs_json,
    encode_spans_json,
    request_to_json,
)
from aurastream_obs.encoding.proto import LogItem
from support.sdk_telemetry import build_sdk_logs, build_spans


def _without_link_trace_state(line: str) -> str:
    """Our line minus link traceState (kept by us, dropped by the SDK encoder), re-dumped."""
    doc = json.loads(line)
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for link in span.get("links", []):
                    link.pop("traceState", None)
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def test_span_lines_are_byte_identical_to_the_json_format_route() -> None:
    first = build_spans(Resource.create({"service.name": "a", "k": [1, 2]}))
    second = build_spans(Resource.create({"service.name": "b"}, "https://schema/2"))
    spans = [*first, *second]
    line = encode_spans_json(spans)
    assert _without_link_trace_state(line) == request_to_json(sdk_encode_spans(spans))
    assert '"traceState":"vendor=value,xray=1-abc"' in line
    # Per build: 5 spans inherit the remote parent's trace state, plus the one link.
    assert line.count('"traceState"') == 2 * (5 + 1)
    decoded = decode_traces_json(line)
    assert len(decoded.resource_spans) == 2


def test_span_lines_with_dropped_counts_match() -> None:
    limits = SpanLimits(max_span_attributes=2, max_events=1, max_event_attributes=1)
    spans = build_spans(Resource.create({}), limits=limits)
    line = encode_spans_json(spans)
    assert _without_link_trace_state(line) == request_to_json(sdk_encode_spans(spans))
    assert '"droppedAttributesCount"' in line and '"droppedEventsCount":2' in line


def test_sdk_log_lines_are_byte_identical_to_the_json_format_route() -> None:
    logs = build_sdk_logs(Resource.create({"service.name": "svc"}))
    line = encode_logs_json(logs)
    assert line == request_to_json(sdk_encode_logs(logs))
    assert decode_logs_json(line) == sdk_encode_logs(logs)
    assert '"eventName":"aurastream.analysis"' in line


def test_log_items_and_sdk_records_share_resource_and_scope() -> None:
    logs = build_sdk_logs(Resource.create({"service.name": "svc"}))
    sdk = logs[0]
    item = LogItem(
        1_700_000_000_000_000_000,
        1_700_000_000_000_000_001,
        9,
        "INFO",
        "hello",
        {"category": "application", "n": 3},
        0xABC,
        0xDEF,
        1,
        sdk.resource,
        sdk.instrumentation_scope,
    )
    doc = json.loads(encode_logs_json([item, sdk]))
    (resource_logs,) = doc["resourceLogs"]
    (scope_logs,) = resource_logs["scopeLogs"]
    first = scope_logs["logRecords"][0]
    assert first["traceId"] == f"{0xABC:032x}" and first["spanId"] == f"{0xDEF:016x}"
    assert first["timeUnixNano"] == "1700000000000000000"
    assert first["severityNumber"] == 9 and first["flags"] == 1
    assert first["attributes"][1] == {"key": "n", "value": {"intValue": "3"}}


def test_any_value_special_cases() -> None:
    cases: list[tuple[Any, dict[str, Any]]] = [
        (float("nan"), {"doubleValue": "NaN"}),
        (float("-inf"), {"doubleValue": "-Infinity"}),
        (b"\x00\xff", {"bytesValue": "AP8="}),
        ([], {"arrayValue": {}}),
        ({}, {"kvlistValue": {}}),
        (None, {}),
        (2**64, {"stringValue": str(2**64)}),
        ({1: True}, {"kvlistValue": {"values": [{"key": "1", "value": {"boolValue": True}}]}}),
    ]
    for value, expected in cases:
        assert json.loads(any_value(value)) == expected, value
