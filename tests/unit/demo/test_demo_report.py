"""The report and its consistency checks on a small hand-built telemetry folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aurastream_obs.demo.client import ClientTally
from aurastream_obs.demo.summary import DemoReport, build_report
from aurastream_obs.demo.text import Endpoints, render_report, render_trace
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

SLOW_TRACE = "6b0942cb" + "aa" * 12
HEALTH_TRACE = "6b0942cb" + "bb" * 12
BOUNDS = (0.005, 0.5, 1.0, 2.0)
ANALYZE = {"http.request.method": "POST", "http.route": "/v1/analyze"}
HEALTH = {"http.request.method": "GET", "http.route": "/v1/health"}


def _service_log_line(trace_id: str, response_ms: float) -> str:
    return json.dumps(
        {
            "message": "api_response",
            "status_code": 200,
            "response_time": response_ms,
            "trace_id": trace_id,
            "span_id": "01" * 8,
        }
    )


def _telemetry(folder: Path, *, drop_health_span: bool = False) -> Path:
    ms = 1_000_000
    analyze_ok = {**ANALYZE, "http.response.status_code": 200}
    health_ok = {**HEALTH, "http.response.status_code": 200}
    root = "01" * 8
    spans = [
        span(
            SLOW_TRACE,
            root,
            "POST /v1/analyze",
            kind=SERVER,
            end=1200 * ms,
            attrs={**analyze_ok, "aurastream.customer.id": "acme-corp"},
        ),
        span(SLOW_TRACE, "02" * 8, "cache.lookup", parent=root, start=ms, end=2 * ms),
        span(SLOW_TRACE, "03" * 8, "sentiment.analyze", parent=root, start=2 * ms, end=1199 * ms),
    ]
    if not drop_health_span:
        spans.append(
            span(HEALTH_TRACE, "04" * 8, "GET /v1/health", kind=SERVER, end=2 * ms, attrs=health_ok)
        )
    write_lines(folder / "traces.jsonl", traces_line(*spans))
    customer = {"aurastream.customer.id": "acme-corp"}
    durations = [
        histogram_point(analyze_ok, BOUNDS, (0, 0, 0, 1, 0)),
        histogram_point(health_ok, BOUNDS, (1, 0, 0, 0, 0)),
    ]
    write_lines(
        folder / "metrics.jsonl",
        metrics_line(
            histogram_metric("http.server.request.duration", durations),
            sum_metric("aurastream.cache.lookups", [sum_point({"aurastream.cache.hit": False}, 1)]),
            sum_metric("aurastream.sentiment.analyses", [sum_point({"sentiment": "POSITIVE"}, 1)]),
            sum_metric("aurastream.usage", [sum_point(customer, 1)]),
            sum_metric("aurastream.revenue", [sum_point(customer, 0.001)]),
        ),
    )
    write_lines(
        folder / "logs.jsonl",
        logs_line(
            # Our OTLP records' body is the JSON line the service printed.
            log_record(SLOW_TRACE, "01" * 8, _service_log_line(SLOW_TRACE, 1200.0)),
            log_record(HEALTH_TRACE, "04" * 8, _service_log_line(HEALTH_TRACE, 2.0)),
            log_record(HEALTH_TRACE, "04" * 8, "from a library: plain body, not counted"),
        ),
    )
    write_lines(
        folder / "service.log",
        "not json: a library printing",
        _service_log_line(HEALTH_TRACE, 2.0),
        _service_log_line(SLOW_TRACE, 1200.0),
    )
    return folder


def _tally(answered: int = 2) -> ClientTally:
    return ClientTally(planned=2, sent=2, answered=answered, elapsed_s=1.0)


def test_consistent_telemetry_passes_every_check(tmp_path: Path) -> None:
    report = build_report(str(_telemetry(tmp_path)), _tally())
    assert [c.name for c in report.checks if not c.ok] == []
    assert report.ok
    assert (report.requests, report.server_spans, report.spans) == (2, 2, 4)
    assert report.by_route == {"GET /v1/health": {200: 1}, "POST /v1/analyze": {200: 1}}
    assert (report.errors_4xx, report.errors_5xx) == (0, 0)
    assert report.latency_spans[0.99] == pytest.approx(1.2)
    assert report.latency_buckets[0.99] is not None and 1.0 < report.latency_buckets[0.99] <= 2.0
    assert report.within_slo == pytest.approx(0.5)
    assert report.slow_spans == 1
    assert report.cache_hit_rate == 0.0
    assert report.sentiments == {"POSITIVE": 1}
    (row,) = report.customers
    assert (row.customer_id, row.requests, row.analyses) == ("acme-corp", 1, 1)
    assert row.revenue_usd == pytest.approx(0.001)


def test_the_correlated_log_is_the_slowest_request_with_its_trace(tmp_path: Path) -> None:
    report = build_report(str(_telemetry(tmp_path)), _tally())
    correlated = report.correlated
    assert correlated is not None
    assert correlated.trace_id == SLOW_TRACE
    assert json.loads(correlated.log_line)["response_time"] == 1200.0
    assert [s.name for s in correlated.spans] == [
        "POST /v1/analyze",
        "cache.lookup",
        "sentiment.analyze",
    ]
    assert correlated.in_otlp_logs
    tree = render_trace(correlated.spans)
    assert tree[0].startswith("POST /v1/analyze")
    assert tree[1].startswith("|- cache.lookup") and tree[2].startswith("`- sentiment.analyze")


def test_a_missing_server_span_fails_the_report(tmp_path: Path) -> None:
    report = build_report(str(_telemetry(tmp_path, drop_health_span=True)), _tally())
    failed = {c.name for c in report.checks if not c.ok}
    assert "every request traced" in failed
    assert not report.ok


def test_client_and_server_disagreeing_fails_the_report(tmp_path: Path) -> None:
    report = build_report(str(_telemetry(tmp_path)), _tally(answered=3))
    assert {c.name for c in report.checks if not c.ok} >= {"client and server agree"}
    assert not report.ok


def test_an_empty_folder_is_not_ok(tmp_path: Path) -> None:
    report = build_report(str(tmp_path), ClientTally())
    assert report.requests == 0 and report.correlated is None
    assert not report.ok
    text = render_report(report, Endpoints("http://127.0.0.1:1", None, "not served", False))
    assert "Result: FAILED" in text


def test_rendered_report_shows_the_numbers_and_where_files_are(tmp_path: Path) -> None:
    report: DemoReport = build_report(str(_telemetry(tmp_path)), _tally())
    url = "http://127.0.0.1:9464/metrics"
    text = render_report(report, Endpoints("http://127.0.0.1:8080", url, url, False))
    requests = re.search(
        r"^\s+requests\s+(\d+)\s+\(SERVER spans in traces.jsonl: (\d+); client answered: (\d+)\)",
        text,
        re.MULTILINE,
    )
    assert requests is not None and requests.groups() == ("2", "2", "2")
    assert str(tmp_path / "traces.jsonl") in text
    assert url in text
    assert SLOW_TRACE in text and f"1-{SLOW_TRACE[:8]}-{SLOW_TRACE[8:]}" in text
    assert "1.20 s" in text  # the slow span's exact p99
    assert text.rstrip().endswith("Result: OK")
    assert json.loads(json.dumps(report.to_dict()))["ok"] is True
