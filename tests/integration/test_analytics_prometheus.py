"""A customer's own error rate from the per-customer counter in a real Prometheus (Debian)
scraping the reference service, and from the `api_response` lines of the same run's local
files: the two derivations agree, and the failing customer is at risk on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.ops.analytics.figures import build_analytics
from aurastream_obs.ops.backends.local_files import LocalFilesBackend
from aurastream_obs.ops.backends.prometheus import PrometheusBackend
from support.promstack import PrometheusHandle, wait_until
from support.scraped_service import scraped_service
from support.service_client import analyze

pytestmark = pytest.mark.integration
JOB = "aurastream-api"
SERIES = "aurastream_customer_requests_total"
ACME, GLOBEX = "demo-key-acme", "demo-key-globex"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with scraped_service(tmp_path, events=True) as running:
        yield running


def _scrape_with(prometheus: PrometheusHandle, requests: int) -> float:
    """The time of a scrape holding all three per-customer series with `requests` counted."""
    found: list[float] = []

    def scraped() -> bool:
        rows = prometheus.query(f"{SERIES}[5s]")
        if len(rows) != 3:
            return False
        newest = max(float(r["values"][-1][0]) for r in rows)
        last = [r for r in rows if float(r["values"][-1][0]) == newest]
        found[:] = [newest]
        return len(last) == 3 and sum(float(r["values"][-1][1]) for r in last) == requests

    wait_until(scraped, timeout=20, what=f"a scrape of the 3 customer series with {requests}")
    return found[0]


def test_the_customers_error_rate_on_prometheus_and_in_the_files(stack: dict[str, Any]) -> None:
    url, prometheus = stack["url"], stack["prometheus"]
    # Warm-up: every series exists before the measured traffic (increase() cannot count a
    # counter's first sample): acme ok, globex ok and failed.
    warm = [analyze(url, "warm", key=ACME), analyze(url, "warm", key=GLOBEX),
            analyze(url, "boom warm", key=GLOBEX)]  # fmt: skip
    assert [r.status for r in warm] == [200, 200, 500]
    prometheus.wait_for_target_up(JOB)
    start = _scrape_with(prometheus, 3)
    # Measured: acme 20 fine; globex 47 fine and 3 failed: 6 % of its 50 requests.
    for i in range(20):
        assert analyze(url, f"acme review {i} is good", key=ACME).status == 200
    for i in range(47):
        assert analyze(url, f"globex review {i} is fine", key=GLOBEX).status == 200
    assert {analyze(url, f"boom {i}", key=GLOBEX).status for i in range(3)} == {500}
    end = _scrape_with(prometheus, 73)
    # Pinned evaluation just after the last scrape: both series of a customer share their
    # samples, so increase() scales them alike and the ratio is exact (see the KPI test).
    window_s = round(end - start) + 1
    at = start - 0.001 + window_s
    wait_until(lambda: prometheus.query(f'timestamp(up{{job="{JOB}"}})', at=at) != [] and
               float(prometheus.query(f'timestamp(up{{job="{JOB}"}})', at=at)[0]["value"][1])
               >= end, timeout=10, what="a scrape at the end of the window")  # fmt: skip
    backend = PrometheusBackend(prometheus.url, at=at)
    counted = backend.customer_requests(f"{window_s}s")
    assert counted["acme-corp"].error_rate_percent == pytest.approx(0.0)
    assert counted["globex"].error_rate_percent == pytest.approx(6.0, rel=1e-6)
    report = build_analytics(backend, f"{window_s}s")
    assert [row.customer_id for row in report.at_risk] == ["globex"]
    (factor,) = report.at_risk[0].health.factors
    assert factor.name == "error_rate" and factor.decisive

    # The same run's files (logs): every request, warm-up included, exactly.
    assert stack["telemetry"].force_flush(10_000)
    files = LocalFilesBackend(stack["dir"])
    logged = files.customer_requests("1h")
    assert (logged["globex"].requests, logged["globex"].failed) == (52, 4)
    assert (logged["acme-corp"].requests, logged["acme-corp"].failed) == (21, 0)
    local = build_analytics(files, "1h")
    assert [row.customer_id for row in local.at_risk] == ["globex"]  # 4 of 52: 7.7 %
