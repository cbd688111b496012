"""`aurastream-obs validate` reads the templates back: the rendered ones pass; each way they
would fail on AWS is one clear line (a REST API metric on the HTTP API, the AWS managed SNS
key, a topic nobody is subscribed to, a key without Retain, a query over a log group that
receives nothing on Lambda, a name another template does not deploy)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs import cli
from aurastream_obs.artifacts.cloudformation import PATHS, templates
from aurastream_obs.artifacts.deploy_checks import check_deployment, deployment_problems
from aurastream_obs.artifacts.deploy_index import Template
from aurastream_obs.artifacts.deploy_templates import ecs, sam
from aurastream_obs.definitions import load_definitions
from support.paths import ROOT

Docs = dict[str, dict[str, Any]]


def rendered() -> Docs:
    docs = {PATHS[kind]: t for kind, t in templates(load_definitions()).items()}
    docs[sam.PATH] = sam.template()
    docs[ecs.PATH] = ecs.template()
    return copy.deepcopy(docs)


def problems(docs: Docs) -> list[str]:
    return deployment_problems([Template(path, doc) for path, doc in docs.items()])


def resources(docs: Docs, kind: str) -> dict[str, Any]:
    found: dict[str, Any] = docs[PATHS[kind]]["Resources"]
    return found


def test_the_rendered_and_committed_templates_pass() -> None:
    assert problems(rendered()) == []
    assert check_deployment(ROOT) == []


def test_rest_api_metrics_on_the_http_api() -> None:
    docs = rendered()
    alarm = resources(docs, "alarms")["Api5xxCriticalAlarm"]["Properties"]
    http_dimensions = alarm["Dimensions"]
    alarm["MetricName"] = "5XXError"
    alarm["Dimensions"] = [{"Name": "ApiName", "Value": "aurastream-api"}]
    (line,) = problems(docs)
    assert line.startswith(
        "deploy/cloudformation/aurastream-alarms.yaml: alarm aurastream-${Environment}-api-5xx-"
        "critical: AWS/ApiGateway 5XXError by ApiName=aurastream-api: no template deploys a "
        "REST API (deploy/sam/aurastream-lambda.yaml deploys an HTTP API, which publishes 4xx,"
    )
    # The HTTP API's id with the REST API's metric name: its resource is found, its name is not.
    alarm["Dimensions"] = http_dimensions
    (line,) = problems(docs)
    assert "5XXError (a REST API metric) is not a metric of an HTTP API" in line
    assert line.endswith("(it points at ref:deploy/sam/aurastream-lambda.yaml#Api)")


def test_the_aws_managed_sns_key() -> None:
    docs = rendered()
    resources(docs, "alerting")["CriticalAlertsTopic"]["Properties"]["KmsMasterKeyId"] = (
        "alias/aws/sns"
    )
    assert problems(docs) == [
        "deploy/cloudformation/aurastream-alerting.yaml: topic CriticalAlertsTopic: encrypted "
        "with the AWS managed key alias/aws/sns: CloudWatch alarms cannot publish to it; use a "
        "customer managed key whose policy lets cloudwatch.amazonaws.com use it (kms:Decrypt, "
        "kms:GenerateDataKey*)"
    ]


def test_a_key_policy_without_cloudwatch() -> None:
    docs = rendered()
    policy = resources(docs, "alerting")["AlertsKey"]["Properties"]["KeyPolicy"]
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != "CloudWatchAlarmsPublish"]
    lines = problems(docs)
    assert len(lines) == 3  # the three topics under that key
    assert all("key AlertsKey's policy does not let cloudwatch.amazonaws.com" in x for x in lines)


def test_a_topic_without_subscription() -> None:
    docs = rendered()
    alerting = resources(docs, "alerting")
    for name in [n for n, r in alerting.items() if r["Type"] == "AWS::SNS::Subscription"]:
        if alerting[name]["Properties"]["TopicArn"] == {"Ref": "WarningAlertsTopic"}:
            del alerting[name]
    assert problems(docs) == [
        "deploy/cloudformation/aurastream-alerting.yaml: topic WarningAlertsTopic: no "
        "subscription in every configuration: alarm notifications reach nobody (subscribe the "
        "alert router)"
    ]


def test_subscriptions_only_in_one_configuration_do_not_count() -> None:
    docs = rendered()
    alerting = resources(docs, "alerting")
    # Warning's e-mail is optional: without the HTTPS one, only the Lambda router's remains.
    del alerting["WarningEndpointSubscription"]
    assert len(problems(docs)) == 1 and "topic WarningAlertsTopic" in problems(docs)[0]
    # Critical's e-mail is required: it covers the configuration the deleted one did.
    docs = rendered()
    del resources(docs, "alerting")["CriticalEndpointSubscription"]
    assert problems(docs) == []


def test_keys_and_retained_groups_must_be_retained() -> None:
    docs = rendered()
    del resources(docs, "logs")["SensitiveLogsKey"]["DeletionPolicy"]
    del resources(docs, "logs")["SecurityLogGroup"]["UpdateReplacePolicy"]
    resources(docs, "logs")["AuditLogGroup"]["Properties"]["RetentionInDays"] = 30
    assert problems(docs) == [
        "deploy/cloudformation/aurastream-logs.yaml: AWS::KMS::Key SensitiveLogsKey: no "
        "DeletionPolicy and UpdateReplacePolicy Retain: deleting the stack would destroy "
        "retained data",
        "deploy/cloudformation/aurastream-logs.yaml: AWS::Logs::LogGroup SecurityLogGroup: no "
        "DeletionPolicy and UpdateReplacePolicy Retain: deleting the stack would destroy "
        "retained data",
        "deploy/cloudformation/aurastream-logs.yaml: log group /aurastream/${Environment}/"
        "audit: retention 30, the audit category keeps 2557 days",
    ]


def test_queries_over_groups_that_receive_nothing_on_lambda() -> None:
    docs = rendered()
    del docs[sam.PATH]["Resources"]["CategorySubscriptionFilter"]
    lines = problems(docs)
    assert lines and all("which receives nothing on Lambda" in x for x in lines)
    assert any("saved query SecurityEventsQuery: reads /aurastream/${Environment}/security" in x
               for x in lines)  # fmt: skip
    assert any("widget 'Top customers by usage'" in x for x in lines)


def test_names_another_template_does_not_deploy() -> None:
    docs = rendered()
    docs[sam.PATH]["Resources"]["Function"]["Properties"]["FunctionName"] = {
        "Fn::Sub": "SyncHandler-${Environment}"
    }
    lines = problems(docs)
    assert lines and all("no template deploys a Lambda function named aurastream-api-"
                         "${Environment}" in x for x in lines)  # fmt: skip
    docs = rendered()
    del docs[sam.PATH]["Outputs"]["ApiId"]["Export"]
    lines = problems(docs)
    assert lines and all("by ApiId=import:aurastream-${Environment}-api-id" in x for x in lines)


def test_alarm_actions_must_name_an_exported_topic() -> None:
    docs = rendered()
    del docs[PATHS["alerting"]]["Outputs"]["SecurityAlertsTopicArn"]["Export"]
    lines = problems(docs)
    assert lines and all(
        "alarm action import:aurastream-${Environment}-security-alerts-topic: no template "
        "exports it" in x
        for x in lines
    )


@pytest.mark.parametrize("kind", ["alarms", "dashboards"])
def test_validate_fails_on_a_broken_committed_template(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the CLI: the check is registered, and a problem fails `validate`."""
    from aurastream_obs.artifacts.deploy_checks import TEMPLATE_PATHS

    for path in TEMPLATE_PATHS:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text((ROOT / path).read_text())
    broken = tmp_path / PATHS[kind]
    broken.write_text(broken.read_text().replace("5xx", "5XXError"))  # the REST API's name
    assert check_deployment(tmp_path) != []
    cli.main(["validate", "--root", str(tmp_path)])
    out = capsys.readouterr().out
    assert "check_deployment: " in out and "problem(s)" in out.split("check_deployment: ")[1]


