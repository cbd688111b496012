"""`aurastream-obs analytics` against a real moto server: every --apply action acts there or
is named in one line as a capability the endpoint lacks; the S3 optimisations (lifecycle,
compression, archive) applied to a bucket; the capacity forecast from CloudWatch metrics."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import zipfile
from typing import Any

import pytest

from aurastream_obs.definitions.deployment import names
from aurastream_obs.ops.analytics import forecast as f
from aurastream_obs.ops.analytics import storage as s
from aurastream_obs.ops.analytics.figures import build_analytics
from aurastream_obs.ops.analytics.gather import apply_all, gather_recommendations
from aurastream_obs.ops.backends.cloudwatch import CloudWatchBackend
from support.cli import run_command
from support.moto import Clients

pytestmark = pytest.mark.integration


def _function(clients: Clients, name: str) -> None:
    role = clients("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    clients("lambda").create_function(
        FunctionName=name, Runtime="python3.13", Role=role["Role"]["Arn"],
        Handler="handler.handler", Code={"ZipFile": archive.getvalue()}, MemorySize=1024,
    )  # fmt: skip
    logs = clients("logs")
    group = f"/aws/lambda/{name}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    report = "REPORT RequestId: 1 Duration: 12.1 ms Memory Size: 1024 MB Max Memory Used: 150 MB"
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": int(dt.datetime.now(dt.UTC).timestamp() * 1000) - 60_000,
         "message": report}])  # fmt: skip


def test_apply_names_each_capability_moto_lacks_in_one_line(
    clients: Clients, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """moto has no provisioned-concurrency API and answers Logs Insights without statistics:
    both rules say so in one line each; the table's billing mode is still applied."""
    _function(clients, "apply-fn")
    clients("dynamodb").create_table(
        TableName="apply-table", BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
    )  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    for hours_ago, reads in ((5, 0.0), (4, 2.0), (3, 400.0), (2, 1.0), (1, 600.0)):  # spiky
        clients("cloudwatch").put_metric_data(Namespace="AWS/DynamoDB", MetricData=[{
            "MetricName": "ConsumedReadCapacityUnits", "Value": reads,
            "Dimensions": [{"Name": "TableName", "Value": "apply-table"}],
            "Timestamp": now - dt.timedelta(hours=hours_ago, minutes=30)}])  # fmt: skip
    (tmp_path / "metrics.jsonl").write_text("")
    args = ["--telemetry-dir", str(tmp_path), "--function", "apply-fn", "--table", "apply-table"]
    code, out = run_command("analytics", [*args, "--apply"])
    assert code == 1, capsys.readouterr().err  # asked to act, and two rules could not
    lines = [line for line in out.splitlines() if "apply-fn" in line or "apply-table" in line]
    assert lines == [
        "  [unavailable] lambda_memory apply-fn: logs:GetQueryResults answered rows without "
        "the `mb` statistic: this endpoint does not evaluate Logs Insights stats (peak memory "
        "unknown)",
        "  [unavailable] provisioned_concurrency apply-fn: lambda:GetProvisionedConcurrencyConfig"
        " is not available at this endpoint (answered 404: the operation is not implemented "
        "there)",
        "  [APPLIED] dynamodb_billing apply-table: PROVISIONED -> PAY_PER_REQUEST (hourly read "
        "variation 1.26 > 0.5)",
    ]
    table = clients("dynamodb").describe_table(TableName="apply-table")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    code, out = run_command("analytics", args)  # dry run: the same lines, nothing to fail
    assert code == 0 and "dry run: nothing changed, --apply acts" in out


