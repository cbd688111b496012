"""AWS SDK calls are CLIENT spans in every mode: the reference service's DynamoDB cache and
Comprehend analyzer against a moto server (local and otlp modes: OTLP spans with rpc.*/aws.*;
lambda mode: X-Ray subsegments with `namespace: aws`), retries and throttles against a real
HTTP stand-in, and nothing imported before boto3 is. Each case in a fresh process: the
instrumentation patches botocore process-wide."""

from __future__ import annotations

import json
import socket
import textwrap
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.telemetry_files.readers import read_spans
from support.otlp_receiver import OtlpReceiver
from support.processes import last_json_line, run_python

pytestmark = pytest.mark.integration

AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
SERVICE_CALLS = """
    import json, sys
    import aurastream_obs
    telemetry = aurastream_obs.configure("aws-calls")
    print("LOADED", json.dumps("botocore" in sys.modules))
    from aurastream_obs.service.analyzer import ComprehendAnalyzer
    from aurastream_obs.service.cache import DynamoDBCache, cache_key
    import boto3
    endpoint, table = sys.argv[1], sys.argv[2]
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-west-1")
    dynamodb.create_table(
        TableName=table, KeySchema=[{"AttributeName": "text_hash", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "text_hash", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    cache = DynamoDBCache(table, client=dynamodb)
    analyzer = ComprehendAnalyzer(
        client=boto3.client("comprehend", endpoint_url=endpoint, region_name="eu-west-1"))
    result = analyzer.analyze("I love this product", "en")
    key = cache_key("I love this product", "en")
    cache.put(key, result)
    cache.get(key)
    telemetry.shutdown(5000)
"""


def _aws_spans(spans: list[Any]) -> dict[str, Any]:
    return {
        s.name if hasattr(s, "name") else s["name"]: s
        for s in spans
        if _attr(s, "rpc.system") == "aws-api"
    }


def _attr(span: Any, key: str) -> Any:
    if isinstance(span, dict):
        return span.get(key)
    if hasattr(span, "attributes") and isinstance(span.attributes, dict):
        return span.attributes.get(key)
    for kv in span.attributes:
        if kv.key == key:
            return getattr(kv.value, kv.value.WhichOneof("value"))
    return None


def _need_analyzer_support() -> None:
    try:
        from aurastream_obs.service.analyzer import ComprehendAnalyzer
        from aurastream_obs.service.cache import DynamoDBCache  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the service ships both
        pytest.fail(f"service classes missing: {exc}")
    assert ComprehendAnalyzer


def test_local_mode_service_calls_are_client_spans(moto_url: str, tmp_path: Path) -> None:
    _need_analyzer_support()
    env = {**AWS, "OTEL_TRACES_SAMPLER": "always_on", "AURASTREAM_PROMETHEUS_PORT": "0"}
    result = run_python(SERVICE_CALLS, env, cwd=tmp_path, args=(moto_url, uuid.uuid4().hex))
    assert result.returncode == 0, result.stderr
    assert last_json_line(result.stdout, "LOADED ") is False  # nothing before boto3 was
    spans = _aws_spans(read_spans(tmp_path / ".telemetry" / "traces.jsonl"))
    assert {"DynamoDB.CreateTable", "DynamoDB.PutItem", "DynamoDB.GetItem",
            "Comprehend.DetectSentiment"} <= set(spans)  # fmt: skip
    put = spans["DynamoDB.PutItem"]
    assert put.kind == "client" and not put.error
    assert put.attributes["rpc.service"] == "DynamoDB" and put.attributes["rpc.method"] == "PutItem"
    assert put.attributes["cloud.region"] == "eu-west-1"
    assert put.attributes["aws.request_id"]
    assert put.attributes["aws.dynamodb.table_names"]
    assert spans["Comprehend.DetectSentiment"].attributes["aws.request_id"]


