"""The alerting and log pipeline's runbooks on a moto server: the alert router's dead letters
republished to their topic only while their alarm still holds (and not at all while a router
secret is missing), the log forwarder's dead letters forwarded into the category groups, and
the dead-letter queues behind DeadLetterErrors checked. Each run reads the queue back."""

from __future__ import annotations

import base64
import gzip
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest

from aurastream_obs.core.log_categories import LOG_CATEGORIES
from aurastream_obs.ops.runbooks import (
    Action,
    Executor,
    Limits,
    Plan,
    RunbookRefused,
    RunbookSettings,
    plan_for,
)
from support.runbooks import alert
from support.sns import alarm_message

Clients = Callable[[str], Any]


def _queue(clients: Clients, name: str) -> str:
    return str(clients("sqs").create_queue(QueueName=name)["QueueUrl"])


def _held(clients: Clients, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = clients("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)
    return sum(int(v) for v in attributes["Attributes"].values())


def _dead_lettered_alarm(topic: str, name: str, state: str = "ALARM") -> str:
    """What Lambda writes to the router's dead-letter queue: the SNS event it failed on."""
    sns = {"Type": "Notification", "MessageId": secrets.token_hex(8), "TopicArn": topic,
           "Message": json.dumps(alarm_message(name=name, state=state)),
           "Timestamp": "2026-11-30T10:00:00.000Z", "SignatureVersion": "1", "Signature": "x",
           "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/x.pem"}  # fmt: skip
    return json.dumps({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": sns}]})


def _alarm(clients: Clients, name: str, state: str) -> None:
    cw = clients("cloudwatch")
    cw.put_metric_alarm(AlarmName=name, MetricName="5xx", Namespace="AWS/ApiGateway",
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1.0,
                        ComparisonOperator="GreaterThanThreshold")  # fmt: skip
    cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")


def _alert_path(clients: Clients, env: str, *, with_security_secret: bool = True) -> dict[str, Any]:
    """The router's secrets, the critical topic (an SQS queue subscribed to see what SNS
    delivers), two alarms (one still in ALARM, one back to OK) and two dead letters."""
    settings = RunbookSettings(environment=env)
    for name in settings.router_secrets[: 2 if with_security_secret else 1]:
        clients("secretsmanager").create_secret(
            Name=name, SecretString='{"slack_webhook_url": "x"}'
        )
    topic = clients("sns").create_topic(Name=f"aurastream-{env}-critical-alerts")["TopicArn"]
    seen = _queue(clients, f"seen-{env}")
    arn = clients("sqs").get_queue_attributes(QueueUrl=seen, AttributeNames=["QueueArn"])
    clients("sns").subscribe(TopicArn=topic, Protocol="sqs",
                             Endpoint=arn["Attributes"]["QueueArn"])  # fmt: skip
    still, over = f"aurastream-{env}-api-5xx-critical", f"aurastream-{env}-lambda-errors-critical"
    _alarm(clients, still, "ALARM")
    _alarm(clients, over, "OK")
    dlq = _queue(clients, settings.deployed("alert-router-dlq"))
    for name in (still, over):
        clients("sqs").send_message(QueueUrl=dlq, MessageBody=_dead_lettered_alarm(topic, name))
    return {"settings": settings, "dlq": dlq, "seen": seen, "still": still}


def test_the_router_dead_letters_still_true_are_republished_and_the_queue_emptied(
    clients: Clients,
) -> None:
    path = _alert_path(clients, f"r{secrets.token_hex(3)}")
    plan = plan_for(alert("alert-router-dead-letters"), path["settings"])
    assert plan.runbook == "alert-delivery"
    assert [r.outcome for r in Executor(clients=clients).run(plan)] == ["planned", "planned"]
    assert _held(clients, path["dlq"]) == 2  # a dry-run moves nothing

    checked, redriven = Executor(clients=clients).run(plan, execute=True)
    assert (checked.outcome, checked.detail) == ("succeeded", "2 router secret(s) present")
    assert (redriven.outcome, redriven.detail) == ("succeeded", "republished: 1, superseded: 1")
    assert _held(clients, path["dlq"]) == 0
    delivered = clients("sqs").receive_message(QueueUrl=path["seen"], WaitTimeSeconds=1,
                                               MaxNumberOfMessages=10)["Messages"]  # fmt: skip
    (envelope,) = [json.loads(m["Body"]) for m in delivered]
    assert json.loads(envelope["Message"])["AlarmName"] == path["still"]

    again = Executor(clients=clients).run(plan, execute=True)
    assert (again[1].outcome, again[1].detail) == ("unchanged", "no dead letters")


def test_nothing_is_redriven_while_a_router_secret_is_missing(clients: Clients) -> None:
    env = f"r{secrets.token_hex(3)}"
    path = _alert_path(clients, env, with_security_secret=False)
    plan = plan_for(alert("alert-router-errors"), path["settings"])
    checked, redriven = Executor(clients=clients).run(plan, execute=True)
    missing = f"aurastream/{env}/alert-router-security: ResourceNotFoundException"
    assert checked.outcome == "failed" and checked.detail.startswith(missing)
    assert redriven.outcome == "refused" and redriven.detail.startswith(missing)
    assert redriven.detail.endswith("nothing moved")
    assert _held(clients, path["dlq"]) == 2
    assert "Messages" not in clients("sqs").receive_message(QueueUrl=path["seen"])


def _subscription_payload(lines: list[dict[str, Any]], age_s: float = 3600) -> str:
    at = int((time.time() - age_s) * 1000)
    data = {"messageType": "DATA_MESSAGE", "logGroup": "/aws/lambda/aurastream-api-x",
            "logStream": "2026/11/30/[1]abc",
            "logEvents": [{"id": str(i), "timestamp": at + i, "message": json.dumps(line)}
                          for i, line in enumerate(lines)]}  # fmt: skip
    encoded = base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()
    return json.dumps({"awslogs": {"data": encoded}})


def test_the_forwarder_dead_letters_land_in_their_category_groups(clients: Clients) -> None:
    env = f"l{secrets.token_hex(3)}"
    logs = clients("logs")
    for category in LOG_CATEGORIES:
        logs.create_log_group(logGroupName=f"/aurastream/{env}/{category}")
    settings = RunbookSettings(environment=env)
    dlq = _queue(clients, settings.deployed("log-forwarder-dlq"))
    lines = [{"message": "failed_authentication", "category": "security"},
             {"message": "key rotated", "category": "audit"},
             {"message": "bad key", "category": "security"}]  # fmt: skip
    clients("sqs").send_message(QueueUrl=dlq, MessageBody=_subscription_payload(lines))
    clients("sqs").send_message(QueueUrl=dlq, MessageBody="not a payload")

    plan = plan_for(alert("log-forwarder-dead-letters"), settings)
    redriven, notified = Executor(clients=clients).run(plan, execute=True)
    assert redriven.outcome == "failed"  # one message is not ours: left for a human
    assert redriven.detail == ("audit lines: 1, batches forwarded: 1, left (not a log "
                               "subscription payload): 1, security lines: 2")  # fmt: skip
    assert notified.outcome == "skipped"  # no router configured in this test
    events = logs.filter_log_events(logGroupName=f"/aurastream/{env}/security")["events"]
    assert sorted(json.loads(e["message"])["message"] for e in events) == [
        "bad key", "failed_authentication"]  # fmt: skip
    assert _held(clients, dlq) == 1  # only the message that was not a payload


def test_lines_past_cloudwatch_logs_window_are_reported_lost(clients: Clients) -> None:
    env = f"l{secrets.token_hex(3)}"
    clients("logs").create_log_group(logGroupName=f"/aurastream/{env}/security")
    settings = RunbookSettings(environment=env)
    dlq = _queue(clients, settings.deployed("log-forwarder-dlq"))
    stale = _subscription_payload([{"message": "old", "category": "security"}], age_s=15 * 86400)
    clients("sqs").send_message(QueueUrl=dlq, MessageBody=stale)
    plan = plan_for(alert("log-forwarder-errors"), settings)
    redriven, _ = Executor(clients=clients).run(plan, execute=True)
    assert redriven.outcome == "failed"
    assert "failed (lines refused by CloudWatch Logs as too old or too new): 1" in redriven.detail
    assert _held(clients, dlq) == 0  # another run cannot bring them back: the queue is clear


def test_the_dead_letter_queues_behind_dead_letter_errors_are_checked(clients: Clients) -> None:
    """moto keeps no DeadLetterConfig on a function: Lambda's answer comes from botocore's
    Stubber (the configuration the template deploys), the queues are moto's."""
    import boto3
    from botocore.stub import Stubber

    env = f"d{secrets.token_hex(3)}"
    settings = RunbookSettings(environment=env)
    router, forwarder = settings.deployed("alert-router"), settings.deployed("log-forwarder")
    sqs = clients("sqs")
    arns = {}
    for queue in ("alert-router-dlq", "log-forwarder-dlq"):
        url = _queue(clients, settings.deployed(queue))
        arns[queue] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]  # fmt: skip
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=settings.deployed("log-forwarder-dlq"))
                     ["QueueUrl"])  # fmt: skip
    lam = boto3.client("lambda", region_name="eu-west-1", aws_access_key_id="x",
                       aws_secret_access_key="x")  # fmt: skip
    plan = plan_for(alert("dead-letter-errors"), settings)
    assert plan.runbook == "dead-letter-queues"
    with Stubber(lam) as stub:
        for function, queue in ((router, "alert-router-dlq"), (forwarder, "log-forwarder-dlq")):
            config = {"FunctionName": function, "DeadLetterConfig": {"TargetArn": arns[queue]}}
            stub.add_response("get_function_configuration", config, {"FunctionName": function})
        ok, lost, _ = Executor(clients=lambda s: lam if s == "lambda" else clients(s)).run(
            plan, execute=True)  # fmt: skip
        stub.add_response("get_function_configuration", {"FunctionName": router},
                          {"FunctionName": router})  # fmt: skip
        (none,) = Executor(clients=lambda s: lam if s == "lambda" else clients(s)).run(
            Plan(plan.runbook, "a", "k", plan.actions[:1]), execute=True)  # fmt: skip
    assert (ok.outcome, ok.detail) == (
        "succeeded", f"dead-letter queue {settings.deployed('alert-router-dlq')} exists (0 "
        "message(s))")  # fmt: skip
    assert lost.outcome == "failed"
    assert lost.detail.startswith(f"its dead-letter queue {settings.deployed('log-forwarder-dlq')}"
                                  " is unusable")  # fmt: skip
    assert none.detail == "no dead-letter queue configured: failed events are dropped"


@pytest.mark.parametrize(
    ("params", "target", "why"),
    [({"max_messages": 101}, "aurastream-log-forwarder-dlq-p", "max_messages 101 outside 1..100"),
     ({"max_messages": 10}, "payments-dlq", "queue payments-dlq is not one of our dead-letter"),
     ({}, "aurastream-alert-router-dlq-p", "max_messages None outside 1..100")],
)  # fmt: skip
def test_redrives_are_bounded_to_our_queues(params: dict[str, Any], target: str, why: str) -> None:
    plan = Plan("log-forwarding", "a", "k", (Action("logs.redrive", target,
                                                    {"environment": "p", **params}),))  # fmt: skip
    with pytest.raises(RunbookRefused, match=why):
        Executor(limits=Limits()).run(plan, execute=True)
