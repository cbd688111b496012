"""The AWS reads behind the recommendations and actual costs (boto3 clients injected): Cost
Explorer, Lambda configuration and peak memory (Logs Insights over the REPORT lines),
provisioned concurrency, DynamoDB billing mode and read pattern, an S3 bucket's objects.

Each rule is gathered and applied on its own: an operation the endpoint does not implement
(moto has no provisioned-concurrency API) becomes one line naming it on that rule, and the
other rules still run. Any other AWS error (access denied, throttling) propagates."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from aurastream_obs.ops.analytics import recommend as r
from aurastream_obs.ops.analytics.prices import DEFAULT_PRICES, PriceTable
from aurastream_obs.ops.analytics.storage import apply_storage, gather_storage
from aurastream_obs.ops.backends.base import MetricsBackend

Clients = Callable[[str], Any]


def cost_explorer_costs(clients: Clients, days: int = 30) -> dict[str, float]:
    """Seed CostMonitor.track_service_costs: BlendedCost by SERVICE over the last days."""
    end = dt.datetime.now(dt.UTC).date()
    kwargs: dict[str, Any] = {
        "TimePeriod": {"Start": str(end - dt.timedelta(days=days)), "End": str(end)},
        "Granularity": "DAILY",
        "Metrics": ["BlendedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
    }
    costs: dict[str, float] = {}
    while True:
        page = clients("ce").get_cost_and_usage(**kwargs)
        for result in page.get("ResultsByTime", []):
            for group in result.get("Groups", []):
                amount = float(group["Metrics"]["BlendedCost"]["Amount"])
                costs[group["Keys"][0]] = costs.get(group["Keys"][0], 0.0) + amount
        if not page.get("NextPageToken"):
            return costs
        kwargs["NextPageToken"] = page["NextPageToken"]


def max_memory_used_mb(
    clients: Clients, function: str, hours: int = 24, poll_s: float = 0.5
) -> float | None:
    """Peak `@maxMemoryUsed` of the function's REPORT lines (Logs Insights)."""
    logs = clients("logs")
    now = int(time.time())
    query = logs.start_query(
        logGroupName=f"/aws/lambda/{function}",
        startTime=now - 3600 * hours,
        endTime=now,
        queryString='filter @type = "REPORT" | stats max(@maxMemoryUsed / 1000 / 1000) as mb',
    )["queryId"]
    for _ in range(30):
        answer = logs.get_query_results(queryId=query)
        if answer["status"] in ("Complete", "Failed", "Cancelled", "Timeout"):
            rows = answer.get("results", [])
            for row in rows:
                for cell in row:
                    if cell.get("field") == "mb" and cell.get("value"):
                        return float(cell["value"])
            if rows:  # rows, but not the statistic asked for: stats are not evaluated there
                raise r.CapabilityMissing(
                    "logs:GetQueryResults answered rows without the `mb` statistic: this "
                    "endpoint does not evaluate Logs Insights stats (peak memory unknown)"
                )
            return None
        time.sleep(poll_s)
    return None


@dataclass
class _Rule:
    """One rule's outcome: its recommendations, or the line saying it could not run."""

    kind: r.Kind
    target: str
    service: str
    found: list[r.Recommendation]


@contextmanager
def _guarded(rule: _Rule) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        line = r.missing_capability(error, rule.service)
        if line is None:
            raise
        rule.found = [r.Recommendation(rule.kind, rule.target, None, None, "", error=line)]


def _lambda_rules(
    clients: Clients, backend: MetricsBackend, window: str, function: str, qualifier: str
) -> list[r.Recommendation]:
    memory = _Rule("lambda_memory", function, "lambda", [])
    with _guarded(memory):
        config = clients("lambda").get_function_configuration(FunctionName=function)
        used = max_memory_used_mb(clients, function)
        if used is not None and (
            rec := r.right_size_memory(function, int(config["MemorySize"]), used)
        ):
            memory.found.append(rec)
    concurrency = _Rule("provisioned_concurrency", function, "lambda", [])
    with _guarded(concurrency):
        lambda_client = clients("lambda")
        try:
            current = lambda_client.get_provisioned_concurrency_config(
                FunctionName=function, Qualifier=qualifier
            )["RequestedProvisionedConcurrentExecutions"]
        except lambda_client.exceptions.ProvisionedConcurrencyConfigNotFoundException:
            current = 0  # none configured; any other error (access, throttling) is raised
        p99 = backend.latency_quantile(0.99, window)
        totals = backend.request_totals(window)
        errors = 100 * totals.errors_5xx / totals.requests if totals and totals.requests else None
        rec = r.provisioned_concurrency(
            function, int(current), None if p99 is None else 1000 * p99, errors
        )
        concurrency.found.extend([rec] if rec else [])
    return memory.found + concurrency.found


def _table_rule(clients: Clients, table: str) -> list[r.Recommendation]:
    billing = _Rule("dynamodb_billing", table, "dynamodb", [])
    with _guarded(billing):
        described = clients("dynamodb").describe_table(TableName=table)["Table"]
        mode = described.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        end = dt.datetime.now(dt.UTC)
        points = clients("cloudwatch").get_metric_statistics(
            Namespace="AWS/DynamoDB",
            MetricName="ConsumedReadCapacityUnits",
            Dimensions=[{"Name": "TableName", "Value": table}],
            StartTime=end - dt.timedelta(days=1),
            EndTime=end,
            Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]
        hourly = [p["Sum"] for p in sorted(points, key=lambda p: p["Timestamp"])]
        rec = r.billing_mode(table, mode, hourly)
        billing.found.extend([rec] if rec else [])
    return billing.found


def gather_recommendations(
    clients: Clients,
    backend: MetricsBackend,
    window: str,
    *,
    function: str | None,
    table: str | None,
    bucket: str | None = None,
    qualifier: str = "live",
    prices: PriceTable = DEFAULT_PRICES,
    now: dt.datetime | None = None,
) -> list[r.Recommendation]:
    recs: list[r.Recommendation] = []
    if function:
        recs += _lambda_rules(clients, backend, window, function, qualifier)
    if table:
        recs += _table_rule(clients, table)
    if bucket:
        storage = _Rule("s3_lifecycle", bucket, "s3", [])
        with _guarded(storage):
            storage.found = gather_storage(clients, bucket, now or dt.datetime.now(dt.UTC), prices)
        recs += storage.found
    return recs


def apply_all(
    recs: list[r.Recommendation], clients: Clients, now: dt.datetime | None = None
) -> list[r.Recommendation]:
    """Apply each (skipping the unavailable); a missing capability marks that one FAILED
    with its line, the others still apply."""
    done = []
    for rec in recs:
        if rec.error is not None:
            done.append(rec)
            continue
        service = rec.kind.partition("_")[0]
        service = {"provisioned": "lambda"}.get(service, service)
        try:
            if rec.kind.startswith("s3_"):
                done.append(apply_storage(rec, clients, now or dt.datetime.now(dt.UTC)))
            else:
                done.append(r.apply_recommendation(rec, clients))
        except Exception as error:
            line = r.missing_capability(error, service)
            if line is None:
                raise
            done.append(replace(rec, error=line))
    return done