def test_metric_ids_repeated_in_one_widget() -> None:
    """CloudWatch needs every id unique in a query set: a widget with two metric math sources
    (the DynamoDB throttles and system errors) once reused getitem, putitem and e1."""
    docs = rendered()
    board = resources(docs, "dashboards")["OperationalDashboard"]["Properties"]["DashboardBody"]
    sub = board["Fn::Sub"]
    body = json.loads(sub if isinstance(sub, str) else sub[0])
    widget = next(
        w for w in body["widgets"]
        if w["properties"].get("title") == "DynamoDB throttles and system errors"
    )  # fmt: skip
    ids = [row[-1]["id"] for row in widget["properties"]["metrics"]]
    assert len(ids) == len(set(ids)) == 6  # as rendered: two sources, unique ids
    widget["properties"]["metrics"][3][-1]["id"] = "getitem"
    text = json.dumps(body)
    board["Fn::Sub"] = text if isinstance(sub, str) else [text, sub[1]]
    assert problems(docs) == [
        "deploy/cloudformation/aurastream-dashboards.yaml: dashboard OperationalDashboard widget "
        "'DynamoDB throttles and system errors': metric ids getitem repeated (ids must be unique "
        "in one query set)"
    ]


def test_metric_ids_repeated_in_one_alarm() -> None:
    docs = rendered()
    alarm = next(
        r["Properties"] for r in resources(docs, "alarms").values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and len(r["Properties"].get("Metrics", [])) > 2
    )  # fmt: skip
    alarm["Metrics"][1]["Id"] = alarm["Metrics"][0]["Id"]
    (line,) = problems(docs)
    assert line.startswith("deploy/cloudformation/aurastream-alarms.yaml: alarm ")
    assert line.endswith(
        f"metric ids {alarm['Metrics'][0]['Id']} repeated (ids must be unique in one query set)"
    )
