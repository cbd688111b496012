"""Slack (incoming webhook) and PagerDuty (Events API v2) messages, and the channels that send
them: Slack gets one message per alert group (the alert list, each with its measured value and
runbook), PagerDuty one event per alert, keyed by the alert's stable `dedup_key` so that the
trigger and the later resolve are one incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.alerts.delivery import Outcome, Poster
from aurastream_obs.ops.alerts.ledger import Deadline
from aurastream_obs.ops.alerts.settings import DEFAULT_PAGERDUTY_EVENTS_URL, Secret
from aurastream_obs.ops.alerts.sources import AlertGroup

PAGERDUTY_EVENTS_URL: Final = DEFAULT_PAGERDUTY_EVENTS_URL
# PagerDuty severities are critical/error/warning/info; ours map onto them.
_PD_SEVERITY: Final = {"critical": "critical", "warning": "warning", "info": "info"}
MAX_LISTED: Final = 20  # alerts listed in one Slack message; the rest are counted
_ICON: Final = {"firing": ":rotating_light:", "resolved": ":white_check_mark:"}


def escape(text: str) -> str:
    """Slack's control characters in text from the sources (summaries, names, values): `&`,
    `<`, `>` (so an annotation cannot write `<!channel>` or a link of its own)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _threshold(alert: Alert) -> str:
    return "n/a" if alert.threshold is None else f"{alert.threshold:g}"


def alert_line(alert: Alert) -> str:
    """`[FIRING] CRITICAL name: summary` and `value · threshold · runbook` on a second line."""
    state = alert.status.upper()
    url = alert.runbook_url
    runbook = f"<{escape(url).replace('|', '%7C')}|runbook>" if url else "no runbook"
    return (
        f"[{state}] {escape(alert.severity.upper())} {escape(alert.name)}: "
        f"{escape(alert.summary)}\n"
        f"value {escape(alert.shown_value)} · threshold {_threshold(alert)} · {runbook}"
    )


def slack_message(group: AlertGroup) -> dict[str, object]:
    """One message for the whole group: a headline with the counts, then each alert."""
    alerts = group.alerts
    firing = [a for a in alerts if a.status == "firing"]
    counts = ", ".join(
        f"{state.upper()}:{n}"
        for state, n in (("firing", len(firing)), ("resolved", len(alerts) - len(firing)))
        if n
    )
    icon = _ICON["firing" if firing else "resolved"]
    title = escape(group.title or (alerts[0].name if alerts else ""))
    lines = [f"{icon} [{counts}] {title}".rstrip()] if len(alerts) > 1 else []
    lines += [
        (f"{_ICON[a.status]} " if len(alerts) == 1 else "• ") + alert_line(a)
        for a in alerts[:MAX_LISTED]
    ]
    hidden = len(alerts) - MAX_LISTED + group.truncated
    if hidden > 0:
        lines.append(f"… and {hidden} more")
    worst = "critical" if any(a.severity == "critical" for a in firing) else "warning"
    color = "good" if not firing else ("danger" if worst == "critical" else "warning")
    fields = [
        {"title": a.name, "value": f"{a.status} · value {a.shown_value}", "short": True}
        for a in alerts[:MAX_LISTED]
    ]
    return {"text": "\n".join(lines), "attachments": [{"color": color, "fields": fields}]}


def pagerduty_event(alert: Alert, routing_key: str) -> dict[str, object]:
    """Events API v2: trigger while firing, resolve (same dedup_key) once cleared."""
    if alert.status == "resolved":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": alert.dedup_key}
    event: dict[str, object] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.dedup_key,
        "payload": {
            "summary": f"{alert.severity.upper()}: {alert.name}: {alert.summary} "
            f"(value {alert.shown_value})"[:1024],
            "source": alert.labels.get("service", "aurastream"),
            "severity": _PD_SEVERITY.get(alert.severity, "error"),
            "component": alert.signal or alert.name,
            "class": alert.source,
            "custom_details": {
                "value": alert.shown_value,
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
    per_alert: bool  # True: one message per alert (PagerDuty); False: one per group (Slack)

    def send(self, group: AlertGroup, deadline: Deadline) -> Outcome: ...


@dataclass
class SlackChannel:
    webhook_url: Secret
    poster: Poster
    name: str = "slack"
    per_alert: bool = False

    def send(self, group: AlertGroup, deadline: Deadline) -> Outcome:
        return self.poster.post(self.webhook_url.reveal(), slack_message(group), deadline)


@dataclass
class PagerDutyChannel:
    routing_key: Secret
    poster: Poster
    events_url: str = PAGERDUTY_EVENTS_URL
    name: str = "pagerduty"
    per_alert: bool = True

    def send(self, group: AlertGroup, deadline: Deadline) -> Outcome:
        (alert,) = group.alerts  # per_alert: the dispatcher sends groups of one
        return self.poster.post(
            self.events_url, pagerduty_event(alert, self.routing_key.reveal()), deadline
        )
