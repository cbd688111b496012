"""`aurastream-obs kpi` against a real Prometheus (Debian) scraping the reference service in
local mode under traffic, and against the local files the same run wrote."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.ops.backends.local_files import LocalFilesBackend
from aurastream_obs.ops.backends.prometheus import PrometheusBackend, PrometheusError
from aurastream_obs.ops.kpi import BREACH_EXIT_CODE, build_kpi_report
from support.promstack import PrometheusHandle, free_port, wait_until
from support.scraped_service import scraped_service
from support.service_client import analyze

pytestmark = pytest.mark.integration
JOB = "aurastream-api"
COUNTERS = '__name__=~"http_server_request_duration_seconds_count|aurastream_cache_lookups_total"'


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with scraped_service(tmp_path) as running:
        yield running


def _newest_scrape(prometheus: PrometheusHandle) -> tuple[float, list[dict[str, Any]]]:
    """The newest scrape's timestamp and the counter series it holds (their last samples)."""
    rows = prometheus.query(f"{{{COUNTERS}}}[5s]")
    if not rows:
        return 0.0, []
    newest = max(float(r["values"][-1][0]) for r in rows)
    return newest, [r for r in rows if float(r["values"][-1][0]) == newest]


def _scrape_with(prometheus: PrometheusHandle, requests: int) -> float:
    """Wait for a scrape holding all four counter series (200, 500, cache hit, cache miss)
    with `requests` requests counted; its timestamp."""
    found: list[float] = []

    def scraped() -> bool:
        at, rows = _newest_scrape(prometheus)
        counted = sum(
            float(r["values"][-1][1])
            for r in rows
            if r["metric"]["__name__"] == "http_server_request_duration_seconds_count"
        )
        found[:] = [at]
        return len(rows) == 4 and counted == requests

    wait_until(scraped, timeout=20, what=f"one scrape of all 4 series with {requests} requests")
    return found[0]


def test_kpi_report_from_prometheus_and_from_the_files(stack: dict[str, Any]) -> None:
    url, prometheus = stack["url"], stack["prometheus"]
    # Warm-up: every series (ok, 500, hit, miss) exists before the measured traffic, because
    # increase() cannot count a counter's first sample.
    assert [analyze(url, t).status for t in ("warm up", "warm up", "boom warm")] == [200, 200, 500]
    prometheus.wait_for_target_up(JOB)
    start = _scrape_with(prometheus, 3)
    # Measured: 20 distinct texts (misses), 10 repeats (hits), 2 failures -> 32 requests.
    texts = [f"review number {i} is great" for i in range(20)] + ["review number 1 is great"] * 10
    statuses = [analyze(url, t).status for t in texts] + [
        analyze(url, f"boom {i}").status for i in range(2)
    ]
    assert statuses.count(500) == 2 and statuses.count(200) == 30
    total = 35
    end = _scrape_with(prometheus, total)

    # The report window starts 1 ms before the `start` scrape and ends after the `end` one,
    # evaluated at a pinned time. increase() extrapolates each series from its own first and
    # last samples (by up to half a scrape interval, less for a series whose first value is
    # small next to its increase): over "the last 5m" the series' ratios came out a few
    # percent off depending on where the scrapes fell, and once past the tolerance. Here all
    # four series share both samples and the start extrapolation is 1 ms, so every series is
    # scaled by the same factor: the ratios are exact and `requests` is 32 times that factor.
    window_s = round(end - start) + 1
    at = start - 0.001 + window_s
    wait_until(
        lambda: _newest_scrape(prometheus)[0] > at, timeout=10, what="a scrape after the window"
    )
    (last,) = prometheus.query(f'timestamp(up{{job="{JOB}"}})', at=at)
    last_scrape = float(last["value"][1])
    assert last_scrape >= end
    report = build_kpi_report(PrometheusBackend(prometheus.url, at=at), f"{window_s}s")
    kpis = {k.name: k.value for k in report.kpis}
    slos = {s.name: s for s in report.slos}
    assert kpis["availability"] == pytest.approx(100 * 30 / 32, rel=1e-6)
    assert kpis["error_rate"] == pytest.approx(100 * 2 / 32, rel=1e-6)
    assert slos["availability"].burn_rate == pytest.approx((2 / 32) / 0.001, rel=1e-6)
    assert kpis["cache_hit_rate"] == pytest.approx(100 * 10 / 30, rel=1e-6)
    # Extrapolated over at most the whole window (never beyond it): 32 x window / sampled.
    assert report.requests is not None
    assert 32 * (1 - 1e-6) <= report.requests <= 32 * window_s / (last_scrape - start) * (1 + 1e-6)
    assert kpis["latency_p99"] is not None and 0 < kpis["latency_p99"] < 1000
    assert report.exit_code == BREACH_EXIT_CODE and "availability" in report.breached

    # The local files of the same run: every request, warm-up included, counted exactly.
    assert stack["telemetry"].force_flush(10_000)
    local = build_kpi_report(LocalFilesBackend(stack["dir"]), "1h")
    local_kpis = {k.name: k.value for k in local.kpis}
    assert local.requests == total
    assert local_kpis["availability"] == pytest.approx(100 * 32 / 35)
    assert local_kpis["cache_hit_rate"] == pytest.approx(100 * 11 / 32)  # "warm up" hit once


def test_prometheus_errors_are_reported(stack: dict[str, Any]) -> None:
    backend = PrometheusBackend(stack["prometheus"].url)
    with pytest.raises(PrometheusError, match="400"):
        backend.query("sum(")
    with pytest.raises(PrometheusError):
        PrometheusBackend(f"http://127.0.0.1:{free_port()}", timeout_s=1).query("up")
