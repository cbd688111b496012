"""The router's counters: totals for `/healthz` and the Lambda result, labelled series for
`GET /metrics` (Prometheus text format 0.0.4).

    aurastream_alerts_deliveries_total{channel, outcome}  sent | duplicate | failed | busy | skipped
    aurastream_alerts_undelivered_total{channel}          alerts a channel could not take in time
    aurastream_alerts_rejected_total{endpoint, reason}    bad token, signature, stale, bad input...
    aurastream_alerts_sns_duplicates_total                MessageIds already handled (SNS retries)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Final

# Counter name -> Prometheus series name.
SERIES: Final[Mapping[str, str]] = {
    "deliveries": "aurastream_alerts_deliveries_total",
    "undelivered": "aurastream_alerts_undelivered_total",
    "rejected": "aurastream_alerts_rejected_total",
    "sns_duplicates": "aurastream_alerts_sns_duplicates_total",
}
_HELP: Final[Mapping[str, str]] = {
    "deliveries": "Alert deliveries per channel and outcome.",
    "undelivered": "Alerts a channel did not accept before the request's deadline.",
    "rejected": "Requests refused (authentication, signature, freshness, malformed input).",
    "sns_duplicates": "SNS messages whose MessageId was already handled.",
}
OUTCOMES: Final = ("sent", "duplicate", "failed", "busy", "skipped")

LabelSet = tuple[tuple[str, str], ...]


class Counters:
    """Thread-safe counters. `add("deliveries", channel="slack", outcome="sent")`."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, LabelSet], int] = {}
        self._lock = threading.Lock()

    def add(self, name: str, n: int = 1, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._values[key] = self._values.get(key, 0) + n

    def value(self, name: str, **labels: str) -> int:
        """The sum of `name` over every series whose labels include `labels`."""
        wanted = set(labels.items())
        with self._lock:
            return sum(v for (n, ls), v in self._values.items() if n == name and wanted <= set(ls))

    def snapshot(self) -> dict[str, int]:
        """Flat totals: one per delivery outcome, plus undelivered, rejected, sns_duplicates."""
        out = {o: self.value("deliveries", outcome=o) for o in OUTCOMES}
        out.update({n: self.value(n) for n in ("undelivered", "rejected", "sns_duplicates")})
        return out

    def prometheus_text(self) -> str:
        with self._lock:
            items = sorted(self._values.items())
        lines: list[str] = []
        for name, series in SERIES.items():
            lines += [f"# HELP {series} {_HELP[name]}", f"# TYPE {series} counter"]
            rows = [(ls, v) for (n, ls), v in items if n == name]
            for labels, value in rows or [((), 0)]:
                inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
                lines.append(f"{series}{{{inner}}} {value}" if inner else f"{series} {value}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
