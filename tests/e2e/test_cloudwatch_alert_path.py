"""Alarms reach people, on a moto server, from the rendered templates.

The alerting stack's key and topics are created as the template says (customer managed key,
every topic encrypted with it, subscribed to the alert router: here its HTTP endpoint on
loopback, the template's `RouterEndpoint` configuration); every metric alarm of the two alarm
stacks is created with boto3 (composites: their rule text checked against the alarms
created). Then CloudWatch's side is played (tests/support/cloudwatch_alarms.py): an alarm goes
to ALARM, SNS (moto) delivers the signed notification to the router over HTTP, the router
verifies it against moto's certificate and posts to the Slack and PagerDuty stand-ins; OK
resolves it. The security path starts from real log lines: the service's security events,
forwarded to the security log group as the Lambda log forwarder does, counted as the
template's metric filter counts them, evaluated by the failed-authentication alarm, which
notifies the security topic: the router posts it to the security channel's own webhook only
(and pages PagerDuty when critical). A notification the router Lambda gave up on, in its
dead-letter queue, is redriven by the alert-delivery runbook and reaches Slack.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from aurastream_obs.artifacts.cloudformation import templates
from aurastream_obs.core.log_categories import LOG_CATEGORIES
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions.deployment import TOPIC_ROUTES, topic_name
from aurastream_obs.logs import events
from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.alerts.router import AlertRouter
from aurastream_obs.ops.alerts.server import AlertServer
from aurastream_obs.ops.alerts.settings import RouterSettings, Secret
from aurastream_obs.ops.alerts.sns import SnsVerifier
from aurastream_obs.ops.log_forwarder import Forwarder
from aurastream_obs.ops.runbooks import Executor, RunbookSettings, plan_for
from support.alert_peers import AlertPeer
from support.cloudwatch_alarms import (
    Resolver,
    alarm_resources,
    composite_rule_problems,
    create_metric_alarms,
    evaluate,
    moto_sns_certificates,
    notification_message,
    transition,
)
from support.log_capture import attach
from support.moto import Clients

pytestmark = [pytest.mark.e2e]

REGION, ACCOUNT, API_ID = "us-east-1", "123456789012", "e2eapi0001"
SLACK_PATH = "/services/T0/B0/e2e-slack-secret"
SECURITY_SLACK_PATH = "/services/T0/B1/e2e-security-secret"


@pytest.fixture
def aws_region() -> str:
    return REGION


@dataclass
class AlertPath:
    env: str
    resolve: Resolver
    templates: dict[str, dict[str, Any]]
    slack: AlertPeer
    pagerduty: AlertPeer
    router: AlertRouter
    security_slack: AlertPeer


def _deploy_alerting(clients: Clients, env: str, endpoint: str) -> Resolver:
    """The alerting template's key, topics and (RouterEndpoint) subscriptions; its exports."""
    alerting = templates(load_definitions())["alerting"]
    resources = alerting["Resources"]
    resolve = Resolver({"Environment": env, "Stage": "$default", "AWS::Region": REGION,
                        "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
                        "RouterEndpoint": endpoint})  # fmt: skip
    key_props = resolve(resources["AlertsKey"]["Properties"])
    key = clients("kms").create_key(
        Description=key_props["Description"], Policy=json.dumps(key_props["KeyPolicy"])
    )["KeyMetadata"]
    resolve.refs["AlertsKey"], resolve.attributes["AlertsKey.Arn"] = key["KeyId"], key["Arn"]
    sns = clients("sns")
    for logical, declared in alarm_resources(alerting, "AWS::SNS::Topic").items():
        props = resolve(declared)
        resolve.refs[logical] = sns.create_topic(
            Name=props["TopicName"], Attributes={"KmsMasterKeyId": props["KmsMasterKeyId"]}
        )["TopicArn"]
    for res in resources.values():
        if res["Type"] == "AWS::SNS::Subscription" and res.get("Condition") == "UseRouterEndpoint":
            props = resolve(res["Properties"])
            # The template says https; the router on loopback serves plain HTTP.
            sns.subscribe(TopicArn=props["TopicArn"], Protocol="http", Endpoint=endpoint)
    for output in alerting["Outputs"].values():
        if "Export" in output:
            resolve.exports[resolve(output["Export"]["Name"])] = resolve(output["Value"])
    resolve.exports[f"aurastream-{env}-api-id"] = API_ID  # the application stack's export
    return resolve


