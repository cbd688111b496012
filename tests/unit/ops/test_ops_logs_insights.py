"""Per-customer analytics from CloudWatch Logs Insights (`analytics --cloudwatch`).

A real moto server checks the query is started on the business log group with our query
string and that a missing group, or a Failed/Timeout/Cancelled status, is a clear error. moto
accepts StartQuery but does not evaluate `stats` (it answers one `@ptr` row per event, always
"Complete"), so the per-customer numbers and the command's JSON come from botocore's Stubber
with the rows Logs Insights returns; a poll that never completes hits the bounded timeout."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest

from aurastream_obs.ops.analytics.business import modeled_cost
from aurastream_obs.ops.analytics.figures import build_analytics
from aurastream_obs.ops.backends.cloudwatch import CloudWatchBackend
from aurastream_obs.ops.backends.logs_insights import (
    QUERY,
    LogsInsightsCustomers,
    LogsInsightsError,
)
from support.budgets import assert_within_budget
from support.cli import run_command
from support.moto import Clients

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
T = int(NOW.timestamp())
GROUP = "/aurastream/test/business"


def test_the_query_counts_analyses_and_sums_nested_revenue_per_customer() -> None:
    assert QUERY.startswith('filter event_type = "business_analysis"\n')
    assert "stats count(*) as analyses, sum(data.revenue_usd) as revenue by customer_id" in QUERY


# --- a real moto server (`clients`, `moto_url`: tests/conftest.py) ----------------------


def _business_group(logs: Any, group: str) -> None:
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="otel-collector")
    line = {"event_type": "business_analysis", "customer_id": "acme",
            "data": {"revenue_usd": 0.01, "cached": False}}  # fmt: skip
    logs.put_log_events(
        logGroupName=group,
        logStreamName="otel-collector",
        logEvents=[{"timestamp": int(time.time() * 1000) - 60_000, "message": json.dumps(line)}],
    )


def test_moto_query_runs_on_the_environments_business_group(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AURASTREAM_ENVIRONMENT", "moto-env")
    logs = clients("logs")
    _business_group(logs, "/aurastream/moto-env/business")
    _business_group(logs, "/aurastream/other/business")
    customers = LogsInsightsCustomers(logs, poll_s=0)
    assert customers.log_group == "/aurastream/moto-env/business"
    # moto returns the matching event as a bare @ptr row (no stats): no customer id, no row.
    assert customers.totals("1h").analyses == {}
    started = logs.describe_queries(logGroupName="/aurastream/moto-env/business")["queries"]
    assert [(q["queryString"], q["status"]) for q in started] == [(QUERY, "Complete")]
    assert logs.describe_queries(logGroupName="/aurastream/other/business")["queries"] == []


def test_moto_missing_log_group_is_a_clear_error(clients: Clients) -> None:
    customers = LogsInsightsCustomers(clients("logs"), log_group="/aurastream/nowhere/business")
    with pytest.raises(
        LogsInsightsError, match=r"/aurastream/nowhere/business not found.*--log-group"
    ):
        customers.totals("1h")


@pytest.mark.parametrize("status", ["Failed", "Timeout", "Cancelled"])
def test_moto_query_ending_badly_is_a_clear_error(clients: Clients, status: str) -> None:
    logs = clients("logs")
    group = f"/aurastream/{status.lower()}/business"
    _business_group(logs, group)

    def end_badly(parsed: dict[str, Any], **_: Any) -> None:
        parsed["status"] = status  # what AWS answers; moto always completes

    logs.meta.events.register("after-call.cloudwatch-logs.GetQueryResults", end_badly)
    with pytest.raises(LogsInsightsError, match=f"on log group {group} ended with status {status}"):
        LogsInsightsCustomers(logs, log_group=group, poll_s=0).totals("1h")
    assert len(logs.describe_queries(logGroupName=group)["queries"]) == 1  # it did start


# --- botocore Stubber: the rows Logs Insights returns ------------------------------------


def _client(service: str) -> Any:
    import boto3

    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def _rows(**customers: tuple[int, float | None]) -> list[list[dict[str, str]]]:
    rows = []
    for cid, (analyses, revenue) in customers.items():
        row = [
            {"field": "customer_id", "value": cid},
            {"field": "analyses", "value": str(analyses)},
        ]
        if revenue is not None:
            row.append({"field": "revenue", "value": f"{revenue:g}"})
        rows.append(row)
    return rows


# acme: 100 + 100 (flat); globex: 100 then 20 (-80 %); initech: 50 then none (-100 %).
# Plus a row without customer id (events lacking the field), which is left out.
NO_CUSTOMER = [{"field": "analyses", "value": "7"}, {"field": "revenue", "value": "0.07"}]
WINDOW = [*_rows(acme=(200, 2.0), globex=(120, 1.2), initech=(50, 0.5)), NO_CUSTOMER]
RECENT = _rows(acme=(100, 1.0), globex=(20, 0.2))
EARLIER = _rows(acme=(100, 1.0), globex=(100, 1.0), initech=(50, 0.5))


def _stub_logs(logs: Any, group: str, ranges: list[tuple[Any, Any]]) -> Any:
    from botocore.stub import Stubber

    stub = Stubber(logs)
    for n, ((start, end), rows) in enumerate(zip(ranges, (WINDOW, RECENT, EARLIER), strict=True)):
        params = {"logGroupName": group, "startTime": start, "endTime": end, "queryString": QUERY}
        stub.add_response("start_query", {"queryId": f"q{n}"}, params)
        stub.add_response("get_query_results", {"status": "Running"}, {"queryId": f"q{n}"})
        stub.add_response(
            "get_query_results", {"status": "Complete", "results": rows}, {"queryId": f"q{n}"}
        )
    return stub


def _stub_cache_ratio(cw: Any) -> Any:
    from botocore.stub import ANY, Stubber

    stub = Stubber(cw)
    answer = {"MetricDataResults": [{"Id": "hits", "Values": [185.0]},
                                    {"Id": "misses", "Values": [185.0]}]}  # fmt: skip
    stub.add_response("get_metric_data", answer, {"MetricDataQueries": ANY, "StartTime": ANY,
                                                  "EndTime": ANY})  # fmt: skip
    return stub


def test_stubbed_rows_become_the_per_customer_report() -> None:
    logs, cw = _client("logs"), _client("cloudwatch")
    # the window, its recent half and its earlier half (1h window, 1800 s halves)
    ranges = [(T - 3600, T), (T - 1800, T), (T - 3600, T - 1800)]
    with _stub_logs(logs, GROUP, ranges) as logs_stub, _stub_cache_ratio(cw) as cw_stub:
        customers = LogsInsightsCustomers(
            logs, log_group=GROUP, now=lambda: NOW, sleep=lambda _: None
        )
        backend = CloudWatchBackend(cw, now=lambda: NOW, customers=customers)
        report = build_analytics(backend, "1h", lifetime_months=12)
        logs_stub.assert_no_pending_responses()
        cw_stub.assert_no_pending_responses()
    rows = {row.customer_id: row for row in report.customers}
    assert list(rows) == ["acme", "globex", "initech"]  # by revenue; the id-less row is out
    assert report.analyses == 370 and report.revenue_usd == pytest.approx(3.7)
    assert report.cache_hit_ratio == pytest.approx(0.5)
    acme, globex, initech = rows["acme"], rows["globex"], rows["initech"]
    assert (acme.analyses, acme.revenue_usd, acme.trend_percent) == (200, 2.0, 0.0)
    assert acme.mrr_usd == pytest.approx(2.0 * 30 * 24)  # 1 h of revenue as a 30-day run-rate
    assert acme.clv_usd == pytest.approx(acme.mrr_usd * 12)
    assert acme.cost_usd == pytest.approx(modeled_cost(200, 0.5).total)
    assert acme.health_score == 100
    assert globex.trend_percent == pytest.approx(-80.0) and globex.health_score == 80
    assert initech.trend_percent == pytest.approx(-100.0) and initech.analyses_before == 50
    assert report.at_risk == []  # falling usage alone takes at most 20 points (seed rule)


def test_command_json_reads_the_given_log_group(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3
    from botocore.stub import ANY

    logs, cw = _client("logs"), _client("cloudwatch")
    made = {"logs": logs, "cloudwatch": cw}
    monkeypatch.setattr(boto3, "client", lambda service, *a, **kw: made[service])
    with _stub_logs(logs, "/custom/business", [(ANY, ANY)] * 3), _stub_cache_ratio(cw):
        code, out = run_command(
            "analytics", ["--cloudwatch", "--log-group", "/custom/business", "--json"]
        )
    assert code == 0, capsys.readouterr().err
    doc = json.loads(out)
    assert doc["source"] == "cloudwatch" and doc["analyses"] == 370
    assert doc["revenue_usd"] == pytest.approx(3.7)
    assert doc["mrr_usd"] == pytest.approx(3.7 * 30 * 24)
    assert [c["customer_id"] for c in doc["customers"]] == ["acme", "globex", "initech"]
    globex = doc["customers"][1]
    assert (globex["analyses"], globex["health_score"]) == (120, 80)
    assert globex["trend_percent"] == pytest.approx(-80.0)
    assert globex["cost_usd"] == pytest.approx(modeled_cost(120, 0.5).total)
    assert doc["at_risk"] == []
    assert doc["cost_per_analysis_usd"] == pytest.approx(modeled_cost(370, 0.5).total / 370)


def test_command_reports_a_failed_query_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3
    from botocore.stub import ANY, Stubber

    logs = _client("logs")
    monkeypatch.setattr(boto3, "client", lambda service, *a, **kw: logs)
    monkeypatch.setenv("AURASTREAM_ENVIRONMENT", "prod")
    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "q0"}, {
            "logGroupName": "/aurastream/prod/business", "startTime": ANY, "endTime": ANY,
            "queryString": QUERY})  # fmt: skip
        stub.add_response("get_query_results", {"status": "Failed"}, {"queryId": "q0"})
        code, out = run_command("analytics", ["--cloudwatch"])
    assert (code, out) == (2, "")
    err = capsys.readouterr().err
    assert "query q0 on log group /aurastream/prod/business ended with status Failed" in err


def test_log_group_without_cloudwatch_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_command("analytics", ["--telemetry-dir", "/nonexistent", "--log-group", "/x"])
    assert code == 2 and "--log-group applies to --cloudwatch only" in capsys.readouterr().err


@pytest.mark.parametrize("pending", ["Running", "Scheduled"])
def test_a_poll_that_never_completes_hits_the_bounded_timeout(pending: str) -> None:
    from botocore.stub import Stubber

    logs = _client("logs")
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "stuck"})
        for _ in range(4):  # polls at t = 0, 1, 2, 3 s; the deadline is 3 s
            stub.add_response("get_query_results", {"status": pending}, {"queryId": "stuck"})
        stub.add_response("stop_query", {"success": True}, {"queryId": "stuck"})
        customers = LogsInsightsCustomers(
            logs, log_group=GROUP, timeout_s=3, poll_s=1, clock=lambda: clock[0], sleep=sleep
        )
        started = time.monotonic()
        with pytest.raises(LogsInsightsError) as caught:
            customers.totals("1h")
        stub.assert_no_pending_responses()  # polled until the deadline, then stopped it
    # The fake clock: 3 s of polling, no real waiting.
    assert_within_budget(time.monotonic() - started, 0.0, "the polling")
    assert clock[0] == 3.0
    assert str(caught.value) == (
        f"Logs Insights query stuck on log group {GROUP} did not complete within 3 s "
        f"(last status {pending}); it was stopped"
    )


def test_unsupported_counter_on_cloudwatch_is_still_refused() -> None:
    from aurastream_obs.core import conventions as c

    backend = CloudWatchBackend(
        object(), customers=LogsInsightsCustomers(object(), log_group=GROUP)
    )
    with pytest.raises(ValueError, match="not answered from CloudWatch"):
        backend.counter_by(c.SENTIMENT_ANALYSES, c.CUSTOMER_ID, "1h")
