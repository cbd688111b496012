"""ASGI glue: a lean OpenTelemetry HTTP server middleware for AuraStream services."""

from aurastream_obs.asgi.middleware import TelemetryMiddleware
from aurastream_obs.asgi.types import ASGIApp, get_request_info
from aurastream_obs.http_server import CustomerResolver, EventSink, RequestInfo, RouteResolver

__all__ = [
    "ASGIApp",
    "CustomerResolver",
    "EventSink",
    "RequestInfo",
    "RouteResolver",
    "TelemetryMiddleware",
    "get_request_info",
]
