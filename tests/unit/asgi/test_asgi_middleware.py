"""TelemetryMiddleware on small ASGI apps, with SDK providers injected (globals untouched)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from aurastream_obs.asgi import TelemetryMiddleware, get_request_info
from support.asgi_client import call, request

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
XRAY_ROOT = "1-5759e988-bd862e3fe1be46a994272793"
XRAY_PARENT = "53995c3f42cd8ad8"
ROUTES = {"/v1/analyze": "/v1/analyze", "/v1/health": "/v1/health"}


def respond(status: int = 200, body: bytes = b'{"ok":true}') -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def wrap(app: Any, telemetry: Any, **kwargs: Any) -> TelemetryMiddleware:
    kwargs.setdefault("route_resolver", ROUTES.get)
    return TelemetryMiddleware(
        app,
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
        **kwargs,
    )


def test_server_span_has_semconv_name_kind_and_attributes(telemetry: Any) -> None:
    app = wrap(respond(), telemetry)
    response = request(
        app,
        "POST",
        "/v1/analyze",
        headers=[
            ("host", "api.example.com:8443"),
            ("user-agent", "pytest/1"),
            ("x-forwarded-for", "203.0.113.9, 10.0.0.1"),
        ],
    )
    assert response.status == 200
    span = telemetry.span("POST /v1/analyze")
    assert span.kind is SpanKind.SERVER
    attrs = dict(span.attributes)
    assert attrs["http.request.method"] == "POST"
    assert attrs["http.route"] == "/v1/analyze"
    assert attrs["http.response.status_code"] == 200
    assert attrs["url.scheme"] == "http"
    assert attrs["url.path"] == "/v1/analyze"
    assert attrs["client.address"] == "203.0.113.9"
    assert attrs["server.address"] == "api.example.com"
    assert attrs["user_agent.original"] == "pytest/1"
    assert "error.type" not in attrs
    assert span.status.status_code is StatusCode.UNSET
    assert span.parent is None


def test_parent_continued_from_traceparent(telemetry: Any) -> None:
    app = wrap(respond(), telemetry)
    response = request(
        app, "GET", "/v1/health", headers=[("traceparent", f"00-{TRACE_ID}-{PARENT_ID}-01")]
    )
    span = telemetry.span("GET /v1/health")
    assert f"{span.context.trace_id:032x}" == TRACE_ID
    assert span.parent is not None and f"{span.parent.span_id:016x}" == PARENT_ID
    assert span.parent.is_remote
    # traceresponse names this server span; X-Amzn-Trace-Id carries the same trace id.
    assert response.header("traceresponse") == (f"00-{TRACE_ID}-{span.context.span_id:016x}-01")
    xray = response.header("x-amzn-trace-id")
    assert (
        xray == f"Root=1-{TRACE_ID[:8]}-{TRACE_ID[8:]};Parent={span.context.span_id:016x};Sampled=1"
    )


def test_parent_continued_from_x_amzn_trace_id(telemetry: Any) -> None:
    # The default global propagator (tracecontext, baggage) does not know X-Ray: the middleware
    # must still read the header (contract: both headers are read).
    app = wrap(respond(), telemetry)
    header = f"Root={XRAY_ROOT};Parent={XRAY_PARENT};Sampled=1"
    response = request(app, "GET", "/v1/health", headers=[("X-Amzn-Trace-Id", header)])
    span = telemetry.span("GET /v1/health")
    expected_trace = XRAY_ROOT[2:10] + XRAY_ROOT[11:]
    assert f"{span.context.trace_id:032x}" == expected_trace
    assert f"{span.parent.span_id:016x}" == XRAY_PARENT
    echoed = response.header("x-amzn-trace-id")
    assert echoed is not None and echoed.startswith(f"Root={XRAY_ROOT};")
    assert f"Parent={span.context.span_id:016x}" in echoed


def test_explicit_propagator_is_used(telemetry: Any) -> None:
    from opentelemetry.propagators.composite import CompositePropagator

    # A propagator that knows nothing: traceparent must be ignored.
    app = wrap(respond(), telemetry, propagator=CompositePropagator([]))
    request(app, "GET", "/v1/health", headers=[("traceparent", f"00-{TRACE_ID}-{PARENT_ID}-01")])
    span = telemetry.span("GET /v1/health")
    assert span.parent is None
    assert f"{span.context.trace_id:032x}" != TRACE_ID


@pytest.mark.parametrize(
    "headers",
    [
        [("traceparent", "00-zzzz-not-a-trace-01")],
        [("traceparent", "00-" + "0" * 32 + "-" + "0" * 16 + "-01")],
        [("x-amzn-trace-id", "Root=1-zzzzzzzz-bd862e3fe1be46a994272793;Parent=xyz;Sampled=1")],
        [("x-amzn-trace-id", "garbage;;==;Root")],
        [("x-amzn-trace-id", "Root=1-5759e988-0x862e3fe1be46a99427279;Parent=+3995c3f42cd8ad8")],
        [(b"traceparent", b"\xff\xfe\x00binary"), (b"x-amzn-trace-id", b"\xc3\x28")],
        [("traceparent", "00-" + "a" * 5000)],
    ],
)
def test_malformed_trace_headers_start_a_new_trace(telemetry: Any, headers: Any) -> None:
    app = wrap(respond(), telemetry)
    response = request(app, "GET", "/v1/health", headers=headers)
    assert response.status == 200
    span = telemetry.span("GET /v1/health")
    assert span.parent is None
    assert span.context.is_valid
    assert response.header("x-amzn-trace-id") is not None


def test_5xx_response_marks_span_error_and_metric_error_type(telemetry: Any) -> None:
    app = wrap(respond(503, b'{"error":"busy"}'), telemetry)
    response = request(app, "POST", "/v1/analyze")
    assert response.status == 503
    span = telemetry.span("POST /v1/analyze")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "503"
    (point,) = telemetry.points("http.server.request.duration")
    assert point.attributes["error.type"] == "503"
    assert point.attributes["http.response.status_code"] == 503


def test_4xx_is_not_a_server_error(telemetry: Any) -> None:
    app = wrap(respond(404), telemetry)
    request(app, "GET", "/nope")
    span = telemetry.span("GET")
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in span.attributes


def test_app_exception_answers_500_json_records_exception_and_reraises(
    telemetry: Any, events: Any
) -> None:
    async def boom(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("analyzer exploded")

    app = wrap(boom, telemetry, events=events)
    response = request(app, "POST", "/v1/analyze")
    assert isinstance(response.raised, RuntimeError)  # re-raised for the server's log
    assert response.status == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "Internal server error"}
    }
    assert response.header("x-amzn-trace-id") is not None
    span = telemetry.span("POST /v1/analyze")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "RuntimeError"
    assert span.attributes["http.response.status_code"] == 500
    (event,) = [e for e in span.events if e.name == "exception"]
    assert event.attributes["exception.message"] == "analyzer exploded"
    (err,) = events.named("error")
    assert err["client_error"] is False and isinstance(err["exc"], RuntimeError)
    (resp,) = events.named("api_response")
    assert resp["status_code"] == 500


def test_exception_after_response_started_keeps_status(telemetry: Any) -> None:
    async def half(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ValueError("stream broke")

    app = wrap(half, telemetry)
    response = request(app, "GET", "/v1/health")
    assert isinstance(response.raised, ValueError)
    starts = [m for m in response.messages if m["type"] == "http.response.start"]
    assert len(starts) == 1  # no second response start
    span = telemetry.span("GET /v1/health")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ValueError"
    assert span.attributes["http.response.status_code"] == 200


def test_duration_histogram_recorded_with_route(telemetry: Any) -> None:
    app = wrap(respond(), telemetry)
    for _ in range(3):
        request(app, "POST", "/v1/analyze")
    (point,) = telemetry.points("http.server.request.duration")
    assert point.count == 3
    assert dict(point.attributes) == {
        "http.request.method": "POST",
        "http.route": "/v1/analyze",
        "http.response.status_code": 200,
        "url.scheme": "http",
        "network.protocol.version": "1.1",
    }
    assert 0 < point.sum < 3.0  # seconds, not milliseconds
    assert 0.25 in point.explicit_bounds and 1.0 in point.explicit_bounds


def test_unknown_route_has_no_http_route(telemetry: Any) -> None:
    app = wrap(respond(404), telemetry)
    request(app, "GET", "/wp-admin/../etc/passwd")
    span = telemetry.span("GET")
    assert "http.route" not in span.attributes
    (point,) = telemetry.points("http.server.request.duration")
    assert "http.route" not in point.attributes


def test_nonstandard_method_is_other(telemetry: Any) -> None:
    app = wrap(respond(405), telemetry)
    request(app, "FOOBAR", "/v1/health")
    span = telemetry.span("HTTP /v1/health")
    assert span.attributes["http.request.method"] == "_OTHER"
    assert span.attributes["http.request.method_original"] == "FOOBAR"


def test_request_id_events_and_echo(telemetry: Any, events: Any) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        info = get_request_info(scope)
        assert info is not None
        info.cache_hit = True
        await respond()(scope, receive, send)

    wrapped = wrap(app, telemetry, events=events, customer_resolver=lambda h: "cust-1")
    response = request(
        wrapped,
        "POST",
        "/v1/analyze",
        headers=[
            ("x-request-id", "req-123"),
            ("user-agent", "ua"),
            ("x-forwarded-for", "198.51.100.7"),
        ],
    )
    assert response.header("x-request-id") == "req-123"
    assert events.named("api_request") == []  # one record per request: the response's
    (resp,) = events.named("api_response")
    assert {k: v for k, v in resp.items() if k != "response_time_ms"} == {
        "request_id": "req-123",
        "method": "POST",
        "path": "/v1/analyze",
        "customer_id": "cust-1",
        "user_agent": "ua",
        "ip_address": "198.51.100.7",
        "status_code": 200,
        "cache_hit": True,
    }
    assert resp["response_time_ms"] >= 0
    assert telemetry.span("POST /v1/analyze").attributes["aurastream.customer.id"] == "cust-1"


def test_unsafe_request_id_is_replaced_and_peer_used_without_forwarded_for(
    telemetry: Any, events: Any
) -> None:
    app = wrap(respond(), telemetry, events=events)
    request(
        app,
        "GET",
        "/v1/health",
        headers=[("x-request-id", "bad id\nwith newline")],
        client=("192.0.2.1", 1234),
    )
    (req,) = events.named("api_response")
    assert req["request_id"] != "bad id\nwith newline" and len(req["request_id"]) == 32
    assert req["ip_address"] == "192.0.2.1"


def test_child_spans_are_parented_on_the_server_span(telemetry: Any) -> None:
    tracer = telemetry.tracer_provider.get_tracer("test")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        with tracer.start_as_current_span("child"):
            pass
        await respond()(scope, receive, send)

    request(wrap(app, telemetry), "GET", "/v1/health")
    server, child = telemetry.span("GET /v1/health"), telemetry.span("child")
    assert child.parent.span_id == server.context.span_id


def test_lifespan_and_websocket_pass_through(telemetry: Any) -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)

    mw = wrap(app, telemetry)
    for kind in ("lifespan", "websocket"):
        scope = {"type": kind}
        asyncio.run(mw(scope, None, None))
        assert seen[-1] is scope  # untouched, not copied, no request info
    assert telemetry.spans() == []


def test_telemetry_failures_never_fail_the_request(telemetry: Any) -> None:
    class BrokenTracerProvider:
        def get_tracer(self, *args: Any, **kwargs: Any) -> Any:
            return self

        def start_span(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("tracer down")

    def broken_resolver(path: str) -> str:
        raise RuntimeError("resolver down")

    mw = TelemetryMiddleware(
        respond(),
        tracer_provider=BrokenTracerProvider(),  # type: ignore[arg-type]
        meter_provider=telemetry.meter_provider,
        route_resolver=broken_resolver,
        customer_resolver=broken_resolver,
    )
    response = request(mw, "GET", "/v1/health")
    assert response.status == 200 and response.json() == {"ok": True}
    assert response.raised is None


def test_client_disconnect_cancellation_ends_span(telemetry: Any) -> None:
    async def run() -> None:
        entered = asyncio.Event()

        async def slow(scope: Any, receive: Any, send: Any) -> None:
            entered.set()
            await asyncio.sleep(10)  # the scenario: a slow app, cancelled by the disconnect

        task = asyncio.ensure_future(call(wrap(slow, telemetry), "GET", "/v1/health"))
        await entered.wait()  # the request is inside the app
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    span = telemetry.span("GET /v1/health")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "asyncio.exceptions.CancelledError"
