"""The AWS paths of the operations tools against a real moto server: CloudWatch KPIs
(GetMetricData), X-Ray traces (PutTraceSegments -> GetTraceSummaries/BatchGetTraces), health
checks (Lambda, DynamoDB, S3, Comprehend) and analytics (Cost Explorer, DynamoDB billing
recommendation applied with --apply)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
import urllib.request
from typing import Any

import pytest

from aurastream_obs.definitions.deployment import names
from aurastream_obs.ops.analytics.figures import build_analytics
from aurastream_obs.ops.backends.cloudwatch import CloudWatchBackend
from aurastream_obs.ops.health import run_checks
from aurastream_obs.ops.health_probes import (
    comprehend_check,
    dynamodb_check,
    lambda_check,
    s3_check,
)
from aurastream_obs.ops.kpi import build_kpi_report
from aurastream_obs.ops.traces.analysis import analyze
from aurastream_obs.ops.traces.xray import XRaySource
from support.cli import run_command
from support.moto import Clients, lambda_function

pytestmark = pytest.mark.integration


def _put(cw: Any, namespace: str, name: str, dims: dict[str, str], values: list[float]) -> None:
    cw.put_metric_data(Namespace=namespace, MetricData=[{
        "MetricName": name, "Values": values, "Counts": [1.0] * len(values),
        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
        "Timestamp": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
    }])  # fmt: skip


def test_kpis_from_cloudwatch(clients: Clients) -> None:
    """The HTTP API's own metrics (`Count`, `5xx` by ApiId and Stage) and the deployment's
    function, named from the environment (definitions/deployment.py)."""
    cw = clients("cloudwatch")
    api = {"ApiId": "kpi1234567", "Stage": "$default"}
    fn = {"FunctionName": "aurastream-api-kpitest"}
    svc = {"service.name": "aurastream-api"}
    _put(cw, "AWS/ApiGateway", "Count", api, [600, 400])
    _put(cw, "AWS/ApiGateway", "5xx", api, [2])
    # The same figures under a REST API's names must not be read.
    _put(cw, "AWS/ApiGateway", "5XXError", {"ApiName": "aurastream-api"}, [500])
    _put(cw, "AWS/Lambda", "Invocations", fn, [300])
    _put(cw, "AWS/Lambda", "Errors", fn, [6])
    app = "AuraStream/Application"
    _put(cw, app, "aurastream.cache.lookups", {**svc, "aurastream.cache.hit": "true"}, [70])
    _put(cw, app, "aurastream.cache.lookups", {**svc, "aurastream.cache.hit": "false"}, [30])

    deployment = names("kpitest", api_id="kpi1234567")
    report = build_kpi_report(CloudWatchBackend(cw, deployment=deployment), "1h")
    kpis = {k.name: k.value for k in report.kpis}
    slos = {s.name: s for s in report.slos}
    assert report.requests == 1000
    assert kpis["availability"] == pytest.approx(99.8)
    assert kpis["throughput"] == pytest.approx(1000 / 3600)
    assert kpis["cache_hit_rate"] == pytest.approx(70.0)
    assert kpis["error_rate"] == pytest.approx(2.0)  # Lambda Errors / Invocations
    assert slos["availability"].burn_rate == pytest.approx(2.0)  # 0.2 % against 0.1 %
    assert set(report.breached) == {"availability", "error-rate"}
    # moto answers no percentile statistics (p99, PR(:1000)): reported as no data, not 0.
    assert kpis["latency_p99"] is None and slos["latency"].error_ratio is None


def _segment(trace_id: str, name: str, start: float, duration: float, **extra: Any) -> str:
    return json.dumps({"id": secrets.token_hex(8), "trace_id": trace_id, "name": name,
                       "start_time": start, "end_time": start + duration, **extra})  # fmt: skip


def test_traces_from_xray(clients: Clients) -> None:
    xray = clients("xray")
    now = time.time()
    slow_id = f"1-{int(now):08x}-{secrets.token_hex(12)}"
    fast_id = f"1-{int(now):08x}-{secrets.token_hex(12)}"
    subsegments = [{"id": secrets.token_hex(8), "name": "Comprehend", "namespace": "aws",
                    "start_time": now - 9.9, "end_time": now - 8.4}]  # fmt: skip
    xray.put_trace_segments(TraceSegmentDocuments=[
        _segment(slow_id, "aurastream-api", now - 10, 1.6, subsegments=subsegments),
        _segment(fast_id, "aurastream-api", now - 5, 0.05),
    ])  # fmt: skip
    source = XRaySource(xray, since_s=600)
    assert set(source.trace_ids()) == {slow_id, fast_id}
    analysis = analyze(source.spans(), source=source.name)
    assert [round(t.duration_ms) for t in analysis.traces] == [1600, 50]
    slow = {b.name for b in analysis.bottlenecks if b.kind == "slow_span"}
    assert slow == {"aurastream-api", "Comprehend"}
    top = analysis.operations[0]
    assert (top.name, round(top.self_ms_total)) == ("Comprehend", 1500)


def test_health_checks_against_moto(clients: Clients) -> None:
    lambda_function(clients, "health-fn", 1024)
    clients("dynamodb").create_table(
        TableName="health-table", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
    )  # fmt: skip
    clients("s3").create_bucket(Bucket="health-bucket")
    report = run_checks([
        lambda_check("health-fn", clients), dynamodb_check("health-table", clients),
        s3_check("health-bucket", clients), comprehend_check(clients),
    ], timeout_s=20)  # fmt: skip
    statuses = {c.name: c.status for c in report.checks}
    assert statuses == dict.fromkeys(("lambda", "dynamodb", "s3", "comprehend"), "healthy")
    assert report.status == "healthy"
    missing = run_checks([s3_check("no-such-bucket", clients),
                          lambda_check("no-such-fn", clients)], timeout_s=20)  # fmt: skip
    assert missing.status == "unhealthy"  # Lambda is critical
    assert all("error" in c.detail for c in missing.checks)


def test_health_command_json_against_moto(clients: Clients) -> None:
    clients("s3").create_bucket(Bucket="cli-bucket")
    code, out = run_command("health", ["--bucket", "cli-bucket", "--table", "absent", "--json"])
    document = json.loads(out)
    assert code == 3 and document["status"] == "degraded"  # the cache table is not critical
    assert document["checks"]["s3"]["status"] == "healthy"
    assert "ResourceNotFoundException" in document["checks"]["dynamodb"]["error"]


def _cost(service: str, amount: str) -> dict[str, Any]:
    return {"Keys": [service], "Metrics": {"BlendedCost": {"Amount": amount, "Unit": "USD"}}}


def test_analytics_cost_explorer_and_applied_billing_mode(clients: Clients, moto_url: str,
                                                          tmp_path: Any) -> None:  # fmt: skip
    from aurastream_obs.ops.backends.local_files import LocalFilesBackend

    ce_results = {"results": [{"ResultsByTime": [{
        "TimePeriod": {"Start": "2026-10-01", "End": "2026-10-02"},
        "Groups": [_cost("AWS Lambda", "1.25"), _cost("Amazon Comprehend", "3.5")],
    }]}]}  # fmt: skip
    request = urllib.request.Request(
        f"{moto_url}/moto-api/static/ce/cost-and-usage-results",
        data=json.dumps(ce_results).encode(), headers={"content-type": "application/json"},
    )  # fmt: skip
    assert urllib.request.urlopen(request).status == 201
    dynamodb = clients("dynamodb")
    dynamodb.create_table(
        TableName="cache-table", BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
    )  # fmt: skip
    cw = clients("cloudwatch")
    now = dt.datetime.now(dt.UTC)
    for hours_ago, reads in ((5, 0.0), (4, 2.0), (3, 400.0), (2, 1.0), (1, 600.0)):  # spiky
        cw.put_metric_data(Namespace="AWS/DynamoDB", MetricData=[{
            "MetricName": "ConsumedReadCapacityUnits", "Value": reads,
            "Dimensions": [{"Name": "TableName", "Value": "cache-table"}],
            "Timestamp": now - dt.timedelta(hours=hours_ago, minutes=30)}])  # fmt: skip
    (tmp_path / "metrics.jsonl").write_text("")
    backend = LocalFilesBackend(tmp_path)

    dry = build_analytics(backend, "1h", cost_explorer=True, table="cache-table",
                          clients=clients)  # fmt: skip
    assert dry.actual_costs_usd == {"AWS Lambda": 1.25, "Amazon Comprehend": 3.5}
    (rec,) = dry.recommendations
    assert (rec.kind, rec.current, rec.recommended, rec.applied) == (
        "dynamodb_billing",
        "PROVISIONED",
        "PAY_PER_REQUEST",
        False,
    )
    summary = dynamodb.describe_table(TableName="cache-table")["Table"]
    assert summary.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") == "PROVISIONED"

    applied = build_analytics(backend, "1h", table="cache-table", apply=True, clients=clients)
    assert applied.recommendations[0].applied
    table = dynamodb.describe_table(TableName="cache-table")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_applied_memory_right_sizing_changes_the_function(clients: Clients) -> None:
    from aurastream_obs.ops.analytics import recommend as r

    lambda_function(clients, "sized-fn", 1024)
    rec = r.right_size_memory("sized-fn", configured_mb=1024, max_used_mb=150)
    assert rec is not None
    done = r.apply_recommendation(rec, clients)
    assert done.applied
    config = clients("lambda").get_function_configuration(FunctionName="sized-fn")
    assert config["MemorySize"] == 256
