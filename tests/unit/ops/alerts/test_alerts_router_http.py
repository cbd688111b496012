"""The router over real HTTP: SNS and Alertmanager in, Slack and PagerDuty peers out."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest

from aurastream_obs.ops.alerts.delivery import RetryPolicy
from aurastream_obs.ops.alerts.sns import FAILED_FETCH_HOLD_S
from support.alert_router import (
    ROUTING_KEY,
    RUNBOOK_BASE,
    SECRETS,
    TOKEN,
    RouterHarness,
    am_payload,
    bearer,
    post,
)
from support.sns import (
    Signer,
    alarm_message,
    notification,
    subscribe_url,
    subscription_confirmation,
)

RUNBOOK_PAGE = f"{RUNBOOK_BASE}/docs/runbooks.md#high-error-rate"


# --- SNS -----------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_critical_alarm_pages_and_posts_to_slack(
    make_harness: Callable[..., RouterHarness], signer: Signer, version: str
) -> None:
    harness = make_harness()
    status, body = post(
        harness.server.url + "/sns", signer.sign(notification(alarm_message()), version)
    )
    assert status == 200, body
    assert body["alerts"][0]["channels"] == {"pagerduty": "sent", "slack": "sent"}
    event = harness.pagerduty.bodies[0]
    assert event["event_action"] == "trigger" and event["routing_key"] == ROUTING_KEY
    assert event["payload"]["severity"] == "critical"
    assert event["links"][0]["href"] == RUNBOOK_PAGE
    text = harness.slack.bodies[0]["text"]
    assert "FIRING" in text and "aurastream-prod-error-rate-critical" in text
    assert "value 7.5" in text and "threshold 5" in text and "high-error-rate" in text


def test_tampered_sns_message_is_403_and_sends_nothing(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    message = signer.sign(notification(alarm_message()))
    message["Message"] = message["Message"].replace("7.5", "1.0")
    status, body = post(harness.server.url + "/sns", message)
    assert status == 403 and body == {"error": "SNS message refused", "reason": "signature"}
    assert harness.slack.requests == [] and harness.pagerduty.requests == []
    assert harness.router.counters.snapshot()["rejected"] == 1


@pytest.mark.parametrize(
    "cert_url",
    ["http://sns.eu-west-1.amazonaws.com/c.pem", "https://attacker.example/c.pem"],
)
def test_wrong_certificate_host_is_403_without_fetching(
    make_harness: Callable[..., RouterHarness], signer: Signer, cert_url: str
) -> None:
    harness = make_harness()
    message = signer.sign(dict(notification(alarm_message()), SigningCertURL=cert_url))
    status, _ = post(harness.server.url + "/sns", message)
    assert status == 403
    assert harness.fetched == [] and harness.slack.requests == []


def test_expired_certificate_is_403(make_harness: Callable[..., RouterHarness]) -> None:
    expired = Signer(expired=True)
    harness = make_harness(pem=expired.pem)
    status, _ = post(harness.server.url + "/sns", expired.sign(notification(alarm_message())))
    assert status == 403 and harness.slack.requests == []


def test_subscription_confirmation_gets_the_subscribe_url(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    url = subscribe_url()
    status, body = post(harness.server.url + "/sns", signer.sign(subscription_confirmation(url)))
    assert (status, body) == (200, {"confirmed": True})
    assert harness.confirmed == [url]


def test_subscription_confirmation_to_a_foreign_url_is_not_followed(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    message = signer.sign(subscription_confirmation("https://169.254.169.254/latest/meta-data"))
    status, _ = post(harness.server.url + "/sns", message)
    assert status == 400 and harness.confirmed == []


# --- Alertmanager --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers", [{}, bearer("wrong-token"), {"Authorization": f"Basic {TOKEN}"}, bearer("")]
)
def test_alertmanager_without_the_right_token_is_401(
    make_harness: Callable[..., RouterHarness], headers: dict[str, str]
) -> None:
    harness = make_harness()
    status, body = post(harness.server.url + "/alertmanager", am_payload(), headers)
    assert (status, body) == (401, {"error": "unauthorized"})
    assert harness.slack.requests == []


def test_warning_goes_to_slack_only(make_harness: Callable[..., RouterHarness]) -> None:
    harness = make_harness()
    status, body = post(
        harness.server.url + "/alertmanager", am_payload(severity="warning"), bearer()
    )
    assert status == 200
    assert body["alerts"][0]["channels"] == {"slack": "sent"}
    assert harness.pagerduty.requests == [] and len(harness.slack.requests) == 1
    assert "threshold 2" in harness.slack.bodies[0]["text"]  # from the definitions (warning: 2 %)


def test_trigger_then_resolve_share_the_dedup_key(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness()
    assert post(harness.server.url + "/alertmanager", am_payload("firing"), bearer())[0] == 200
    assert post(harness.server.url + "/alertmanager", am_payload("resolved"), bearer())[0] == 200
    trigger, resolve = harness.pagerduty.bodies
    assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
    assert trigger["dedup_key"] == resolve["dedup_key"]
    assert trigger["dedup_key"].startswith("aurastream-local-error-rate-critical/")
    assert "RESOLVED" in harness.slack.bodies[1]["text"]


def test_repeats_are_suppressed_within_the_window(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness()
    for _ in range(3):
        _, body = post(harness.server.url + "/alertmanager", am_payload(), bearer())
    assert body["alerts"][0]["channels"] == {"pagerduty": "duplicate", "slack": "duplicate"}
    assert len(harness.pagerduty.requests) == 1 and len(harness.slack.requests) == 1
    # another instance (different labels) is a different alert
    post(harness.server.url + "/alertmanager", am_payload(instance="b"), bearer())
    assert len(harness.slack.requests) == 2


def test_429_with_retry_after_is_retried_after_that_delay(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness(policy=RetryPolicy(base_delay_s=0.01))
    harness.slack.script = [(429, {"Retry-After": "3"})]
    status, body = post(
        harness.server.url + "/alertmanager", am_payload(severity="warning"), bearer()
    )
    assert status == 200 and body["alerts"][0]["channels"] == {"slack": "sent"}
    assert len(harness.slack.requests) == 2
    assert harness.sleeps == [3.0]


def test_500s_until_the_budget_ends_count_as_failed(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness(policy=RetryPolicy(max_attempts=4, base_delay_s=0.01))
    harness.pagerduty.default = 500
    status, body = post(harness.server.url + "/alertmanager", am_payload(), bearer())
    assert status == 502  # lets Alertmanager retry; Slack (sent) will then be deduplicated
    assert body["alerts"][0]["channels"] == {"pagerduty": "failed", "slack": "sent"}
    assert len(harness.pagerduty.requests) == 4
    assert harness.sleeps == [0.01, 0.02, 0.04]
    assert harness.router.counters.snapshot()["failed"] == 1
    harness.pagerduty.default = 202  # the retry delivers only what failed
    status, body = post(harness.server.url + "/alertmanager", am_payload(), bearer())
    assert status == 200
    assert body["alerts"][0]["channels"] == {"pagerduty": "sent", "slack": "duplicate"}


def test_retry_after_beyond_the_deadline_gives_up(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness(deadline_s=2.0)
    harness.slack.script = [(429, {"Retry-After": "60"})]
    status, body = post(
        harness.server.url + "/alertmanager", am_payload(severity="warning"), bearer()
    )
    assert status == 502 and body["alerts"][0]["channels"] == {"slack": "failed"}
    assert harness.sleeps == [] and len(harness.slack.requests) == 1


def test_bad_input_is_rejected(make_harness: Callable[..., RouterHarness]) -> None:
    harness = make_harness()
    assert post(harness.server.url + "/alertmanager", b"not json", bearer())[0] == 400
    assert (
        post(harness.server.url + "/alertmanager", {"version": "3", "alerts": []}, bearer())[0]
        == 400
    )
    assert post(harness.server.url + "/sns", b"[]")[0] == 400
    assert post(harness.server.url + "/nope", {})[0] == 404
    big = b"x" * (1024 * 1024 + 1)
    assert post(harness.server.url + "/alertmanager", big, bearer())[0] == 413


def test_no_secret_in_logs_or_responses(
    make_harness: Callable[..., RouterHarness], signer: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harness = make_harness()
    harness.pagerduty.default = 500
    responses = [
        post(harness.server.url + "/alertmanager", am_payload(), bearer()),
        post(harness.server.url + "/alertmanager", am_payload(), bearer("wrong")),
        post(
            harness.server.url + "/sns", signer.sign(notification(alarm_message(), message_id="x"))
        ),
        post(harness.server.url + "/sns", {"Type": "Notification"}),
    ]
    text = json.dumps(responses) + "\n".join(
        r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records
    )
    assert caplog.records  # something was logged (deliveries, failures, rejections)
    assert "alert undelivered via pagerduty" in caplog.text and "HTTP 500" in caplog.text
    for secret in SECRETS:
        assert secret not in text
    assert "***" in repr(harness.router.settings)


def test_healthz_reports_counters(make_harness: Callable[..., RouterHarness]) -> None:
    harness = make_harness()
    post(harness.server.url + "/alertmanager", am_payload(severity="warning"), bearer())
    with urllib.request.urlopen(harness.server.url + "/healthz", timeout=5) as response:
        health = json.loads(response.read())
    assert health["status"] == "ok" and health["sent"] == 1


def test_runbook_hook_runs_once_per_fresh_firing(
    make_harness: Callable[..., RouterHarness],
) -> None:
    seen: list[str] = []
    harness = make_harness(on_alert=lambda alert: seen.append(alert.runbook))
    for status in ("firing", "firing", "resolved"):
        post(harness.server.url + "/alertmanager", am_payload(status), bearer())
    assert seen == ["high-error-rate"]


def test_an_unreachable_signing_certificate_is_503_so_sns_retries(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    """SNS takes any 4xx as delivered: a certificate it cannot fetch now must be a 5xx with
    Retry-After, nothing sent, and the same message processed when SNS comes back."""
    failing = [True]

    def fetch_from(url: str) -> bytes:
        if failing[0]:
            raise OSError("timed out")
        return signer.pem

    now = [1000.0]
    harness = make_harness(fetch_from=fetch_from, monotonic=lambda: now[0])
    message = signer.sign(notification(alarm_message()))
    request = urllib.request.Request(harness.server.url + "/sns", method="POST",
                                     data=json.dumps(message).encode())  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=20)
    assert caught.value.code == 503
    assert int(caught.value.headers["Retry-After"]) >= 1
    assert json.loads(caught.value.read())["reason"] == "certificate_unavailable"
    assert harness.slack.requests == [] and harness.pagerduty.requests == []
    failing[0] = False
    now[0] += FAILED_FETCH_HOLD_S  # SNS retries later: the failed fetch is not held any more
    status, _ = post(harness.server.url + "/sns", message)  # SNS's retry: same MessageId
    assert status == 200
    assert len(harness.slack.requests) == 1 and len(harness.pagerduty.requests) == 1
