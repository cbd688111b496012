"""The reference service driven in-process through create_app() (middleware included)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

from aurastream_obs.service import (
    AnalysisResult,
    Customer,
    CustomerDirectory,
    LexiconAnalyzer,
    TTLCache,
    create_app,
    key_fingerprint,
)
from support.asgi_client import request

KEY = "test-key-1"
AUTH = [("x-api-key", KEY)]
CUSTOMERS = {KEY: Customer("cust-a", 0.002)}


def make_app(telemetry: Any, events: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("analyzer", LexiconAnalyzer())
    kwargs.setdefault("cache", TTLCache())
    kwargs.setdefault("customers", CustomerDirectory(CUSTOMERS))
    return create_app(
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
        events=events,
        **kwargs,
    )


@pytest.fixture
def app(telemetry: Any, events: Any) -> Any:
    return make_app(telemetry, events)


def analyze(app: Any, payload: Any = None, **kwargs: Any) -> Any:
    kwargs.setdefault("headers", AUTH)
    return request(app, "POST", "/v1/analyze", json=payload, **kwargs)


def test_health(app: Any) -> None:
    response = request(app, "GET", "/v1/health")
    assert response.status == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["analyzer"] == {"status": "ok", "name": "lexicon"}
    assert body["checks"]["cache"]["status"] == "ok"
    assert body["checks"]["customers"]["count"] == 1


def test_analyze_positive_then_cached(app: Any, telemetry: Any, events: Any) -> None:
    first = analyze(app, {"text": "I love this product, it is absolutely wonderful!"})
    assert first.status == 200
    assert first.header("content-type") == "application/json"
    body = first.json()
    assert body["sentiment"] == "POSITIVE" and body["cached"] is False
    assert set(body["scores"]) == {"positive", "negative", "neutral", "mixed"}
    assert sum(body["scores"].values()) == pytest.approx(1.0, abs=1e-3)
    assert body["scores"]["positive"] == max(body["scores"].values())
    # Same text after normalisation (case, whitespace): served from the cache.
    second = analyze(app, {"text": "  i LOVE this product,   it is absolutely wonderful! "})
    assert second.json() == {**body, "cached": True}
    assert [e["cache_hit"] for e in events.named("api_response")] == [False, True]

    hits = {
        p.attributes["aurastream.cache.hit"]: p.value
        for p in telemetry.points("aurastream.cache.lookups")
    }
    assert hits == {True: 1, False: 1}
    (analyses,) = telemetry.points("aurastream.sentiment.analyses")
    assert analyses.value == 2 and analyses.attributes["sentiment"] == "POSITIVE"
    (duration,) = telemetry.points("aurastream.sentiment.duration")
    assert duration.count == 1  # misses only
    (revenue,) = telemetry.points("aurastream.revenue")
    assert revenue.value == pytest.approx(0.004)
    assert revenue.attributes["aurastream.customer.id"] == "cust-a"
    (usage,) = telemetry.points("aurastream.usage")
    assert usage.value == 2
    (activity,) = telemetry.points("aurastream.customer.activity")
    assert dict(activity.attributes) == {
        "aurastream.customer.id": "cust-a",
        "aurastream.activity.type": "analysis",
    }
    business = events.named("business_event")
    assert [b["data"]["cached"] for b in business] == [False, True]
    assert business[0]["event_type"] == "analysis" and business[0]["customer_id"] == "cust-a"
    assert "text" not in business[0]["data"]


def test_negative_text(app: Any) -> None:
    body = analyze(app, {"text": "This is terrible, I hate it and want a refund."}).json()
    assert body["sentiment"] == "NEGATIVE"


def test_spans_of_an_analysis(app: Any, telemetry: Any) -> None:
    secret = "my secret diary says I love it"
    analyze(app, {"text": secret, "language_code": "en"})
    server = telemetry.span("POST /v1/analyze")
    lookup = telemetry.span("cache.lookup")
    analysis = telemetry.span("sentiment.analyze")
    assert lookup.parent.span_id == server.context.span_id
    assert analysis.parent.span_id == server.context.span_id
    assert lookup.attributes["aurastream.cache.hit"] is False
    assert analysis.attributes["aurastream.analyzer"] == "lexicon"
    assert analysis.attributes["aurastream.text.length"] == len(secret)
    assert analysis.attributes["aurastream.language"] == "en"
    for span in telemetry.spans():  # the text itself never appears on any span
        assert all(secret not in str(v) for v in span.attributes.values())
    assert server.attributes["aurastream.customer.id"] == "cust-a"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"\xff\xfe\xfa", "invalid_json"),
        (b"[1, 2]", "invalid_request"),
        (b'"text"', "invalid_request"),
        (b"[" * 20000 + b"]" * 20000, "invalid_json"),
        (b"{}", "missing_text"),
        (b'{"text": 42}', "invalid_text"),
        (b'{"text": ["a"]}', "invalid_text"),
        (b'{"text": "   \\n\\t "}', "empty_text"),
        (b'{"text": ""}', "empty_text"),
        (b'{"text": "\\ud800 lone surrogate"}', "invalid_text"),
        (json.dumps({"text": "é" * 2501}).encode(), "text_too_long"),  # 2501 chars, 5002 bytes
        (b'{"text": "hello", "language_code": 7}', "invalid_language_code"),
        (b'{"text": "hello", "language_code": "xx"}', "unsupported_language"),
        (b'{"text": "hola", "language_code": "es"}', "unsupported_language"),  # lexicon: en only
    ],
)
def test_bad_input_is_400_and_logged_as_client_error(
    app: Any, events: Any, telemetry: Any, body: bytes, code: str
) -> None:
    response = request(app, "POST", "/v1/analyze", body=body, headers=AUTH)
    assert response.status == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    (err,) = events.named("error")
    assert err["client_error"] is True and err["error_type"] == code
    assert telemetry.span("POST /v1/analyze").status.status_code is StatusCode.UNSET


def test_text_of_exactly_5000_bytes_is_accepted(app: Any) -> None:
    response = analyze(app, {"text": "é" * 2500})
    assert response.status == 200


def test_body_too_large_is_413(app: Any) -> None:
    big = json.dumps({"text": "a" * 70_000}).encode()
    response = request(
        app, "POST", "/v1/analyze", body=big, headers=[*AUTH, ("content-length", str(len(big)))]
    )
    assert response.status == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_streamed_body_too_large_is_413_without_reading_it_all(app: Any) -> None:
    chunks = [b"x" * 16_384] * 10  # no content-length, 160 KB
    response = request(app, "POST", "/v1/analyze", chunks=chunks, headers=AUTH)
    assert response.status == 413


def test_chunked_body_is_reassembled(app: Any) -> None:
    payload = json.dumps({"text": "What a great day"}).encode()
    response = request(app, "POST", "/v1/analyze", chunks=[payload[:5], payload[5:]], headers=AUTH)
    assert response.status == 200 and response.json()["sentiment"] == "POSITIVE"


@pytest.mark.parametrize("headers", [[], [("x-api-key", "wrong-key")], [("x-api-key", "")]])
def test_unauthenticated_is_401_and_a_security_event(app: Any, events: Any, headers: Any) -> None:
    response = analyze(app, {"text": "hello"}, headers=headers)
    assert response.status == 401
    assert response.json()["error"]["code"] == "unauthorized"
    (event,) = events.named("security_event")
    assert event["event_type"] == "failed_authentication"
    key = dict(headers).get("x-api-key")
    if key:
        assert event["reason"] == "invalid_api_key"
        assert len(event["key_fingerprint"]) == 12
        assert all(key not in str(v) for v in event.values())  # never the key itself
    else:
        assert event["reason"] == "missing_api_key"
    assert events.named("business_event") == []


def test_unknown_route_404_and_wrong_method_405(app: Any, telemetry: Any) -> None:
    missing = request(app, "GET", "/v2/unknown")
    assert missing.status == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = request(app, "GET", "/v1/analyze")
    assert wrong.status == 405 and wrong.header("allow") == "POST"
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    names = sorted(s.name for s in telemetry.spans())
    assert names == ["GET", "GET /v1/analyze"]


class RaisingAnalyzer(LexiconAnalyzer):
    def analyze(self, text: str, language_code: str) -> AnalysisResult:
        raise ConnectionError("comprehend unreachable")


def test_analyzer_failure_is_500_with_exception_on_spans(telemetry: Any, events: Any) -> None:
    app = make_app(telemetry, events, analyzer=RaisingAnalyzer())
    response = analyze(app, {"text": "hello there"})
    assert response.status == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert isinstance(response.raised, ConnectionError)
    server = telemetry.span("POST /v1/analyze")
    assert server.status.status_code is StatusCode.ERROR
    assert server.attributes["error.type"] == "ConnectionError"
    assert any(e.name == "exception" for e in server.events)
    analysis = telemetry.span("sentiment.analyze")
    assert analysis.status.status_code is StatusCode.ERROR
    (err,) = events.named("error")
    assert err["client_error"] is False and err["error_type"] == "ConnectionError"
    (point,) = telemetry.points("http.server.request.duration")
    assert point.attributes["http.response.status_code"] == 500
    assert point.attributes["error.type"] == "ConnectionError"


class BrokenCache:
    name = "broken"
    blocking = False
    errors = 0

    def get(self, key: str) -> AnalysisResult | None:
        raise OSError("cache backend down")

    def put(self, key: str, result: AnalysisResult) -> None:
        raise OSError("cache backend down")


def test_cache_failure_degrades_to_a_miss(telemetry: Any, events: Any) -> None:
    app = make_app(telemetry, events, cache=BrokenCache())
    for _ in range(2):
        response = analyze(app, {"text": "I love it"})
        assert response.status == 200 and response.json()["cached"] is False
    lookups = [s for s in telemetry.spans() if s.name == "cache.lookup"]
    assert all(s.attributes["aurastream.cache.hit"] is False for s in lookups)
    assert any(e.name == "exception" for e in lookups[0].events)
    health = request(app, "GET", "/v1/health").json()
    assert health["status"] == "ok"
    assert health["checks"]["cache"] == {"status": "degraded", "type": "broken", "errors": 4}
    # No new failures since the last check: the cache reads as ok again.
    assert request(app, "GET", "/v1/health").json()["checks"]["cache"]["status"] == "ok"


def test_slow_analyzer_runs_in_a_worker_thread(telemetry: Any, events: Any) -> None:
    import threading

    threads: list[str] = []
    analyzer = LexiconAnalyzer(
        slow_fraction=1.0,
        slow_seconds=0.001,
        sleep=lambda s: threads.append(threading.current_thread().name),
    )
    app = make_app(telemetry, events, analyzer=analyzer)
    assert analyze(app, {"text": "good"}).status == 200
    assert threads and threads[0] != threading.main_thread().name
    # The span made in the worker thread is still a child of the server span.
    server, analysis = telemetry.span("POST /v1/analyze"), telemetry.span("sentiment.analyze")
    assert analysis.parent.span_id == server.context.span_id


def test_app_without_middleware_still_serves(telemetry: Any, events: Any) -> None:
    app = make_app(telemetry, events).app  # the bare AuraStreamService
    assert analyze(app, {"text": "I love it"}).status == 200


def test_lifespan_startup_and_shutdown(app: Any) -> None:
    import asyncio

    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_real_events_module_receives_the_events(
    telemetry: Any, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("aurastream_obs.logs.events")
    from aurastream_obs.asgi import EventSink

    app = make_app(telemetry, EventSink())
    with caplog.at_level(logging.INFO, logger="aurastream.events"):
        analyze(app, {"text": "I love it"})
        analyze(app, {"text": "I love it"}, headers=[("x-api-key", "leaked-key-123")])
    records = [r for r in caplog.records if r.name == "aurastream.events"]
    kinds = [getattr(r, "event_type", None) for r in records]
    assert kinds == [
        "business_analysis",
        "api_response",
        "failed_authentication",
        "api_response",
    ]
    assert records[1].cache_hit is False and records[3].status_code == 401
    assert records[1].method == "POST" and records[1].path == "/v1/analyze"
    assert records[2].key_fingerprint == key_fingerprint("leaked-key-123")
    for record in records:  # neither the key nor the text is ever logged
        assert "leaked-key-123" not in str(vars(record))
        assert "I love it" not in str(vars(record))


def test_health_carries_the_shared_health_verdict(app: Any) -> None:
    # The same folding as `aurastream-obs health` (ops.health.run_checks).
    assert request(app, "GET", "/v1/health").json()["health"] == "healthy"
