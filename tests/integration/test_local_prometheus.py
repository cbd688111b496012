"""The second backend on a laptop without Docker: Debian's real Prometheus scrapes the
reference service running in local mode, with Alertmanager attached, and the service's
metrics are queryable by name through Prometheus' HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.local_service import JOB, local_service
from support.paths import ROOT
from support.promstack import http_get_json, start_alertmanager, start_prometheus
from support.service_client import analyze

pytestmark = pytest.mark.integration

METRICS = (
    "http_server_request_duration_seconds_count",
    "aurastream_sentiment_analyses_total",
    "aurastream_cache_lookups_total",
)
FALLBACK_ALERTMANAGER = "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n"


@pytest.fixture
def service_metrics_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The reference service in local mode, after some traffic; yields its /metrics port."""
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_on")
    with local_service(tmp_path) as (url, port):
        for text in ("great product", "great product", "terrible service", "meh", ""):
            analyze(url, text)  # the empty text is a 400: an error series too
        yield port


def _prometheus_config(service_port: int, alertmanager_port: int) -> str:
    return f"""\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:{alertmanager_port}"]
scrape_configs:
  - job_name: {JOB}
    static_configs:
      - targets: ["127.0.0.1:{service_port}"]
"""


def test_prometheus_scrapes_the_service_and_serves_its_metrics_by_name(
    service_metrics_port: int,
) -> None:
    committed = ROOT / "deploy" / "local" / "alertmanager.yml"
    am_config = committed if committed.exists() else FALLBACK_ALERTMANAGER
    # The rendered rules (`aurastream-obs render`) load into the same Prometheus when they exist.
    rules = sorted((ROOT / "deploy" / "local" / "rules").glob("*.y*ml"))
    with (
        start_alertmanager(am_config) as alertmanager,
        start_prometheus(
            _prometheus_config(service_metrics_port, alertmanager.port), rules=rules
        ) as prometheus,
    ):
        prometheus.wait_for_target_up(JOB)
        (target,) = [t for t in prometheus.targets() if t["labels"]["job"] == JOB]
        assert target["health"] == "up", target.get("lastError")
        for name in METRICS:
            result = prometheus.wait_for_series(name)
            assert all(r["metric"]["__name__"] == name for r in result)
            assert all(r["metric"]["job"] == JOB for r in result)

        analyze = prometheus.query(
            'sum(http_server_request_duration_seconds_count{http_route="/v1/analyze"})'
        )
        assert float(analyze[0]["value"][1]) == 5
        hits = prometheus.query('aurastream_cache_lookups_total{aurastream_cache_hit="true"}')
        assert float(hits[0]["value"][1]) >= 1  # "great product" twice: the second one hits
        assert prometheus.query(f'up{{job="{JOB}"}}')[0]["value"][1] == "1"

        if rules:
            assert prometheus.rules(), f"no rule group loaded from {rules}"
        active = http_get_json(f"{prometheus.url}/api/v1/alertmanagers")["data"]
        assert any(str(alertmanager.port) in a["url"] for a in active["activeAlertmanagers"])
        assert isinstance(alertmanager.alerts(), list)
