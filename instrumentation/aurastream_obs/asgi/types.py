"""ASGI type aliases and the per-request record the middleware shares with the app.

The middleware puts one `RequestInfo` into the scope (under `REQUEST_INFO_KEY`); the app reads
the request id and decoded headers from it and reports back what only it knows (whether the
answer came from the cache, the authenticated customer) so `api_response` logs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from aurastream_obs.http_server.info import RequestInfo

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
REQUEST_INFO_KEY: Final = "aurastream.request"


def get_request_info(scope: Scope) -> RequestInfo | None:
    """The RequestInfo of a scope that went through TelemetryMiddleware, else None."""
    info = scope.get(REQUEST_INFO_KEY)
    return info if isinstance(info, RequestInfo) else None
