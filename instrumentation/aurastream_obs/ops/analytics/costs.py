"""Cost per analysis and per customer, every service the stack uses, from measured figures
(analyses, cache miss ratio, median latency, request rate) and stated assumptions.

What one analysis costs, by service (prices: prices.py, with their sources):
- API Gateway: one HTTP API request.
- Lambda: one request + median latency x the function's memory (GB-seconds). The API's
  median latency stands in for the function's duration (it is slightly larger: an upper bound).
- DynamoDB: one GetItem (eventually consistent, under 4 KB: half a read unit); a cache miss
  adds one PutItem (under 1 KB: one write unit).
- Comprehend: a cache miss calls DetectSentiment: max(3, ceil(characters / 100)) units.
- CloudWatch Logs: the analysis' log lines (api_response, business_analysis),
  ingested, then stored compressed for the retention of their category.
- S3: the same lines archived (gzip) in S3 Standard for a month, the guide's archive tier.
- X-Ray: the share of requests the sampling rule records (a reservoir per second, then a rate).
- CloudWatch custom metrics: a fixed monthly cost (the EMF dimension sets; the customer id is
  never a dimension), spread over the window's analyses pro rata of the window's length.

A customer's cost is its analyses x the cost of one (usage-based allocation)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from aurastream_obs.ops.analytics.prices import DEFAULT_PRICES, PriceTable

SERVICES: Final = (
    "api_gateway",
    "lambda",
    "dynamodb",
    "comprehend",
    "cloudwatch_logs",
    "cloudwatch_metrics",
    "s3",
    "xray",
)
DAYS_PER_MONTH: Final = 30


@dataclass(frozen=True)
class Assumptions:
    """What the cost model cannot measure, as data (each a documented default)."""

    lambda_memory_mb: int = 512  # deploy/sam/aurastream-lambda.yaml, the API function
    text_characters: int = 300  # a product review; under 300 characters is the 3-unit minimum
    dynamodb_read_units: float = 0.5  # GetItem, eventually consistent, item under 4 KB
    dynamodb_write_units: float = 1.0  # PutItem, item under 1 KB
    # Measured: the demo's service.log (the JSON lines of api_response and business_analysis,
    # plus the client errors' and health checks' own) held 656,822 bytes for 546 analyses of
    # 600 requests (2026-12-07, one record per request): about 1,200 bytes per analysis.
    log_bytes_per_analysis: int = 1200
    log_compression: float = 0.15  # stored size / raw size of JSON lines (gzip)
    log_retention_months: float = 1.0  # the application category keeps 30 days
    # Lambda decides the sampling of the traces it starts (the HTTP API does not trace) and its
    # rate cannot be configured (Lambda developer guide, X-Ray): 1 request a second, then 5 %.
    # The deployed sampling rules (data/sampling_rules.json) apply on ECS/EKS, not here.
    xray_reservoir_per_s: float = 1.0
    xray_rate: float = 0.05
    custom_metrics: int | None = None  # None: counted from the EMF dimension sets

    @property
    def comprehend_units(self) -> int:
        return max(3, math.ceil(self.text_characters / 100))


DEFAULT_ASSUMPTIONS: Final = Assumptions()


@dataclass(frozen=True)
class CostInputs:
    """Measured over the report window."""

    analyses: float
    window_days: float
    miss_ratio: float | None  # None: no cache data (every call is taken to miss)
    median_latency_s: float | None  # None: Lambda duration cannot be priced
    requests_per_second: float | None
    customers: int = 1


@dataclass(frozen=True)
class CostBreakdown:
    """USD by service (keys: SERVICES)."""

    by_service: Mapping[str, float]

    @property
    def total(self) -> float:
        return sum(self.by_service.values())

    def scaled(self, factor: float) -> CostBreakdown:
        return CostBreakdown({k: v * factor for k, v in self.by_service.items()})

    def to_dict(self) -> dict[str, float]:
        return {**self.by_service, "total": self.total}


def xray_share(rps: float | None, assumptions: Assumptions = DEFAULT_ASSUMPTIONS) -> float:
    """The share of requests recorded by a reservoir-then-rate rule at `rps`."""
    if not rps or rps <= 0:
        return assumptions.xray_rate
    reservoir = min(rps, assumptions.xray_reservoir_per_s)
    return min(1.0, (reservoir + assumptions.xray_rate * (rps - reservoir)) / rps)


def monthly_metric_cost(
    customers: int, prices: PriceTable, assumptions: Assumptions = DEFAULT_ASSUMPTIONS
) -> float:
    count = assumptions.custom_metrics
    if count is None:
        from aurastream_obs.definitions.custom_metrics import stack_custom_metrics

        count = stack_custom_metrics(customers)
    return count * prices["cloudwatch_metric_month"]


def per_analysis(
    inputs: CostInputs,
    prices: PriceTable = DEFAULT_PRICES,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> CostBreakdown | None:
    """The cost of one analysis by service; None without analyses (nothing to divide by)."""
    if inputs.analyses <= 0:
        return None
    a, p = assumptions, prices
    miss = 1.0 if inputs.miss_ratio is None else inputs.miss_ratio
    gb_seconds = (inputs.median_latency_s or 0.0) * a.lambda_memory_mb / 1024
    log_gb = a.log_bytes_per_analysis / 1e9
    stored_gb = log_gb * a.log_compression
    fixed_window = monthly_metric_cost(inputs.customers, p, a) * inputs.window_days / DAYS_PER_MONTH
    return CostBreakdown({
        "api_gateway": p["api_request"],
        "lambda": p["lambda_request"] + p["lambda_gb_second"] * gb_seconds,
        "dynamodb": a.dynamodb_read_units * p["dynamodb_read"]
        + miss * a.dynamodb_write_units * p["dynamodb_write"],
        "comprehend": miss * a.comprehend_units * p["comprehend_unit"],
        "cloudwatch_logs": log_gb * p["cloudwatch_logs_ingest_gb"]
        + stored_gb * a.log_retention_months * p["cloudwatch_logs_gb_month"],
        "cloudwatch_metrics": fixed_window / inputs.analyses,
        "s3": stored_gb * p["s3_gb_month"],
        "xray": xray_share(inputs.requests_per_second, a) * p["xray_trace"],
    })  # fmt: skip


def per_customer(
    analyses: Mapping[str, float], unit: CostBreakdown | None
) -> dict[str, CostBreakdown]:
    """Each customer's cost: its analyses x the cost of one."""
    if unit is None:
        return {}
    return {customer: unit.scaled(n) for customer, n in analyses.items()}
