"""Customer health as the operators' guide defines it, from real signals, thresholds as data.

The guide's score (CustomerAnalytics.calculate_customer_health_score) starts at 100 and
deducts points for declining usage (this period against the previous one), for the
customer's own error rate and for support tickets; a customer under 70 is at risk. Read
literally, the score cannot flag two customers anyone would call at risk: one whose usage
fell to zero (-100 % costs 20 points: 80) and one failing 6 % of its requests (30 points:
exactly 70, not under it). So two *decisive* factors put a customer at risk whatever the
score: no usage in the period, and an error rate above 5 % (the guide's own top band). Both
are thresholds like the others, in `HealthThresholds`, loadable from JSON.

Unknown inputs deduct nothing and say so (`-` in reports): a previous period without data
gives no trend, a customer without requests no error rate, no ticket source no ticket count.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from aurastream_obs.ops.analytics.jsonfile import read_overrides
from aurastream_obs.ops.backends.base import CustomerRequests

GUIDE = "operators' guide, CustomerAnalytics.calculate_customer_health_score"


@dataclass(frozen=True)
class Deduction:
    """`points` off when the factor is above `over` (bands are checked highest first)."""

    over: float
    points: int


@dataclass(frozen=True)
class HealthThresholds:
    """Defaults: the guide's table. `usage_decline_percent` is the fall of usage against the
    previous period (a trend of -12 % is a decline of 12)."""

    usage_decline_percent: tuple[Deduction, ...] = (Deduction(10, 20), Deduction(5, 10))
    error_rate_percent: tuple[Deduction, ...] = (Deduction(5, 30), Deduction(2, 15))
    support_tickets: tuple[Deduction, ...] = (Deduction(5, 20), Deduction(2, 10))
    at_risk_below: int = 70
    # Decisive: at risk whatever the score (None / False turns the rule off).
    at_risk_error_rate_percent: float | None = 5.0
    at_risk_without_usage: bool = True
    source: str = field(default=GUIDE, compare=False)


GUIDE_THRESHOLDS = HealthThresholds()


def at_risk_rule(thresholds: HealthThresholds) -> str:
    """What puts a customer at risk, in words: `score under 70, no usage, or errors over 5 %`."""
    rules = [f"score under {thresholds.at_risk_below}"]
    if thresholds.at_risk_without_usage:
        rules.append("no usage")
    if thresholds.at_risk_error_rate_percent is not None:
        rules.append(f"errors over {thresholds.at_risk_error_rate_percent:g} %")
    return ", ".join(rules[:-1]) + (f", or {rules[-1]}" if len(rules) > 1 else rules[0])


def _bands(value: Any, key: str) -> tuple[Deduction, ...]:
    """[[over, points], ...] or [{"over": x, "points": p}, ...], highest band first."""
    if not isinstance(value, list):
        raise ValueError(f"{key}: a list of [over, points] pairs")
    bands = []
    for item in value:
        over, points = (item["over"], item["points"]) if isinstance(item, dict) else item
        bands.append(Deduction(float(over), int(points)))
    return tuple(sorted(bands, key=lambda b: -b.over))


def load_thresholds(path: str | os.PathLike[str]) -> HealthThresholds:
    """Thresholds from a JSON object; keys left out keep the guide's values."""
    known = {f.name for f in fields(HealthThresholds)} - {"source"}
    document = read_overrides(path, "health thresholds", known)
    changes: dict[str, Any] = {}
    try:
        for key, value in document.items():
            if key in ("usage_decline_percent", "error_rate_percent", "support_tickets"):
                changes[key] = _bands(value, key)
            elif key == "at_risk_below":
                changes[key] = int(value)
            elif key == "at_risk_error_rate_percent":
                changes[key] = None if value is None else float(value)
            else:
                changes[key] = bool(value)
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"health thresholds {os.fspath(path)}: {error}") from error
    return replace(GUIDE_THRESHOLDS, **changes, source=os.fspath(path))


