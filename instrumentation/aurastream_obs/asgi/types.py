"""ASGI type aliases and the per-request record the middleware shares with the app.

The middleware puts one `RequestInfo` into the scope (under `REQUEST_INFO_KEY`); the app reads
the request id and decoded headers from it and reports back what only it knows (whether the
answer came from the cache, the authenticated customer) so `api_response` logs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Final

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

RouteResolver = Callable[[str], "str | None"]
"""Maps a raw path to its low-cardinality route template, or None for unknown paths."""

CustomerResolver = Callable[[Mapping[str, str]], "str | None"]
"""Maps the request headers (lower-case names) to a customer id, or None."""

REQUEST_INFO_KEY: Final = "aurastream.request"


@dataclass(slots=True)
class RequestInfo:
    """What the middleware learned about a request, plus what the app reports back."""

    request_id: str
    client_ip: str
    user_agent: str
    headers: Mapping[str, str]
    customer_id: str | None = None
    cache_hit: bool = False


def get_request_info(scope: Scope) -> RequestInfo | None:
    """The RequestInfo of a scope that went through TelemetryMiddleware, else None."""
    info = scope.get(REQUEST_INFO_KEY)
    return info if isinstance(info, RequestInfo) else None
