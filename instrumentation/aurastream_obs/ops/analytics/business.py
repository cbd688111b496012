"""Customer usage trend, health score and at-risk list, MRR and CLV, modeled cost per analysis
and per customer. Pure functions over numbers a backend returns; no I/O here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

AT_RISK_BELOW: Final = 70  # seed CustomerAnalytics.identify_at_risk_customers
DAYS_PER_MONTH: Final = 30


@dataclass(frozen=True)
class UnitPrices:
    """USD per unit. The seed's CostMonitor prices, kept as data. Where the seed's unit is
    wrong it is corrected and the reason given: Comprehend bills 100-character units with a
    3-unit minimum per request (aws.amazon.com/comprehend/pricing), not characters, so an
    analysis of a review under 300 characters costs 3 units."""

    api_gateway_request: float = 3.50 / 1e6  # seed: $3.50 per million requests
    lambda_request: float = 0.20 / 1e6  # seed: $0.20 per million requests
    comprehend_unit: float = 0.0001  # per 100 characters (seed said "per character")
    comprehend_min_units: int = 3
    dynamodb_read: float = 0.25 / 1e6  # seed: $0.25 per million reads
    dynamodb_write: float = 1.25 / 1e6  # on-demand writes (the seed priced reads only)
    s3_gb_month: float = 0.023  # seed: $0.023 per GB


SEED_PRICES: Final = UnitPrices()


@dataclass(frozen=True)
class CostBreakdown:
    api_gateway: float
    lambda_: float
    comprehend: float
    dynamodb: float

    @property
    def total(self) -> float:
        return self.api_gateway + self.lambda_ + self.comprehend + self.dynamodb

    def to_dict(self) -> dict[str, float]:
        return {
            "api_gateway": self.api_gateway,
            "lambda": self.lambda_,
            "comprehend": self.comprehend,
            "dynamodb": self.dynamodb,
            "total": self.total,
        }


def modeled_cost(
    analyses: float, cache_miss_ratio: float, prices: UnitPrices = SEED_PRICES
) -> CostBreakdown:
    """Cost of `analyses` requests: each is one API call, one invocation, one cache read; a
    miss adds one Comprehend call (minimum units) and one cache write."""
    misses = analyses * cache_miss_ratio
    return CostBreakdown(
        api_gateway=analyses * prices.api_gateway_request,
        lambda_=analyses * prices.lambda_request,
        comprehend=misses * prices.comprehend_min_units * prices.comprehend_unit,
        dynamodb=analyses * prices.dynamodb_read + misses * prices.dynamodb_write,
    )


def usage_trend_percent(now: float, before: float) -> float | None:
    """Change between two equal periods in percent (None without history)."""
    return None if before <= 0 else 100 * (now - before) / before


def health_score(
    trend_percent: float | None, error_rate_percent: float | None = None, tickets: int = 0
) -> int:
    """The seed's score: 100 minus points for declining usage, errors, support tickets.
    Unknown inputs deduct nothing (the seed's missing data read as zero as well)."""
    score = 100
    if trend_percent is not None:
        score -= 20 if trend_percent < -10 else 10 if trend_percent < -5 else 0
    if error_rate_percent is not None:
        score -= 30 if error_rate_percent > 5 else 15 if error_rate_percent > 2 else 0
    score -= 20 if tickets > 5 else 10 if tickets > 2 else 0
    return max(0, score)


@dataclass(frozen=True)
class CustomerRow:
    customer_id: str
    analyses: float
    analyses_before: float
    revenue_usd: float
    mrr_usd: float
    clv_usd: float
    cost_usd: float
    trend_percent: float | None
    health_score: int

    @property
    def at_risk(self) -> bool:
        return self.health_score < AT_RISK_BELOW

    @property
    def margin_usd(self) -> float:
        return self.revenue_usd - self.cost_usd


def customer_rows(
    usage: Mapping[str, float],
    revenue: Mapping[str, float],
    recent: Mapping[str, float],
    earlier: Mapping[str, float],
    *,
    window_days: float,
    miss_ratio: float,
    lifetime_months: float,
    prices: UnitPrices = SEED_PRICES,
) -> list[CustomerRow]:
    """One row per customer seen in any input; MRR is the window's revenue scaled to 30 days
    (a run-rate), CLV = MRR x expected lifetime (the seed's average monthly revenue x
    lifetime); the trend compares the window's second half (`recent`) with its first."""
    rows = []
    for cid in sorted({*usage, *revenue, *recent, *earlier} - {""}):
        analyses = usage.get(cid, 0.0)
        mrr = revenue.get(cid, 0.0) * DAYS_PER_MONTH / window_days
        trend = usage_trend_percent(recent.get(cid, 0.0), earlier.get(cid, 0.0))
        rows.append(
            CustomerRow(
                cid,
                analyses,
                earlier.get(cid, 0.0),
                revenue.get(cid, 0.0),
                mrr,
                mrr * lifetime_months,
                modeled_cost(analyses, miss_ratio, prices).total,
                trend,
                health_score(trend),
            )
        )
    return sorted(rows, key=lambda r: (-r.revenue_usd, r.customer_id))
