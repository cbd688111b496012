"""The demo report's metrics from hand-built OTLP/JSON files: latest cumulative point per
series, merging, counters."""

from __future__ import annotations

from pathlib import Path

import pytest

from aurastream_obs.demo.summary import cache_counts, cache_hit_rate, request_histogram
from aurastream_obs.telemetry_files.readers import (
    current_points,
    read_metric_points,
)
from aurastream_obs.telemetry_files.stats import Histogram, histogram_quantile
from support.otlp_data import (
    DELTA,
    histogram_metric,
    histogram_point,
    metrics_line,
    sum_metric,
    sum_point,
    write_lines,
)

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
