"""Small pure helpers the middleware runs once per request: headers, ids, client address."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final

from opentelemetry.propagators.textmap import Getter

if TYPE_CHECKING:
    from opentelemetry.trace import SpanContext

# Incoming request ids we trust enough to reuse (API Gateway REST/HTTP API, ALB, proxies).
# Anything longer or with other characters is replaced: it ends up in every log line.
REQUEST_ID_HEADERS: Final = ("x-request-id", "x-amzn-requestid", "apigw-requestid")
_REQUEST_ID_RE: Final = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")
_MAX_HEADER_CHARS: Final = 8192

# Semconv: methods outside this set are reported as `_OTHER` (bounded cardinality).
KNOWN_METHODS: Final = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)


def decode_headers(raw: Iterable[tuple[bytes, bytes]] | None) -> dict[str, str]:
    """ASGI's byte pairs as a dict (names are lower-case per the ASGI spec); repeats comma-join."""
    if not raw:
        return {}
    if not isinstance(raw, list | tuple):
        raw = list(raw)
    # latin-1 never fails on arbitrary bytes; the comprehension is the fast path.
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}
    if len(headers) != len(raw):  # a repeated header (e.g. X-Forwarded-For): join in order
        headers = {}
        for name_b, value_b in raw:
            name, value = name_b.decode("latin-1"), value_b.decode("latin-1")
            previous = headers.get(name)
            headers[name] = value if previous is None else f"{previous},{value}"
    return headers


class HeaderGetter(Getter[Mapping[str, str]]):
    """Propagator getter over decoded headers; case-insensitive (X-Ray asks `X-Amzn-Trace-Id`)."""

    def get(self, carrier: Mapping[str, str], key: str) -> list[str] | None:
        value = carrier.get(key.lower())
        if value is None or len(value) > _MAX_HEADER_CHARS:
            return None
        return [value]

    def keys(self, carrier: Mapping[str, str]) -> list[str]:
        return list(carrier)


HEADER_GETTER: Final = HeaderGetter()


def new_request_id() -> str:
    # Not a secret, only unique: getrandbits is ~5x cheaper than uuid4() per request.
    return f"{random.getrandbits(128):032x}"


def request_id_from(headers: Mapping[str, str]) -> str:
    """The caller's request id when present and sane, else a fresh one."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value is not None:
            value = value.strip()
            if _REQUEST_ID_RE.fullmatch(value):
                return value
    return new_request_id()


def client_ip_from(headers: Mapping[str, str], client: object) -> str:
    """First hop of X-Forwarded-For (the original client behind ALB/API Gateway), else peer."""
    forwarded = headers.get("x-forwarded-for")
    if forwarded:
        first = forwarded.split(",", 1)[0].strip()
        if first and len(first) <= 64:
            return first
    return peer_address(client)


def peer_address(client: object) -> str:
    if isinstance(client, tuple | list) and client and isinstance(client[0], str):
        return client[0]
    return ""


def traceresponse(span_context: SpanContext) -> str:
    """W3C Trace Context Level 2 `traceresponse` value for this server span."""
    flags = "01" if span_context.trace_flags.sampled else "00"
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{flags}"
