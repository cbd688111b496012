"""Revenue with honest periods, and a churn estimate from the at-risk list.

MRR and CLV always say where they come from: the revenue observed in the report window and
how many days of data that window actually holds. A monthly figure is an explicit run-rate
extrapolation (observed x 30 / days of data) and is given only from `min_days` days of data
(default 7: a whole week, so weekday/weekend patterns are in it); with fewer, the answer is
"insufficient data", never a number made from a 10-minute window. CLV is the monthly
run-rate x the expected lifetime (the guide's average monthly revenue x lifetime)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

DAYS_PER_MONTH: Final = 30
MIN_RUN_RATE_DAYS: Final = 7.0


@dataclass(frozen=True)
class Period:
    """The report window (epoch seconds) and the first usage data inside it."""

    window: str
    start: float
    end: float
    data_since: float | None

    @property
    def covered_days(self) -> float:
        if self.data_since is None:
            return 0.0
        return max(0.0, self.end - max(self.start, self.data_since)) / 86400

    def to_dict(self) -> dict[str, Any]:
        return {"window": self.window, "start": self.start, "end": self.end,
                "data_since": self.data_since, "covered_days": self.covered_days}  # fmt: skip


@dataclass(frozen=True)
class RunRate:
    observed_usd: float
    covered_days: float
    min_days: float
    monthly_usd: float | None  # None: insufficient data

    @property
    def note(self) -> str:
        if self.monthly_usd is None:
            return (
                f"insufficient data: {format_days(self.covered_days)} of data, a monthly run-rate "
                f"needs at least {self.min_days:g} days"
            )
        return (
            f"monthly run-rate = ${self.observed_usd:,.2f} observed over "
            f"{format_days(self.covered_days)} x {DAYS_PER_MONTH}/{self.covered_days:.1f}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"observed_usd": self.observed_usd, "covered_days": self.covered_days,
                "min_days": self.min_days, "monthly_usd": self.monthly_usd,
                "note": self.note}  # fmt: skip


def format_days(days: float) -> str:
    if days >= 1:
        return f"{days:.1f} days"
    if days * 24 >= 1:
        return f"{days * 24:.1f} hours"
    return f"{days * 86400:.0f} s"


def run_rate(observed_usd: float, covered_days: float, min_days: float) -> RunRate:
    monthly = None
    if covered_days >= min_days and covered_days > 0:
        monthly = observed_usd * DAYS_PER_MONTH / covered_days
    return RunRate(observed_usd, covered_days, min_days, monthly)


@dataclass(frozen=True)
class Churn:
    """If every at-risk customer left: how many, and the revenue they brought over this
    period and the previous one (a customer that stopped paid before it stopped), per month
    where a run-rate exists."""

    at_risk: int
    customers: int
    revenue_at_risk_usd: float
    revenue_usd: float
    monthly_at_risk_usd: float | None

    @property
    def customer_share(self) -> float | None:
        return self.at_risk / self.customers if self.customers else None

    @property
    def revenue_share(self) -> float | None:
        return self.revenue_at_risk_usd / self.revenue_usd if self.revenue_usd else None

    def to_dict(self) -> dict[str, Any]:
        return {"at_risk": self.at_risk, "customers": self.customers,
                "customer_share": self.customer_share,
                "revenue_at_risk_usd": self.revenue_at_risk_usd,
                "revenue_share": self.revenue_share,
                "monthly_at_risk_usd": self.monthly_at_risk_usd}  # fmt: skip


def churn_estimate(
    revenue: Sequence[tuple[float, bool]], covered_days: float, min_days: float
) -> Churn:
    """`revenue`: (revenue in the window, at risk) per customer."""
    at_risk_usd = sum(usd for usd, risky in revenue if risky)
    monthly = run_rate(at_risk_usd, covered_days, min_days).monthly_usd
    return Churn(
        sum(1 for _, risky in revenue if risky),
        len(revenue),
        at_risk_usd,
        sum(usd for usd, _ in revenue),
        monthly,
    )
