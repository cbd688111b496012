"""The whole collector path with real servers on loopback, from a request to a page:

    service (otlp mode, `python -m aurastream_obs.service`)
      -> sidecar (committed adot-sidecar-gateway config) -> traces -> gateway (committed
         adot-gateway config: loadbalancing -> tail_sampling -> awsxray on moto)
      -> metrics -> prometheusremotewrite -> Debian's Prometheus (remote-write receiver)
         -> our rendered SLO and alert rules -> Alertmanager -> our alert router
         -> Slack and PagerDuty stand-ins

A healthy service pages nobody: every SLI is computed from remote-written series, whose bucket
bounds are spelled `le="1"` (the latency SLI would read 100 % bad with an `le="1.0"` matcher).
Then the service is replaced by one whose analyzer (Amazon Comprehend, unreachable) fails:
the 5xx burst pages PagerDuty through the router. Tail sampling keeps every 5xx trace.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.artifacts.collector_configs.loopback import loopback_config, shape_config
from aurastream_obs.artifacts.prometheus_rules import (
    SHORT_WINDOWS,
    alert_rules,
    iter_alerts,
    slo_rules,
)
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.definitions import load_definitions
from support.alert_peers import AlertPeer
from support.alert_router import TOKEN, start_router
from support.aws_sinks import xray_documents
from support.otelcol import (
    all_traces_decided,
    loopback,
    metric_sum,
    own_metrics,
    start_collector,
)
from support.processes import free_port, wait_until
from support.promstack import start_alertmanager, start_prometheus
from support.service_client import analyze
from support.service_process import start_service

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]
ENV = "e2e"  # the service's environment: the rules are rendered for it, and read only it
KEY = "pipeline-key"
REPEATED = ("I love this phone", "I hate this, terrible", "The box is on the table")
BUCKET = "http_server_request_duration_seconds_bucket"


class Traffic:
    """Background client: mostly repeated texts (cache hits), every 8th a fresh one; records
    (status, trace id) per request. `url` can be switched to a replacement service."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sent: list[tuple[int, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for i in itertools.count():
            if self._stop.is_set():
                return
            text = f"fresh text number {i}" if i % 8 == 0 else REPEATED[i % len(REPEATED)]
            try:
                reply = analyze(self.url, text, key=KEY, timeout=5)
            except OSError:
                continue  # the service is being replaced
            root = reply.headers.get("x-amzn-trace-id", "Root=1-").split(";")[0]
            self.sent.append((reply.status, root.removeprefix("Root=1-").replace("-", "")))
            self._stop.wait(0.02)

    def count(self, status: int) -> int:
        return sum(1 for s, _ in list(self.sent) if s == status)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


def _rules(tmp_path: Path) -> list[Path]:
    defs = load_definitions()
    paths = []
    for name, document in (("slo", slo_rules(defs, ENV, SHORT_WINDOWS)),
                           ("alerts", alert_rules(defs, ENV, SHORT_WINDOWS))):  # fmt: skip
        path = tmp_path / f"{name}.rules.yaml"
        path.write_text(dump_yaml(document))
        paths.append(path)
    return paths


def _alertmanager_config(router_url: str, token_file: Path) -> str:
    webhook = {"url": f"{router_url}/alertmanager", "send_resolved": True,
               "http_config": {"authorization": {"type": "Bearer",
                                                 "credentials_file": str(token_file)}}}  # fmt: skip
    return dump_yaml({
        "route": {"receiver": "router", "group_by": ["alertname", "signal"], "group_wait": "1s",
                  "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "router", "webhook_configs": [webhook]}],
    })  # fmt: skip


def _prometheus_config(am_port: int) -> str:
    return dump_yaml({
        "global": {"evaluation_interval": "1s"},
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]
                     },
    })  # fmt: skip


@dataclass
class Gateway:
    telemetry_port: int
    final_metrics: dict[Any, float] = field(default_factory=dict)  # once every trace is decided


@contextmanager
def _collectors(tmp_path: Path, moto_url: str, write_url: str) -> Iterator[tuple[int, Gateway]]:
    """Gateway then sidecar; yields (sidecar OTLP/HTTP port, gateway). On exit the sidecar
    stops first (flushing to the gateway), then the gateway decides every trace."""
    gateway = Gateway(free_port())
    peer = free_port()
    gw = loopback(aws_endpoint=moto_url, telemetry_port=gateway.telemetry_port, peer_port=peer,
                  peers=(f"127.0.0.1:{peer}",))  # fmt: skip
    sidecar = loopback(aws_endpoint=moto_url, remote_write_url=write_url,
                       gateway_endpoint=f"127.0.0.1:{gw.otlp_grpc_port}")  # fmt: skip
    with start_collector(loopback_config(shape_config("gateway"), gw), tmp_path, "gateway"):
        with start_collector(
            loopback_config(shape_config("sidecar-gateway"), sidecar), tmp_path, "sidecar"
        ):
            yield sidecar.otlp_http_port, gateway

        def all_decided() -> bool:
            gateway.final_metrics = own_metrics(gateway.telemetry_port)
            return all_traces_decided(gateway.final_metrics)

        wait_until(all_decided, timeout=60, what="the gateway deciding every trace")


def _pages(pagerduty: AlertPeer) -> list[dict[str, Any]]:
    return [b for b in pagerduty.bodies if b.get("event_action") == "trigger"]


