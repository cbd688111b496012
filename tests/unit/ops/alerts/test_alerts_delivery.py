"""At least once, with honest answers, against Slack/PagerDuty stand-ins that fail, stall and
recover: no 2xx without a delivery; a duplicate in flight waits for the first outcome (or gets
a 503 with Retry-After); one deadline bounds a request whatever the peers do; channels are
tried concurrently; what is not delivered is one log line and a metric."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from aurastream_obs.ops.alerts.delivery import RetryPolicy
from support.alert_router import RouterHarness, am_alert, am_payload, bearer, post
from support.budgets import assert_within_budget


class Posting:
    """A POST running in a thread: `result()` waits for its (status, body)."""

    def __init__(self, url: str, body: object, headers: dict[str, str]) -> None:
        self._result: tuple[int, Any] | None = None
        self.finished_at = 0.0
        self._thread = threading.Thread(target=self._run, args=(url, body, headers))
        self._thread.start()

    def _run(self, url: str, body: object, headers: dict[str, str]) -> None:
        self._result = post(url, body, headers)
        self.finished_at = time.monotonic()

    @property
    def done(self) -> bool:
        return self._result is not None

    def result(self, timeout: float = 20) -> tuple[int, Any]:
        self._thread.join(timeout)
        assert self._result is not None, "the request did not finish"
        return self._result


def channels(body: dict[str, Any]) -> list[dict[str, str]]:
    return [a["channels"] for a in body["alerts"]]


def duplicate_in_flight(harness: RouterHarness) -> tuple[Posting, Posting]:
    """A warning held by a hung Slack, and the same notification again, waiting for it."""
    ledger, payload = harness.router.deliveries, am_payload(severity="warning")
    harness.slack.stall()
    first = Posting(harness.server.url + "/alertmanager", payload, bearer())
    assert harness.slack.wait_for(lambda: len(harness.slack.requests) == 1)
    retry = Posting(harness.server.url + "/alertmanager", payload, bearer())
    with ledger.changed:
        assert ledger.changed.wait_for(lambda: ledger.waiting == 1, timeout=10)
    return first, retry


def test_no_2xx_while_a_channel_fails_and_the_retry_delivers_it(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness()
    harness.slack.default = 500
    status, body = post(harness.server.url + "/alertmanager", am_payload(), bearer())
    assert status == 502, body
    assert channels(body) == [{"pagerduty": "sent", "slack": "failed"}]
    assert len(harness.slack.requests) == 5  # every attempt of the policy, within the deadline

    harness.slack.default = 200  # Slack recovers; Alertmanager retries the same notification
    status, body = post(harness.server.url + "/alertmanager", am_payload(), bearer())
    assert status == 200
    assert channels(body) == [{"pagerduty": "duplicate", "slack": "sent"}]
    assert len(harness.pagerduty.requests) == 1  # paged once
    assert "FIRING" in harness.slack.bodies[-1]["text"]


def test_a_duplicate_in_flight_waits_for_the_first_outcome(
    make_harness: Callable[..., RouterHarness],
) -> None:
    """The page that was lost: the retry used to get 200 "suppressed" while the original was
    still failing. Now the retry waits, and sees the original's real outcome."""
    harness = make_harness()
    first, retry = duplicate_in_flight(harness)
    released_at = time.monotonic()
    harness.slack.release()
    status, body = first.result()
    assert (status, channels(body)) == (200, [{"slack": "sent"}])
    status, body = retry.result()
    assert (status, channels(body)) == (200, [{"slack": "duplicate"}])
    assert retry.finished_at >= released_at  # it answered only once the first had delivered
    assert len(harness.slack.requests) == 1


