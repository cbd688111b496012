"""The alert router: inputs (SNS messages, Alertmanager webhooks) → `Alert`s → channels by
severity, with per-channel deduplication and counters. Transport-free: the HTTP server and
the Lambda handler both call `handle_sns` / `handle_alertmanager` and send back the `Reply`.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from aurastream_obs.logs.events import security_event
from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.alerts.channels import Channel, PagerDutyChannel, SlackChannel
from aurastream_obs.ops.alerts.delivery import Poster
from aurastream_obs.ops.alerts.settings import RouterSettings
from aurastream_obs.ops.alerts.sns import (
    SignatureError,
    SnsVerifier,
    UrlGetter,
    get_url,
    is_sns_url,
)
from aurastream_obs.ops.alerts.sources import (
    PayloadError,
    Thresholds,
    load_thresholds,
    parse_alertmanager,
    parse_cloudwatch_alarm,
)

_log: Final = logging.getLogger("aurastream.alerts")
_EXTRA: Final = {"category": "application"}


@dataclass(frozen=True)
class Reply:
    status: int
    body: Mapping[str, object]


@dataclass
class Counters:
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    skipped: int = 0
    rejected: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            names = ("sent", "failed", "suppressed", "skipped", "rejected")
            return {n: int(getattr(self, n)) for n in names}


class Deduplicator:
    """Remembers, per (channel, fingerprint), the last status *delivered* and when; a repeat
    of the same status within `window_s` is suppressed. A failed delivery is forgotten so the
    sender's retry (SNS, Alertmanager) gets through."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._last: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def claim(self, channel: str, alert: Alert) -> bool:
        """True if this alert+status should be sent now (and reserve it)."""
        key, now = (channel, alert.fingerprint), self._clock()
        with self._lock:
            last = self._last.get(key)
            if last and last[0] == alert.status and now - last[1] < self.window_s:
                return False
            self._last[key] = (alert.status, now)
            if len(self._last) > 10_000:  # bounded: drop entries older than the window
                self._last = {k: v for k, v in self._last.items() if now - v[1] < self.window_s}
            return True

    def release(self, channel: str, alert: Alert) -> None:
        with self._lock:
            self._last.pop((channel, alert.fingerprint), None)


# severity -> does it page? (from definitions.ROUTES; every severity goes to Slack).
Routes = Mapping[str, bool]


def load_routes() -> dict[str, bool]:
    from aurastream_obs.definitions.aurastream import ROUTES

    return {route.severity: route.pagerduty for route in ROUTES}


