"""The reference service as an AWS Lambda function behind an API Gateway HTTP API (payload 2.0).

`create_handler()` builds the instrumented handler; `service/lambda_entry.py` is the module
Lambda loads (`aurastream_obs.service.lambda_entry.handler`, deploy/sam/aurastream-lambda.yaml).

Same routes, validation, analyzer, cache, customers, metrics and log events as the ASGI app:
the request handling is `AuraStreamService.handle`; this module only translates the event to
a request and the result to the proxy response, and records what `TelemetryMiddleware`
records for the ASGI app (`http.server.request.duration`, the `api_request`/`api_response`
events, the error event of a 5xx). `instrument_handler` makes the invocation's SERVER span
(with `http.route`, `http.response.status_code`) and flushes all signals before returning.
The telemetry mode comes from the environment (`lambda` collectorless, `otlp` with ADOT).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from opentelemetry import metrics as metrics_api
from opentelemetry import trace

from aurastream_obs.aws_lambda import instrument_handler
from aurastream_obs.core import conventions as c
from aurastream_obs.core.version import __version__
from aurastream_obs.http_server import request as rq
from aurastream_obs.http_server.event_sink import EventSink
from aurastream_obs.http_server.info import RequestInfo
from aurastream_obs.http_server.recorder import HttpServerRecorder
from aurastream_obs.service.app import ROUTES, AuraStreamService
from aurastream_obs.service.http import json_bytes

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

INTERNAL_ERROR: Final = {"error": {"code": "internal_error", "message": "Internal error"}}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _body(event: Mapping[str, Any]) -> bytes:
    raw = event.get("body")
    if not isinstance(raw, str):
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(raw, validate=False)
        except ValueError:
            return b"\x00"  # undecodable: invalid JSON, answered 400 by the validator
    return raw.encode("utf-8", "surrogatepass")


class HttpApiAdapter:
    """API Gateway HTTP API (v2) events in, proxy responses out, around one service."""

    def __init__(
        self,
        service: AuraStreamService,
        events: EventSink,
        meter_provider: metrics_api.MeterProvider | None = None,
    ) -> None:
        self.service = service
        self._recorder = HttpServerRecorder(
            meter_provider=meter_provider, events=events, scope_name="aurastream_obs.lambda_entry"
        )

    def __call__(self, event: Any, _context: Any = None) -> dict[str, Any]:
        event = _mapping(event)
        http = _mapping(_mapping(event.get("requestContext")).get("http"))
        headers = {str(k).lower(): v for k, v in _mapping(event.get("headers")).items()}
        headers = {k: v for k, v in headers.items() if isinstance(v, str)}
        method = str(http.get("method") or "GET").upper()
        path = str(http.get("path") or event.get("rawPath") or "/")
        info = RequestInfo(
            request_id=rq.request_id_from(headers),
            client_ip=str(http.get("sourceIp") or rq.client_ip_from(headers, None)),
            user_agent=headers.get("user-agent", ""),
            headers=headers,
            customer_id=self.service.customers.customer_id_for(headers),
        )
        span = trace.get_current_span()  # the invocation span of instrument_handler
        span.set_attribute(c.REQUEST_ID, info.request_id)
        record = self._recorder.start(
            info, method=method, path=path, route=path if path in ROUTES else None
        )
        error: Exception | None = None
        try:
            status, payload, extra = self.service.handle(info, method, path, _body(event))
        except Exception as exc:  # noqa: BLE001 - answered 500 like the ASGI middleware does
            error = exc
            span.record_exception(exc)
            status, payload, extra = 500, INTERNAL_ERROR, ()
        if info.customer_id is not None:
            span.set_attribute(c.CUSTOMER_ID, info.customer_id)
        self._recorder.finish(record, status, error)
        response_headers = {
            "content-type": "application/json",
            "x-request-id": info.request_id,
            **{k.decode("latin-1"): v.decode("latin-1") for k, v in extra},
        }
        body = json_bytes(payload).decode("utf-8")
        return {"statusCode": status, "headers": response_headers, "body": body}


def create_handler(
    service: AuraStreamService | None = None,
    *,
    events: EventSink | None = None,
    telemetry: Any = None,
    meter_provider: metrics_api.MeterProvider | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Callable[[Any, Any], dict[str, Any]]:
    """The instrumented Lambda handler. Collaborators not given come from the environment (as
    in `create_app()`); telemetry from `aurastream_obs.configure()`, providers from it."""
    from aurastream_obs.service.customers import CustomerDirectory

    if telemetry is None:
        from aurastream_obs.bootstrap import configure

        telemetry = configure()  # Lambda's init phase: before the first event
    events = events if events is not None else EventSink()
    if service is None:
        from aurastream_obs.service.analyzer import analyzer_from_env
        from aurastream_obs.service.cache import cache_from_env
        from aurastream_obs.service.controls import controls_from_env
        from aurastream_obs.signals import AuraStreamMetrics

        meter = None
        if meter_provider is not None:
            meter = meter_provider.get_meter("aurastream_obs", __version__)
        analyzer = analyzer_from_env()
        service = AuraStreamService(
            analyzer=analyzer,
            cache=cache_from_env(),
            customers=CustomerDirectory.from_env(),
            metrics=AuraStreamMetrics(meter),
            tracer_provider=tracer_provider,
            events=events,
            controls=controls_from_env(analyzer),
        )
    adapter = HttpApiAdapter(service, events, meter_provider)
    handler: Callable[[Any, Any], dict[str, Any]] = instrument_handler(telemetry=telemetry)(adapter)
    return handler
