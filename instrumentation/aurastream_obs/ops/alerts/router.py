"""The alert router: inputs (SNS messages, Alertmanager webhooks, runbook notifications) →
alert groups → channels by severity, at least once, within one deadline per request
(`dispatch.py`). Transport-free: the HTTP server and the Lambda handler both call
`handle_sns` / `handle_alertmanager` / `handle_notify` and send back the `Reply`.

SNS messages are verified (`sns.py`), then remembered by MessageId for as long as SNS may
deliver them (`SNS_MAX_AGE_S` plus the allowed clock skew): a retry or a replay of a message
already handled is answered 200 without routing anything; one still being handled waits for
that outcome or gets a 503.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Final

from aurastream_obs.logs.events import security_event
from aurastream_obs.ops.alerts.alert import Alert, runbook_url
from aurastream_obs.ops.alerts.channels import Channel, PagerDutyChannel, SlackChannel
from aurastream_obs.ops.alerts.delivery import Poster
from aurastream_obs.ops.alerts.dispatch import Dispatcher, Reply, Routes, team_channel
from aurastream_obs.ops.alerts.jsonlimits import load_json
from aurastream_obs.ops.alerts.ledger import DEFAULT_MAX_ENTRIES, Deadline, OnceLedger
from aurastream_obs.ops.alerts.metrics import Counters
from aurastream_obs.ops.alerts.settings import RouterSettings
from aurastream_obs.ops.alerts.sns import (
    FAILED_FETCH_HOLD_S,
    FUTURE_SKEW_S,
    CertificateUnavailable,
    SignatureError,
    SnsVerifier,
    UrlGetter,
    get_url,
    subscribe_url_ok,
)
from aurastream_obs.ops.alerts.sources import (
    AlertGroup,
    PayloadError,
    Thresholds,
    load_thresholds,
    parse_alertmanager,
    parse_cloudwatch_alarm,
)

__all__ = ["AlertRouter", "Counters", "Reply"]

_log: Final = logging.getLogger("aurastream.alerts")
_EXTRA: Final = {"category": "application"}
MAX_BODY_BYTES: Final = 1024 * 1024  # SNS messages are at most 256 KiB; JSON escaping grows them
MAX_SNS_MESSAGE_BYTES: Final = 256 * 1024  # SNS's own limit on Message
MAX_NOTIFICATION_CHARS: Final = 2000
NOTIFY_SEVERITY: Final = "info"  # runbook notifications inform (Slack); they never page


def load_routes() -> dict[str, bool]:
    from aurastream_obs.definitions.aurastream import ROUTES

    return {route.severity: route.pagerduty for route in ROUTES}


def topic_team(topic_arn: object) -> str | None:
    """The team of an alert topic: `aurastream-<env>-security-alerts` -> security (a route of
    the definitions that is a team's); None for the severity topics."""
    from aurastream_obs.definitions.aurastream import ROUTES
    from aurastream_obs.definitions.deployment import topic_route

    route = topic_route(topic_arn) if isinstance(topic_arn, str) else None
    return route if route is not None and route in {r.team for r in ROUTES} else None


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
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self.settings = settings
        self.counters = Counters()
        poster = poster or Poster()
        channels: dict[str, Channel] = {}
        if settings.slack_webhook_url:
            channels["slack"] = SlackChannel(settings.slack_webhook_url, poster)
        for team, webhook in settings.team_webhooks().items():
            channels[team_channel(team)] = SlackChannel(webhook, poster, name=team_channel(team))
        if settings.pagerduty_routing_key:
            channels["pagerduty"] = PagerDutyChannel(
                settings.pagerduty_routing_key, poster, settings.pagerduty_events_url
            )
        self.verifier = verifier or SnsVerifier(topic_arns=settings.sns_topic_arns)
        self._confirm = confirm
        self._clock = clock
        self.deliveries = OnceLedger(settings.dedup_window_s, max_entries=max_entries, clock=clock)
        self.messages = OnceLedger(
            self.verifier.max_age_s + FUTURE_SKEW_S, max_entries=max_entries, clock=clock
        )
        routes = load_routes() if routes is None else routes
        self._dispatcher = Dispatcher(channels, routes, self.deliveries, lambda: self.counters)
        self._thresholds = load_thresholds() if thresholds is None else thresholds
        self._on_alert = on_alert

    def deadline(self) -> Deadline:
        return Deadline(self.settings.deadline_s, self._clock)

    def close(self) -> None:
        self._dispatcher.close()

    # --- delivery --------------------------------------------------------------------------
    def route(self, group: AlertGroup, deadline: Deadline | None = None) -> Reply:
        """Deliver a group; the hook plans runbooks for alerts newly firing."""
        reply, fresh = self._dispatcher.deliver(group, deadline or self.deadline())
        for alert in fresh:
            if self._on_alert is not None and alert.status == "firing":
                if alert.source == "runbook":
                    continue  # a runbook's own notification never plans another runbook
                try:
                    self._on_alert(alert)
                except Exception:  # noqa: BLE001 - a runbook hook must never break delivery
                    _log.exception("runbook hook failed for %s", alert.name, extra=_EXTRA)
        return reply

    # --- inputs ----------------------------------------------------------------------------
    def handle_alertmanager(self, authorization: str | None, body: bytes) -> Reply:
        if not self._token_ok(authorization, "alertmanager"):
            return Reply(401, {"error": "unauthorized"})
        deadline = self.deadline()
        try:
            payload = load_json(body, max_bytes=MAX_BODY_BYTES)
            if not isinstance(payload, dict):
                raise PayloadError("payload must be an object")
            group = parse_alertmanager(
                payload, runbook_base=self.settings.runbook_base_url, thresholds=self._thresholds
            )
        except PayloadError as exc:
            return self._bad_input("alertmanager", str(exc))
        return self.route(group, deadline)

    def handle_notify(self, authorization: str | None, body: bytes) -> Reply:
        """A runbook's notification (`POST /notify`): `{"message", "runbook"?, "alert"?}` → one
        Slack message, deduplicated on its text within the dedup window."""
        if not self._token_ok(authorization, "notify"):
            return Reply(401, {"error": "unauthorized"})
        try:
            payload = load_json(body, max_bytes=64 * 1024)
            if not isinstance(payload, dict):
                raise PayloadError("payload must be an object")
            message, book, about = (payload.get(k, "") for k in ("message", "runbook", "alert"))
            if not isinstance(message, str) or not message.strip():
                raise PayloadError("'message' must be a non-empty string")
            if not isinstance(book, str) or not isinstance(about, str):
                raise PayloadError("'runbook' and 'alert' must be strings")
        except PayloadError as exc:
            return self._bad_input("notify", str(exc))
        text = message.strip()[:MAX_NOTIFICATION_CHARS]
        digest = hashlib.sha256(f"{book}\n{about}\n{text}".encode()).hexdigest()[:16]
        labels = {"notification": digest, **({"runbook": book[:100]} if book else {})}
        name = f"runbook {book[:100]}" if book else "runbook notification"
        alert = Alert(name, NOTIFY_SEVERITY, "firing", text, "runbook", labels=labels)
        url = runbook_url(self.settings.runbook_base_url, alert.runbook)
        return self.route(AlertGroup((replace(alert, runbook_url=url),), name))

    def handle_sns(self, message: Mapping[str, object]) -> Reply:
        deadline = self.deadline()
        try:
            self.verifier.verify(message)
        except CertificateUnavailable as exc:  # no verdict: SNS retries a 5xx, never a 4xx
            self.counters.add("rejected", endpoint="sns", reason=exc.reason)
            return Reply(503, {"error": "SNS message not verified yet", "reason": exc.reason},
                         {"Retry-After": str(int(FAILED_FETCH_HOLD_S))})  # fmt: skip
        except SignatureError as exc:
            self.counters.add("rejected", endpoint="sns", reason=exc.reason)
            security_event("sns_signature_rejected", reason=str(exc))
            return Reply(403, {"error": "SNS message refused", "reason": exc.reason})
        claim = self.messages.claim([(("sns", str(message["MessageId"])), "")], deadline)
        if claim is None:
            return Reply(503, {"error": "this MessageId is still being handled"},
                         {"Retry-After": "5"})  # fmt: skip
        if not claim.fresh:
            self.counters.add("sns_duplicates")
            return Reply(200, {"duplicate": True})
        reply = Reply(500, {"error": "internal error"})
        try:
            reply = self._sns_message(message, deadline)
        finally:  # a 4xx is final for SNS too (it retries 5xx and timeouts only)
            self.messages.settle(claim, delivered=reply.status < 500)
        return reply

    def _sns_message(self, message: Mapping[str, object], deadline: Deadline) -> Reply:
        kind = message.get("Type")
        if kind == "SubscriptionConfirmation":
            if not subscribe_url_ok(message):
                return self._bad_input("sns", "SubscribeURL is not this topic's SNS confirmation")
            try:
                self._confirm(str(message["SubscribeURL"]))
            except OSError as exc:
                return Reply(502, {"error": f"confirmation failed ({type(exc).__name__})"})
            _log.info("confirmed SNS subscription to %s", message.get("TopicArn"), extra=_EXTRA)
            return Reply(200, {"confirmed": True})
        if kind == "UnsubscribeConfirmation":
            _log.warning("SNS unsubscribed from %s", message.get("TopicArn"), extra=_EXTRA)
            return Reply(200, {"unsubscribed": True})
        try:
            alarm = load_json(
                str(message.get("Message", "")), max_bytes=MAX_SNS_MESSAGE_BYTES, what="Message"
            )
            if not isinstance(alarm, dict):
                raise PayloadError("Message must be a JSON object")
            alert = parse_cloudwatch_alarm(
                alarm, runbook_base=self.settings.runbook_base_url,
                team=topic_team(message.get("TopicArn")),
            )  # fmt: skip
        except PayloadError as exc:
            return self._bad_input("sns", f"not a CloudWatch alarm: {exc}")
        if alert is None:
            return Reply(200, {"alerts": [], "ignored": "INSUFFICIENT_DATA"})
        return self.route(AlertGroup((alert,), alert.name), deadline)

    def _bad_input(self, endpoint: str, reason: str) -> Reply:
        self.counters.add("rejected", endpoint=endpoint, reason="bad_input")
        return Reply(400, {"error": f"bad payload: {reason}"[:300]})

    def _token_ok(self, authorization: str | None, endpoint: str) -> bool:
        token = self.settings.alerts_token
        ok = False
        if token and authorization:  # fail closed when no token is configured
            scheme, _, presented = authorization.partition(" ")
            # Compare in constant time; the scheme check leaks nothing about the token.
            ok = scheme.lower() == "bearer" and hmac.compare_digest(
                presented.strip().encode(), token.reveal().encode()
            )
        if not ok:
            self.counters.add("rejected", endpoint=endpoint, reason="unauthorized")
            security_event("alert_webhook_rejected", endpoint=endpoint, reason="bad token")
        return ok
