"""Per-customer usage and revenue from CloudWatch Logs Insights (boto3 "logs", lazily).

Customer ids are deliberately not CloudWatch metric dimensions (cost), but every billable
analysis is logged as one `business_analysis` event in the business category's log group
(`/aurastream/<env>/business`): as the stdout JSON line (Lambda, through the log forwarder)
top-level `event_type` and `customer_id` and a nested `data` object with `revenue_usd` (Logs
Insights flattens JSON at ingestion: `data.revenue_usd`); as the sidecar collector's record the
same fields under `attributes` (data as JSON text). The queries are written with the line's
names and run reading both shapes (definitions/log_fields.both_shapes). One query per time
range answers both counters (analyses = the metric `aurastream.usage`, revenue =
`aurastream.revenue`); results are memoized per (window, offset), so the analytics report
runs two (this period and the previous one). The customer's own error rate comes from the
`api_response` lines in the application group (`REQUESTS_QUERY`), the same figure the
per-customer counter gives on Prometheus.

The poll is bounded: a query that is still Scheduled/Running after `timeout_s` is stopped
(best effort) and reported as an error, as is a Failed/Cancelled/Timeout/Unknown status."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from aurastream_obs.core.conventions import is_failed_status, window_seconds
from aurastream_obs.core.env_vars import ENVIRONMENT
from aurastream_obs.core.log_categories import log_group_name
from aurastream_obs.definitions.log_fields import both_shapes
from aurastream_obs.ops.backends.base import CustomerRequests

EVENT_TYPE: Final = "business_analysis"  # logs.events.business_event("analysis", ...)
MAX_ROWS: Final = 10_000  # the most rows one Logs Insights query returns
QUERY: Final = both_shapes(
    f'filter event_type = "{EVENT_TYPE}"\n'
    "| stats count(*) as analyses, sum(data.revenue_usd) as revenue by customer_id\n"
    f"| limit {MAX_ROWS}"
)
# The customer's own requests and failures: every answered request is one `api_response` line
# in the application category's group, with the customer id (when authenticated) and the
# status code. Grouped by status too, so "failed" (5xx or 429: core.conventions) is decided
# here, in one place, rather than in the query language.
REQUESTS_QUERY: Final = both_shapes(
    'filter event_type = "api_response" and ispresent(customer_id)\n'
    "| stats count(*) as requests by customer_id, status_code\n"
    f"| limit {MAX_ROWS}"
)
FAILED: Final = frozenset({"Failed", "Cancelled", "Timeout", "Unknown"})


class LogsInsightsError(RuntimeError):
    """A query that could not be started, ended other than Complete, or did not finish."""


def default_log_group(environment: str | None = None, category: str = "business") -> str:
    """A category's group for `environment` (default: $AURASTREAM_ENVIRONMENT)."""
    env = environment or os.environ.get(ENVIRONMENT.name) or ENVIRONMENT.default
    return log_group_name(category, env)


@dataclass(frozen=True)
class CustomerTotals:
    """Per customer id: analyses (count of events) and revenue (sum of data.revenue_usd)."""

    analyses: Mapping[str, float]
    revenue: Mapping[str, float]


def parse_results(results: list[list[Mapping[str, str]]]) -> CustomerTotals:
    """GetQueryResults rows (lists of {field, value}, values as text) into totals; rows
    without a customer id (events that lacked the field) are left out."""
    analyses: dict[str, float] = {}
    revenue: dict[str, float] = {}
    for row in results:
        cells = {cell.get("field", ""): cell.get("value") for cell in row}
        customer = cells.get("customer_id")
        if not customer:
            continue
        analyses[customer] = analyses.get(customer, 0.0) + _number(cells.get("analyses"))
        if cells.get("revenue") not in (None, ""):
            revenue[customer] = revenue.get(customer, 0.0) + _number(cells["revenue"])
    return CustomerTotals(analyses, revenue)


