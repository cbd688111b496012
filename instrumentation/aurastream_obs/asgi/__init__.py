"""ASGI glue: a lean OpenTelemetry HTTP server middleware for AuraStream services."""

from aurastream_obs.asgi.middleware import TelemetryMiddleware
from aurastream_obs.asgi.types import (
    ASGIApp,
    CustomerResolver,
    RequestInfo,
    RouteResolver,
    get_request_info,
)
from aurastream_obs.http_server.event_sink import EventSink

__all__ = [
    "ASGIApp",
    "CustomerResolver",
    "EventSink",
    "RequestInfo",
    "RouteResolver",
    "TelemetryMiddleware",
    "get_request_info",
]