@pytest.fixture
def path(clients: Clients, moto_url: str) -> Iterator[AlertPath]:
    env = f"e2e{secrets.token_hex(3)}"
    topics = frozenset(f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic_name(r)}".replace(
        "${Environment}", env) for r in TOPIC_ROUTES)  # fmt: skip
    with AlertPeer() as slack, AlertPeer() as pagerduty, AlertPeer() as security_slack:
        settings = RouterSettings(
            slack_webhook_url=Secret(slack.url + SLACK_PATH),
            security_slack_webhook_url=Secret(security_slack.url + SECURITY_SLACK_PATH),
            pagerduty_routing_key=Secret("R0UT1NGKEY0123456789abcdefe2e345"),
            pagerduty_events_url=pagerduty.url + "/v2/enqueue",
            sns_topic_arns=topics,
        )
        verifier = SnsVerifier(fetch=moto_sns_certificates(moto_url), topic_arns=topics)
        router = AlertRouter(settings, verifier=verifier)
        server = AlertServer(router, port=0).start()
        try:
            resolve = _deploy_alerting(clients, env, f"{server.url}/sns")
            rendered = templates(load_definitions())
            yield AlertPath(env, resolve, rendered, slack, pagerduty, router, security_slack)
        finally:
            server.close()
            getattr(router, "close", lambda: None)()


def test_every_alarm_is_created_and_a_page_reaches_slack_and_pagerduty(
    path: AlertPath, clients: Clients
) -> None:
    cw, sns = clients("cloudwatch"), clients("sns")
    # The topics: encrypted with the customer managed key, each subscribed to the router.
    for route in TOPIC_ROUTES:
        arn = path.resolve.exports[f"aurastream-{path.env}-{route}-alerts-topic"]
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        assert attributes["KmsMasterKeyId"] == path.resolve.attributes["AlertsKey.Arn"]
        assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"], route

    created = [n for kind in ("alarms", "slo-alarms")
               for n in create_metric_alarms(cw, path.templates[kind], path.resolve)]  # fmt: skip
    expected = sum(len(alarm_resources(path.templates[k], "AWS::CloudWatch::Alarm"))
                   for k in ("alarms", "slo-alarms"))  # fmt: skip
    listed = cw.describe_alarms(AlarmNamePrefix=f"aurastream-{path.env}-", MaxRecords=100)
    assert len(created) == expected == len(listed["MetricAlarms"]) == 53
    composites = alarm_resources(path.templates["slo-alarms"], "AWS::CloudWatch::CompositeAlarm")
    assert len(composites) == 6
    for props in composites.values():
        rule = path.resolve(props["AlarmRule"])
        assert composite_rule_problems(rule, set(created)) == [], rule
        assert set(path.resolve(props["AlarmActions"])) <= set(path.resolve.exports.values())
    # The checks can fail: a name no alarm has, a rule that does not parse.
    typo = rule.replace(f"aurastream-{path.env}-", f"aurastream-{path.env}x-", 1)
    assert composite_rule_problems(typo, set(created))[0].endswith("does not exist")
    assert composite_rule_problems(f"{rule} AND", set(created)) == [
        f"not a rule expression: {rule + ' AND'!r}"
    ]

    name = f"aurastream-{path.env}-api-5xx-critical"
    reason = (
        "Threshold Crossed: 1 out of the last 1 datapoints [42.0 (07/12/26 02:40:00)] was "
        "greater than the threshold (10.0) (minimum 1 datapoint for OK -> ALARM)."
    )
    assert transition(cw, sns, name, "ALARM", reason)
    assert path.pagerduty.wait_for(lambda: len(path.pagerduty.bodies) == 1, timeout=15)
    assert path.slack.wait_for(lambda: len(path.slack.bodies) == 1, timeout=15)
    (page,) = path.pagerduty.bodies
    assert page["event_action"] == "trigger" and page["payload"]["severity"] == "critical"
    assert name in json.dumps(page) and name in json.dumps(path.slack.bodies[0])
    assert path.slack.requests[0]["path"] == SLACK_PATH

    assert transition(cw, sns, name, "OK", "Threshold Crossed: no datapoint above 10.0.")
    assert path.pagerduty.wait_for(lambda: len(path.pagerduty.bodies) == 2, timeout=15)
    resolve_event = path.pagerduty.bodies[1]
    assert resolve_event["event_action"] == "resolve"
    assert resolve_event["dedup_key"] == page["dedup_key"]
    assert path.slack.wait_for(lambda: len(path.slack.bodies) == 2, timeout=15)
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == "OK"


