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

from aurastream_obs.definitions.deployment import names
from aurastream_obs.ops.analytics.figures import build_analytics
from aurastream_obs.ops.backends.cloudwatch import CloudWatchBackend
from aurastream_obs.ops.backends.logs_insights import (
    QUERY,
    REQUESTS_QUERY,
    LogsInsightsCustomers,
    LogsInsightsError,
)
from support.budgets import assert_within_budget
from support.cli import run_command
from support.moto import Clients

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
T = int(NOW.timestamp())
GROUP = "/aurastream/test/business"


# Both shapes of the groups (the JSON line, the collector's record): definitions/log_fields.py,
# its tests in tests/unit/definitions/test_log_fields.py.
def test_the_query_counts_analyses_and_sums_nested_revenue_per_customer() -> None:
    assert '| filter log_event_type = "business_analysis"\n' in QUERY
    assert (
        "stats count(*) as analyses, sum(log_data_revenue_usd) as revenue"
        " by log_customer_id as customer_id" in QUERY
    )


def test_the_requests_query_counts_each_customers_answers_by_status() -> None:
    assert (
        '| filter log_event_type = "api_response" and (ispresent(customer_id)'
        " or ispresent(`attributes.aurastream.customer.id`))\n" in REQUESTS_QUERY
    )
    assert (
        "stats count(*) as requests by log_customer_id as customer_id,"
        " log_status_code as status_code" in REQUESTS_QUERY
    )


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


def _requests(**customers: dict[int, int]) -> list[list[dict[str, str]]]:
    return [
        [{"field": "customer_id", "value": cid}, {"field": "status_code", "value": str(status)},
         {"field": "requests", "value": str(count)}]
        for cid, by_status in customers.items() for status, count in by_status.items()
    ]  # fmt: skip


# This hour: acme 100 (flat), globex 20 (was 100: -80 %), initech none (was 50: stopped).
# Plus a row without customer id (events lacking the field), which is left out.
NO_CUSTOMER = [{"field": "analyses", "value": "7"}, {"field": "revenue", "value": "0.07"}]
THIS_HOUR = [*_rows(acme=(100, 1.0), globex=(20, 0.2)), NO_CUSTOMER]
PREVIOUS_HOUR = _rows(acme=(100, 1.0), globex=(100, 1.0), initech=(50, 0.5))
# acme: 6 of its 109 requests failed (500 and 429 do, 400 does not); globex none.
REQUESTS = _requests(acme={200: 100, 500: 4, 429: 2, 400: 3}, globex={200: 20})
TWO_HOURS = _rows(acme=(200, 2.0), globex=(120, 1.2), initech=(50, 0.5))
APPLICATION = "/aurastream/test/application"


def _stub_logs(logs: Any, group: str, requests_group: str, exact: bool = True) -> Any:
    from botocore.stub import ANY, Stubber

    stub = Stubber(logs)
    queries = [((T - 3600, T), THIS_HOUR, QUERY, group),
               ((T - 7200, T - 3600), PREVIOUS_HOUR, QUERY, group),
               ((T - 3600, T), REQUESTS, REQUESTS_QUERY, requests_group),
               ((T - 7200, T), TWO_HOURS, QUERY, group)]  # fmt: skip
    for n, ((start, end), rows, query, where) in enumerate(queries):
        params = {"logGroupName": where, "startTime": start if exact else ANY,
                  "endTime": end if exact else ANY, "queryString": query}  # fmt: skip
        stub.add_response("start_query", {"queryId": f"q{n}"}, params)
        stub.add_response("get_query_results", {"status": "Running"}, {"queryId": f"q{n}"})
        stub.add_response(
            "get_query_results", {"status": "Complete", "results": rows}, {"queryId": f"q{n}"}
        )
    return stub


def _stub_metrics(cw: Any) -> Any:
    """GetMetricData in the order the report asks: usage since (2 h), request totals, cache
    hits, median latency, usage since (14 d), load. Usage began 2 h ago; no API metrics."""
    from botocore.stub import ANY, Stubber

    stub = Stubber(cw)
    began = {"Id": "usage", "Timestamps": [NOW - dt.timedelta(hours=2)], "Values": [7.0]}
    answers = [[began], [], [{"Id": "hits", "Values": [185.0]}, {"Id": "misses",
               "Values": [185.0]}], [], [began], []]  # fmt: skip
    for results in answers:
        stub.add_response("get_metric_data", {"MetricDataResults": results},
                          {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY})  # fmt: skip
    return stub


