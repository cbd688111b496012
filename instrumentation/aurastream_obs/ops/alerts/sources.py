"""Parse the two alert inputs into `AlertGroup`s: a CloudWatch alarm state change (the JSON
that CloudWatch publishes to SNS; a group of one) and an Alertmanager webhook payload (version
4; one group, as Alertmanager grouped it)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from aurastream_obs.core.conventions import TEAM_LABEL
from aurastream_obs.ops.alerts.alert import (
    Alert,
    _float_or_none,
    resolve_runbook_url,
    runbook_url,
    severity_from_name,
    signal_from_name,
)

# (signal, severity) -> threshold, from the definitions (the alarms' single source of truth).
Thresholds = Mapping[tuple[str, str], float]

# Alertmanager's webhook `max_alerts` is unbounded by default: set it to this or less.
MAX_ALERTS_PER_PAYLOAD: Final = 200
_LEADING_NUMBER: Final = re.compile(r"^\s*(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)")

# NewStateReason: "Threshold Crossed: 1 out of the last 1 datapoints [7.5 (02/01/25 10:00:00)]
# was greater than the threshold (5.0) ..." -> the first bracketed datapoint is the value.
_REASON_VALUE: Final = re.compile(r"\[\s*(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*\(")


class PayloadError(ValueError):
    """The input is not a well-formed alert payload (a 400, not a 500)."""


@dataclass(frozen=True)
class AlertGroup:
    """Alerts notified together: one Slack message lists them, PagerDuty gets one event each.
    `title` names what they share (Alertmanager's group labels); `truncated` counts the alerts
    Alertmanager left out (`max_alerts`)."""

    alerts: tuple[Alert, ...]
    title: str = ""
    truncated: int = 0


def load_thresholds() -> dict[tuple[str, str], float]:
    """Thresholds from `definitions.aurastream` (imported lazily: not needed to route)."""
    from aurastream_obs.definitions.aurastream import ALARMS

    return {
        (alarm.name, severity): threshold.value
        for alarm in ALARMS
        for severity, threshold in alarm.thresholds.items()
    }


def parse_cloudwatch_alarm(
    message: Mapping[str, object], *, runbook_base: str | None = None, team: str | None = None
) -> Alert | None:
    """A CloudWatch alarm notification → Alert; None for INSUFFICIENT_DATA (not actionable).
    `team`: the owner of the topic it came by (the security topic), a `team` label as the
    Prometheus rules give the same alarm."""
    name = message.get("AlarmName")
    state = message.get("NewStateValue")
    if not isinstance(name, str) or not name or state not in ("ALARM", "OK", "INSUFFICIENT_DATA"):
        raise PayloadError("not a CloudWatch alarm notification (AlarmName/NewStateValue)")
    if state == "INSUFFICIENT_DATA":
        return None
    trigger = message.get("Trigger")
    trigger = trigger if isinstance(trigger, Mapping) else {}
    reason = str(message.get("NewStateReason") or "")
    match = _REASON_VALUE.search(reason)
    signal = signal_from_name(name)
    labels = {"alarm_name": name, "region": str(message.get("Region") or "")}
    if signal:
        labels["signal"] = signal
    if isinstance(trigger.get("MetricName"), str):
        labels["metric"] = str(trigger["MetricName"])
    if team:
        labels[TEAM_LABEL] = team
    alert = Alert(
        name=name,
        severity=severity_from_name(name) or "warning",
        status="firing" if state == "ALARM" else "resolved",
        summary=str(message.get("AlarmDescription") or reason or name)[:1000],
        source="cloudwatch",
        value=_float_or_none(match.group(1)) if match else None,
        threshold=_float_or_none(trigger.get("Threshold")),
        starts_at=_str(message.get("StateChangeTime")),
        labels=labels,
        identity=str(message.get("AlarmArn") or message.get("AWSAccountId") or ""),
    )
    return _with_runbook(alert, runbook_base)


def parse_alertmanager(
    payload: Mapping[str, object],
    *,
    runbook_base: str | None = None,
    thresholds: Thresholds | None = None,
) -> AlertGroup:
    """An Alertmanager webhook (version "4") → its group: one Alert per entry of `alerts`."""
    if str(payload.get("version", "")) != "4":
        raise PayloadError("unsupported Alertmanager webhook version (expected 4)")
    entries = payload.get("alerts")
    if not isinstance(entries, list) or len(entries) > MAX_ALERTS_PER_PAYLOAD:
        raise PayloadError("Alertmanager payload without a bounded 'alerts' list")
    alerts = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise PayloadError("alert entries must be objects")
        labels = _str_map(entry.get("labels"))
        annotations = _str_map(entry.get("annotations"))
        name = labels.get("alertname")
        if not name:
            raise PayloadError("alert without an alertname label")
        status = entry.get("status")
        severity = labels.get("severity") or severity_from_name(name) or "warning"
        signal = labels.get("signal") or signal_from_name(name)
        threshold = _float_or_none(annotations.get("threshold"))
        if threshold is None and thresholds and signal:
            threshold = thresholds.get((signal, severity))
        value_text = (annotations.get("value") or "").strip()[:100] or None
        number = _LEADING_NUMBER.match(value_text or "")
        alert = Alert(
            name=name,
            severity=severity,
            status="resolved" if status == "resolved" else "firing",
            summary=(annotations.get("summary") or annotations.get("description") or name)[:1000],
            source="alertmanager",
            value=_float_or_none(number.group(1)) if number else None,
            threshold=threshold,
            runbook_url=resolve_runbook_url(runbook_base, annotations.get("runbook_url")),
            starts_at=_str(entry.get("startsAt")),
            ends_at=_ends_at(entry.get("endsAt")),
            labels=labels,
            value_text=value_text,
        )
        alerts.append(_with_runbook(alert, runbook_base))
    group_labels = _str_map(payload.get("groupLabels"))
    truncated = payload.get("truncatedAlerts")
    return AlertGroup(
        tuple(alerts),
        title=", ".join(f"{k}={v}" for k, v in sorted(group_labels.items()))[:300],
        truncated=truncated if isinstance(truncated, int) and truncated > 0 else 0,
    )


def _with_runbook(alert: Alert, base: str | None) -> Alert:
    if alert.runbook_url:
        return alert
    url = runbook_url(base, alert.runbook)
    return alert if url is None else replace(alert, runbook_url=url)


def _str_map(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PayloadError("labels/annotations must be objects")
    return {str(k): str(v) for k, v in value.items()}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _ends_at(value: object) -> str | None:
    # Alertmanager sends the zero time for alerts that have not ended.
    text = _str(value)
    return None if text is None or text.startswith("0001-01-01") else text