def test_a_duplicate_in_flight_delivers_itself_when_the_first_fails(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness(policy=RetryPolicy(max_attempts=1))
    harness.slack.script = [(500, {})]  # the first request's only attempt fails...
    first, retry = duplicate_in_flight(harness)
    harness.slack.release()  # ... then Slack answers 200 to the waiting duplicate
    assert first.result()[0] == 502
    status, body = retry.result()
    assert (status, channels(body)) == (200, [{"slack": "sent"}])
    assert len(harness.slack.requests) == 2


def test_a_duplicate_whose_deadline_ends_first_gets_503_with_retry_after(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness(deadline_s=6.0)
    harness.slack.stall()
    first = Posting(harness.server.url + "/alertmanager", am_payload(severity="warning"), bearer())
    assert harness.slack.wait_for(lambda: len(harness.slack.requests) == 1)
    # The same notification again, through a router whose deadline is now shorter (a config
    # reload): its deadline ends while the first still holds the alert.
    harness.router.settings = dataclasses.replace(harness.router.settings, deadline_s=1.0)
    request = urllib.request.Request(
        harness.server.url + "/alertmanager", method="POST", headers=bearer(),
        data=json.dumps(am_payload(severity="warning")).encode(),
    )  # fmt: skip
    started = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=20)
    assert_within_budget(time.monotonic() - started, 1.0, "the duplicate's answer")
    assert refused.value.code == 503
    assert refused.value.headers["Retry-After"] == "1"
    harness.slack.release()
    assert first.result()[0] == 200
    assert len(harness.slack.requests) == 1
    assert harness.router.counters.value("deliveries", outcome="busy") == 1


def test_one_deadline_bounds_a_request_with_every_peer_hung(
    make_harness: Callable[..., RouterHarness],
) -> None:
    """4 critical alerts with Slack and PagerDuty hung: 5 messages, sent concurrently, all
    given up at the deadline (it used to take 30 s with Slack alone down)."""
    harness = make_harness(deadline_s=1.5)
    harness.slack.stall()
    harness.pagerduty.stall()
    alerts = [am_alert(instance=f"i-{n}") for n in range(4)]
    started = time.monotonic()
    status, body = post(harness.server.url + "/alertmanager", am_payload(alerts=alerts), bearer())
    assert_within_budget(time.monotonic() - started, 1.5, "a request with every peer hung")
    assert status == 502
    assert {c for a in channels(body) for c in a.values()} == {"failed"}
    assert len(harness.pagerduty.requests) == 4 and len(harness.slack.requests) == 1
    assert harness.router.counters.snapshot()["undelivered"] == 8  # 4 alerts x 2 channels


def test_channels_are_tried_concurrently(make_harness: Callable[..., RouterHarness]) -> None:
    harness = make_harness()
    harness.pagerduty.stall()
    pending = Posting(harness.server.url + "/alertmanager", am_payload(), bearer())
    # Slack gets its message while PagerDuty still hangs: not one after the other.
    assert harness.pagerduty.wait_for(lambda: len(harness.pagerduty.requests) == 1)
    assert harness.slack.wait_for(lambda: len(harness.slack.requests) == 1)
    assert not pending.done  # PagerDuty still holds it
    harness.pagerduty.release()
    assert pending.result()[0] == 200


def test_what_was_not_delivered_is_one_log_line_and_a_metric(
    make_harness: Callable[..., RouterHarness], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aurastream.alerts")
    harness = make_harness()
    harness.slack.default = 503
    alerts = [am_alert("firing", "warning", instance=f"i-{n}") for n in range(3)]
    status, _ = post(harness.server.url + "/alertmanager", am_payload(alerts=alerts), bearer())
    assert status == 502
    lines = [r.getMessage() for r in caplog.records if "undelivered" in r.getMessage()]
    assert len(lines) == 1, lines  # one group, one Slack message, one line
    assert "via slack" in lines[0] and "HTTP 503" in lines[0] and "5 attempt(s)" in lines[0]
    assert lines[0].count("aurastream-local-error-rate-warning firing") == 3
    with urllib.request.urlopen(harness.server.url + "/metrics", timeout=5) as response:
        text = response.read().decode()
    assert 'aurastream_alerts_undelivered_total{channel="slack"} 3' in text
    assert 'aurastream_alerts_deliveries_total{channel="slack",outcome="failed"} 3' in text


def test_backoff_stays_inside_the_deadline(make_harness: Callable[..., RouterHarness]) -> None:
    """Retries back off (doubling) but never sleep past the deadline: with real sleeps and a
    peer that keeps failing, the request ends within its deadline."""
    harness = make_harness(
        deadline_s=1.0, policy=RetryPolicy(max_attempts=50, base_delay_s=0.05), sleep=time.sleep
    )
    harness.slack.default = 500
    started = time.monotonic()
    status, _ = post(harness.server.url + "/alertmanager", am_payload(severity="warning"), bearer())
    assert_within_budget(time.monotonic() - started, 1.0, "retries with backoff")
    assert status == 502
    attempts = len(harness.slack.requests)
    assert 3 <= attempts <= 6, attempts  # 0.05 + 0.1 + 0.2 + 0.4 s of backoff fit in 1 s
