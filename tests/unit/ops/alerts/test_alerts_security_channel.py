"""Security alerts reach the security channel, and only it: CloudWatch alarms that come by the
security topic (the template notifies it for team "security" alarms) and Alertmanager alerts
labelled `team="security"` go to the security channel's own Slack webhook, never to the
general channel; a critical one pages PagerDuty as any critical does. Three loopback peers:
the general Slack channel, the security channel, PagerDuty."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from aurastream_obs.artifacts.cloudformation import templates
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions.deployment import TOPIC_ROUTES, topic_route
from aurastream_obs.ops.alerts.dispatch import channels_for
from aurastream_obs.ops.alerts.router import topic_team
from aurastream_obs.ops.alerts.sources import parse_cloudwatch_alarm
from support.alert_peers import AlertPeer
from support.alert_router import (
    SECURITY_SLACK_PATH,
    SLACK_PATH,
    RouterHarness,
    am_alert,
    am_payload,
    bearer,
    post,
    start_router,
)
from support.sns import SECURITY_TOPIC, TOPIC, Signer, alarm_message, notification

TOPICS = frozenset({TOPIC, SECURITY_TOPIC})
FAILED_AUTH = "aurastream-prod-failed-authentication-{}"


@pytest.fixture
def security_slack() -> Iterator[AlertPeer]:
    with AlertPeer() as peer:
        yield peer


@pytest.fixture
def three_peers(
    signer: Signer, peers: tuple[AlertPeer, AlertPeer], security_slack: AlertPeer
) -> Iterator[RouterHarness]:
    harness = start_router(*peers, pem=signer.pem, topics=TOPICS, security_slack=security_slack)
    yield harness
    harness.close()


def _sns(signer: Signer, severity: str, *, topic: str, message_id: str) -> dict[str, object]:
    alarm = alarm_message(name=FAILED_AUTH.format(severity), value=140.0)
    return signer.sign(notification(alarm, message_id=message_id, topic=topic))


def test_a_security_alarm_reaches_only_the_security_channel_and_a_critical_one_pages(
    three_peers: RouterHarness, security_slack: AlertPeer, signer: Signer
) -> None:
    harness = three_peers
    warning = _sns(signer, "warning", topic=SECURITY_TOPIC, message_id="s-1")
    status, body = post(harness.server.url + "/sns", warning)
    assert status == 200, body
    assert body["alerts"][0]["channels"] == {"slack-security": "sent"}
    (message,) = security_slack.bodies
    assert "failed-authentication" in message["text"] and "security-incident" in message["text"]
    assert security_slack.requests[0]["path"] == SECURITY_SLACK_PATH
    assert harness.slack.requests == [] and harness.pagerduty.requests == []  # a warning

    critical = _sns(signer, "critical", topic=SECURITY_TOPIC, message_id="s-2")
    status, body = post(harness.server.url + "/sns", critical)
    assert status == 200, body
    assert body["alerts"][0]["channels"] == {"pagerduty": "sent", "slack-security": "sent"}
    (page,) = harness.pagerduty.bodies
    assert page["event_action"] == "trigger" and page["payload"]["severity"] == "critical"
    assert page["payload"]["custom_details"]["labels"]["team"] == "security"
    assert len(security_slack.requests) == 2
    assert harness.slack.requests == []  # the general channel never saw either


def test_other_alarms_stay_in_the_general_channel(
    three_peers: RouterHarness, security_slack: AlertPeer, signer: Signer
) -> None:
    harness = three_peers
    signed = signer.sign(notification(alarm_message(), message_id="c-1", topic=TOPIC))
    status, body = post(harness.server.url + "/sns", signed)
    assert status == 200, body
    assert body["alerts"][0]["channels"] == {"pagerduty": "sent", "slack": "sent"}
    assert harness.slack.requests[0]["path"] == SLACK_PATH
    assert security_slack.requests == []


def test_alertmanager_alerts_of_team_security_go_to_the_security_channel(
    three_peers: RouterHarness, security_slack: AlertPeer
) -> None:
    harness = three_peers
    security = am_payload(alerts=[am_alert(
        severity="critical", alertname="aurastream-local-failed-authentication-critical",
        signal="failed-authentication", team="security")])  # fmt: skip
    status, body = post(harness.server.url + "/alertmanager", security, bearer())
    assert status == 200, body
    assert len(security_slack.requests) == 1 and len(harness.pagerduty.requests) == 1
    assert harness.slack.requests == []
    status, body = post(harness.server.url + "/alertmanager", am_payload(severity="warning"),
                        bearer())  # fmt: skip
    assert status == 200 and len(harness.slack.requests) == 1
    assert len(security_slack.requests) == 1


def test_without_a_security_webhook_security_alerts_fall_back_to_the_general_channel(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness(topics=TOPICS)
    warning = _sns(signer, "warning", topic=SECURITY_TOPIC, message_id="f-1")
    status, body = post(harness.server.url + "/sns", warning)
    assert status == 200 and body["alerts"][0]["channels"] == {"slack": "sent"}


def test_the_topic_decides_the_team_as_the_templates_name_the_topics() -> None:
    alerting = templates(load_definitions())["alerting"]["Resources"]
    for route in TOPIC_ROUTES:
        name = alerting[f"{route.capitalize()}AlertsTopic"]["Properties"]["TopicName"]["Fn::Sub"]
        arn = "arn:aws:sns:us-east-1:123456789012:" + name.replace("${Environment}", "prod-eu-2")
        assert topic_route(arn) == route
        assert topic_team(arn) == ("security" if route == "security" else None)
    assert topic_team("arn:aws:sns:us-east-1:123456789012:someone-elses-security-alerts") is None
    assert topic_team(None) is None
    # The label decides the channel; without the team's channel configured, the default one.
    alert = parse_cloudwatch_alarm(alarm_message(name=FAILED_AUTH.format("critical")),
                                   team="security")  # fmt: skip
    assert alert is not None and alert.labels["team"] == "security"
    routes = {"critical": True, "warning": False}
    assert channels_for(alert, routes, frozenset({"security"})) == ["pagerduty", "slack-security"]
    assert channels_for(alert, routes) == ["pagerduty", "slack"]
