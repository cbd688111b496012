"""Slack (incoming webhook) and PagerDuty (Events API v2) messages for an `Alert`.

Pure functions build the payloads; `Channel` pairs one with its destination and a `Poster`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.alerts.delivery import Outcome, Poster
from aurastream_obs.ops.alerts.settings import DEFAULT_PAGERDUTY_EVENTS_URL, Secret

PAGERDUTY_EVENTS_URL: Final = DEFAULT_PAGERDUTY_EVENTS_URL
# PagerDuty severities are critical/error/warning/info; ours map onto them.
_PD_SEVERITY: Final = {"critical": "critical", "warning": "warning", "info": "info"}


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


def slack_message(alert: Alert) -> dict[str, object]:
    firing = alert.status == "firing"
    icon = ":rotating_light:" if firing else ":white_check_mark:"
    state = "FIRING" if firing else "RESOLVED"
    runbook = f"<{alert.runbook_url}|runbook>" if alert.runbook_url else "no runbook"
    text = (
        f"{icon} [{state}] {alert.severity.upper()} {alert.name}: {alert.summary}\n"
        f"value {_fmt(alert.value)} · threshold {_fmt(alert.threshold)} · {runbook}"
    )
    color = "good" if not firing else ("danger" if alert.severity == "critical" else "warning")
    fields = [
        {"title": "Alert", "value": alert.name, "short": True},
        {"title": "Status", "value": state, "short": True},
        {"title": "Severity", "value": alert.severity, "short": True},
        {"title": "Value", "value": _fmt(alert.value), "short": True},
        {"title": "Threshold", "value": _fmt(alert.threshold), "short": True},
        {"title": "Runbook", "value": alert.runbook_url or "none", "short": False},
    ]
    if alert.starts_at:
        fields.append({"title": "Since", "value": alert.starts_at, "short": True})
    return {"text": text, "attachments": [{"color": color, "fields": fields}]}


def pagerduty_event(alert: Alert, routing_key: str) -> dict[str, object]:
    """Events API v2: trigger while firing, resolve (same dedup_key) once cleared."""
    if alert.status == "resolved":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": alert.dedup_key}
    event: dict[str, object] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.dedup_key,
        "payload": {
            "summary": f"{alert.severity.upper()}: {alert.name}: {alert.summary}"[:1024],
            "source": alert.labels.get("service", "aurastream"),
            "severity": _PD_SEVERITY.get(alert.severity, "error"),
            "component": alert.signal or alert.name,
            "class": alert.source,
            "custom_details": {
                "value": alert.value,
                "threshold": alert.threshold,
                "labels": dict(alert.labels),
                "starts_at": alert.starts_at,
            },
        },
    }
    if alert.runbook_url:
        event["links"] = [{"href": alert.runbook_url, "text": "Runbook"}]
    return event


class Channel(Protocol):
    name: str

    def send(self, alert: Alert) -> Outcome: ...


@dataclass
class SlackChannel:
    webhook_url: Secret
    poster: Poster
    name: str = "slack"

    def send(self, alert: Alert) -> Outcome:
        return self.poster.post(self.webhook_url.reveal(), slack_message(alert))


@dataclass
class PagerDutyChannel:
    routing_key: Secret
    poster: Poster
    events_url: str = PAGERDUTY_EVENTS_URL
    name: str = "pagerduty"

    def send(self, alert: Alert) -> Outcome:
        return self.poster.post(self.events_url, pagerduty_event(alert, self.routing_key.reveal()))
