"""Customer health as the operators' guide's table, every branch with synthetic customers;
thresholds as data; revenue with honest periods; the churn estimate; the recommendation rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurastream_obs.ops.analytics import recommend as r
from aurastream_obs.ops.analytics.business import churn_estimate, run_rate
from aurastream_obs.ops.analytics.health import (
    GUIDE_THRESHOLDS,
    CustomerSignals,
    Deduction,
    HealthThresholds,
    assess,
    at_risk_rule,
    load_thresholds,
)
from aurastream_obs.ops.backends.base import CustomerRequests


def signals(
    usage: float = 100, before: float | None = 100, errors: float | None = None,
    tickets: int | None = None,
) -> CustomerSignals:  # fmt: skip
    """A customer with `errors` percent of 1,000 requests failed (None: no requests)."""
    requests = None if errors is None else CustomerRequests(1000, errors * 10)
    return CustomerSignals("c", usage, before, requests, tickets)


# The guide's table (CustomerAnalytics.calculate_customer_health_score), each band and each
# boundary: usage trend < -10 % -20, < -5 % -10; errors > 5 % -30, > 2 % -15; tickets > 5 -20,
# > 2 -10; at risk under 70.
@pytest.mark.parametrize(
    ("case", "usage", "errors", "tickets", "score"),
    [
        ("flat usage", 100, None, None, 100),
        ("usage -5 % (not under -5)", 95, None, None, 100),
        ("usage -6 %", 94, None, None, 90),
        ("usage -10 % (not under -10)", 90, None, None, 90),
        ("usage -11 %", 89, None, None, 80),
        ("usage +50 %", 150, None, None, 100),
        ("errors 2 % (not over 2)", 100, 2.0, None, 100),
        ("errors 3 %", 100, 3.0, None, 85),
        ("errors 5 % (not over 5)", 100, 5.0, None, 85),
        ("errors 6 %", 100, 6.0, None, 70),
        ("2 tickets", 100, None, 2, 100),
        ("3 tickets", 100, None, 3, 90),
        ("5 tickets", 100, None, 5, 90),
        ("6 tickets", 100, None, 6, 80),
        ("all three worst", 50, 9.0, 8, 30),
        ("under 70 by the score alone", 80, 3.0, 3, 55),
    ],
)  # fmt: skip
def test_the_guides_table(
    case: str, usage: float, errors: float | None, tickets: int | None, score: int
) -> None:
    health = assess(signals(usage, 100, errors, tickets))
    assert health.score == score, case
    assert health.at_risk == (score < 70 or (errors or 0) > 5), case


def test_zero_usage_is_at_risk_with_its_factors_named() -> None:
    stopped = assess(signals(usage=0, before=120))
    assert stopped.at_risk and stopped.score == 80  # the score alone would say healthy
    assert [f.name for f in stopped.factors] == ["usage", "no_usage"]
    assert "no usage in this period (previous period 120)" in [f.detail for f in stopped.factors]
    never = assess(signals(usage=0, before=None))  # no previous period to compare with
    assert never.at_risk and [f.detail for f in never.factors] == ["no usage in this period"]


def test_six_percent_errors_is_at_risk_and_says_why() -> None:
    health = assess(signals(errors=6.0))
    assert (health.score, health.at_risk) == (70, True)  # 70 is not under 70: the rule decides
    (factor,) = health.factors
    assert factor.decisive and factor.detail == (
        "error rate 6.0 % (60 of 1,000 requests failed; -30)"
    )


def test_unknown_inputs_deduct_nothing() -> None:
    health = assess(CustomerSignals("new", usage=40, usage_before=None))
    assert (health.score, health.at_risk, health.factors) == (100, False, ())
    assert health.signals.trend_percent is None and health.error_rate_percent is None


def test_thresholds_are_data(tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    path.write_text(json.dumps({
        "error_rate_percent": [{"over": 1, "points": 40}],
        "support_tickets": [[0, 5]],
        "at_risk_below": 80,
        "at_risk_without_usage": False,
    }))  # fmt: skip
    custom = load_thresholds(path)
    assert custom.error_rate_percent == (Deduction(1, 40),)
    assert custom.usage_decline_percent == GUIDE_THRESHOLDS.usage_decline_percent  # kept
    health = assess(signals(errors=1.5, tickets=1), custom)
    assert (health.score, health.at_risk) == (55, True)
    assert not assess(signals(usage=0, before=None), custom).at_risk  # rule turned off
    assert at_risk_rule(custom) == "score under 80, or errors over 5 %"
    assert at_risk_rule(GUIDE_THRESHOLDS) == "score under 70, no usage, or errors over 5 %"
    only_score = HealthThresholds(at_risk_error_rate_percent=None, at_risk_without_usage=False)
    assert at_risk_rule(only_score) == "score under 70"
    assert custom.source == str(path)
    path.write_text(json.dumps({"error_rates": []}))
    with pytest.raises(ValueError, match=r"health\.json: unknown keys \['error_rates'\]"):
        load_thresholds(path)


def test_a_monthly_run_rate_needs_enough_days() -> None:
    short = run_rate(2096.95, covered_days=10 / 1440, min_days=7)  # a 10-minute window
    assert short.monthly_usd is None
    assert short.note == (
        "insufficient data: 600 s of data, a monthly run-rate needs at least 7 days"
    )
    week = run_rate(70.0, covered_days=7.0, min_days=7)
    assert week.monthly_usd == pytest.approx(300.0)
    assert week.note == "monthly run-rate = $70.00 observed over 7.0 days x 30/7.0"


def test_churn_estimate_from_the_at_risk_list() -> None:
    churn = churn_estimate([(30.0, True), (50.0, False), (20.0, True)], 14.0, 7)
    assert (churn.at_risk, churn.customers) == (2, 3)
    assert churn.revenue_at_risk_usd == pytest.approx(50.0)
    assert churn.revenue_share == pytest.approx(0.5)
    assert churn.monthly_at_risk_usd == pytest.approx(50.0 * 30 / 14)
    assert churn_estimate([(1.0, True)], 0.5, 7).monthly_at_risk_usd is None


def test_memory_right_sizing() -> None:
    rec = r.right_size_memory("fn", configured_mb=1024, max_used_mb=150)
    assert rec is not None and rec.recommended == 256  # 150 x 1.5 = 225 -> 256
    assert r.right_size_memory("fn", 256, 150) is None
    capped = r.right_size_memory("fn", 1024, 9000)
    assert capped is not None and capped.recommended == r.MAX_MEMORY_MB


def test_provisioned_concurrency_follows_the_seed_autoscaler() -> None:
    up = r.provisioned_concurrency("fn", 20, p99_ms=1500, error_rate_percent=0)
    assert up is not None and up.recommended == 30
    assert r.provisioned_concurrency("fn", 90, 1500, 0).recommended == r.MAX_PROVISIONED  # type: ignore[union-attr]
    down = r.provisioned_concurrency("fn", 50, p99_ms=200, error_rate_percent=0.1)
    assert down is not None and down.recommended == 40
    assert r.provisioned_concurrency("fn", 50, 700, 0) is None
    assert r.provisioned_concurrency("fn", 50, 200, 2.0) is None


def test_billing_mode() -> None:
    spiky = r.billing_mode("t", "PROVISIONED", [0, 0, 100, 0, 5, 300])
    assert spiky is not None and spiky.recommended == "PAY_PER_REQUEST"
    steady = r.billing_mode("t", "PAY_PER_REQUEST", [100, 110, 95, 105])
    assert steady is not None and steady.recommended == "PROVISIONED"
    assert "set capacity and auto scaling by hand" in steady.reason
    assert r.billing_mode("t", "PROVISIONED", [100, 110, 95, 105]) is None


def test_apply_refuses_values_outside_the_hard_limits() -> None:
    rec = r.Recommendation("lambda_memory", "fn", 128, 10_240, "too big")
    with pytest.raises(ValueError, match="outside"):
        r.apply_recommendation(rec, clients=lambda service: None)