def _security_lines(count: int) -> list[str]:
    """The service's own log lines for `count` failed authentications (and other events)."""
    logger = logging.getLogger("aurastream.events")
    level = logger.level
    logger.setLevel(logging.INFO)  # setLevel, not the attribute: it clears the level cache
    captured = attach(logger)
    try:
        for n in range(count):
            address = f"203.0.113.{n}"
            events.security_event(
                "failed_authentication", reason="invalid_api_key", ip_address=address
            )
        events.audit_event("runbook_action", action="noop")
        events.api_request(
            request_id="r1", method="POST", path="/v1/analyze", customer_id="acme",
            user_agent="ua", ip_address="203.0.113.9",
        )  # fmt: skip
    finally:
        logger.removeHandler(captured.handler)
        logger.setLevel(level)
    return captured.lines()


def _subscription_event(group: str, lines: list[str]) -> dict[str, Any]:
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    payload = {"messageType": "DATA_MESSAGE", "logGroup": group, "logStream": "2026/12/07/[1]x",
               "logEvents": [{"id": str(i), "timestamp": now - 60_000 + i, "message": line}
                             for i, line in enumerate(lines)]}  # fmt: skip
    data = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    return {"awslogs": {"data": data}}


def _metric_filters(path: AlertPath, clients: Clients, group: str) -> dict[str, int]:
    """What the logs template's metric filters publish for the group's lines: each counts
    the lines holding its quoted term (the filter pattern syntax for a term)."""
    messages = [
        e["message"] for e in clients("logs").filter_log_events(logGroupName=group)["events"]
    ]
    counted = {}
    for props in alarm_resources(path.templates["logs"], "AWS::Logs::MetricFilter").values():
        term = props["FilterPattern"]
        assert term.startswith('"') and term.endswith('"'), term
        (transform,) = props["MetricTransformations"]
        n = sum(term.strip('"') in m for m in messages)
        counted[transform["MetricName"]] = n
        clients("cloudwatch").put_metric_data(
            Namespace=transform["MetricNamespace"],
            MetricData=[{"MetricName": transform["MetricName"], "Value": float(n), "Unit": "Count",
                         "Timestamp": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)}],
        )  # fmt: skip
    return counted


def test_failed_authentications_page_the_security_topic_from_log_lines(
    path: AlertPath, clients: Clients
) -> None:
    logs, cw, sns = clients("logs"), clients("cloudwatch"), clients("sns")
    for category, spec in LOG_CATEGORIES.items():  # as the logs stack creates them
        name = f"/aurastream/{path.env}/{category}"
        logs.create_log_group(logGroupName=name)
        logs.put_retention_policy(logGroupName=name, retentionInDays=spec.retention_days)
    # The Lambda shape: the function's lines reach the forwarder through the subscription.
    lines = _security_lines(25)
    routed = Forwarder(logs, path.env).forward(
        json.loads(gzip.decompress(base64.b64decode(
            _subscription_event(f"/aws/lambda/aurastream-api-{path.env}", lines)["awslogs"]["data"]
        )))
    )  # fmt: skip
    assert routed == {"security": 25, "audit": 1, "application": 1}
    security = f"/aurastream/{path.env}/security"
    retention = logs.describe_log_groups(logGroupNamePrefix=security)["logGroups"][0]
    assert retention["retentionInDays"] == 2557
    assert _metric_filters(path, clients, security) == {
        "FailedAuthentication": 25, "AlertWebhookRejected": 0, "SnsSignatureRejected": 0,
    }  # fmt: skip

    failed_auth = {k: r for k, r in path.templates["alarms"]["Resources"].items()
                   if k.startswith("FailedAuthentication")}  # fmt: skip
    create_metric_alarms(cw, {"Resources": failed_auth}, path.resolve)
    alarms = {k: path.resolve(r["Properties"]) for k, r in failed_auth.items()}
    now = dt.datetime.now(dt.UTC)
    warning, critical = (alarms[f"FailedAuthentication{s}Alarm"] for s in ("Warning", "Critical"))
    assert evaluate(cw, warning, now) == "ALARM"  # 25 > 20
    assert evaluate(cw, critical, now) == "OK"  # 25 <= 100
    security_topic = path.resolve.exports[f"aurastream-{path.env}-security-alerts-topic"]
    assert warning["AlarmActions"] == [security_topic]
    notified = transition(cw, sns, warning["AlarmName"], "ALARM",
                          "Threshold Crossed: 1 out of the last 1 datapoints [25.0] was greater "
                          "than the threshold (20.0).")  # fmt: skip
    assert notified == [security_topic]
    security = path.security_slack
    assert security.wait_for(lambda: len(security.bodies) == 1, timeout=15)
    assert "failed-authentication" in json.dumps(security.bodies[0])
    assert security.requests[0]["path"] == SECURITY_SLACK_PATH
    assert path.pagerduty.bodies == []  # a warning pages nobody

    # Past 100 per 5 minutes the critical alarm pages, still in the security channel only.
    assert critical["AlarmActions"] == [security_topic]
    transition(cw, sns, critical["AlarmName"], "ALARM",
               "Threshold Crossed: 1 out of the last 1 datapoints [140.0] was greater than the "
               "threshold (100.0).")  # fmt: skip
    assert path.pagerduty.wait_for(lambda: len(path.pagerduty.bodies) == 1, timeout=15)
    assert security.wait_for(lambda: len(security.bodies) == 2, timeout=15)
    (page,) = path.pagerduty.bodies
    assert page["payload"]["severity"] == "critical" and critical["AlarmName"] in json.dumps(page)
    assert path.slack.bodies == []  # the general channel saw no security alarm