def test_the_s3_optimisations_act_on_a_bucket(clients: Clients) -> None:
    s3 = clients("s3")
    s3.create_bucket(Bucket="aurastream-archive-test")
    lines = b"".join(b'{"event_type": "api_response", "status_code": 200}\n' for _ in range(200))
    for key in ("logs/2026/01/a.jsonl", "logs/2026/02/b.jsonl", "logs/c.jsonl.gz"):
        s3.put_object(Bucket="aurastream-archive-test", Key=key, Body=lines)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=120)  # the objects are 120 days old
    recs = gather_recommendations(clients, None, "1h", function=None, table=None,  # type: ignore[arg-type]
                                  bucket="aurastream-archive-test", now=later)  # fmt: skip
    assert [r.kind for r in recs] == ["s3_lifecycle", "s3_compression", "s3_archive"]
    assert not any(r.applied for r in recs)
    assert s3.list_objects_v2(Bucket="aurastream-archive-test")["KeyCount"] == 3  # dry run
    lifecycle, compression, archive = recs
    assert all(r.applied for r in apply_all([lifecycle, compression], clients, now=later))
    rules = s3.get_bucket_lifecycle_configuration(Bucket="aurastream-archive-test")["Rules"]
    assert [r["ID"] for r in rules] == [s.RULE_ID]
    listed = s3.list_objects_v2(Bucket="aurastream-archive-test")["Contents"]
    assert {o["Key"] for o in listed} == {
        "logs/2026/01/a.jsonl.gz", "logs/2026/02/b.jsonl.gz", "logs/c.jsonl.gz",
    }  # fmt: skip
    packed = s3.get_object(Bucket="aurastream-archive-test", Key="logs/2026/01/a.jsonl.gz")
    assert packed["ContentEncoding"] == "gzip" and gzip.decompress(packed["Body"].read()) == lines
    (done,) = apply_all([archive], clients, now=later)
    assert done.applied and done.error is None
    listed = s3.list_objects_v2(Bucket="aurastream-archive-test")["Contents"]
    assert {o["StorageClass"] for o in listed} == {"GLACIER"}  # all 120 days old


def _put(cw: Any, name: str, dims: dict[str, str], at: dt.datetime, value: float, *,
         namespace: str = "AWS/ApiGateway") -> None:  # fmt: skip
    cw.put_metric_data(Namespace=namespace, MetricData=[{
        "MetricName": name, "Value": value, "Timestamp": at,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]}])  # fmt: skip


def test_capacity_forecast_from_cloudwatch(clients: Clients) -> None:
    """Ten days of hourly API Count and Lambda ConcurrentExecutions, the daily peaks growing:
    days until 1,000 rps and 1,000 concurrent executions at that trend."""
    cw, logs = clients("cloudwatch"), clients("logs")
    deployment = names("fc", api_id="fcapi123")
    api = {"ApiId": "fcapi123", "Stage": "$default"}
    fn = {"FunctionName": deployment.function}
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    for hour in range(10 * 24, 0, -1):
        at = now - dt.timedelta(hours=hour)
        day = (10 * 24 - hour) / 24
        peak = 1.0 if at.hour == 14 else 0.5  # one busy hour a day
        _put(cw, "Count", api, at, (200 + 40 * day) * peak * 300)  # per 5-minute period
        _put(cw, "ConcurrentExecutions", fn, at, (100 + 30 * day) * peak, namespace="AWS/Lambda")
    for category in ("business", "application"):
        logs.create_log_group(logGroupName=deployment.log_group(category))
    backend = CloudWatchBackend(cw, deployment=deployment, logs_client=logs)
    report = build_analytics(backend, "1h", forecast_window="14d")
    rps, busy = report.forecasts
    assert rps.metric == "requests per second" and busy.metric == "concurrent executions"
    assert rps.slope_per_day == pytest.approx(40, rel=0.1)
    assert rps.days_until_limit == pytest.approx((1000 - rps.current_peak) / 40, rel=0.15)  # type: ignore[operator]
    assert busy.slope_per_day == pytest.approx(30, rel=0.1)
    assert busy.status.startswith("reaches 1,000 in")
    assert f.forecast("x", 1000, (), ()).status == "no data"
