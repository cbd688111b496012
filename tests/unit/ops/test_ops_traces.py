"""Trace analysis: self-time with overlapping children, critical path, bottleneck rules, top
operations, the local source, the waterfall outputs and the X-Ray segment conversion."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from aurastream_obs.ops.traces import bottlenecks_from_dir
from aurastream_obs.ops.traces.analysis import analyze, critical_path, group_traces, self_time
from aurastream_obs.ops.traces.sources import LocalTraceSource
from aurastream_obs.ops.traces.waterfall import write_waterfall
from aurastream_obs.ops.traces.xray import segment_spans, xray_to_otel_trace_id
from aurastream_obs.telemetry_files.readers import Span
from support.cli import run_command
from support.otlp_data import CLIENT, SERVER, at_ms, span, traces_line, write_lines

T1, T2 = "a" * 32, "b" * 32


def _span(sid: str, parent: str, start: float, end: float, name: str = "") -> Span:
    return Span(T1, sid, parent, name or sid, "svc", start, end)


def test_self_time_does_not_subtract_overlapping_children_twice() -> None:
    root = _span("root", "", 0.0, 1.0)
    kids = [
        _span("a", "root", 0.1, 0.5),
        _span("b", "root", 0.3, 0.6),
        _span("c", "root", 0.9, 1.2),
    ]
    # covered: [0.1, 0.6] and [0.9, 1.0] (c is clipped to the parent's end) = 0.6 s
    assert self_time(root, kids) == pytest.approx(0.4)


def test_critical_path_follows_the_last_finishing_child() -> None:
    spans = [
        _span("root", "", 0.0, 1.0),
        _span("early", "root", 0.05, 0.2),
        _span("long", "root", 0.1, 0.8),  # overlaps "early", finishes last
        _span("inner", "long", 0.3, 0.7),
    ]
    (trace,) = group_traces(spans)
    path = critical_path(trace)
    # "early" is on the path only until "long" starts (clipped, as Jaeger does).
    assert [p.span_id for p in path] == ["root", "early", "long", "inner", "long", "root"]
    assert [round(p.end_s - p.start_s, 3) for p in path] == [0.05, 0.05, 0.2, 0.4, 0.1, 0.2]
    assert sum(p.end_s - p.start_s for p in path) == pytest.approx(1.0)  # covers the trace


def _write_traces(directory: Path) -> Path:
    fan = [
        span(T2, f"{i + 16:016x}", f"db.get {i}", parent="2" * 16, kind=CLIENT,
             start=at_ms(i * 10), end=at_ms(i * 10 + 9))
        for i in range(12)
    ]  # fmt: skip
    analyze = [
        span(T1, "1" * 16, "POST /v1/analyze", kind=SERVER, start=at_ms(0), end=at_ms(1500)),
        span(T1, "3" * 16, "sentiment.analyze", parent="1" * 16, attrs={"chars": 68},
             start=at_ms(100), end=at_ms(1400)),
    ]  # fmt: skip
    batch = span(
        T2, "2" * 16, "GET /v1/batch", kind=SERVER, error=True, start=at_ms(0), end=at_ms(200)
    )
    return write_lines(directory / "traces.jsonl", traces_line(*analyze), traces_line(batch, *fan))


def test_bottleneck_rules_and_top_operations(tmp_path: Path) -> None:
    _write_traces(tmp_path)
    analysis = bottlenecks_from_dir(str(tmp_path))
    slow = [(b.name, round(b.value)) for b in analysis.bottlenecks if b.kind == "slow_span"]
    assert sorted(slow) == [("POST /v1/analyze", 1500), ("sentiment.analyze", 1300)]
    (complex_,) = [b for b in analysis.bottlenecks if b.kind == "complex_span"]
    assert (complex_.name, complex_.value, complex_.threshold) == ("GET /v1/batch", 12, 10)
    top = analysis.operations[0]
    assert (top.name, top.self_ms_total) == ("sentiment.analyze", pytest.approx(1300))
    assert analysis.operations[1].self_ms_total == pytest.approx(200)  # 1500 - 1300
    assert [t.trace_id for t in analysis.traces] == [T1, T2]  # slowest first
    assert analysis.traces[1].error


def test_threshold_is_configurable(tmp_path: Path) -> None:
    spans = LocalTraceSource(_write_traces(tmp_path).parent).spans()
    names = {b.name for b in analyze(spans, threshold_ms=1400).bottlenecks if b.kind == "slow_span"}
    assert names == {"POST /v1/analyze"}


def test_cli_json_and_waterfall_html(tmp_path: Path) -> None:
    _write_traces(tmp_path)
    out_html = tmp_path / "waterfall.html"
    code, out = run_command(
        "traces", ["--telemetry-dir", str(tmp_path), "--json", "--waterfall", str(out_html)]
    )
    document = json.loads(out)
    assert code == 0 and document["trace_count"] == 2
    assert document["slowest_traces"][0]["root"] == "POST /v1/analyze"
    path = document["slowest_traces"][0]["critical_path"]
    assert [p["name"] for p in path] == [
        "POST /v1/analyze",
        "sentiment.analyze",
        "POST /v1/analyze",
    ]
    assert document["top_operations"][0]["name"] == "sentiment.analyze"
    assert {b["kind"] for b in document["bottlenecks"]} == {"slow_span", "complex_span"}
    page = out_html.read_text()
    assert document["waterfall"] == str(out_html)
    assert (
        page.startswith("<!DOCTYPE html>")
        and "<script" not in page
        and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    assert T1 in page and T2 in page and page.count("<svg") == 2


def test_waterfall_svg_is_well_formed_with_a_bar_per_span(tmp_path: Path) -> None:
    _write_traces(tmp_path)
    out = write_waterfall(tmp_path, tmp_path / "w.svg", top=1)
    root = ET.parse(out).getroot()
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert len(titles) == 2  # top=1: the slowest trace, two spans
    assert any(t.startswith("sentiment.analyze (internal) 1.30 s") for t in titles)
    assert any("chars = 68" in t for t in titles)


def test_cli_text(tmp_path: Path) -> None:
    _write_traces(tmp_path)
    code, out = run_command("traces", ["--telemetry-dir", str(tmp_path), "--top", "3"])
    assert code == 0
    assert "Bottlenecks: 1 complex_span, 2 slow_span" in out
    assert "sentiment.analyze 1300.0 ms" in out


def test_xray_segment_documents_become_spans() -> None:
    document = {
        "id": "70de5b6f19ff9a0a", "trace_id": "1-581cf771-a006649127e371903a2de979",
        "name": "aurastream-api", "start_time": 100.0, "end_time": 101.5, "fault": True,
        "http": {"response": {"status": 500}},
        "subsegments": [
            {"id": "1111111111111111", "name": "DynamoDB", "namespace": "aws",
             "start_time": 100.1, "end_time": 100.2},
            {"id": "2222222222222222", "name": "in progress", "start_time": 100.3,
             "in_progress": True},
        ],
    }  # fmt: skip
    spans = list(segment_spans(document))
    assert [s.name for s in spans] == ["aurastream-api", "DynamoDB"]
    assert spans[0].trace_id == "581cf771a006649127e371903a2de979"
    assert spans[0].error and spans[0].kind == "server" and spans[0].parent_id == ""
    assert spans[0].attributes["http.response.status"] == 500
    assert spans[1].parent_id == "70de5b6f19ff9a0a" and spans[1].kind == "client"
    assert xray_to_otel_trace_id("1-581cf771-a006649127e371903a2de979") == spans[0].trace_id
