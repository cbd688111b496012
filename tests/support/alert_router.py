"""The alert router under test, started on loopback between its peers: `start_router()` wires an
`AlertRouter` to two `AlertPeer`s (Slack, PagerDuty; a third, the security channel's Slack,
when given), an SNS certificate fetcher that serves a
given PEM, and records what it fetched, which subscriptions it confirmed and which retry
delays it asked to sleep (`RouterHarness`); `WatchedCounters` to wait for a counter without
polling; the secrets the tests look for in logs; `post()` to call it over HTTP."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aurastream_obs.ops.alerts.delivery import Poster, RetryPolicy
from aurastream_obs.ops.alerts.metrics import Counters
from aurastream_obs.ops.alerts.router import AlertRouter
from aurastream_obs.ops.alerts.server import AlertServer
from aurastream_obs.ops.alerts.settings import RouterSettings, Secret
from aurastream_obs.ops.alerts.sns import SnsVerifier
from support.alert_peers import AlertPeer
from support.sns import TOPIC

TOKEN = "tok-3f9a0c1e5b7d-secret"
ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
SLACK_PATH = "/services/T000/B000/XXXXslacksecretXXXX"
SECURITY_SLACK_PATH = "/services/T000/B001/XXXXsecuritysecretXXXX"
SECRETS = (TOKEN, ROUTING_KEY, SLACK_PATH, "slacksecret", SECURITY_SLACK_PATH, "securitysecret")
FAST_RETRIES = RetryPolicy(base_delay_s=0.01, max_delay_s=0.05)
RUNBOOK_BASE = "https://runbooks.example.com/aurastream"


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
        self.router.close()


def start_router(
    slack: AlertPeer,
    pagerduty: AlertPeer,
    *,
    pem: bytes,
    policy: RetryPolicy = FAST_RETRIES,
    dedup_window_s: float = 300.0,
    deadline_s: float = 8.0,
    on_alert: Callable[..., None] | None = None,
    topics: frozenset[str] = frozenset({TOPIC}),
    sleep: Callable[[float], None] | None = None,
    fetch_from: Callable[[str], bytes] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    security_slack: AlertPeer | None = None,
    **router_options: Any,
) -> RouterHarness:
    """A started router posting to `slack` and `pagerduty`; SNS certificates are `pem` (or
    what `fetch_from` returns, e.g. moto's; `monotonic` is the verifier's clock for its fetch
    hold-offs). Retry delays are recorded and not slept, unless
    `sleep` is given."""
    fetched: list[str] = []
    confirmed: list[str] = []
    sleeps: list[float] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return fetch_from(url) if fetch_from is not None else pem

    settings = RouterSettings(
        slack_webhook_url=Secret(slack.url + SLACK_PATH),
        pagerduty_routing_key=Secret(ROUTING_KEY),
        security_slack_webhook_url=(
            Secret(security_slack.url + SECURITY_SLACK_PATH) if security_slack else None
        ),
        pagerduty_events_url=pagerduty.url + "/v2/enqueue",
        alerts_token=Secret(TOKEN),
        runbook_base_url=RUNBOOK_BASE,
        sns_topic_arns=topics,
        dedup_window_s=dedup_window_s,
        deadline_s=deadline_s,
    )
    router = AlertRouter(
        settings,
        poster=Poster(policy, sleep=sleep or sleeps.append),
        verifier=SnsVerifier(fetch=fetch, topic_arns=topics, monotonic=monotonic),
        confirm=confirmed.append,
        on_alert=on_alert,
        **router_options,
    )
    server = AlertServer(router, port=0).start()
    return RouterHarness(router, server, slack, pagerduty, fetched, confirmed, sleeps)


def post(
    url: str, body: object, headers: dict[str, str] | None = None, timeout: float = 20
) -> tuple[int, Any]:
    """POST JSON (or raw bytes); (status, decoded JSON body)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class WatchedCounters(Counters):
    """A router's `Counters` that wakes waiters at every change: put it in place with
    `router.counters = WatchedCounters()`, then `wait_for(lambda c: c["rejected"] > 0)`."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = threading.Condition()

    def add(self, name: str, n: int = 1, **labels: str) -> None:
        super().add(name, n, **labels)
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[dict[str, int]], bool], timeout: float) -> bool:
        """Wait until `predicate(snapshot)` holds; False after `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self.snapshot()), timeout)


def am_alert(
    status: str = "firing", severity: str = "critical", value: str = "7.25 %", **labels: str
) -> dict[str, Any]:
    """One entry of an Alertmanager webhook's `alerts` (the error-rate rule's shape)."""
    name = labels.pop("alertname", f"aurastream-local-error-rate-{severity}")
    return {
        "status": status,
        "labels": {"alertname": name, "severity": severity, "signal": "error-rate",
                   "service": "aurastream-api", **labels},
        "annotations": {"summary": "error-rate > 5 percent", "value": value,
                        "runbook_url": "docs/runbooks.md#high-error-rate"},
        "startsAt": "2025-01-02T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2025-01-02T10:09:00Z",
        "generatorURL": "http://prom", "fingerprint": "abc",
    }  # fmt: skip


def am_payload(
    status: str = "firing", severity: str = "critical", *, alerts: list[dict[str, Any]] | None
    = None, **labels: str,
) -> dict[str, Any]:  # fmt: skip
    """An Alertmanager webhook (version 4): one group of `alerts` (default: one error-rate
    alert with `status`, `severity` and `labels`)."""
    entries = alerts if alerts is not None else [am_alert(status, severity, **labels)]
    return {
        "version": "4", "groupKey": "{}:{alertname}", "truncatedAlerts": 0, "status": status,
        "receiver": "router", "groupLabels": {"signal": "error-rate"}, "commonLabels": {},
        "commonAnnotations": {}, "externalURL": "http://am", "alerts": entries,
    }  # fmt: skip
