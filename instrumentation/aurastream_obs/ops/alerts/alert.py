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
from typing import Final, Literal

from aurastream_obs.definitions.runbooks import RUNBOOK_FOR_SIGNAL, runbook_for, runbook_link

Status = Literal["firing", "resolved"]
Source = Literal["cloudwatch", "alertmanager", "runbook"]
SOURCES: Final = ("cloudwatch", "alertmanager", "runbook")
# The signal -> runbook table lives in the definitions, shared with the Prometheus rules.
__all__ = ["RUNBOOK_FOR_SIGNAL", "Alert", "resolve_runbook_url", "runbook_url"]

# Labels that vary per notification and must not change the identity of an alert.
_VOLATILE_LABELS: Final = frozenset({"value", "instance_value", "__value__"})


@dataclass(frozen=True)
class Alert:
    """A normalised alert. `value`/`threshold` are None when the source does not say;
    `value_text` is the value as the source showed it (Prometheus' `value` annotation)."""

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
    value_text: str | None = None

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
        return runbook_for(self.signal)

    @property
    def shown_value(self) -> str:
        """The measured value for people: the source's text, else the number, else n/a."""
        if self.value_text:
            return self.value_text
        return "n/a" if self.value is None else f"{self.value:g}"

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
            "value_text": self.value_text,
            "fingerprint": self.fingerprint,
            "dedup_key": self.dedup_key,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Alert:
        """Inverse of `to_dict` (`runbook run --alert-file`); ValueError naming the first bad
        field (a missing or non-string name, an unknown status, labels that are not an object
        of strings, a value that is not a number...)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"an alert is a JSON object, not {_kind(data)}")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError("'name' must be a non-empty string")
        status = data.get("status", "firing")
        source = data.get("source", "alertmanager")
        if status not in ("firing", "resolved"):
            raise ValueError(f"'status' must be firing or resolved, not {_short(status)}")
        if source not in SOURCES:
            raise ValueError(f"'source' must be one of {', '.join(SOURCES)}, not {_short(source)}")
        labels = data.get("labels") or {}
        if not isinstance(labels, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            raise ValueError("'labels' must be an object of strings")
        for number in ("value", "threshold"):
            got = data.get(number)
            if got is not None and (isinstance(got, bool) or not isinstance(got, int | float)):
                raise ValueError(f"'{number}' must be a number or null, not {_kind(got)}")
        texts = {}
        for key in ("severity", "summary", "runbook_url", "starts_at", "ends_at", "identity",
                    "value_text"):  # fmt: skip
            got = data.get(key)
            if got is not None and not isinstance(got, str):
                raise ValueError(f"'{key}' must be a string, not {_kind(got)}")
            texts[key] = got
        return cls(
            name=name,
            severity=texts["severity"] or "warning",
            status=status,
            summary=texts["summary"] or "",
            source=source,
            value=_float_or_none(data.get("value")),
            threshold=_float_or_none(data.get("threshold")),
            runbook_url=texts["runbook_url"],
            starts_at=texts["starts_at"],
            ends_at=texts["ends_at"],
            labels=dict(labels),
            identity=texts["identity"] or "",
            value_text=texts["value_text"],
        )


def signal_from_name(name: str) -> str | None:
    """`aurastream-<env>-<thing>-<severity>` (conventions.alarm_name) → `<thing>`.

    Both the environment and the thing may contain hyphens (`eu-prod`, `error-rate`): the
    longest known signal (one with a runbook) the name ends with wins, so `aurastream-eu-prod-
    error-rate-critical` is `error-rate`; an unknown thing is taken as everything after the
    first part of the environment."""
    parts = name.split("-")
    if len(parts) < 4 or parts[0] != "aurastream" or parts[-1] not in ("critical", "warning"):
        return None
    for start in range(2, len(parts) - 1):  # the longest thing first, the env at least 1 part
        thing = "-".join(parts[start:-1])
        if thing in RUNBOOK_FOR_SIGNAL:
            return thing
    return "-".join(parts[2:-1])


def severity_from_name(name: str) -> str | None:
    tail = name.rsplit("-", 1)[-1].lower()
    return tail if tail in ("critical", "warning") else None


def resolve_runbook_url(base: str | None, url: str | None) -> str | None:
    """An absolute URL is kept; a repo path (`docs/runbooks.md#high-latency`, what the rules
    carry) is resolved against `base` when one is configured, else shown as it is."""
    if not url:
        return None
    if "://" in url or not base:
        return url
    return f"{base.rstrip('/')}/{url.lstrip('/')}"


def runbook_url(base: str | None, alert_runbook: str | None) -> str | None:
    """The page of a runbook (for alerts without a `runbook_url`, e.g. CloudWatch alarms)."""
    if not alert_runbook:
        return None
    return resolve_runbook_url(base, runbook_link(alert_runbook))


def _float_or_none(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]  # str/int/float; anything else -> None
    except (TypeError, ValueError):
        return None


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")  # fmt: skip


def _short(value: object) -> str:
    return repr(value)[:40]
