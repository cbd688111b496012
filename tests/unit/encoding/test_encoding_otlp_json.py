"""OTLP/JSON encoding: spec rules (hex ids, integer enums, string int64) and round trips."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from aurastream_obs.encoding.otlp_json import (
    decode_logs_json,
    decode_metrics_json,
    decode_traces_json,
    encode_logs_json,
    encode_metrics_json,
    encode_spans_json,
    iter_json_lines,
)
from support.sdk_telemetry import SampleTelemetry

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def _spans_by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        span["name"]: span
        for rs in doc["resourceSpans"]
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
    }


def _attrs(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {item["key"]: item["value"] for item in items}


def test_spans_line_follows_otlp_json_rules(sample_telemetry: SampleTelemetry) -> None:
    line = encode_spans_json(sample_telemetry.spans)
    assert "\n" not in line
    doc = json.loads(line)
    assert list(doc) == ["resourceSpans"]
    spans = _spans_by_name(doc)
    sdk = {s.name: s for s in sample_telemetry.spans}
    parent, child = spans["POST /analyze"], spans["comprehend.detect_sentiment"]

    assert HEX32.match(child["traceId"])
    assert child["traceId"] == format(sdk["comprehend.detect_sentiment"].context.trace_id, "032x")
    assert HEX16.match(child["spanId"])
    assert child["spanId"] == format(sdk["comprehend.detect_sentiment"].context.span_id, "016x")
    assert child["parentSpanId"] == parent["spanId"]
    assert "parentSpanId" not in parent  # empty fields are omitted
    assert child["links"][0]["traceId"] == parent["traceId"]
    assert child["links"][0]["spanId"] == parent["spanId"]
    # Enums as integers: SpanKind SERVER=2, CLIENT=3; StatusCode ERROR=2.
    assert parent["kind"] == 2
    assert child["kind"] == 3
    assert child["status"] == {"code": 2, "message": "throttled"}
    # 64-bit integers as decimal strings.
    assert isinstance(child["startTimeUnixNano"], str)
    assert int(child["endTimeUnixNano"]) >= int(child["startTimeUnixNano"])
    attrs = _attrs(child["attributes"])
    assert attrs["big"] == {"intValue": str(2**53 + 1)}
    assert attrs["confidence"] == {"doubleValue": 0.93}
    assert attrs["cached"] == {"boolValue": False}
    assert attrs["aurastream.tokens"]["arrayValue"]["values"][2] == {"intValue": "3"}
    assert _attrs(doc["resourceSpans"][0]["resource"]["attributes"])["service.name"] == {
        "stringValue": "aurastream-test"
    }


def test_spans_round_trip_to_identical_protobuf(sample_telemetry: SampleTelemetry) -> None:
    decoded = decode_traces_json(encode_spans_json(sample_telemetry.spans))
    assert decoded == encode_spans(sample_telemetry.spans)
    child = next(
        s
        for rs in decoded.resource_spans
        for ss in rs.scope_spans
        for s in ss.spans
        if s.name == "comprehend.detect_sentiment"
    )
    sdk_child = next(s for s in sample_telemetry.spans if s.name == "comprehend.detect_sentiment")
    assert int.from_bytes(child.trace_id, "big") == sdk_child.context.trace_id
    assert len(child.trace_id) == 16
    assert child.events[0].name == "cache.miss"


def test_metrics_line_rules_and_round_trip(sample_telemetry: SampleTelemetry) -> None:
    line = encode_metrics_json(sample_telemetry.metrics)
    doc = json.loads(line)
    metrics = {
        m["name"]: m
        for rm in doc["resourceMetrics"]
        for sm in rm["scopeMetrics"]
        for m in sm["metrics"]
    }
    counter = metrics["aurastream.sentiment.analyses"]["sum"]
    assert counter["aggregationTemporality"] == 2  # CUMULATIVE, as an integer
    assert counter["isMonotonic"] is True
    values = {
        _attrs(p["attributes"])["sentiment"]["stringValue"]: p["asInt"]
        for p in counter["dataPoints"]
    }
    assert values == {"POSITIVE": "3", "NEGATIVE": "1"}
    histogram = metrics["http.server.request.duration"]["histogram"]
    point = histogram["dataPoints"][0]
    assert point["count"] == "1"
    assert point["sum"] == 0.25
    assert metrics["http.server.request.duration"]["unit"] == "s"
    # Exemplars were recorded inside the child span: their ids must be hex too.
    child = next(s for s in sample_telemetry.spans if s.name == "comprehend.detect_sentiment")
    exemplar = point["exemplars"][0]
    assert exemplar["traceId"] == format(child.context.trace_id, "032x")
    assert exemplar["spanId"] == format(child.context.span_id, "016x")

    assert decode_metrics_json(line) == encode_metrics(sample_telemetry.metrics)


def test_logs_line_rules_and_round_trip(sample_telemetry: SampleTelemetry) -> None:
    line = encode_logs_json(sample_telemetry.logs)
    doc = json.loads(line)
    record = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    child = next(s for s in sample_telemetry.spans if s.name == "comprehend.detect_sentiment")
    assert record["traceId"] == format(child.context.trace_id, "032x")
    assert record["spanId"] == format(child.context.span_id, "016x")
    assert record["severityNumber"] == 9  # SEVERITY_NUMBER_INFO, as an integer
    assert record["body"] == {"stringValue": "sentiment analysed"}
    assert _attrs(record["attributes"])["category"] == {"stringValue": "analysis"}

    decoded = decode_logs_json(line)
    assert decoded == encode_logs(sample_telemetry.logs)
    assert int.from_bytes(decoded.resource_logs[0].scope_logs[0].log_records[0].trace_id) == (
        child.context.trace_id
    )


def test_decodes_a_collector_written_line_with_uppercase_hex() -> None:
    # Shape of a line written by the Collector `file` exporter (opentelemetry-proto examples):
    # hex ids (any case), integer enums, string int64.
    line = (
        '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":'
        '{"stringValue":"my.service"}}]},"scopeSpans":[{"scope":{"name":"my.library"},'
        '"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",'
        '"parentSpanId":"eee19b7ec3c1b173","name":"I\'m a server span","kind":2,'
        '"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",'
        '"attributes":[{"key":"my.span.attr","value":{"intValue":"42"}}],'
        '"status":{"code":1}}]}]}]}'
    )
    span = decode_traces_json(line).resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id.hex() == "5b8efff798038103d269b633813fc60c"
    assert span.span_id.hex() == "eee19b7ec3c1b174"
    assert span.parent_span_id.hex() == "eee19b7ec3c1b173"
    assert span.kind == 2
    assert span.start_time_unix_nano == 1544712660000000000
    assert span.attributes[0].value.int_value == 42


@pytest.mark.parametrize(
    "line",
    [
        '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"not-hex"}]}]}]}',
        "[1, 2]",
        "{not json",
        '{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}',
    ],
)
def test_decode_rejects_malformed_lines(line: str) -> None:
    with pytest.raises(ValueError):
        decode_traces_json(line)


def test_iter_json_lines_reads_files_and_names_bad_lines(
    sample_telemetry: SampleTelemetry, tmp_path: Path
) -> None:
    good = tmp_path / "traces.jsonl"
    good.write_text(
        encode_spans_json(sample_telemetry.spans)
        + "\n\n"
        + encode_spans_json(sample_telemetry.spans[:1])
        + "\n",
        encoding="utf-8",
    )
    requests = list(iter_json_lines(good, "traces"))
    assert [len(r.resource_spans[0].scope_spans[0].spans) for r in requests] == [2, 1]

    bad = tmp_path / "bad.jsonl"
    bad.write_text(encode_spans_json(sample_telemetry.spans) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:2"):
        list(iter_json_lines(bad, "traces", strict=True))


def test_iter_json_lines_skips_damaged_lines_with_one_warning(
    sample_telemetry: SampleTelemetry, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A line cut short (full disk, killed writer) between two whole ones.
    whole = encode_spans_json(sample_telemetry.spans)
    damaged = tmp_path / "traces.jsonl"
    damaged.write_text(f"{whole}\n{whole[:40]}\n{whole}\n{{oops\n", encoding="utf-8")
    requests = list(iter_json_lines(damaged, "traces"))
    assert len(requests) == 2
    warnings = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert warnings == [f"{damaged}: skipped 2 damaged line(s) (line 2 and 1 more)"]
