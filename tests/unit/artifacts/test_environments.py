"""Dashboards and alerts for many environments: rules rendered for an
environment carry it in every alert name and label and read only its series; every alert has a
summary, its measured value and a runbook; every Grafana query is scoped to the dashboard's
`service` and `environment` over `$__rate_interval`; ratios have no NaN on an idle window; the
series carry the identity the queries select by (local /metrics, the collector's exporters);
Alertmanager's messages show the value and the runbook."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource

from aurastream_obs.artifacts.alertmanager import alertmanager_config
from aurastream_obs.artifacts.collector_configs.pieces import amp_remote_write, prometheus_exporter
from aurastream_obs.artifacts.grafana import dashboard_document, expand
from aurastream_obs.artifacts.prometheus_predictive import predictive_rules
from aurastream_obs.artifacts.prometheus_rules import alert_rules, iter_alerts, slo_rules
from aurastream_obs.artifacts.validators import _scope_problems
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions import promql as q
from aurastream_obs.definitions import sources as s
from aurastream_obs.definitions.spec import PromRatio
from aurastream_obs.modes.local.prometheus import start_prometheus_endpoint
from support.processes import free_port

SCRIPT = Path(sys.executable).parent / "aurastream-obs"


def _documents(env: str) -> dict[str, dict[str, Any]]:
    defs = load_definitions()
    return {"slo": slo_rules(defs, env), "alerts": alert_rules(defs, env),
            "predictive": predictive_rules(env=env)}  # fmt: skip


def _rules(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for group in document["groups"]:
        yield from group["rules"]


@pytest.mark.parametrize("env", ["prod", "eu-staging"])
def test_rules_carry_and_read_only_their_environment(env: str) -> None:
    for name, document in _documents(env).items():
        text = yaml.safe_dump(document)
        assert "local" not in text, name  # nothing of the committed (local) rendering
        for rule in _rules(document):
            where = rule.get("alert") or rule["record"]
            assert rule["labels"]["environment"] == env, where
            assert rule["labels"]["service"] == "aurastream-api", where
            if "alert" in rule:
                assert rule["alert"].startswith(f"aurastream-{env}-"), where
            raw = list(q.RAW_SELECTOR.finditer(rule["expr"]))
            for match in raw:  # raw series: this service in this environment
                assert match.group(2).startswith(
                    f'service_name="aurastream-api",deployment_environment_name="{env}"'
                ), (where, match.group(0))
            recorded = re.findall(r"(?<![\w])([a-z_]+:[a-z0-9_:]+)(\{[^}]*\})?", rule["expr"])
            for series, matchers in recorded:  # recorded series: this environment's
                assert f'environment="{env}"' in matchers, (where, series)
            assert raw or recorded or rule["expr"].startswith("vector("), where


def test_every_alert_has_summary_measured_value_and_runbook() -> None:
    documents = _documents("local")
    alerts = [*iter_alerts(documents["alerts"]), *iter_alerts(documents["predictive"])]
    assert len(alerts) > 20
    for alert in alerts:
        annotations = alert["annotations"]
        assert annotations["summary"], alert["alert"]
        assert "$value" in annotations["value"], alert["alert"]
        assert annotations["runbook_url"].startswith("docs/runbooks.md#"), alert["alert"]


def test_predictive_alerts_measure_their_signal() -> None:
    """`X and <condition>`: the value annotation shows the signal, not a deviation."""
    for alert in iter_alerts(predictive_rules()):
        measured, _, condition = alert["expr"].partition(" and ")
        assert re.fullmatch(r"aurastream:[a-z_]+:5m\{[^}]+\}", measured), alert["alert"]
        assert condition, alert["alert"]


def test_ratios_and_quantiles_have_no_nan_on_an_idle_window() -> None:
    ratio = q.error_ratio(PromRatio(total=s.REQUESTS, bad=s.REQUESTS_5XX), "5m")
    assert ratio.endswith(f"/ ({q.sum_rate(s.REQUESTS, '5m')} > 0)")
    good = q.error_ratio(PromRatio(total=s.REQUESTS, good=s.FAST_REQUESTS), "5m")
    assert good.startswith("1 - (") and good.endswith("> 0)")
    assert q.quantile(0.99, s.LATENCY_BUCKETS, "5m").endswith(" >= 0)")
    budget = next(r for r in _rules(slo_rules(load_definitions()))
                  if r["record"] == "slo:period_error_budget_remaining:ratio")  # fmt: skip
    assert " or 0 * slo:error_budget:ratio{" in budget["expr"]  # no traffic: the whole budget


def _prometheus_exprs() -> Iterator[tuple[str, str, str]]:
    for dashboard in load_definitions().dashboards:
        for panel in dashboard_document(dashboard)["panels"]:
            for target in panel["targets"]:
                if "expr" in target:
                    yield dashboard.name, panel["title"], target["expr"]


def test_every_grafana_query_is_scoped_to_the_variables_over_the_rate_interval() -> None:
    exprs = list(_prometheus_exprs())
    assert len(exprs) > 15
    problems = [p for name, title, expr in exprs for p in _scope_problems(name, title, expr)]
    assert problems == []
    for name, title, expr in exprs:
        assert "$service" in expr and "$environment" in expr, (name, title)
        # A fixed window only on the SLO rules' recorded series (their windows are the SLO's).
        for window in re.findall(r"\[([^\]]+)\]", expr):
            assert window == "$__rate_interval", (name, title, expr)
    burn = [e for _, title, e in exprs if title.startswith("SLO burn rate")]
    assert len(burn) == 2 and all("slo:sli_error:ratio_rate" in e for e in burn)


def test_grafana_variables_list_services_and_environments() -> None:
    document = dashboard_document(load_definitions().dashboards[0])
    variables = {v["name"]: v for v in document["templating"]["list"]}
    assert list(variables)[:2] == ["service", "environment"]
    assert variables["service"]["type"] == variables["environment"]["type"] == "query"
    assert "service_name" in variables["service"]["query"]
    assert 'service_name="$service"' in variables["environment"]["query"]
    assert "deployment_environment_name" in variables["environment"]["query"]
    assert variables["environment"]["current"]["value"] == "dev"
    text = json.dumps(document)
    assert "aurastream-api-$environment" in text and "$Environment" not in text  # CloudWatch
    assert expand('x[$__rate_interval]{a="$service"}') == 'x[1m]{a="aurastream-api"}'


def test_local_metrics_carry_the_identity_labels() -> None:
    reader, endpoint = start_prometheus_endpoint(
        "127.0.0.1", free_port(),
        identity_labels={"service_name": "svc", "deployment_environment_name": "prod"},
    )  # fmt: skip
    provider = MeterProvider(metric_readers=[reader], resource=Resource({"service.name": "svc"}))
    try:
        provider.get_meter("t").create_counter("things").add(3, {"kind": "a"})
        with urllib.request.urlopen(endpoint.url, timeout=5) as response:
            body = response.read().decode()
    finally:
        provider.shutdown()
        endpoint.close()
    (line,) = [x for x in body.splitlines() if x.startswith("things_total")]
    assert 'service_name="svc"' in line and 'deployment_environment_name="prod"' in line
    (info,) = [x for x in body.splitlines() if x.startswith("target_info")]
    assert info.count("service_name=") == 1  # the resource's own, not twice


def test_the_collector_writes_the_identity_into_every_series() -> None:
    for exporter in (prometheus_exporter(), amp_remote_write()):
        assert exporter["resource_to_telemetry_conversion"] == {"enabled": True}


def test_alertmanager_messages_show_environment_value_and_runbook() -> None:
    config = alertmanager_config(load_definitions())
    for receiver in config["receivers"]:
        for slack in receiver.get("slack_configs", []):
            for field in (".Labels.environment", ".Annotations.value", ".Annotations.runbook_url"):
                assert field in slack["text"], (receiver["name"], field)
        for pagerduty in receiver.get("pagerduty_configs", []):
            details = pagerduty["details"]
            assert ".Annotations.value" in details["value"]
            assert ".CommonAnnotations.runbook_url" in details["runbook_url"]
            assert ".CommonLabels.environment" in pagerduty["description"]


def test_render_for_another_environment(tmp_path: Path) -> None:
    out = tmp_path / "rules-prod"
    done = subprocess.run([str(SCRIPT), "render", "--environment", "prod", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == ["aurastream-alerts.rules.yaml", "aurastream-predictive.rules.yaml",
                     "aurastream-slo.rules.yaml"]  # fmt: skip
    alerts = yaml.safe_load((out / "aurastream-alerts.rules.yaml").read_text())
    assert all(a["alert"].startswith("aurastream-prod-") for a in iter_alerts(alerts))
    usage = subprocess.run([str(SCRIPT), "render", "--environment", "prod"],
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert usage.returncode == 2 and "--environment and --out go together" in usage.stderr
