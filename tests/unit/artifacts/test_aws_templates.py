"""What the AWS templates grant and wire: least-privilege roles, a key CloudWatch may use for
our alarms only, subscriptions in every configuration, one set of names everywhere."""

from __future__ import annotations

from typing import Any

from aurastream_obs.artifacts.cloudformation import templates
from aurastream_obs.artifacts.deploy_templates import sam
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions.deployment import RESOURCES, TOPIC_ROUTES


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
            r["Condition"]: r["Properties"]["Protocol"]
            for r in resources.values()
            if r["Type"] == "AWS::SNS::Subscription"
            and r["Properties"]["TopicArn"] == {"Ref": topic}
        }
        assert subscriptions == {
            "UseRouterFunction": "lambda",
            "UseRouterEndpoint": "https",
            f"Has{route.capitalize()}AlertEmail": "email",
        }


def test_the_router_role_is_least_privilege() -> None:
    resources = _resources("alerting")
    assert _actions(resources["AlertRouterRole"]) == {
        "logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage",
    }  # fmt: skip
    router = resources["AlertRouter"]["Properties"]
    variables = router["Environment"]["Variables"]
    assert variables["AURASTREAM_SNS_TOPIC_ARNS"] == {
        "Fn::Join": [",", [{"Ref": f"{r.capitalize()}AlertsTopic"} for r in TOPIC_ROUTES]]
    }
    # Secrets by dynamic reference only: no parameter, no literal.
    for name in ("SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY"):
        assert variables[name]["Fn::Sub"].startswith(
            "{{resolve:secretsmanager:aurastream/${Environment}/alert-router:SecretString:"
        )
    assert router["DeadLetterQueue"]["Type"] == "SQS"


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