def test_healthy_service_pages_nobody_and_a_5xx_burst_pages_through_the_router(
    own_moto_url: str, tmp_path: Path
) -> None:
    defs = load_definitions()
    critical = {r["alert"] for r in iter_alerts(alert_rules(defs, ENV, SHORT_WINDOWS))
                if r["labels"]["severity"] == "critical"}  # fmt: skip
    token_file = tmp_path / "router-token"
    token_file.write_text(TOKEN)
    service_env = {"OTEL_METRIC_EXPORT_INTERVAL": "1000",
                   "OTEL_TRACES_SAMPLER": "parentbased_always_on",
                   "AURASTREAM_API_KEYS": f"{KEY}=acme", "AURASTREAM_ENVIRONMENT": ENV}  # fmt: skip
    with AlertPeer() as slack, AlertPeer() as pagerduty:
        router = start_router(slack, pagerduty, pem=b"")
        try:
            with (
                start_alertmanager(_alertmanager_config(router.server.url, token_file)) as am,
                start_prometheus(_prometheus_config(am.port), rules=_rules(tmp_path),
                                 extra_args=["--web.enable-remote-write-receiver"]) as prom,
                _collectors(tmp_path, own_moto_url, f"{prom.url}/api/v1/write") as (otlp, gateway),
            ):  # fmt: skip
                service_env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{otlp}"
                healthy_dir = tmp_path / "healthy"
                healthy_dir.mkdir()
                with start_service(service_env, healthy_dir) as service:
                    traffic = Traffic(service.url)
                    _healthy_phase(prom, pagerduty, critical)
                    failing_env = {**service_env, "AURASTREAM_ANALYZER": "comprehend",
                                   "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
                                   "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                                   "AWS_SECRET_ACCESS_KEY": "dummy"}  # fmt: skip
                failing_dir = tmp_path / "failing"
                failing_dir.mkdir()
                with start_service(failing_env, failing_dir) as failing:
                    traffic.url = failing.url
                    wait_until(lambda: traffic.count(500) >= 20, timeout=60, what="5xx replies")
                    assert pagerduty.wait_for(lambda: bool(_pages(pagerduty)), timeout=150), (
                        f"no page; Prometheus alerts: {prom.alerts()}"
                    )
                    traffic.stop()
        finally:
            router.close()
    paged = {json.dumps(p) for p in _pages(pagerduty)}
    assert any("availability-budget-burn" in p for p in paged), paged
    assert any("availability-budget-burn" in json.dumps(b) for b in slack.bodies)
    _tail_sampling_counts(own_moto_url, traffic, gateway.final_metrics)


def _healthy_phase(prom: Any, pagerduty: AlertPeer, critical: set[str]) -> None:
    # Remote write spells bucket bounds the Go way: the series the latency SLI reads is le="1".
    prom.wait_for_series(f'{BUCKET}{{le="1"}}', timeout=60)
    assert prom.query(f'{BUCKET}{{le="1.0"}}') == []
    for group in prom.rules():
        for rule in group["rules"]:
            if rule["type"] == "recording":
                labels = ",".join(f'{k}="{v}"' for k, v in rule["labels"].items())
                prom.wait_for_series(f"{rule['name']}{{{labels}}}", timeout=60)
    # Every SLI and burn-rate rule has data now; let every rule group evaluate once more.
    ready = time.time()
    wait_until(
        lambda: all(_evaluated_after(group, ready) for group in prom.rules()),
        timeout=30, what="every rule group evaluated on the remote-written data",
    )  # fmt: skip
    latency = prom.query('slo:sli_error:ratio_rate5m{slo="latency"}')
    assert [float(r["value"][1]) for r in latency] == [0.0], latency  # all requests < 1 s
    active = [a for a in prom.alerts() if a["labels"]["alertname"] in critical]
    assert active == [], active
    assert _pages(pagerduty) == []


def _evaluated_after(group: dict[str, Any], when: float) -> bool:
    from datetime import datetime

    stamp = group.get("lastEvaluation", "")[:26].rstrip("Z")
    return bool(stamp) and datetime.fromisoformat(stamp + "+00:00").timestamp() > when


def _tail_sampling_counts(moto_url: str, traffic: Traffic, samples: Any) -> None:
    """Every 5xx trace reached X-Ray; the 200s were sampled (about 50 % of /v1/analyze)."""
    errors = [t for s, t in traffic.sent if s == 500 and t]
    ok = [t for s, t in traffic.sent if s == 200 and t]
    kept = xray_documents(moto_url, errors + ok)
    kept_ok = sum(1 for t in ok if t in kept)
    by_policy = {
        policy: metric_sum(samples, "otelcol_processor_tail_sampling_count_traces_sampled",
                           policy=policy, sampled="true")
        for policy in ("errors", "slow", "analyze-by-route-50pct", "rest-10pct")
    }  # fmt: skip
    print(f"\ntail sampling: 5xx {len(errors)} -> kept {sum(t in kept for t in errors)}; "
          f"200 {len(ok)} -> kept {kept_ok}; sampled by policy {by_policy}")  # fmt: skip
    assert errors and all(t in kept for t in errors)
    assert 0.25 * len(ok) <= kept_ok <= 0.75 * len(ok)
    assert by_policy["errors"] >= len(errors)
