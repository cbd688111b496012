"""The router behind a real SNS (moto's server): moto signs what it delivers over HTTP and
serves its certificate at `https://sns.<region>.amazonaws.com/SimpleNotificationService-*.pem`;
the router checks that URL exactly as in production and only the bytes come from moto
(`support.cloudwatch_alarms.moto_sns_certificates`, the `SnsVerifier(fetch=...)` seam)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from support.alert_peers import AlertPeer
from support.alert_router import start_router
from support.cloudwatch_alarms import moto_sns_certificates
from support.sns import alarm_message


def test_an_alarm_published_on_moto_reaches_slack_and_pagerduty_verified(
    clients: Callable[[str], Any], moto_url: str, peers: tuple[AlertPeer, AlertPeer]
) -> None:
    sns = clients("sns")
    topic = sns.create_topic(Name="aurastream-test-critical-alerts")["TopicArn"]
    harness = start_router(*peers, pem=b"", topics=frozenset({topic}),
                           fetch_from=moto_sns_certificates(moto_url))  # fmt: skip
    try:
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=harness.server.url + "/sns")
        # moto signs Message, MessageId, Timestamp, TopicArn and Type: no Subject.
        sns.publish(TopicArn=topic, Message=json.dumps(alarm_message()))
        slack, pagerduty = peers
        assert slack.wait_for(lambda: len(slack.requests) == 1, timeout=10), "no Slack post"
        assert pagerduty.wait_for(lambda: len(pagerduty.requests) == 1, timeout=10)
        region = topic.split(":")[3]
        assert len(harness.fetched) == 1
        assert harness.fetched[0].startswith(f"https://sns.{region}.amazonaws.com/")
        assert harness.router.counters.snapshot()["rejected"] == 0
        assert "aurastream-prod-error-rate-critical" in slack.bodies[0]["text"]
    finally:
        harness.close()