class AlertRouter:
    def __init__(
        self,
        settings: RouterSettings,
        *,
        poster: Poster | None = None,
        verifier: SnsVerifier | None = None,
        confirm: UrlGetter = get_url,
        clock: Callable[[], float] = time.monotonic,
        routes: Routes | None = None,
        thresholds: Thresholds | None = None,
        on_alert: Callable[[Alert], None] | None = None,
    ) -> None:
        self.settings = settings
        self.counters = Counters()
        poster = poster or Poster()
        self._channels: dict[str, Channel] = {}
        if settings.slack_webhook_url:
            self._channels["slack"] = SlackChannel(settings.slack_webhook_url, poster)
        if settings.pagerduty_routing_key:
            self._channels["pagerduty"] = PagerDutyChannel(
                settings.pagerduty_routing_key, poster, settings.pagerduty_events_url
            )
        self._verifier = verifier or SnsVerifier(topic_arns=settings.sns_topic_arns)
        self._confirm = confirm
        self._dedup = Deduplicator(settings.dedup_window_s, clock)
        self._routes = load_routes() if routes is None else routes
        self._thresholds = load_thresholds() if thresholds is None else thresholds
        self._on_alert = on_alert

    # --- routing ---------------------------------------------------------------------------
    def channels_for(self, alert: Alert) -> list[str]:
        names = ["slack"]
        if self._routes.get(alert.severity, False):
            names.insert(0, "pagerduty")
        return names

    def route(self, alert: Alert) -> dict[str, str]:
        """Deliver one alert; returns channel -> sent|failed|suppressed|skipped."""
        result: dict[str, str] = {}
        for name in self.channels_for(alert):
            channel = self._channels.get(name)
            if channel is None:
                result[name] = "skipped"  # not configured
            elif not self._dedup.claim(name, alert):
                result[name] = "suppressed"
            else:
                outcome = channel.send(alert)
                result[name] = "sent" if outcome.ok else "failed"
                if not outcome.ok:
                    self._dedup.release(name, alert)
                _log.log(
                    logging.INFO if outcome.ok else logging.ERROR,
                    "alert %s %s via %s: %s after %d attempt(s)",
                    alert.name,
                    alert.status,
                    name,
                    outcome.detail,
                    outcome.attempts,
                    extra=_EXTRA,
                )
            self.counters.add(result[name])
        fresh = any(r != "suppressed" for r in result.values())  # a repeat re-plans nothing
        if self._on_alert is not None and alert.status == "firing" and fresh:
            try:
                self._on_alert(alert)
            except Exception:  # noqa: BLE001 - a runbook hook must never break alert delivery
                _log.exception("runbook hook failed for %s", alert.name, extra=_EXTRA)
        return result

    def route_all(self, alerts: Sequence[Alert]) -> Reply:
        outcomes = [(a, self.route(a)) for a in alerts]
        failed = any("failed" in channels.values() for _, channels in outcomes)
        results = [
            {"name": a.name, "status": a.status, "dedup_key": a.dedup_key, "channels": channels}
            for a, channels in outcomes
        ]
        # 502 lets SNS/Alertmanager retry; channels that succeeded are deduplicated then.
        return Reply(502 if failed else 200, {"alerts": results})

    # --- inputs ----------------------------------------------------------------------------
    def handle_alertmanager(self, authorization: str | None, body: bytes) -> Reply:
        if not self._token_ok(authorization):
            self.counters.add("rejected")
            security_event("alert_webhook_rejected", endpoint="alertmanager", reason="bad token")
            return Reply(401, {"error": "unauthorized"})
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise PayloadError("payload must be an object")
            alerts = parse_alertmanager(
                payload, runbook_base=self.settings.runbook_base_url, thresholds=self._thresholds
            )
        except (ValueError, KeyError) as exc:
            return Reply(400, {"error": f"bad payload: {type(exc).__name__}"})
        return self.route_all(alerts)

    def handle_sns(self, message: Mapping[str, object]) -> Reply:
        try:
            self._verifier.verify(message)
        except SignatureError as exc:
            self.counters.add("rejected")
            security_event("sns_signature_rejected", reason=str(exc))
            return Reply(403, {"error": "SNS signature verification failed"})
        kind = message.get("Type")
        if kind == "SubscriptionConfirmation":
            url = str(message.get("SubscribeURL", ""))
            if not is_sns_url(url):
                return Reply(400, {"error": "SubscribeURL is not an https SNS URL"})
            try:
                self._confirm(url)
            except OSError as exc:
                return Reply(502, {"error": f"confirmation failed ({type(exc).__name__})"})
            _log.info("confirmed SNS subscription to %s", message.get("TopicArn"), extra=_EXTRA)
            return Reply(200, {"confirmed": True})
        if kind == "UnsubscribeConfirmation":
            _log.warning("SNS unsubscribed from %s", message.get("TopicArn"), extra=_EXTRA)
            return Reply(200, {"unsubscribed": True})
        try:
            alarm = json.loads(str(message.get("Message", "")))
            if not isinstance(alarm, dict):
                raise PayloadError("Message must be a JSON object")
            alert = parse_cloudwatch_alarm(alarm, runbook_base=self.settings.runbook_base_url)
        except ValueError as exc:
            return Reply(400, {"error": f"not a CloudWatch alarm: {type(exc).__name__}"})
        if alert is None:
            return Reply(200, {"alerts": [], "ignored": "INSUFFICIENT_DATA"})
        return self.route_all([alert])

    def _token_ok(self, authorization: str | None) -> bool:
        token = self.settings.alerts_token
        if not token or not authorization:
            return False  # fail closed when no token is configured
        scheme, _, presented = authorization.partition(" ")
        # Compare in constant time; the scheme check leaks nothing about the token.
        return scheme.lower() == "bearer" and hmac.compare_digest(
            presented.strip().encode(), token.reveal().encode()
        )
