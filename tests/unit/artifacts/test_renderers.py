"""Golden tests: the committed artifacts are exactly what the renderers produce, and the
documents have the properties the issue asks for."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from aurastream_obs.artifacts import check_artifacts, render_all
from aurastream_obs.artifacts.alertmanager import alertmanager_config
from aurastream_obs.artifacts.cloudformation import templates
from aurastream_obs.artifacts.cost import cost_report
from aurastream_obs.artifacts.grafana import dashboard_document
from aurastream_obs.artifacts.prometheus_rules import alert_rules, iter_alerts, slo_rules
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions.custom_metrics import custom_metrics
from aurastream_obs.definitions.deployment import ENVIRONMENT_MAX_LENGTH
from support.paths import ROOT

MINE = [
    f"aurastream_obs.artifacts.{m}:artifacts"
    for m in ("prometheus_rules", "promtool_tests", "alertmanager", "cloudformation", "grafana",
              "prometheus_predictive", "promtool_predictive")
]  # fmt: skip
NAME = re.compile(r"^aurastream-[a-z0-9${}A-Z]+-[a-z0-9-]+-(critical|warning)$")


def test_committed_artifacts_match_the_renderers() -> None:
    artifacts = render_all(MINE)
    # rules 2 + 1 predictive, promtool 1 + 1, alertmanager 1, CloudFormation 6 (anomaly alarms
    # included), Grafana 3 dashboards + 2 files
    assert len(artifacts) == 17
    assert check_artifacts(ROOT, artifacts) == []


def test_alert_names_follow_the_naming_strategy() -> None:
    names = [r["alert"] for r in iter_alerts(alert_rules(load_definitions()))]
    assert names and all(NAME.match(n) for n in names), names
    assert "aurastream-local-availability-budget-burn-critical" in names
    assert all(r["labels"]["severity"] in ("critical", "warning") for r in
               iter_alerts(alert_rules(load_definitions())))  # fmt: skip


def test_slo_recording_rules_cover_every_window() -> None:
    records = {r["record"] for g in slo_rules(load_definitions())["groups"] for r in g["rules"]}
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"):
        assert f"slo:sli_error:ratio_rate{window}" in records
    assert "slo:period_error_budget_remaining:ratio" in records


def test_burn_rate_alerts_use_the_workbook_windows() -> None:
    rules = {r["alert"]: r for r in iter_alerts(alert_rules(load_definitions()))}
    page = rules["aurastream-local-availability-budget-burn-critical"]["expr"]
    assert "ratio_rate1h" in page and "ratio_rate5m" in page and "> 0.0144" in page
    assert "ratio_rate6h" in page and "ratio_rate30m" in page and "> 0.006" in page
    ticket = rules["aurastream-local-availability-budget-burn-warning"]["expr"]
    assert "ratio_rate1d" in ticket and "ratio_rate3d" in ticket


def _resources(kind: str) -> dict[str, Any]:
    resources: dict[str, Any] = templates(load_definitions())[kind]["Resources"]
    return resources


def test_cloudformation_alarm_choices() -> None:
    alarms = [r["Properties"] for r in _resources("alarms").values()
              if r["Type"] == "AWS::CloudWatch::Alarm"]  # fmt: skip
    p99 = [a for a in alarms if a.get("ExtendedStatistic") == "p99"]
    assert p99 and all(a["EvaluateLowSampleCountPercentile"] == "ignore" for a in p99)
    assert {a["TreatMissingData"] for a in alarms} >= {"notBreaching", "ignore"}
    assert all(a["DatapointsToAlarm"] <= a["EvaluationPeriods"] for a in alarms)
    assert any(a["DatapointsToAlarm"] < a["EvaluationPeriods"] for a in alarms)  # M of N
    math = [a for a in alarms if "Metrics" in a]
    assert math and all(len(a["Metrics"]) <= 20 for a in math)
    composites = [r for r in _resources("slo-alarms").values()
                  if r["Type"] == "AWS::CloudWatch::CompositeAlarm"]  # fmt: skip
    assert len(composites) == 6  # 3 SLOs with burn-rate rows x 2 severities


def test_cloudformation_logs_retention_and_kms() -> None:
    logs = [
        r["Properties"] for r in _resources("logs").values() if r["Type"] == "AWS::Logs::LogGroup"
    ]
    groups = {g["LogGroupName"]["Fn::Sub"]: g for g in logs}
    assert groups["/aurastream/${Environment}/security"]["RetentionInDays"] == 2557
    assert "KmsKeyId" in groups["/aurastream/${Environment}/audit"]
    assert "KmsKeyId" not in groups["/aurastream/${Environment}/application"]
    kinds = [r["Type"] for r in _resources("logs").values()]
    assert kinds.count("AWS::Logs::QueryDefinition") == 4
    assert kinds.count("AWS::XRay::SamplingRule") == 4


def test_cloudformation_sampling_rules_are_the_accounts_once() -> None:
    """X-Ray sampling rules are account-wide: one stack per account creates them (a second
    environment's stack says SamplingRules=false), none takes X-Ray's own "Default" name, and
    none matches another team's services."""
    template = yaml.safe_load((ROOT / "deploy/cloudformation/aurastream-logs.yaml").read_text())
    assert template["Parameters"]["SamplingRules"]["Default"] == "true"
    assert template["Conditions"]["CreateSamplingRules"] == {
        "Fn::Equals": [{"Ref": "SamplingRules"}, "true"]
    }
    rules = [r for r in template["Resources"].values() if r["Type"] == "AWS::XRay::SamplingRule"]
    assert rules and all(r["Condition"] == "CreateSamplingRules" for r in rules)
    specs = [r["Properties"]["SamplingRule"] for r in rules]
    names = [spec["RuleName"] for spec in specs]
    assert "Default" not in names and len(set(names)) == len(names)
    assert all(len(name) <= 32 for name in names)  # X-Ray's limit
    assert {spec["ServiceName"] for spec in specs} == {"aurastream-api"}
    catch_all = next(spec for spec in specs if spec["RuleName"] == "aurastream-default")
    assert catch_all["Priority"] == 9999 and catch_all["URLPath"] == "*"


def test_sam_functions_name_their_package_literally() -> None:
    """SAM cannot read CodeUri through an intrinsic function (a parameter's Ref): `sam deploy`
    would upload nothing and the transform would fail. Every function's CodeUri is the local
    package folder, relative to its template."""
    paths = ("deploy/sam/aurastream-lambda.yaml", "deploy/cloudformation/aurastream-alerting.yaml")
    for path in paths:
        template = yaml.safe_load((ROOT / path).read_text())
        functions = [r["Properties"] for r in template["Resources"].values()
                     if r["Type"] == "AWS::Serverless::Function"]  # fmt: skip
        assert functions, path
        for props in functions:
            assert isinstance(props["CodeUri"], str), (path, props["CodeUri"])
            assert ((ROOT / path).parent / props["CodeUri"]).resolve() == ROOT / "build" / "lambda"
        assert "CodeUri" not in template.get("Parameters", {})


# Name properties and their services' length limits (CreateFunction 64, CreateQueue 80,
# CreateTopic 256, PutMetricAlarm 255, PutDashboard 255, CreateTable 255, CreateAlias 256,
# CreateLogGroup 512).
_NAME_LIMITS = {
    "FunctionName": 64, "QueueName": 80, "TopicName": 256, "AlarmName": 255,
    "DashboardName": 255, "TableName": 255, "AliasName": 256, "LogGroupName": 512,
}  # fmt: skip


def _names(node: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if (
                key in _NAME_LIMITS
                and isinstance(value, dict)
                and isinstance(value.get("Fn::Sub"), str)
            ):
                found.append((key, value["Fn::Sub"]))
            found += _names(value)
    elif isinstance(node, list):
        for item in node:
            found += _names(item)
    return found


def test_every_name_fits_with_the_longest_environment() -> None:
    """Every template refuses an environment name longer than ENVIRONMENT_MAX_LENGTH, and with
    one that long every name stays within its service's limit: a long name fails at the
    parameter, not halfway through a deployment."""
    longest = "e" * ENVIRONMENT_MAX_LENGTH
    checked = 0
    for path in sorted((ROOT / "deploy").rglob("*.yaml")):
        template = next(iter(yaml.safe_load_all(path.read_text())), None)
        if not isinstance(template, dict) or "AWSTemplateFormatVersion" not in template:
            continue  # Kubernetes manifests, collector configs
        parameter = template["Parameters"]["Environment"]
        assert parameter["MaxLength"] == ENVIRONMENT_MAX_LENGTH, path
        for key, pattern in _names(template["Resources"]):
            name = pattern.replace("${Environment}", longest).replace(
                "${AWS::Region}", "ap-southeast-2"
            )
            assert len(name) <= _NAME_LIMITS[key], (path, key, pattern)
            checked += 1
    assert checked > 40


def test_dashboard_names_hold_environment_and_region() -> None:
    """CloudWatch dashboards are global to the account: the same environment deployed in two
    regions must not collide."""
    template = yaml.safe_load(
        (ROOT / "deploy/cloudformation/aurastream-dashboards.yaml").read_text()
    )
    names = [r["Properties"]["DashboardName"]["Fn::Sub"] for r in template["Resources"].values()
             if r["Type"] == "AWS::CloudWatch::Dashboard"]  # fmt: skip
    assert len(names) == 3
    assert all(n.startswith("aurastream-${Environment}-${AWS::Region}-") for n in names)


def test_alertmanager_routes_and_no_literal_secret() -> None:
    config = alertmanager_config(load_definitions())
    text = yaml.safe_dump(config)
    assert "routing_key_file" in text and "api_url_file" in text
    assert "hooks.slack.com" not in text and "routing_key:" not in text
    critical = next(r for r in config["receivers"] if r["name"].startswith("critical"))
    assert "pagerduty_configs" in critical and "slack_configs" in critical
    inhibit = config["inhibit_rules"][0]
    assert inhibit["equal"] == ["signal"]


def test_the_security_channel_has_its_own_webhook_file() -> None:
    """A Slack app's webhook posts to the channel it was made for (`channel` is ignored), so
    #aurastream-security needs its own URL; everything else keeps the default one."""
    config = alertmanager_config(load_definitions(), secrets_dir="/s")
    urls = {r["name"]: {c["channel"]: c["api_url_file"] for c in r.get("slack_configs", [])}
            for r in config["receivers"]}  # fmt: skip
    for name, channels in urls.items():
        expected = ({"#aurastream-security": "/s/slack-security-webhook-url"}
                    if name.startswith("security-")
                    else {"#aurastream-alerts": "/s/slack-webhook-url"})  # fmt: skip
        assert channels == expected, name
    assert sum(name.startswith("security-") for name in urls) == 2


def test_grafana_dashboards_have_a_query_in_every_panel() -> None:
    for dashboard in load_definitions().dashboards:
        document = dashboard_document(dashboard)
        assert document["schemaVersion"] == 42
        for panel in document["panels"]:
            assert panel["targets"], panel["title"]
    text = json.dumps(dashboard_document(load_definitions().dashboards[0]))
    assert "histogram_quantile(0.99" in text and "AWS/Lambda" in text


def test_cost_does_not_grow_with_customers() -> None:
    assert custom_metrics(1) == custom_metrics(1_000_000)
    report = cost_report(load_definitions())
    assert report["custom_metrics"] > 0 and report["monthly_usd"] > 0