def test_stubbed_rows_become_the_per_customer_report() -> None:
    logs, cw = _client("logs"), _client("cloudwatch")
    with _stub_logs(logs, GROUP, APPLICATION) as logs_stub, _stub_metrics(cw) as cw_stub:
        customers = LogsInsightsCustomers(
            logs, log_group=GROUP, requests_log_group=APPLICATION, now=lambda: NOW,
            sleep=lambda _: None,
        )  # fmt: skip
        deployment = names("test", api_id="abc123")
        backend = CloudWatchBackend(cw, now=lambda: NOW, customers=customers,
                                    deployment=deployment)  # fmt: skip
        report = build_analytics(backend, "1h", lifetime_months=12)
        logs_stub.assert_no_pending_responses()
        cw_stub.assert_no_pending_responses()
    rows = {row.customer_id: row for row in report.customers}
    assert list(rows) == ["acme", "initech", "globex"]  # at risk first, then by score
    assert report.analyses == 120 and report.revenue.observed_usd == pytest.approx(1.2)
    assert report.cache_hit_ratio == pytest.approx(0.5)
    assert report.previous_period_covered
    acme, globex, initech = rows["acme"], rows["globex"], rows["initech"]
    assert (acme.analyses, acme.revenue_usd, acme.health.signals.trend_percent) == (100, 1.0, 0)
    assert acme.health.error_rate_percent == pytest.approx(600 / 109)  # 6 of 109
    assert (acme.health.score, acme.at_risk) == (70, True)  # over 5 % errors
    assert globex.health.signals.trend_percent == pytest.approx(-80.0)
    assert (globex.health.score, globex.at_risk) == (80, False)
    assert initech.health.signals.usage_before == 50 and initech.at_risk
    assert [f.name for f in initech.health.factors] == ["usage", "no_usage"]
    assert [r.customer_id for r in report.at_risk] == ["acme", "initech"]
    assert report.revenue.monthly_usd is None  # two hours of data make no month
    assert acme.clv_usd is None
    assert report.churn.revenue_at_risk_usd == pytest.approx(2.5)  # both periods
    assert report.unit_cost is not None
    assert acme.cost_usd == pytest.approx(100 * report.unit_cost.total)


def test_command_json_reads_the_given_log_groups(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3

    logs, cw = _client("logs"), _client("cloudwatch")
    made = {"logs": logs, "cloudwatch": cw}
    monkeypatch.setattr(boto3, "client", lambda service, *a, **kw: made[service])
    with _stub_logs(logs, "/custom/business", "/custom/app", exact=False), _stub_metrics(cw):
        code, out = run_command("analytics", [
            "--cloudwatch", "--api-id", "abc123", "--log-group", "/custom/business",
            "--requests-log-group", "/custom/app", "--json",
        ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    doc = json.loads(out)
    assert doc["source"] == "cloudwatch" and doc["analyses"] == 120
    assert doc["revenue"]["observed_usd"] == pytest.approx(1.2)
    assert doc["revenue"]["monthly_usd"] is None
    assert [c["customer_id"] for c in doc["customers"]] == ["acme", "initech", "globex"]
    globex = doc["customers"][2]
    assert (globex["usage"], globex["health_score"]) == (20, 80)
    assert globex["trend_percent"] == pytest.approx(-80.0)
    assert doc["at_risk"] == ["acme", "initech"]


def test_command_reports_a_failed_query_and_exits_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3
    from botocore.stub import ANY, Stubber

    logs, cw = _client("logs"), _client("cloudwatch")
    made = {"logs": logs, "cloudwatch": cw}
    monkeypatch.setattr(boto3, "client", lambda service, *a, **kw: made[service])
    monkeypatch.setenv("AURASTREAM_ENVIRONMENT", "prod")
    with Stubber(logs) as stub, Stubber(cw) as metrics:
        metrics.add_response("get_metric_data", {"MetricDataResults": []})  # usage since
        stub.add_response("start_query", {"queryId": "q0"}, {
            "logGroupName": "/aurastream/prod/business", "startTime": ANY, "endTime": ANY,
            "queryString": QUERY})  # fmt: skip
        stub.add_response("get_query_results", {"status": "Failed"}, {"queryId": "q0"})
        code, out = run_command("analytics", ["--cloudwatch", "--api-id", "abc123"])
    assert (code, out) == (4, "")  # could not run (README "Exit codes")
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
