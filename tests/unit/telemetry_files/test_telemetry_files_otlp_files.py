"""Reading hand-built OTLP/JSON files: spans, log records and metric points flattened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurastream_obs.telemetry_files.readers import (
    read_logs,
    read_metric_points,
    read_spans,
    sum_by,
)
from support.otlp_data import (
    SERVER,
    histogram_metric,
    histogram_point,
    log_record,
    logs_line,
    metrics_line,
    span,
    sum_metric,
    sum_point,
    traces_line,
    write_lines,
)

DURATION = "http.server.request.duration"
BOUNDS = (0.1, 1.0)
OK = {"http.request.method": "POST", "http.route": "/v1/analyze", "http.response.status_code": 200}


def test_sum_by_groups_and_keeps_doubles(tmp_path: Path) -> None:
    revenue = "aurastream.revenue"
    path = write_lines(
        tmp_path / "metrics.jsonl",
        metrics_line(
            sum_metric(
                revenue,
                [
                    sum_point({"aurastream.customer.id": "acme"}, 0.25),
                    sum_point({"aurastream.customer.id": "globex"}, 0.5),
                ],
            )
        ),
    )
    totals = sum_by(read_metric_points(path).sums[revenue], "aurastream.customer.id")
    assert totals == {"acme": pytest.approx(0.25), "globex": pytest.approx(0.5)}


def test_points_without_recorded_value_are_skipped(tmp_path: Path) -> None:
    point = histogram_point(OK, BOUNDS, (1, 0, 0))
    point["flags"] = 1  # FLAG_NO_RECORDED_VALUE
    path = write_lines(
        tmp_path / "metrics.jsonl", metrics_line(histogram_metric(DURATION, [point]))
    )
    assert read_metric_points(path).histograms[DURATION] == []


def test_spans_and_logs_are_flattened(tmp_path: Path) -> None:
    trace = "6b0942cb" + "ab" * 12
    traces = write_lines(
        tmp_path / "traces.jsonl",
        traces_line(
            span(trace, "01" * 8, "POST /v1/analyze", kind=SERVER, start=1000, end=5000, attrs=OK),
            span(trace, "02" * 8, "cache.lookup", parent="01" * 8, start=1100, end=1200),
        ),
    )
    spans = read_spans(traces)
    assert [s.name for s in spans] == ["POST /v1/analyze", "cache.lookup"]
    assert spans[0].is_server and not spans[1].is_server
    assert spans[0].duration_s == pytest.approx(4e-6)
    assert spans[0].attributes["http.response.status_code"] == 200
    assert spans[1].parent_id == "01" * 8 and spans[0].parent_id == ""
    line = json.dumps({"message": "api_response", "status_code": 200, "trace_id": trace})
    logs = write_lines(
        tmp_path / "logs.jsonl",
        logs_line(
            log_record(trace, "01" * 8, line, {"status_code": 200}),  # ours: the JSON line
            log_record(trace, "01" * 8, "from the logs API"),  # a library's plain body
            log_record(trace, "01" * 8, "{not json"),
        ),
    )
    record, plain, broken = read_logs(logs)
    assert (record.trace_id, record.body, record.attributes["status_code"]) == (trace, line, 200)
    assert record.message == "api_response"
    assert plain.message == "from the logs API" and broken.message == "{not json"


def test_missing_files_read_as_empty_and_damaged_lines_are_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert read_spans(tmp_path / "none.jsonl") == []
    assert read_metric_points(tmp_path / "none.jsonl").export_requests == 0
    broken = write_lines(tmp_path / "traces.jsonl", '{"resourceSpans": [')
    assert read_spans(broken) == []
    assert any("skipped 1 damaged line" in r.getMessage() for r in caplog.records)
