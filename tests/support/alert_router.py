"""The alert router under test, started on loopback between its peers: `start_router()` wires an
`AlertRouter` to two `AlertPeer`s (Slack, PagerDuty), an SNS certificate fetcher that serves a
given PEM, and records what it fetched, which subscriptions it confirmed and which retry
delays it asked to sleep (`RouterHarness`); `WatchedCounters` to wait for a counter without
polling; the secrets the tests look for in logs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from aurastream_obs.ops.alerts.delivery import Poster, RetryPolicy
from aurastream_obs.ops.alerts.router import AlertRouter, Counters
from aurastream_obs.ops.alerts.server import AlertServer
from aurastream_obs.ops.alerts.settings import RouterSettings, Secret
from aurastream_obs.ops.alerts.sns import SnsVerifier
from support.alert_peers import AlertPeer

TOKEN = "tok-3f9a0c1e5b7d-secret"
ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
SLACK_PATH = "/services/T000/B000/XXXXslacksecretXXXX"
SECRETS = (TOKEN, ROUTING_KEY, SLACK_PATH, "slacksecret")
FAST_RETRIES = RetryPolicy(base_delay_s=0.01, max_delay_s=0.05, budget_s=2.0)


@dataclass
class RouterHarness:
    router: AlertRouter
    server: AlertServer
    slack: AlertPeer
    pagerduty: AlertPeer
    fetched: list[str]  # certificate URLs the SNS verifier fetched
    confirmed: list[str]  # SubscribeURLs the router confirmed
    sleeps: list[float] = field(default_factory=list)  # retry delays (never really slept)

    def close(self) -> None:
        self.server.close()


def start_router(
    slack: AlertPeer,
    pagerduty: AlertPeer,
    *,
    pem: bytes,
    policy: RetryPolicy = FAST_RETRIES,
    dedup_window_s: float = 300.0,
    on_alert: Callable[..., None] | None = None,
) -> RouterHarness:
    """A started router posting to `slack` and `pagerduty`; SNS certificates are `pem`."""
    fetched: list[str] = []
    confirmed: list[str] = []
    sleeps: list[float] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return pem

    settings = RouterSettings(
        slack_webhook_url=Secret(slack.url + SLACK_PATH),
        pagerduty_routing_key=Secret(ROUTING_KEY),
        pagerduty_events_url=pagerduty.url + "/v2/enqueue",
        alerts_token=Secret(TOKEN),
        runbook_base_url="https://runbooks.example.com/aurastream",
        dedup_window_s=dedup_window_s,
    )
    router = AlertRouter(
        settings,
        poster=Poster(policy, sleep=sleeps.append),
        verifier=SnsVerifier(fetch=fetch),
        confirm=confirmed.append,
        on_alert=on_alert,
    )
    server = AlertServer(router, port=0).start()
    return RouterHarness(router, server, slack, pagerduty, fetched, confirmed, sleeps)


class WatchedCounters(Counters):
    """A router's `Counters` that wakes waiters at every change: put it in place with
    `router.counters = WatchedCounters()`, then `wait_for(lambda c: c["rejected"] > 0)`."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = threading.Condition()

    def add(self, name: str) -> None:
        super().add(name)
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[dict[str, int]], bool], timeout: float) -> bool:
        """Wait until `predicate(snapshot)` holds; False after `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self.snapshot()), timeout)
