"""Replayed SNS messages are rejected over HTTP: a captured notification from years ago is
stale, a captured recent one is remembered by MessageId (and SNS's own retry of a message that
failed is delivered, not mistaken for a replay); subscriptions only for allowed topics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from support.alert_router import RouterHarness, post
from support.sns import (
    CERT_URL,
    TOPIC,
    Signer,
    alarm_message,
    notification,
    subscribe_url,
    subscription_confirmation,
)

OTHER_TOPIC = "arn:aws:sns:eu-west-1:123456789012:someone-elses-topic"


def test_a_captured_ok_from_2020_does_not_resolve_a_live_incident(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    post(harness.server.url + "/sns", signer.sign(notification(alarm_message(), message_id="a")))
    old = datetime(2020, 3, 1, 12, 0, tzinfo=UTC)
    captured = signer.sign(notification(alarm_message(state="OK"), message_id="b", at=old))
    status, body = post(harness.server.url + "/sns", captured)
    assert (status, body) == (403, {"error": "SNS message refused", "reason": "stale"})
    assert [e["event_action"] for e in harness.pagerduty.bodies] == ["trigger"]  # still open
    assert harness.router.counters.value("rejected", reason="stale") == 1


def test_a_replayed_alarm_pages_once(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness(dedup_window_s=0)  # not even the alert dedup window helps here
    message = signer.sign(notification(alarm_message(), message_id="m-replayed"))
    first = post(harness.server.url + "/sns", message)
    replays = [post(harness.server.url + "/sns", message) for _ in range(3)]
    assert first[0] == 200 and first[1]["alerts"][0]["channels"]["pagerduty"] == "sent"
    assert replays == [(200, {"duplicate": True})] * 3
    assert len(harness.pagerduty.requests) == 1 and len(harness.slack.requests) == 1
    assert harness.router.counters.snapshot()["sns_duplicates"] == 3


def test_sns_retry_of_a_failed_delivery_is_delivered(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    harness.pagerduty.default = 500
    message = signer.sign(notification(alarm_message(), message_id="m-retried"))
    assert post(harness.server.url + "/sns", message)[0] == 502  # SNS will retry (5xx)
    harness.pagerduty.default = 202
    status, body = post(harness.server.url + "/sns", message)  # the same MessageId, retried
    assert status == 200
    assert body["alerts"][0]["channels"] == {"pagerduty": "sent", "slack": "duplicate"}


def test_a_message_from_the_future_is_refused(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    ahead = datetime.now(UTC) + timedelta(hours=2)
    status, _ = post(
        harness.server.url + "/sns", signer.sign(notification(alarm_message(), at=ahead))
    )
    assert status == 403 and harness.fetched == [] and harness.slack.requests == []


def test_subscriptions_only_for_allowed_topics(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    foreign = signer.sign(subscription_confirmation(subscribe_url(OTHER_TOPIC), OTHER_TOPIC))
    assert post(harness.server.url + "/sns", foreign)[0] == 403
    # An allowed topic whose SubscribeURL confirms another topic: not followed either.
    crossed = signer.sign(
        subscription_confirmation(subscribe_url(OTHER_TOPIC), TOPIC, message_id="c-2")
    )
    assert post(harness.server.url + "/sns", crossed)[0] == 400
    assert harness.confirmed == [] and harness.fetched == [CERT_URL]
    good = signer.sign(subscription_confirmation(subscribe_url(TOPIC), message_id="c-3"))
    assert post(harness.server.url + "/sns", good) == (200, {"confirmed": True})
    assert harness.confirmed == [subscribe_url(TOPIC)]


def test_a_router_without_allowed_topics_refuses_every_sns_message(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness(topics=frozenset())
    for message in (notification(alarm_message()), subscription_confirmation(subscribe_url())):
        assert post(harness.server.url + "/sns", signer.sign(message))[0] == 403
    assert harness.fetched == [] and harness.confirmed == [] and harness.slack.requests == []