def parse_requests(results: list[list[Mapping[str, str]]]) -> dict[str, CustomerRequests]:
    """Rows of REQUESTS_QUERY (customer, status, count) into requests and failures."""
    totals: dict[str, list[float]] = {}
    for row in results:
        cells = {cell.get("field", ""): cell.get("value") for cell in row}
        customer = cells.get("customer_id")
        if not customer:
            continue
        count = _number(cells.get("requests"))
        counts = totals.setdefault(customer, [0.0, 0.0])
        counts[0] += count
        status = cells.get("status_code") or ""
        if status.isdigit() and is_failed_status(int(status)):
            counts[1] += count
    return {k: CustomerRequests(n, bad) for k, (n, bad) in totals.items()}


def _number(value: str | None) -> float:
    try:
        return float(value) if value else 0.0
    except ValueError as exc:
        raise LogsInsightsError(f"Logs Insights returned a non-numeric value {value!r}") from exc


class LogsInsightsCustomers:
    def __init__(
        self,
        client: Any = None,
        *,
        log_group: str | None = None,
        requests_log_group: str | None = None,
        timeout_s: float = 60.0,
        poll_s: float = 1.0,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if client is None:
            import boto3

            client = boto3.client("logs")
        self.client = client
        self.log_group = log_group or default_log_group()
        self.requests_log_group = requests_log_group or default_log_group(category="application")
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.now, self.clock, self.sleep = now, clock, sleep
        self._memo: dict[tuple[str, str | None], CustomerTotals] = {}

    def _range(self, window: str, offset: str | None) -> tuple[int, int]:
        end = int(self.now().timestamp()) - (window_seconds(offset) if offset else 0)
        return end - window_seconds(window), end

    def totals(self, window: str, offset: str | None = None) -> CustomerTotals:
        """Totals over the window ending `offset` before now."""
        key = (window, offset)
        if key not in self._memo:
            self._memo[key] = parse_results(self.run(*self._range(window, offset)))
        return self._memo[key]

    def requests(self, window: str, offset: str | None = None) -> dict[str, CustomerRequests]:
        """Each customer's requests and failures over the window ending `offset` before now,
        from the `api_response` lines of the application group."""
        start, end = self._range(window, offset)
        rows = self.run(start, end, REQUESTS_QUERY, self.requests_log_group)
        return parse_requests(rows)

    def run(
        self, start: int, end: int, query: str = QUERY, log_group: str | None = None
    ) -> list[list[Mapping[str, str]]]:
        """Start the query over [start, end] (epoch seconds) and poll until it ends."""
        from botocore.exceptions import BotoCoreError, ClientError

        group = log_group or self.log_group
        where = f"log group {group}"
        try:
            query_id = self.client.start_query(
                logGroupName=group, startTime=start, endTime=end, queryString=query
            )["queryId"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                option = "--log-group" if group == self.log_group else "--requests-log-group"
                raise LogsInsightsError(
                    f"{where} not found: per-customer analytics read the business events "
                    f"and api_response lines there; pass {option} or set AURASTREAM_ENVIRONMENT"
                ) from exc
            raise LogsInsightsError(f"Logs Insights query on {where} not started: {exc}") from exc
        except BotoCoreError as exc:
            raise LogsInsightsError(f"Logs Insights query on {where} not started: {exc}") from exc
        deadline = self.clock() + self.timeout_s
        while True:
            try:
                answer = self.client.get_query_results(queryId=query_id)
            except (BotoCoreError, ClientError) as exc:
                raise LogsInsightsError(f"Logs Insights query {query_id}: {exc}") from exc
            status = answer.get("status", "Unknown")
            if status == "Complete":
                results: list[list[Mapping[str, str]]] = answer.get("results", [])
                if len(results) >= MAX_ROWS:
                    raise LogsInsightsError(
                        f"Logs Insights query {query_id} on {where} returned {len(results)} "
                        "customers, the most one query answers: totals would be incomplete; "
                        "use a shorter --window"
                    )
                return results
            if status in FAILED:
                raise LogsInsightsError(
                    f"Logs Insights query {query_id} on {where} ended with status {status}"
                )
            if self.clock() >= deadline:
                self._stop(query_id)
                raise LogsInsightsError(
                    f"Logs Insights query {query_id} on {where} did not complete within "
                    f"{self.timeout_s:g} s (last status {status}); it was stopped"
                )
            self.sleep(self.poll_s)

    def _stop(self, query_id: str) -> None:
        # Best effort: the timeout is the error reported, not a failure to stop.
        with contextlib.suppress(Exception):
            self.client.stop_query(queryId=query_id)
