"""The alert path end to end with real servers: Prometheus runs the rendered rules while
scraping the reference service (local mode) under generated traffic; every Grafana panel's
PromQL and every recording rule returns data; then the analyzer fails, and the availability
burn-rate page travels Prometheus -> Alertmanager -> a local HTTP receiver standing in for
PagerDuty (Events API v2) and Slack (incoming webhook). The traffic's bad API keys raise the
failed-authentication alert (team security): it reaches the security channel's own webhook
(`/slack-security`), never the general channel's."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aurastream_obs.artifacts.alertmanager import (
    PAGERDUTY_KEY_FILE,
    SLACK_URL_FILE,
    alertmanager_config,
    slack_url_file,
)
from aurastream_obs.artifacts.grafana import dashboard_document, expand
from aurastream_obs.artifacts.prometheus_rules import SHORT_WINDOWS, alert_rules, slo_rules
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.bootstrap import build_telemetry
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.definitions import load_definitions
from aurastream_obs.service import create_app
from aurastream_obs.service.analyzer import AnalysisResult, LexiconAnalyzer
from aurastream_obs.service.customers import CustomerDirectory
from aurastream_obs.service.server import run_in_thread
from support.alert_peers import AlertPeer
from support.promstack import free_port, start_alertmanager, start_prometheus, wait_until
from support.service_client import analyze

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
ENV = "local"  # the service's environment: the rules are rendered for it, and read only it
PAGE = f"aurastream-{ENV}-availability-budget-burn-critical"
# What Grafana substitutes for the dashboard's variables (scrapes every second here).
PANEL_VARIABLES = {"$__rate_interval": "15s", "$service": "aurastream-api", "$environment": ENV}
SECURITY = "aurastream-local-failed-authentication-"  # warning (and critical, if it gets there)


class SwitchableAnalyzer:
    """The lexicon analyzer, raising while `failing` is set (a broken Comprehend)."""

    name = "lexicon"
    languages = frozenset({"en"})
    blocking = False

    def __init__(self) -> None:
        self._inner = LexiconAnalyzer()
        self.failing = False

    def analyze(self, text: str, language_code: str) -> AnalysisResult:
        if self.failing:
            raise RuntimeError("analyzer unavailable")
        return self._inner.analyze(text, language_code)


@pytest.fixture
def receiver() -> Iterator[AlertPeer]:
    """PagerDuty (/pagerduty) and Slack (/slack) in one loopback peer."""
    with AlertPeer(default=202) as peer:
        yield peer


class Traffic:
    """Background clients: repeated texts (cache hits), fresh ones (misses), some 401s."""

    def __init__(self, url: str) -> None:
        self.url, self.stop = url, threading.Event()
        self.codes: dict[int, int] = {}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for i in itertools.count():
            if self.stop.is_set():
                return
            if i % 10 == 9:
                status = analyze(self.url, "bad key", key="wrong").status
            else:
                text = f"I love this {i % 3}" if i % 2 else f"fresh text number {i}"
                status = analyze(self.url, text).status
            self.codes[status] = self.codes.get(status, 0) + 1
            time.sleep(0.02)  # the scenario: steady traffic at about 50 requests per second


def _prometheus_config(metrics_port: int, am_port: int) -> str:
    return dump_yaml(
        {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "alerting": {"alertmanagers": [
                {"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
            "scrape_configs": [
                {"job_name": "aurastream-api",
                 "static_configs": [{"targets": [f"127.0.0.1:{metrics_port}"]}]}],
        }
    )  # fmt: skip


def test_panels_rules_and_burn_rate_page_reach_pagerduty_and_slack(
    tmp_path: Path, receiver: AlertPeer
) -> None:
    defs = load_definitions()
    # Alertmanager with the rendered routes, secrets in files pointing at the local receiver.
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / PAGERDUTY_KEY_FILE).write_text("test-routing-key")
    (secrets / SLACK_URL_FILE).write_text(f"{receiver.url}/slack")
    (secrets / slack_url_file("security")).write_text(f"{receiver.url}/slack-security")
    am_config = alertmanager_config(
        defs, secrets_dir=str(secrets), pagerduty_url=f"{receiver.url}/pagerduty", group_wait="1s"
    )
    rules = []
    for name, document in (
        ("slo", slo_rules(defs, ENV, SHORT_WINDOWS)),
        ("alerts", alert_rules(defs, ENV, SHORT_WINDOWS)),
    ):
        path = tmp_path / f"{name}.rules.yaml"
        path.write_text(dump_yaml(document))
        rules.append(path)

    metrics_port = free_port()
    telemetry = build_telemetry(
        resolve_settings(
            "aurastream-api", "local",
            env={"AURASTREAM_TELEMETRY_DIR": str(tmp_path / "telemetry"),
                 "AURASTREAM_ENVIRONMENT": ENV},
            prometheus_port=metrics_port,
        )
    )  # fmt: skip
    analyzer = SwitchableAnalyzer()
    app = create_app(
        analyzer=analyzer,
        customers=CustomerDirectory.demo(),
        metrics=telemetry.metrics,
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
    )
    try:
        with (
            run_in_thread(app) as server,
            start_alertmanager(dump_yaml(am_config)) as am,
            start_prometheus(_prometheus_config(metrics_port, am.port), rules=rules) as prom,
        ):
            traffic = Traffic(server.url)
            try:
                prom.wait_for_target_up("aurastream-api")
                # Every recording rule returns data on healthy traffic.
                for group in prom.rules():
                    for rule in group["rules"]:
                        if rule["type"] == "recording":
                            labels = ",".join(f'{k}="{v}"' for k, v in rule["labels"].items())
                            prom.wait_for_series(f"{rule['name']}{{{labels}}}", timeout=60)
                assert not any(a["labels"]["alertname"] == PAGE for a in prom.alerts())

                analyzer.failing = True  # from now on every cache miss is a 500
                prom.wait_for_series(
                    'http_server_request_duration_seconds_count{http_response_status_code="500"}'
                )
                # Every Grafana panel's PromQL returns data (CloudWatch-only panels excluded).
                for dashboard in defs.dashboards:
                    for panel in dashboard_document(dashboard)["panels"]:
                        for target in panel["targets"]:
                            if "expr" in target:
                                expr = expand(target["expr"], PANEL_VARIABLES)
                                prom.wait_for_series(expr, timeout=30)

                wait_until(
                    lambda: any(
                        a["labels"]["alertname"] == PAGE and a["state"] == "firing"
                        for a in prom.alerts()
                    ),
                    timeout=90, what=f"{PAGE} firing in Prometheus",
                )  # fmt: skip
                wait_until(
                    lambda: any(a["labels"]["alertname"] == PAGE for a in am.alerts()),
                    timeout=60, what=f"{PAGE} in Alertmanager",
                )  # fmt: skip
                assert receiver.wait_for(
                    lambda: _paged(receiver) and _slacked(receiver), timeout=60
                ), f"PagerDuty and Slack not both notified; got {receiver.requests}"
                assert receiver.wait_for(lambda: _secured(receiver), timeout=60), (
                    f"no failed-authentication alert in the security channel: {prom.alerts()}"
                )
            finally:
                traffic.stop.set()
                traffic.thread.join(timeout=10)
    finally:
        telemetry.shutdown()
    assert traffic.codes.get(500, 0) > 0 and traffic.codes.get(200, 0) > 0, traffic.codes
    event = next(e for e in receiver.bodies_at("/pagerduty") if PAGE in json.dumps(e))
    assert event["routing_key"] == "test-routing-key"
    assert event["event_action"] == "trigger"
    assert event["payload"]["severity"] == "critical"
    # The security channel's alerts never reach the general channel, and nothing else goes there.
    assert not any(SECURITY in json.dumps(e) for e in receiver.bodies_at("/slack"))
    assert all(SECURITY in json.dumps(e) for e in receiver.bodies_at("/slack-security"))


def _paged(receiver: AlertPeer) -> bool:
    return any(PAGE in json.dumps(e) for e in receiver.bodies_at("/pagerduty"))


def _slacked(receiver: AlertPeer) -> bool:
    return any(PAGE in json.dumps(e) for e in receiver.bodies_at("/slack"))


def _secured(receiver: AlertPeer) -> bool:
    return any(SECURITY in json.dumps(e) for e in receiver.bodies_at("/slack-security"))
