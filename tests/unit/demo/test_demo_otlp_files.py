"""Reading hand-built OTLP/JSON files: latest cumulative point per series, merging, counters."""

from __future__ import annotations

from pathlib import Path

import pytest
from demo_otlp_builders import (
    DELTA,
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

from aurastream_obs.demo.otlp_files import (
    current_points,
    read_logs,
    read_metric_points,
    read_spans,
    sum_by,
)
from aurastream_obs.demo.report import cache_counts, cache_hit_rate, request_histogram
from aurastream_obs.demo.stats import Histogram, histogram_quantile

DURATION = "http.server.request.duration"
BOUNDS = (0.1, 1.0)
OK = {"http.request.method": "POST", "http.route": "/v1/analyze", "http.response.status_code": 200}
LOOKUPS = "aurastream.cache.lookups"
HIT = {"aurastream.cache.hit": True}
BAD = {"http.request.method": "POST", "http.route": "/v1/analyze", "http.response.status_code": 400}


def test_latest_cumulative_point_per_attribute_set_then_merged(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "metrics.jsonl",
        metrics_line(
            histogram_metric(
                DURATION,
                [
                    histogram_point(OK, BOUNDS, (3, 0, 0), time=10),
                    histogram_point(BAD, BOUNDS, (1, 0, 0), time=10),
                ],
            )
        ),
        # A later export: cumulative, so it replaces (not adds to) the first one.
        metrics_line(
            histogram_metric(
                DURATION,
                [
                    histogram_point(OK, BOUNDS, (8, 1, 1), time=20),
                    histogram_point(BAD, BOUNDS, (2, 0, 0), time=20),
                ],
            )
        ),
    )
    points = read_metric_points(path)
    assert points.export_requests == 2
    assert len(points.histograms[DURATION]) == 4
    merged, by_route_status = request_histogram(points)
    assert merged == Histogram(BOUNDS, (10, 1, 1))
    assert by_route_status == {("POST /v1/analyze", 200): 10, ("POST /v1/analyze", 400): 2}
    # rank 6 of 12 lies in (0, 0.1] holding 10: 0.1 * 6/10.
    assert histogram_quantile(0.5, merged) == pytest.approx(0.06)


def test_an_older_point_later_in_the_file_does_not_win(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "metrics.jsonl",
        metrics_line(histogram_metric(DURATION, [histogram_point(OK, BOUNDS, (5, 0, 0), time=30)])),
        metrics_line(histogram_metric(DURATION, [histogram_point(OK, BOUNDS, (2, 0, 0), time=20)])),
    )
    merged, _ = request_histogram(read_metric_points(path))
    assert merged is not None and merged.total == 5


def test_a_restart_is_a_new_series_and_both_count(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "metrics.jsonl",
        metrics_line(
            histogram_metric(DURATION, [histogram_point(OK, BOUNDS, (4, 0, 0), start=1, time=5)])
        ),
        metrics_line(
            histogram_metric(DURATION, [histogram_point(OK, BOUNDS, (1, 1, 0), start=9, time=12)])
        ),
    )
    merged, _ = request_histogram(read_metric_points(path))
    assert merged == Histogram(BOUNDS, (5, 1, 0))


def test_delta_points_add_up(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "metrics.jsonl",
        metrics_line(sum_metric(LOOKUPS, [sum_point(HIT, 2)], DELTA)),
        metrics_line(sum_metric(LOOKUPS, [sum_point(HIT, 3)], DELTA)),
    )
    points = read_metric_points(path)
    assert len(current_points(points.sums[LOOKUPS])) == 2
    assert cache_counts(points) == (5, 5)


def test_cache_hit_rate_from_the_lookups_counter(tmp_path: Path) -> None:
    lookups = "aurastream.cache.lookups"
    path = write_lines(
        tmp_path / "metrics.jsonl",
        metrics_line(
            sum_metric(
                lookups,
                [
                    sum_point({"aurastream.cache.hit": True}, 1, time=5),
                    sum_point({"aurastream.cache.hit": False}, 1, time=5),
                ],
            )
        ),
        metrics_line(
            sum_metric(
                lookups,
                [
                    sum_point({"aurastream.cache.hit": True}, 6, time=9),
                    sum_point({"aurastream.cache.hit": False}, 4, time=9),
                ],
            )
        ),
    )
    hits, total = cache_counts(read_metric_points(path))
    assert (hits, total) == (6, 10)
    assert cache_hit_rate(hits, total) == pytest.approx(0.6)
    assert cache_hit_rate(0, 0) is None


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
    assert spans[1].parent_span_id == "01" * 8 and spans[0].parent_span_id == ""
    logs = write_lines(
        tmp_path / "logs.jsonl",
        logs_line(log_record(trace, "01" * 8, "api_response", {"status_code": 200})),
    )
    (record,) = read_logs(logs)
    assert (record.trace_id, record.body, record.attributes["status_code"]) == (
        trace,
        "api_response",
        200,
    )


def test_missing_files_read_as_empty_and_corrupt_ones_raise(tmp_path: Path) -> None:
    assert read_spans(tmp_path / "none.jsonl") == []
    assert read_metric_points(tmp_path / "none.jsonl").export_requests == 0
    broken = write_lines(tmp_path / "traces.jsonl", '{"resourceSpans": [')
    with pytest.raises(ValueError, match=r"traces\.jsonl:1"):
        read_spans(broken)
