"""What an HTTP server request is known by, whatever the server (ASGI, Lambda HTTP API)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

RouteResolver = Callable[[str], "str | None"]
"""Maps a raw path to its low-cardinality route template, or None for unknown paths."""

CustomerResolver = Callable[[Mapping[str, str]], "str | None"]
"""Maps the request headers (lower-case names) to a customer id, or None."""


@dataclass(slots=True)
class RequestInfo:
    """What the middleware learned about a request, plus what the app reports back."""

    request_id: str
    client_ip: str
    user_agent: str
    headers: Mapping[str, str]
    customer_id: str | None = None
    cache_hit: bool = False
