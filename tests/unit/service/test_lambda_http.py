"""The reference service as a Lambda function: API Gateway HTTP API (v2) events through
`create_handler()` (instrument_handler included), with fresh SDK providers."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from aurastream_obs.bootstrap import Telemetry
from aurastream_obs.core.settings import Settings
from aurastream_obs.service import (
    AuraStreamService,
    Customer,
    CustomerDirectory,
    LexiconAnalyzer,
    TTLCache,
)
from aurastream_obs.service.lambda_http import create_handler
from aurastream_obs.signals import AuraStreamMetrics
from support.paths import LAMBDA_EVENTS

EVENT = json.loads((LAMBDA_EVENTS / "http_api_v2.json").read_text())
KEY = "demo-key-1"
CUSTOMERS = {KEY: Customer("cust-a", 0.002)}


class BrokenAnalyzer(LexiconAnalyzer):
    def analyze(self, text: str, language: str) -> Any:
        raise RuntimeError("analyzer down")


def v2(method: str, path: str, body: Any = None, key: str | None = KEY) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["routeKey"] = f"{method} {path}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["body"] = body if body is None or isinstance(body, str) else json.dumps(body)
    for name in ("traceparent", "x-amzn-trace-id"):
        event["headers"].pop(name)
    if key is None:
        event["headers"].pop("x-api-key")
    else:
        event["headers"]["x-api-key"] = key
    return event


def make_handler(telemetry: Any, events: Any, analyzer: Any = None) -> Any:
    service = AuraStreamService(
        analyzer=analyzer or LexiconAnalyzer(),
        cache=TTLCache(),
        customers=CustomerDirectory(CUSTOMERS),
        metrics=AuraStreamMetrics(telemetry.meter_provider.get_meter("test")),
        tracer_provider=telemetry.tracer_provider,
        events=events,
    )
    sdk = Telemetry(
        settings=Settings(mode="none"),
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
    )
    return create_handler(
        service, events=events, telemetry=sdk, meter_provider=telemetry.meter_provider
    )


@pytest.fixture
def handler(telemetry: Any, events: Any) -> Any:
    return make_handler(telemetry, events)


def test_analyze_200_with_span_metrics_and_events(
    handler: Any, telemetry: Any, events: Any
) -> None:
    response = handler(v2("POST", "/v1/analyze", {"text": "I love this product"}), None)
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "application/json"
    body = json.loads(response["body"])
    assert body["sentiment"] == "POSITIVE" and body["cached"] is False
    # One SERVER span per invocation (instrument_handler's), the service's spans under it.
    server = telemetry.span("POST /v1/analyze")
    assert server.kind == SpanKind.SERVER
    assert server.attributes["http.route"] == "/v1/analyze"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["aurastream.customer.id"] == "cust-a"
    analyze = telemetry.span("sentiment.analyze")
    assert analyze.parent is not None and analyze.parent.span_id == server.context.span_id
    # The same metrics as the ASGI app.
    (duration,) = telemetry.points("http.server.request.duration")
    assert duration.attributes["http.route"] == "/v1/analyze"
    assert duration.attributes["http.response.status_code"] == 200
    assert telemetry.points("aurastream.sentiment.analyses")[0].value == 1
    assert telemetry.points("aurastream.cache.lookups")[0].attributes == {
        "aurastream.cache.hit": False
    }
    assert telemetry.points("aurastream.revenue")
    kinds = [call[0] for call in events.calls]
    assert "api_request" not in kinds and kinds[-1] == "api_response"  # one per request
    assert "business_event" in kinds


def test_second_request_is_cached(handler: Any) -> None:
    handler(v2("POST", "/v1/analyze", {"text": "great"}), None)
    response = handler(v2("POST", "/v1/analyze", {"text": "GREAT"}), None)
    assert json.loads(response["body"])["cached"] is True


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "invalid_json"),
        ({"text": ""}, "empty_text"),
        ({}, "missing_text"),
        ({"text": "x", "language_code": "xx"}, "unsupported_language"),
    ],
)
def test_bad_input_400(handler: Any, telemetry: Any, body: Any, code: str) -> None:
    response = handler(v2("POST", "/v1/analyze", body), None)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["code"] == code
    server = telemetry.span("POST /v1/analyze")
    assert server.attributes["http.response.status_code"] == 400
    assert server.status.status_code != StatusCode.ERROR  # a client error is not a fault


def test_base64_body(handler: Any) -> None:
    import base64

    event = v2("POST", "/v1/analyze")
    event["body"] = base64.b64encode(b'{"text": "I love it"}').decode()
    event["isBase64Encoded"] = True
    assert handler(event, None)["statusCode"] == 200


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_unauthorized_401_is_a_security_event(handler: Any, events: Any, key: str | None) -> None:
    response = handler(v2("POST", "/v1/analyze", {"text": "hi"}, key=key), None)
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "unauthorized"
    security = [call for call in events.calls if call[0] == "security_event"]
    assert len(security) == 1


def test_unknown_route_404_and_wrong_method_405(handler: Any, telemetry: Any) -> None:
    response = handler(v2("GET", "/v1/nope"), None)
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "not_found"
    wrong = handler(v2("GET", "/v1/analyze"), None)
    assert wrong["statusCode"] == 405 and wrong["headers"]["allow"] == "POST"
    durations = telemetry.points("http.server.request.duration")
    assert {p.attributes.get("http.route") for p in durations} == {None, "/v1/analyze"}


def test_health_200(handler: Any) -> None:
    response = handler(v2("GET", "/v1/health", key=None), None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["checks"]["analyzer"]["name"] == "lexicon"


def test_analyzer_failure_500_marks_the_span(
    telemetry: Any, events: Any, caplog: pytest.LogCaptureFixture
) -> None:
    handler = make_handler(telemetry, events, analyzer=BrokenAnalyzer())
    with caplog.at_level(logging.ERROR):
        response = handler(v2("POST", "/v1/analyze", {"text": "hello"}), None)
    assert response["statusCode"] == 500
    assert json.loads(response["body"])["error"]["code"] == "internal_error"
    server = telemetry.span("POST /v1/analyze")
    assert server.status.status_code == StatusCode.ERROR
    (duration,) = telemetry.points("http.server.request.duration")
    assert duration.attributes["error.type"] == "RuntimeError"
    assert any(call[0] == "error" for call in events.calls)
