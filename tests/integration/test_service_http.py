"""The reference service over real sockets: uvicorn in a thread, DynamoDB on a moto server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aurastream_obs.service import (
    AnalysisResult,
    CustomerDirectory,
    DynamoDBCache,
    LexiconAnalyzer,
    create_app,
    run_in_thread,
)
from support.moto import Clients

pytestmark = pytest.mark.integration

TABLE = "AuraStream-SentimentCache"
RESULT = AnalysisResult("NEGATIVE", 0.05, 0.85, 0.1, 0.0)


@pytest.fixture
def dynamodb(clients: Clients) -> Any:
    """The cache table on the shared moto server (`clients`, `moto_url`: tests/conftest.py)."""
    client = clients("dynamodb")
    if TABLE not in client.list_tables()["TableNames"]:
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "text_hash", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "text_hash", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    return client


def test_dynamodb_round_trip(dynamodb: Any) -> None:
    cache = DynamoDBCache(TABLE, client=dynamodb)
    assert cache.get("absent-key") is None
    cache.put("k1", RESULT)
    assert cache.get("k1") == RESULT
    item = dynamodb.get_item(TableName=TABLE, Key={"text_hash": {"S": "k1"}})["Item"]
    assert item["sentiment"] == {"S": "NEGATIVE"}
    assert int(item["expires_at"]["N"]) - int(item["created_at"]["N"]) == 3600
    assert cache.errors == 0


def test_dynamodb_expired_item_is_a_miss(dynamodb: Any) -> None:
    now = [1_700_000_000.0]
    cache = DynamoDBCache(TABLE, client=dynamodb, ttl_seconds=10, clock=lambda: now[0])
    cache.put("k-exp", RESULT)
    assert cache.get("k-exp") == RESULT
    now[0] += 10
    assert cache.get("k-exp") is None


def test_dynamodb_missing_table_is_a_miss_not_an_error(dynamodb: Any) -> None:
    cache = DynamoDBCache("no-such-table", client=dynamodb)
    assert cache.get("k1") is None
    cache.put("k1", RESULT)  # must not raise
    assert cache.errors == 2


def _lower(items: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in items}


def _http(
    url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, _lower(resp.headers.items()), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, _lower(err.headers.items()), json.loads(err.read())


def test_service_over_http_with_dynamodb_cache(dynamodb: Any) -> None:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    app = create_app(
        analyzer=LexiconAnalyzer(),
        cache=DynamoDBCache(TABLE, client=dynamodb),
        customers=CustomerDirectory.demo(),
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
    )
    trace_id = "5759e988bd862e3fe1be46a994272793"
    with run_in_thread(app) as server:
        assert server.port > 0
        url = f"{server.url}/v1/analyze"
        auth = {
            "x-api-key": "demo-key-globex",
            "content-type": "application/json",
            "traceparent": f"00-{trace_id}-53995c3f42cd8ad8-01",
        }
        text = {"text": "The delivery was late and the box was damaged. Very disappointing."}
        status, headers, body = _http(url, "POST", text, auth)
        assert status == 200, body
        assert body["sentiment"] == "NEGATIVE" and body["cached"] is False
        assert headers["x-amzn-trace-id"].startswith(f"Root=1-{trace_id[:8]}-{trace_id[8:]};")
        assert "server" not in headers
        status, _, again = _http(url, "POST", text, auth)
        assert status == 200 and again["cached"] is True
        assert again["scores"] == body["scores"]

        status, _, denied = _http(url, "POST", text, {"x-api-key": "nope"})
        assert status == 401 and denied["error"]["code"] == "unauthorized"
        status, _, bad = _http(url, "POST", {"text": ""}, auth)
        assert status == 400 and bad["error"]["code"] == "empty_text"
        status, headers, _ = _http(f"{server.url}/v1/analyze", "GET")
        assert status == 405 and headers["allow"] == "POST"
        status, _, health = _http(f"{server.url}/v1/health")
        assert status == 200 and health["checks"]["cache"]["type"] == "dynamodb"

    server_spans = [s for s in exporter.get_finished_spans() if s.name == "POST /v1/analyze"]
    assert len(server_spans) == 4
    first = server_spans[0]
    assert f"{first.context.trace_id:032x}" == trace_id
    assert first.attributes["http.response.status_code"] == 200
    assert first.attributes["client.address"] == "127.0.0.1"
    lookups = [s for s in exporter.get_finished_spans() if s.name == "cache.lookup"]
    assert [s.attributes["aurastream.cache.hit"] for s in lookups] == [False, True]
    tracer_provider.shutdown()
    meter_provider.shutdown()


def test_service_with_comprehend_on_a_moto_server(dynamodb: Any, clients: Clients) -> None:
    """The Comprehend analyzer through a real boto3 client against a real moto server."""
    from aurastream_obs.service.analyzer import ComprehendAnalyzer

    client = clients("comprehend")
    app = create_app(
        analyzer=ComprehendAnalyzer(client),
        cache=DynamoDBCache(TABLE, client=dynamodb),
        customers=CustomerDirectory.demo(),
        tracer_provider=TracerProvider(),
        meter_provider=MeterProvider(),
    )
    with run_in_thread(app) as server:
        headers = {"x-api-key": "demo-key-acme", "content-type": "application/json"}
        text = {"text": "Comprehend, please judge this sentence.", "language_code": "en"}
        status, _, body = _http(f"{server.url}/v1/analyze", "POST", text, headers)
        assert status == 200, body
        assert body["sentiment"] in {"POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"}
        assert set(body["scores"]) == {"positive", "negative", "neutral", "mixed"}
        assert abs(sum(body["scores"].values()) - 1.0) < 0.05
        status, _, again = _http(f"{server.url}/v1/analyze", "POST", text, headers)
        assert status == 200 and again["cached"] is True


def test_server_stops_and_releases_port() -> None:
    app = create_app(analyzer=LexiconAnalyzer(), customers=CustomerDirectory())
    server = run_in_thread(app)
    status, _, body = _http(f"{server.url}/v1/health")
    assert status == 200 and body["checks"]["customers"]["status"] == "no_api_keys"
    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{server.url}/v1/health", timeout=2)
