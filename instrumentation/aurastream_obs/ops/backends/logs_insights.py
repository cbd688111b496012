"""Per-customer usage and revenue from CloudWatch Logs Insights (boto3 "logs", lazily).

Customer ids are deliberately not CloudWatch metric dimensions (cost), but every billable
analysis is logged as one `business_analysis` event in the business category's log group
(`/aurastream/<env>/business`): top-level `event_type` and `customer_id`, and a nested `data`
object with `revenue_usd`. Logs Insights flattens JSON at ingestion, so the nested field is
addressed as `data.revenue_usd`. One query per time range answers both counters (analyses =
the metric `aurastream.usage`, revenue = `aurastream.revenue`); results are memoized per
(window, offset), so the analytics report runs three queries (window, recent and earlier half).

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

from aurastream_obs.core.conventions import window_seconds
from aurastream_obs.core.env_vars import ENVIRONMENT
from aurastream_obs.core.log_categories import log_group_name

EVENT_TYPE: Final = "business_analysis"  # logs.events.business_event("analysis", ...)
MAX_ROWS: Final = 10_000  # the most rows one Logs Insights query returns
QUERY: Final = (
    f'filter event_type = "{EVENT_TYPE}"\n'
    "| stats count(*) as analyses, sum(data.revenue_usd) as revenue by customer_id\n"
    f"| limit {MAX_ROWS}"
)
FAILED: Final = frozenset({"Failed", "Cancelled", "Timeout", "Unknown"})


class LogsInsightsError(RuntimeError):
    """A query that could not be started, ended other than Complete, or did not finish."""


def default_log_group(environment: str | None = None) -> str:
    """The business category's group for `environment` (default: $AURASTREAM_ENVIRONMENT)."""
    env = environment or os.environ.get(ENVIRONMENT.name) or ENVIRONMENT.default
    return log_group_name("business", env)


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
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.now, self.clock, self.sleep = now, clock, sleep
        self._memo: dict[tuple[str, str | None], CustomerTotals] = {}

    def totals(self, window: str, offset: str | None = None) -> CustomerTotals:
        """Totals over the window ending `offset` before now."""
        key = (window, offset)
        if key not in self._memo:
            end = int(self.now().timestamp()) - (window_seconds(offset) if offset else 0)
            self._memo[key] = parse_results(self.run(end - window_seconds(window), end))
        return self._memo[key]

    def run(self, start: int, end: int) -> list[list[Mapping[str, str]]]:
        """Start the query over [start, end] (epoch seconds) and poll until it ends."""
        from botocore.exceptions import BotoCoreError, ClientError

        where = f"log group {self.log_group}"
        try:
            query_id = self.client.start_query(
                logGroupName=self.log_group, startTime=start, endTime=end, queryString=QUERY
            )["queryId"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise LogsInsightsError(
                    f"{where} not found: per-customer analytics read the business events "
                    "there; pass --log-group or set AURASTREAM_ENVIRONMENT"
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
