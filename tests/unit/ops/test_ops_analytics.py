"""Business and cost analytics: the seed's rules, modeled costs, per-customer rows over local
telemetry (trend, at-risk), the command's JSON, and the recommendation rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurastream_obs.ops.analytics import recommend as r
from aurastream_obs.ops.analytics.business import health_score, modeled_cost
from aurastream_obs.ops.analytics.figures import build_analytics
from aurastream_obs.ops.backends.local_files import LocalFilesBackend
from support.cli import run_command
from support.otlp_data import NOW_NS, counter, metrics_line, write_lines

MID = NOW_NS - 1800 * 10**9  # half an hour before "now"
HIT, MISS = {"aurastream.cache.hit": True}, {"aurastream.cache.hit": False}


@pytest.mark.parametrize(
    ("trend", "errors", "tickets", "score"),
    [(None, None, 0, 100), (-6, None, 0, 90), (-11, None, 0, 80), (-11, 6, 0, 50),
     (0, 3, 3, 75), (-20, 10, 9, 30)],
)  # fmt: skip
def test_seed_health_score(
    trend: float | None, errors: float | None, tickets: int, score: int
) -> None:
    assert health_score(trend, errors, tickets) == score


def test_modeled_cost_uses_the_seed_prices() -> None:
    cost = modeled_cost(1_000_000, cache_miss_ratio=0.4)
    assert cost.api_gateway == pytest.approx(3.50)
    assert cost.lambda_ == pytest.approx(0.20)
    assert cost.comprehend == pytest.approx(400_000 * 3 * 0.0001)  # 3-unit minimum
    assert cost.dynamodb == pytest.approx(0.25 + 400_000 * 1.25 / 1e6)


def _usage(path: Path) -> Path:
    """acme: 100 analyses in the first half hour, 100 in the second (flat);
    globex: 100 then 20 (usage falls 80 %: at risk); revenue $0.001 per analysis."""
    acme, globex = {"aurastream.customer.id": "acme"}, {"aurastream.customer.id": "globex"}
    lines = []
    for t, a, g in ((NOW_NS - 3600 * 10**9, 0, 0), (MID, 100, 100), (NOW_NS, 200, 120)):
        lines.append(metrics_line(
            counter("aurastream.usage", [(acme, t, a), (globex, t, g)]),
            counter("aurastream.revenue", [(acme, t, a / 1000), (globex, t, g / 1000)]),
            counter("aurastream.cache.lookups", [(HIT, t, (a + g) / 2), (MISS, t, (a + g) / 2)]),
        ))  # fmt: skip
    return write_lines(path / "metrics.jsonl", *lines).parent


def test_customers_trend_and_at_risk(tmp_path: Path) -> None:
    report = build_analytics(LocalFilesBackend(_usage(tmp_path)), "1h", lifetime_months=12)
    rows = {row.customer_id: row for row in report.customers}
    assert rows["acme"].analyses == 200 and rows["acme"].trend_percent == pytest.approx(0.0)
    assert rows["globex"].trend_percent == pytest.approx(-80.0)
    assert rows["globex"].health_score == 80  # -20 for usage falling more than 10 %
    assert not rows["globex"].at_risk  # the seed needs more than falling usage for < 70
    assert rows["acme"].mrr_usd == pytest.approx(0.2 * 24 * 30)  # an hour's revenue x 720
    assert rows["acme"].clv_usd == pytest.approx(rows["acme"].mrr_usd * 12)
    assert report.cache_hit_ratio == pytest.approx(0.5)
    assert report.cost_per_analysis == pytest.approx(modeled_cost(320, 0.5).total / 320)


def test_cli_json(tmp_path: Path) -> None:
    code, out = run_command("analytics", ["--telemetry-dir", str(_usage(tmp_path)), "--json"])
    document = json.loads(out)
    assert code == 0
    assert document["analyses"] == 320 and document["revenue_usd"] == pytest.approx(0.32)
    assert [c["customer_id"] for c in document["customers"]] == ["acme", "globex"]
    assert document["at_risk"] == [] and document["recommendations"] == []
    assert document["modeled_cost_usd"]["total"] == pytest.approx(modeled_cost(320, 0.5).total)


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
    assert r.billing_mode("t", "PROVISIONED", [100, 110, 95, 105]) is None


def test_apply_refuses_values_outside_the_hard_limits() -> None:
    rec = r.Recommendation("lambda_memory", "fn", 128, 10_240, "too big")
    with pytest.raises(ValueError, match="outside"):
        r.apply_recommendation(rec, clients=lambda service: None)


def test_peak_memory_from_logs_insights_with_stubber() -> None:
    """moto accepts the Logs Insights query but does not evaluate `stats` (it answers only
    @ptr), so the parsing of a real answer is checked with botocore's Stubber."""
    import boto3
    from botocore.stub import ANY, Stubber

    from aurastream_obs.ops.analytics.figures import max_memory_used_mb

    logs = boto3.client("logs", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")  # fmt: skip
    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "q1"},
                          {"logGroupName": "/aws/lambda/fn", "startTime": ANY,
                           "endTime": ANY, "queryString": ANY})  # fmt: skip
        stub.add_response("get_query_results", {"status": "Running", "results": []})
        stub.add_response("get_query_results", {
            "status": "Complete", "results": [[{"field": "mb", "value": "151.2"}]]})  # fmt: skip
        assert max_memory_used_mb(lambda service: logs, "fn") == pytest.approx(151.2)
        stub.assert_no_pending_responses()
