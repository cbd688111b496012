"""One `Alert` model for every source (CloudWatch via SNS, Alertmanager webhooks).

The fingerprint is derived from what identifies an alert *rule instance* (source, name and
identifying labels), never from values that change while it fires (value, timestamps), so the
PagerDuty `dedup_key` of a trigger and of its later resolve are the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

Status = Literal["firing", "resolved"]
Source = Literal["cloudwatch", "alertmanager"]

# Which runbook answers which alert signal (the `signal` label / the <thing> of an alarm name).
RUNBOOK_FOR_SIGNAL: Final[Mapping[str, str]] = MappingProxyType(
    {
        "error-rate": "high-error-rate",
        "api-5xx": "high-error-rate",
        "lambda-errors": "high-error-rate",
        "availability-budget-burn": "high-error-rate",
        "latency-p99": "high-latency",
        "api-latency-p99": "high-latency",
        "lambda-duration-p99": "high-latency",
        "latency-budget-burn": "high-latency",
        "cache-hit-rate": "high-latency",
        "availability": "service-down",
        "service-down": "service-down",
        "security-incident": "security-incident",
        "failed-authentication": "security-incident",
    }
)

# Labels that vary per notification and must not change the identity of an alert.
_VOLATILE_LABELS: Final = frozenset({"value", "instance_value", "__value__"})


@dataclass(frozen=True)
class Alert:
    """A normalised alert. `value`/`threshold` are None when the source does not say."""

    name: str
    severity: str
    status: Status
    summary: str
    source: Source
    value: float | None = None
    threshold: float | None = None
    runbook_url: str | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    # Identity beyond name+labels (e.g. the CloudWatch AlarmArn: same name in two accounts).
    identity: str = ""

    @property
    def fingerprint(self) -> str:
        ident = {k: v for k, v in sorted(self.labels.items()) if k not in _VOLATILE_LABELS}
        raw = json.dumps([self.source, self.name, self.identity, ident], separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    @property
    def dedup_key(self) -> str:
        """Readable and stable: `<alert name>/<fingerprint>` (PagerDuty allows 255 chars)."""
        return f"{self.name[:200]}/{self.fingerprint}"

    @property
    def signal(self) -> str | None:
        return self.labels.get("signal") or signal_from_name(self.name)

    @property
    def runbook(self) -> str | None:
        """The runbook for this alert (`RUNBOOK_FOR_SIGNAL`), or a `runbook` label."""
        explicit = self.labels.get("runbook")
        if explicit:
            return explicit
        signal = self.signal
        return RUNBOOK_FOR_SIGNAL.get(signal) if signal else None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "severity": self.severity,
            "status": self.status,
            "summary": self.summary,
            "source": self.source,
            "value": self.value,
            "threshold": self.threshold,
            "runbook_url": self.runbook_url,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "labels": dict(self.labels),
            "identity": self.identity,
            "fingerprint": self.fingerprint,
            "dedup_key": self.dedup_key,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Alert:
        """Inverse of `to_dict` (used by `runbook run --alert-file`)."""
        status = str(data.get("status", "firing"))
        source = str(data.get("source", "alertmanager"))
        labels = data.get("labels") or {}
        if status not in ("firing", "resolved") or source not in ("cloudwatch", "alertmanager"):
            raise ValueError(f"bad alert status/source: {status!r}/{source!r}")
        if not isinstance(labels, Mapping):
            raise ValueError("alert labels must be an object")
        return cls(
            name=str(data["name"]),
            severity=str(data.get("severity", "warning")),
            status=status,  # type: ignore[arg-type]  # checked above
            summary=str(data.get("summary", "")),
            source=source,  # type: ignore[arg-type]  # checked above
            value=_float_or_none(data.get("value")),
            threshold=_float_or_none(data.get("threshold")),
            runbook_url=_str_or_none(data.get("runbook_url")),
            starts_at=_str_or_none(data.get("starts_at")),
            ends_at=_str_or_none(data.get("ends_at")),
            labels={str(k): str(v) for k, v in labels.items()},
            identity=str(data.get("identity", "")),
        )


def signal_from_name(name: str) -> str | None:
    """`aurastream-<env>-<thing>-<severity>` (conventions.alarm_name) → `<thing>`."""
    parts = name.split("-")
    if len(parts) >= 4 and parts[0] == "aurastream" and parts[-1] in ("critical", "warning"):
        return "-".join(parts[2:-1])
    return None


def severity_from_name(name: str) -> str | None:
    tail = name.rsplit("-", 1)[-1].lower()
    return tail if tail in ("critical", "warning") else None


def runbook_url(base: str | None, alert_runbook: str | None) -> str | None:
    if not base or not alert_runbook:
        return None
    return f"{base.rstrip('/')}/{alert_runbook}"


def _float_or_none(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]  # str/int/float; anything else -> None
    except (TypeError, ValueError):
        return None


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)
