"""Synthetic customers as local-mode telemetry files, for the business analytics tests.

`Synthetic(id, before=, now=, failed=, ...)`: analyses in the previous hour and in this hour
(one `business_analysis` log record each, and one `api_response` 200), `failed` more requests
answered 500 in this hour. `write_customers()` writes logs.jsonl and a metrics.jsonl (request
counts, cache lookups, latency) ending at NOW_NS, and returns the folder."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.otlp_data import (
    NOW_NS,
    attributes,
    counter,
    latency_histogram,
    logs_line,
    metrics_line,
    write_lines,
)

HOUR_NS = 3600 * 10**9
OK = {"http.request.method": "POST", "http.route": "/v1/analyze", "http.response.status_code": 200}
FAILED = {**OK, "http.response.status_code": 500}


@dataclass(frozen=True)
class Synthetic:
    customer_id: str
    before: int = 100  # analyses in the previous hour
    now: int = 100  # analyses in this hour
    failed: int = 0  # requests answered 500 in this hour
    throttled: int = 0  # requests answered 429 in this hour
    price: float = 0.001


def event(message: str, time_ns: int, attrs: dict[str, Any]) -> dict[str, Any]:
    """One log record as local mode writes it: the JSON line as body, mapped attributes."""
    body = json.dumps({"message": message, "event_type": message})
    return {"timeUnixNano": str(time_ns), "severityText": "INFO", "severityNumber": 9,
            "body": {"stringValue": body}, "attributes": attributes(attrs)}  # fmt: skip


def _spread(count: int, start_ns: int) -> Iterable[int]:
    """`count` instants inside the hour starting at start_ns (exclusive of its start)."""
    return (start_ns + (i + 1) * HOUR_NS // (count + 1) for i in range(count))


def customer_events(c: Synthetic, now_ns: int = NOW_NS) -> list[dict[str, Any]]:
    who = {"aurastream.customer.id": c.customer_id}
    data = json.dumps({"revenue_usd": c.price})
    records = []
    for count, start in ((c.before, now_ns - 2 * HOUR_NS), (c.now, now_ns - HOUR_NS)):
        for at in _spread(count, start):
            records.append(event("business_analysis", at, {**who, "aurastream.event.data": data}))
            records.append(event("api_response", at, {**who, "http.response.status_code": 200}))
    for status, count in ((500, c.failed), (429, c.throttled)):
        for at in _spread(count, now_ns - HOUR_NS):
            records.append(event("api_response", at, {**who, "http.response.status_code": status}))
    return records


def write_customers(folder: Path, customers: Iterable[Synthetic], now_ns: int = NOW_NS) -> Path:
    customers = list(customers)
    records = [r for c in customers for r in customer_events(c, now_ns)]
    write_lines(folder / "logs.jsonl", logs_line(*records))
    analyses = sum(c.before + c.now for c in customers)
    failed = sum(c.failed for c in customers)
    hit, miss = {"aurastream.cache.hit": True}, {"aurastream.cache.hit": False}
    write_lines(
        folder / "metrics.jsonl",
        metrics_line(
            counter("aurastream.cache.lookups",
                    [(hit, now_ns, analyses * 0.6), (miss, now_ns, analyses * 0.4)]),
            latency_histogram([(OK, now_ns, [0.05] * analyses), (FAILED, now_ns, [0.2] * failed)]),
        ),
    )  # fmt: skip
    return folder
