"""HTTP server telemetry shared by every server shape (ASGI, Lambda HTTP API): request parsing
(ids, client address, headers), the request info the app reports back into, and the recorder
of the duration metric and request events."""

from aurastream_obs.http_server.event_sink import EventSink
from aurastream_obs.http_server.info import CustomerResolver, RequestInfo, RouteResolver
from aurastream_obs.http_server.recorder import HttpServerRecorder, ServerRequest

__all__ = [
    "CustomerResolver",
    "EventSink",
    "HttpServerRecorder",
    "RequestInfo",
    "RouteResolver",
    "ServerRequest",
]