def test_otlp_mode_sends_the_same_client_spans(
    moto_url: str, tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    env = {
        **AWS,
        "OTEL_TRACES_SAMPLER": "always_on",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url,
        "AURASTREAM_LOG_STDOUT": "false",
    }
    result = run_python(SERVICE_CALLS, env, cwd=tmp_path, args=(moto_url, uuid.uuid4().hex))
    assert result.returncode == 0, result.stderr
    spans = _aws_spans(otlp_receiver.spans())
    assert "DynamoDB.PutItem" in spans and "Comprehend.DetectSentiment" in spans
    assert spans["DynamoDB.PutItem"].kind == 3  # SPAN_KIND_CLIENT


class ThrottlingDynamoDB:
    """A DynamoDB stand-in on loopback: throttles the first `throttles` calls, then answers."""

    def __init__(self, throttles: int) -> None:
        self.calls = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                outer.calls += 1
                if outer.calls <= throttles:
                    body = json.dumps({
                        "__type": "com.amazonaws.dynamodb.v20120810#"
                                  "ProvisionedThroughputExceededException",
                        "message": "throttled"}).encode()  # fmt: skip
                    status = 400
                else:
                    body, status = b"{}", 200
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("x-amzn-RequestId", f"req-{outer.calls}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def throttling() -> Iterator[ThrottlingDynamoDB]:
    stand_in = ThrottlingDynamoDB(throttles=2)
    yield stand_in
    stand_in.close()


RETRY_AND_FAIL = """
    import sys
    import aurastream_obs
    telemetry = aurastream_obs.configure("aws-retries")
    import boto3
    from botocore.config import Config
    client = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="eu-west-1",
                          config=Config(retries={"mode": "standard", "max_attempts": 5}))
    client.put_item(TableName="t", Item={"k": {"S": "v"}})  # throttled twice, then stored
    dead = boto3.client("dynamodb", endpoint_url="http://127.0.0.1:9", region_name="eu-west-1",
                        config=Config(retries={"max_attempts": 1}, connect_timeout=0.5))
    try:
        dead.get_item(TableName="t", Key={"k": {"S": "v"}})
    except Exception as error:
        print("FAILED", type(error).__name__)
    telemetry.shutdown(5000)
"""


def test_retries_and_failures_are_on_the_span(
    throttling: ThrottlingDynamoDB, tmp_path: Path
) -> None:
    env = {**AWS, "OTEL_TRACES_SAMPLER": "always_on", "AURASTREAM_PROMETHEUS_PORT": "0"}
    result = run_python(RETRY_AND_FAIL, env, cwd=tmp_path, args=(throttling.url,))
    assert result.returncode == 0, result.stderr
    assert throttling.calls == 3
    assert "FAILED EndpointConnectionError" in result.stdout
    spans = _aws_spans(read_spans(tmp_path / ".telemetry" / "traces.jsonl"))
    put, get = spans["DynamoDB.PutItem"], spans["DynamoDB.GetItem"]
    assert put.attributes["retry_attempts"] == 2 and not put.error  # throttled, then stored
    assert put.attributes["aws.request_id"] == "req-3"
    assert get.error  # the call failed: ERROR status


LAMBDA_CALL = """
    import sys
    import aurastream_obs
    aurastream_obs.configure("aws-lambda-calls")

    @aurastream_obs.instrument_handler
    def handler(event, context):
        import boto3
        client = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="eu-west-1")
        client.put_item(TableName="t", Item={"k": {"S": "v"}})
        return {"statusCode": 200}

    handler({"version": "2.0", "routeKey": "POST /v1/analyze", "requestContext":
             {"http": {"method": "POST", "path": "/v1/analyze"}}}, None)
"""


def test_lambda_mode_aws_calls_are_xray_subsegments_with_the_aws_namespace(
    throttling: ThrottlingDynamoDB, tmp_path: Path
) -> None:
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(10)
    env = {
        **AWS,
        "AWS_LAMBDA_FUNCTION_NAME": "aurastream-api",
        "AWS_REGION": "eu-west-1",
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;"
        "Parent=53995c3f42cd8ad8;Sampled=1",
    }
    try:
        result = run_python(LAMBDA_CALL, env, cwd=tmp_path, args=(throttling.url,))
        assert result.returncode == 0, result.stderr
        documents = []
        daemon.settimeout(0.5)
        while True:
            try:
                documents.append(json.loads(daemon.recv(65536).partition(b"\n")[2]))
            except TimeoutError:
                break
    finally:
        daemon.close()
    found = [d for d in _walk(documents) if d.get("namespace") == "aws"]
    assert found, documents
    (call,) = found
    assert call["name"] == "DynamoDB"  # the X-Ray service map node
    assert call["aws"]["operation"] == "PutItem" and call["aws"]["table_name"] == "t"
    assert call["aws"]["region"] == "eu-west-1"


def _walk(documents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for document in documents:
        yield document
        yield from _walk(document.get("subsegments", []))


AUTO_INSTRUMENTED = """
    import sys
    import boto3
    client = boto3.client("dynamodb", region_name="eu-west-1", endpoint_url=sys.argv[1])
    client.list_tables()
"""


def test_under_opentelemetry_instrument_calls_are_traced_once_without_a_warning(
    moto_url: str, tmp_path: Path
) -> None:
    """opentelemetry-instrument loads the botocore instrumentation itself, which imports
    botocore while it initialises: our import hook must leave it to that importer (it used to
    import it back, circularly, and log "AWS SDK calls are not traced")."""
    import subprocess
    import sys

    from support.processes import clean_env

    instrument = Path(sys.executable).parent / "opentelemetry-instrument"
    if not instrument.exists():
        pytest.fail("opentelemetry-instrument is not installed in the venv")
    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent(AUTO_INSTRUMENTED))
    env = {**AWS, "OTEL_TRACES_SAMPLER": "always_on", "AURASTREAM_PROMETHEUS_PORT": "0"}
    result = subprocess.run(
        [str(instrument), sys.executable, str(app), moto_url],
        cwd=tmp_path, env=clean_env(env), capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "not traced" not in result.stdout + result.stderr
    spans = read_spans(tmp_path / ".telemetry" / "traces.jsonl")
    assert [s.name for s in spans if s.kind == "client"] == ["DynamoDB.ListTables"]
