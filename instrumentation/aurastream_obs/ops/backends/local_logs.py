"""Per-customer figures from a local-mode logs.jsonl, as Logs Insights answers them on
CloudWatch (ops/backends/logs_insights.py): each `business_analysis` record is one billable
analysis (its `data.revenue_usd` the revenue), each `api_response` record with a customer
one answered request (failed: 5xx or 429). Logs carry exact timestamps and no cardinality
cap; the per-customer counters are exported every interval and capped."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Final

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import LOGS_FILE
from aurastream_obs.ops.backends.base import CustomerRequests
from aurastream_obs.ops.backends.local_eval import Window
from aurastream_obs.telemetry_files.readers import read_logs

RESPONSE_EVENT: Final = "api_response"  # logs.events.api_response
ANALYSIS_EVENT: Final = "business_analysis"  # logs.events.business_event("analysis", ...)
_DATA: Final = c.LOG_ATTRIBUTE_KEYS["data"]


@dataclass(frozen=True, slots=True)
class _Event:
    time_ns: int
    customer: str
    status: int | None = None
    revenue: float = 0.0


def _revenue(data: object) -> float:
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return 0.0
    value = data.get("revenue_usd") if isinstance(data, dict) else None
    return float(value) if isinstance(value, int | float) else 0.0


class CustomerLogs:
    def __init__(self, directory: str) -> None:
        self.path = os.path.join(directory, LOGS_FILE)

    @cached_property
    def _events(self) -> tuple[list[_Event], list[_Event]]:
        responses: list[_Event] = []
        analyses: list[_Event] = []
        for record in read_logs(self.path):
            customer = record.attributes.get(c.CUSTOMER_ID)
            if not customer:
                continue
            if record.message == RESPONSE_EVENT:
                status = record.attributes.get(c.HTTP_STATUS)
                code = status if isinstance(status, int) else None
                responses.append(_Event(record.time_ns, str(customer), code))
            elif record.message == ANALYSIS_EVENT:
                revenue = _revenue(record.attributes.get(_DATA))
                analyses.append(_Event(record.time_ns, str(customer), revenue=revenue))
        return responses, analyses

    @property
    def has_analyses(self) -> bool:
        return bool(self._events[1])

    def first_analysis_ns(self) -> int | None:
        return min((e.time_ns for e in self._events[1]), default=None)

    def analyses(self, span: Window) -> tuple[dict[str, float], dict[str, float]]:
        """(analyses, revenue) per customer inside the window."""
        count: dict[str, float] = {}
        revenue: dict[str, float] = {}
        for event in self._events[1]:
            if span.start_ns < event.time_ns <= span.end_ns:
                count[event.customer] = count.get(event.customer, 0.0) + 1
                revenue[event.customer] = revenue.get(event.customer, 0.0) + event.revenue
        return count, revenue

    def requests(self, span: Window) -> Mapping[str, CustomerRequests]:
        totals: dict[str, list[float]] = {}
        for event in self._events[0]:
            if span.start_ns < event.time_ns <= span.end_ns:
                counts = totals.setdefault(event.customer, [0.0, 0.0])
                counts[0] += 1
                if event.status is not None and c.is_failed_status(event.status):
                    counts[1] += 1
        return {k: CustomerRequests(n, bad) for k, (n, bad) in totals.items()}