@dataclass(frozen=True)
class CustomerSignals:
    """What is known of one customer over this period (and the previous one)."""

    customer_id: str
    usage: float
    usage_before: float | None  # None: the previous period has no data to compare with
    requests: CustomerRequests | None = None
    tickets: int | None = None  # None: no ticket source

    @property
    def trend_percent(self) -> float | None:
        if self.usage_before is None or self.usage_before <= 0:
            return None
        return 100 * (self.usage - self.usage_before) / self.usage_before


@dataclass(frozen=True)
class RiskFactor:
    name: str  # usage, no_usage, error_rate, support_tickets
    detail: str
    points: int
    decisive: bool = False


@dataclass(frozen=True)
class CustomerHealth:
    signals: CustomerSignals
    score: int
    at_risk: bool
    factors: tuple[RiskFactor, ...]

    @property
    def customer_id(self) -> str:
        return self.signals.customer_id

    @property
    def error_rate_percent(self) -> float | None:
        requests = self.signals.requests
        return None if requests is None else requests.error_rate_percent

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "health_score": self.score,
            "at_risk": self.at_risk,
            "usage": self.signals.usage,
            "usage_before": self.signals.usage_before,
            "trend_percent": self.signals.trend_percent,
            "requests": None if self.signals.requests is None else self.signals.requests.requests,
            "error_rate_percent": self.error_rate_percent,
            "support_tickets": self.signals.tickets,
            "risk_factors": [f.detail for f in self.factors],
        }


def _deduction(value: float, bands: Sequence[Deduction]) -> Deduction | None:
    return next((band for band in sorted(bands, key=lambda b: -b.over) if value > band.over), None)


def assess(
    signals: CustomerSignals, thresholds: HealthThresholds = GUIDE_THRESHOLDS
) -> CustomerHealth:
    """Score, at-risk verdict and the named factors behind them."""
    factors: list[RiskFactor] = []
    trend = signals.trend_percent
    if trend is not None and (band := _deduction(-trend, thresholds.usage_decline_percent)):
        factors.append(RiskFactor(
            "usage", f"usage {trend:+.0f} % against the previous period "
            f"({signals.usage:,.0f} vs {signals.usage_before:,.0f}; -{band.points})", band.points,
        ))  # fmt: skip
    if signals.usage <= 0 and thresholds.at_risk_without_usage:
        before = (
            "" if not signals.usage_before else f" (previous period {signals.usage_before:,.0f})"
        )
        factors.append(RiskFactor("no_usage", f"no usage in this period{before}", 0, True))
    rate = None if signals.requests is None else signals.requests.error_rate_percent
    if rate is not None and (band := _deduction(rate, thresholds.error_rate_percent)):
        limit = thresholds.at_risk_error_rate_percent
        decisive = limit is not None and rate > limit
        assert signals.requests is not None
        factors.append(RiskFactor(
            "error_rate", f"error rate {rate:.1f} % ({signals.requests.failed:,.0f} of "
            f"{signals.requests.requests:,.0f} requests failed; -{band.points})",
            band.points, decisive,
        ))  # fmt: skip
    if signals.tickets is not None and (
        band := _deduction(signals.tickets, thresholds.support_tickets)
    ):
        factors.append(RiskFactor(
            "support_tickets", f"{signals.tickets} support tickets (-{band.points})", band.points
        ))  # fmt: skip
    score = max(0, 100 - sum(f.points for f in factors))
    at_risk = score < thresholds.at_risk_below or any(f.decisive for f in factors)
    return CustomerHealth(signals, score, at_risk, tuple(factors))


def assess_all(
    signals: Mapping[str, CustomerSignals], thresholds: HealthThresholds = GUIDE_THRESHOLDS
) -> list[CustomerHealth]:
    """Every customer: the at-risk ones first, then by score (lowest first) and id."""
    health = [assess(s, thresholds) for s in signals.values()]
    return sorted(health, key=lambda h: (not h.at_risk, h.score, h.customer_id))
