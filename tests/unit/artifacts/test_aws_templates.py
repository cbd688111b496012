"""What the AWS templates grant and wire: least-privilege roles, a key CloudWatch may use for
our alarms only, subscriptions in every configuration, one set of names everywhere."""

from __future__ import annotations

import fnmatch
import json
import re
import secrets
from typing import Any

from aurastream_obs.artifacts.cloudformation import templates
from aurastream_obs.artifacts.deploy_templates import sam
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions.deployment import RESOURCES, TOPIC_ROUTES
from support.moto import Clients


def _resources(kind: str) -> dict[str, Any]:
    found: dict[str, Any] = templates(load_definitions())[kind]["Resources"]
    return found


def _actions(role: dict[str, Any]) -> set[str]:
    """Every action a role may be granted (a conditional statement counts)."""
    statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    plain = [st["Fn::If"][1] if "Fn::If" in st else st for st in statements]
    return {a for st in plain for a in st["Action"]}


def test_the_alert_key_lets_cloudwatch_publish_for_our_alarms_only() -> None:
    key = _resources("alerting")["AlertsKey"]
    assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"
    (cloudwatch,) = [s for s in key["Properties"]["KeyPolicy"]["Statement"]
                     if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]  # fmt: skip
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(
        ":alarm:aurastream-${Environment}-*"
    )
    assert cloudwatch["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }


def test_every_topic_is_encrypted_and_subscribed_whatever_the_configuration() -> None:
    resources = _resources("alerting")
    for route in TOPIC_ROUTES:
        topic = f"{route.capitalize()}AlertsTopic"
        assert resources[topic]["Properties"]["KmsMasterKeyId"] == {
            "Fn::GetAtt": ["AlertsKey", "Arn"]
        }
        subscriptions = {
            r.get("Condition"): r["Properties"]["Protocol"]
            for r in resources.values()
            if r["Type"] == "AWS::SNS::Subscription"
            and r["Properties"]["TopicArn"] == {"Ref": topic}
        }
        # The critical e-mail is required: the fallback when the router itself fails.
        email = None if route == "critical" else f"Has{route.capitalize()}AlertEmail"
        assert subscriptions == {
            "UseRouterFunction": "lambda",
            "UseRouterEndpoint": "https",
            email: "email",
        }


def test_the_router_role_is_least_privilege() -> None:
    resources = _resources("alerting")
    assert _actions(resources["AlertRouterRole"]) == {
        "logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage",
        "secretsmanager:GetSecretValue",
    }  # fmt: skip
    statements = resources["AlertRouterRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    (secrets,) = [s for s in statements["Statement"] if s["Action"][0].startswith("secretsm")]
    arn = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
    assert secrets["Resource"] == [
        {"Fn::Sub": f"{arn}aurastream/${{Environment}}/alert-router-??????"},
        {"Fn::Sub": f"{arn}aurastream/${{Environment}}/alert-router-security-??????"},
    ]
    router = resources["AlertRouter"]["Properties"]
    variables = router["Environment"]["Variables"]
    assert variables["AURASTREAM_SNS_TOPIC_ARNS"] == {
        "Fn::Join": [",", [{"Ref": f"{r.capitalize()}AlertsTopic"} for r in TOPIC_ROUTES]]
    }
    # The secrets' names, read at a cold start; never a value, not even a dynamic reference
    # (it would resolve to plaintext in the function's configuration).
    assert variables["AURASTREAM_ALERTS_SECRET_ID"] == {
        "Fn::Sub": "aurastream/${Environment}/alert-router"
    }
    assert variables["AURASTREAM_ALERTS_SECURITY_SECRET_ID"] == {
        "Fn::Sub": "aurastream/${Environment}/alert-router-security"
    }
    assert not {"SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY", "SLACK_SECURITY_WEBHOOK_URL"} & set(
        variables
    )
    assert "resolve:secretsmanager" not in json.dumps(templates(load_definitions())["alerting"])
    assert router["DeadLetterQueue"]["Type"] == "SQS"


def test_the_secret_grant_matches_exactly_the_router_secrets_on_moto(clients: Clients) -> None:
    """IAM's wildcards (`?` one character, `*` any) over the ARNs Secrets Manager gives: the
    grant covers the two secrets, not secrets whose names start the same way."""
    statements = _resources("alerting")["AlertRouterRole"]["Properties"]["Policies"][0]
    (grant,) = [s for s in statements["PolicyDocument"]["Statement"]
                if s["Sid"] == "ChannelSecrets"]  # fmt: skip
    env = f"g{secrets.token_hex(3)}"
    values = {"Environment": env, "AWS::Partition": "aws", "AWS::Region": "us-east-1",
              "AWS::AccountId": "123456789012"}  # fmt: skip
    patterns = [re.sub(r"\$\{([\w:]+)\}", lambda m: values[m[1]], r["Fn::Sub"])
                for r in grant["Resource"]]  # fmt: skip
    sm = clients("secretsmanager")

    def arn(name: str) -> str:
        return str(sm.create_secret(Name=name, SecretString="{}")["ARN"])

    def granted(secret_arn: str) -> bool:
        return any(fnmatch.fnmatchcase(secret_arn, p) for p in patterns)

    assert granted(arn(f"aurastream/{env}/alert-router"))
    assert granted(arn(f"aurastream/{env}/alert-router-security"))
    for other in ("alert-router-x", "alert-router-securityx", "alert-routers", "other"):
        assert not granted(arn(f"aurastream/{env}/{other}")), other
    assert not granted(arn(f"aurastream/{env}x/alert-router"))


def test_the_api_stack_names_what_the_alarms_read() -> None:
    resources = sam.template()["Resources"]
    assert resources["Function"]["Properties"]["FunctionName"] == {
        "Fn::Sub": RESOURCES["function"].name
    }
    assert resources["CacheTable"]["Properties"]["TableName"] == {
        "Fn::Sub": RESOURCES["table"].name
    }
    api = resources["Api"]["Properties"]
    assert api["StageName"] == "$default" and api["Name"] == {"Fn::Sub": RESOURCES["api"].name}
    assert _actions(resources["FunctionRole"]) >= {"dynamodb:GetItem", "dynamodb:PutItem"}
    assert not any("*" in a for a in _actions(resources["FunctionRole"]))
    outputs = sam.template()["Outputs"]
    assert outputs["ApiId"]["Export"] == {"Name": {"Fn::Sub": "aurastream-${Environment}-api-id"}}


def test_alarms_notify_the_topic_of_their_severity_or_team() -> None:
    alarms = _resources("alarms")
    failed = alarms["FailedAuthenticationCriticalAlarm"]["Properties"]
    assert failed["AlarmActions"] == [
        {"Fn::ImportValue": {"Fn::Sub": "aurastream-${Environment}-security-alerts-topic"}}
    ]
    errors = alarms["LambdaErrorsCriticalAlarm"]["Properties"]
    assert (
        errors["AlarmActions"]
        == errors["OKActions"]
        == [{"Fn::ImportValue": {"Fn::Sub": "aurastream-${Environment}-critical-alerts-topic"}}]
    )
    throttles = alarms["DynamodbThrottlesCriticalAlarm"]["Properties"]["Metrics"]
    operations = [m["MetricStat"]["Metric"]["Dimensions"][-1] for m in throttles[:-1]]
    assert operations == [{"Name": "Operation", "Value": "GetItem"},
                          {"Name": "Operation", "Value": "PutItem"}]  # fmt: skip
    assert throttles[-1]["Expression"] == "FILL(getitem, 0) + FILL(putitem, 0)"


def test_the_routers_security_lines_reach_the_security_group() -> None:
    """The router logs a refused SNS signature or webhook token as a security event: its
    function group's category lines go to the application stack's log forwarder, as the API
    function's do, so they land in /aurastream/<env>/security (7 years, the metric filters)."""
    alerting, app = _resources("alerting"), sam.template()["Resources"]
    subscription = alerting["RouterCategorySubscriptionFilter"]
    assert subscription["Condition"] == "UseRouterFunction"
    props = subscription["Properties"]
    assert props["LogGroupName"] == {"Ref": "AlertRouterLogGroup"}
    assert (
        props["FilterPattern"] == app["CategorySubscriptionFilter"]["Properties"]["FilterPattern"]
    )
    forwarder = app["LogForwarder"]["Properties"]["FunctionName"]["Fn::Sub"]
    assert props["DestinationArn"]["Fn::Sub"].endswith(f":function:{forwarder}")
    permission = alerting["RouterLinesForwarderPermission"]
    assert permission["Condition"] == "UseRouterFunction"
    assert permission["Properties"]["Principal"] == "logs.amazonaws.com"
    assert permission["Properties"]["FunctionName"] == {"Fn::Sub": forwarder}
    router_group = alerting["AlertRouterLogGroup"]["Properties"]["LogGroupName"]["Fn::Sub"]
    assert permission["Properties"]["SourceArn"]["Fn::Sub"].endswith(f":log-group:{router_group}:*")
    assert "RouterLinesForwarderPermission" in subscription["DependsOn"]


def test_the_alert_path_alarms_reach_a_person_when_the_router_fails() -> None:
    """The router's own failures notify the critical topic; its other subscriber is an e-mail
    address the stack requires, not the router that is failing."""
    template = templates(load_definitions())
    parameter = template["alerting"]["Parameters"]["CriticalAlertEmail"]
    assert "Default" not in parameter
    assert re.fullmatch(parameter["AllowedPattern"], "oncall@example.com")
    assert not re.fullmatch(parameter["AllowedPattern"], "")
    email = template["alerting"]["Resources"]["CriticalEmailSubscription"]
    assert "Condition" not in email and email["Properties"]["Protocol"] == "email"
    alarms = {
        r["Properties"]["AlarmName"]["Fn::Sub"]: r["Properties"]["AlarmActions"]
        for r in template["alarms"]["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    path = {
        name: actions
        for name, actions in alarms.items()
        if ("alert-" in name or "dead-letter" in name) and name.endswith("-critical")
    }
    assert len(path) >= 5
    for actions in path.values():
        assert actions == [
            {"Fn::ImportValue": {"Fn::Sub": "aurastream-${Environment}-critical-alerts-topic"}}
        ]


def test_failed_sns_deliveries_page_whatever_the_router() -> None:
    """With the router as an HTTPS endpoint its function's alarms see nothing: SNS's own count
    of failed deliveries, for every alert topic, pages instead."""
    alarms = templates(load_definitions())["alarms"]["Resources"]
    props = alarms["AlertDeliveryFailuresCriticalAlarm"]["Properties"]
    stats = [q["MetricStat"] for q in props["Metrics"] if "MetricStat" in q]
    assert {(m["Metric"]["Namespace"], m["Metric"]["MetricName"], m["Stat"]) for m in stats} == {
        ("AWS/SNS", "NumberOfNotificationsFailed", "Sum")
    }
    topics = {m["Metric"]["Dimensions"][0]["Value"]["Fn::Sub"] for m in stats}
    assert topics == {f"aurastream-${{Environment}}-{r}-alerts" for r in TOPIC_ROUTES}
    assert props["Threshold"] == 0 and props["TreatMissingData"] == "notBreaching"