def test_a_notification_the_router_gave_up_on_is_redriven_to_slack_and_pagerduty(
    path: AlertPath, clients: Clients
) -> None:
    """The router Lambda failed on an ALARM notification (a channel down past Lambda's
    retries): the event sits in its dead-letter queue, the alarm still fires. The
    alert-delivery runbook republishes it to its topic; SNS (moto) delivers it, signed afresh,
    to the router, which pages. A record an hour old would be refused if re-invoked as is."""
    cw, sqs, sm = clients("cloudwatch"), clients("sqs"), clients("secretsmanager")
    settings = RunbookSettings(environment=path.env)
    for secret in settings.router_secrets:  # what the router reads at a cold start
        sm.create_secret(Name=secret, SecretString='{"slack_webhook_url": "https://x"}')
    dlq = path.resolve(path.templates["alerting"]["Resources"]["AlertRouterDlq"]["Properties"])
    assert dlq["QueueName"] == settings.deployed("alert-router-dlq")
    url = sqs.create_queue(QueueName=dlq["QueueName"])["QueueUrl"]
    five_xx = {"Api5xxCriticalAlarm": path.templates["alarms"]["Resources"]["Api5xxCriticalAlarm"]}
    (name,) = create_metric_alarms(cw, {"Resources": five_xx}, path.resolve)
    (alarm,) = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    reason = "Threshold Crossed: 1 out of the last 1 datapoints [42.0] was greater than 10.0."
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason=reason)
    sns = {"Type": "Notification", "MessageId": "lost-1", "TopicArn": alarm["AlarmActions"][0],
           "Message": json.dumps(notification_message(alarm, "ALARM", reason)),
           "Timestamp": "2026-12-01T00:00:00.000Z"}  # fmt: skip
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps(
            {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": sns}]}
        ),
    )

    dead_letters = Alert(f"aurastream-{path.env}-alert-router-dead-letters-critical", "critical",
                         "firing", "waiting in the DLQ", "cloudwatch")  # fmt: skip
    results = Executor(clients=clients).run(plan_for(dead_letters, settings), execute=True)
    assert [(r.action.kind, r.outcome, r.detail) for r in results][1] == (
        "alerts.redrive",
        "succeeded",
        "republished: 1",
    )
    assert path.pagerduty.wait_for(lambda: len(path.pagerduty.bodies) == 1, timeout=15)
    assert path.slack.wait_for(lambda: len(path.slack.bodies) == 1, timeout=15)
    assert name in json.dumps(path.pagerduty.bodies[0]) and name in json.dumps(path.slack.bodies[0])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
