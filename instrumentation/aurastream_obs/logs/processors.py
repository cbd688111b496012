"""Log processors: small callables `(event_dict) -> event_dict`, each with one job.

The renderer is the last step and returns the line (a str). Only the standard library is
imported here: the OTel trace API is imported on first use by `TraceIdAdder`, so that
`import aurastream_obs.logs` stays cheap on the Lambda cold-start path.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from aurastream_obs.logs.categories import DEFAULT_CATEGORY, LOG_CATEGORIES, LogCategory

EventDict = dict[str, Any]
Processor = Callable[[EventDict], EventDict]
Renderer = Callable[[EventDict], str]

REDACTED: Final = "[REDACTED]"
EMAIL_MASK: Final = "[EMAIL]"
TRUNCATED: Final = "[TRUNCATED]"


if TYPE_CHECKING:  # typing.Protocol classes cost import time; only mypy needs them
    from typing import Protocol

    class _SpanContextLike(Protocol):
        @property
        def trace_id(self) -> int: ...
        @property
        def span_id(self) -> int: ...
        @property
        def is_valid(self) -> bool: ...

    class _SpanLike(Protocol):
        def get_span_context(self) -> _SpanContextLike: ...


class TraceIdAdder:
    """Adds `trace_id`, `span_id` and `xray_trace_id` of the current span, if there is one.

    `span_getter` defaults to `opentelemetry.trace.get_current_span` (imported lazily).
    """

    def __init__(self, span_getter: Callable[[], _SpanLike] | None = None) -> None:
        self._span_getter = span_getter

    def __call__(self, event: EventDict) -> EventDict:
        getter = self._span_getter
        if getter is None:
            from opentelemetry import trace

            getter = self._span_getter = trace.get_current_span
        ctx = getter().get_span_context()
        if ctx.is_valid:
            trace_id = format(ctx.trace_id, "032x")
            event["trace_id"] = trace_id
            event["span_id"] = format(ctx.span_id, "016x")
            # X-Ray form of the same id: 8 hex of epoch seconds, then the 24 random hex.
            event["xray_trace_id"] = f"1-{trace_id[:8]}-{trace_id[8:]}"
        return event


class ServiceAdder:
    """Adds the `service` and `environment` fields (authoritative: they overwrite extras)."""

    def __init__(self, service: str, environment: str) -> None:
        self._service = service
        self._environment = environment

    def __call__(self, event: EventDict) -> EventDict:
        event["service"] = self._service
        event["environment"] = self._environment
        return event


class CategoryAdder:
    """Makes `category` one of the known categories.

    Missing → the default; unknown → the default, the original kept under `category_invalid`
    so a typo is visible instead of silently shortening the retention of a security log.
    """

    def __init__(
        self,
        categories: Mapping[str, LogCategory] = LOG_CATEGORIES,
        default: str = DEFAULT_CATEGORY,
    ) -> None:
        self._categories = categories
        self._default = default

    def __call__(self, event: EventDict) -> EventDict:
        category = event.get("category")
        if isinstance(category, str):
            if category in self._categories:
                return event
            normalised = category.strip().lower()  # "Security " is not a typo worth losing
            if normalised in self._categories:
                event["category"] = normalised
                return event
        if category is not None:
            event["category_invalid"] = category
        event["category"] = self._default
        return event


# --- Redaction ------------------------------------------------------------------------------

_SECRET_PARTS: Final = (
    "secret", "token", "password", "passwd", "api_key", "apikey", "authorization", "cookie",
)  # fmt: skip
_IP_KEYS: Final = frozenset(
    {"ip", "ip_address", "client_ip", "source_ip", "remote_addr", "x_forwarded_for",
     "client.address", "source.address"}
)  # fmt: skip
_TEXT_KEYS: Final = frozenset({"text", "analysed_text", "analyzed_text", "input_text"})
# Local part: RFC 5322 atext minus ' = / ? ` { | }, which in log text are far more often
# delimiters (quotes, key=value, paths, query strings) than part of an address; a local part
# ending in one of them is still masked from that character on. Lengths bounded (RFC 5321)
# so that hostile input cannot make the regex quadratic.
_EMAIL_PATTERN: Final = r"[\w.!#$%&*+^~\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8}"
_email_re: re.Pattern[str] | None = None  # compiled on first use (cold start: most never do)


def _email_sub(text: str) -> str:
    global _email_re  # noqa: PLW0603 - a lazily compiled, immutable pattern
    if _email_re is None:
        _email_re = re.compile(_EMAIL_PATTERN)
    return _email_re.sub(EMAIL_MASK, text)


_PLAIN, _SECRET, _IP, _TEXT = 0, 1, 2, 3
_KEY_CACHE_MAX: Final = 4096
_SCALARS: Final = frozenset({int, float, bool, type(None)})


def _classify(key: str) -> int:
    norm = key.lower().replace("-", "_")
    if any(part in norm for part in _SECRET_PARTS):
        return _SECRET
    if norm in _TEXT_KEYS:
        return _TEXT
    if norm in _IP_KEYS:
        return _IP
    return _PLAIN


def _mask_ipv4_fast(text: str) -> str | None:
    """Dotted-quad fast path (≈10x cheaper than ipaddress); None when not a plain IPv4."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    for part in parts:
        # ASCII digits, no leading zero (ipaddress rejects those as ambiguous octal).
        if not (part.isascii() and part.isdigit()) or len(part) > 3:
            return None
        if len(part) > 1 and part[0] == "0":
            return None
        if int(part) > 255:
            return None
    return f"{parts[0]}.{parts[1]}.{parts[2]}.0/24"


def _mask_one_ip(raw: str) -> str:
    text = raw.strip()
    fast = _mask_ipv4_fast(text)
    if fast is not None:
        return fast
    import ipaddress  # lazy: only IPv6 and odd forms pay for it

    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        host = text
        if host.startswith("["):  # "[2001:db8::1]:443"
            host = host[1:].partition("]")[0]
        elif host.count(":") == 1:  # "203.0.113.7:443"
            host = host.partition(":")[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return REDACTED  # unparseable: fail closed
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network((ip, prefix), strict=False))


def mask_ip(value: object) -> object:
    """Client IP → its /24 (IPv4) or /48 (IPv6) network; X-Forwarded-For lists masked each."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if "," not in text:
        return _mask_one_ip(text)
    return ", ".join([_mask_one_ip(part) for part in text.split(",")])


def mask_emails(text: str) -> str:
    """Replaces every e-mail address in `text` by `[EMAIL]`."""
    return _email_sub(text) if "@" in text else text


class Redactor:
    """Removes personal and secret data before anything is written or exported.

    - client IPs (keys like `ip`, `ip_address`, `client_ip`, `source_ip`) → /24 or /48 network;
    - e-mail addresses inside any string → `[EMAIL]`;
    - values of secret-like keys (`*token*`, `*password*`, `authorization`, ...) → `[REDACTED]`;
    - the analysed text (`text`, `analysed_text`, `input_text`) → dropped, `text_length` kept,
      unless `allow_analysed_text`.
    Nested dicts and lists are copied (never mutated: they belong to the caller) down to
    `max_depth`; deeper containers become `[TRUNCATED]`, which also stops reference cycles.
    """

    def __init__(
        self, enabled: bool = True, allow_analysed_text: bool = False, max_depth: int = 8
    ) -> None:
        self.enabled = enabled
        self.allow_analysed_text = allow_analysed_text
        self.max_depth = max_depth
        # Key classification memo: most events reuse a handful of key names.
        self._kinds: dict[str, int] = {}

    def __call__(self, event: EventDict) -> EventDict:
        if not self.enabled:
            return event
        return self._mapping(event, 0)

    def _kind(self, key: object) -> int:
        if not isinstance(key, str):
            return _PLAIN
        kind = _classify(key)
        if len(self._kinds) < _KEY_CACHE_MAX:  # keys may be data (ids): stay bounded
            self._kinds[key] = kind
        return kind

    def _mapping(self, mapping: Mapping[Any, Any], depth: int) -> EventDict:
        # The hot loop: plain keys with scalar values are the common case, kept inline.
        out: EventDict = {}
        kinds = self._kinds
        for key, value in mapping.items():
            kind = kinds.get(key)
            if kind is None:
                kind = self._kind(key)
            if kind == _PLAIN:
                if value.__class__ in _SCALARS:
                    out[key] = value
                elif value.__class__ is str:
                    out[key] = _email_sub(value) if "@" in value else value
                else:
                    out[key] = self._value(value, depth)
            elif kind == _SECRET:
                out[key] = REDACTED
            elif kind == _IP:
                out[key] = mask_ip(value)
            elif self.allow_analysed_text:
                out[key] = self._value(value, depth)
            elif isinstance(value, str):
                out["text_length"] = len(value)
        return out

    def _value(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return mask_emails(value) if "@" in value else value
        if isinstance(value, Mapping):
            return self._mapping(value, depth + 1) if depth < self.max_depth else TRUNCATED
        if isinstance(value, list | tuple | set | frozenset):
            if depth >= self.max_depth:
                return TRUNCATED
            return [self._value(item, depth + 1) for item in value]
        if value.__class__ in _SCALARS:
            return value
        # Any other object would be rendered by its repr, which may well hold an e-mail
        # (`User(email=...)`): stringify it here, where masking still applies.
        return mask_emails(stringify(value))


# --- Rendering ------------------------------------------------------------------------------


def safe_repr(value: object) -> str:
    """repr() that cannot raise (user objects may have a broken __repr__)."""
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - any user code may fail; a log line must still render
        return f"<unrepresentable {type(value).__name__}>"


def safe_str(value: object) -> str:
    """str() that cannot raise (falls back to safe_repr)."""
    try:
        return value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - as safe_repr
        return safe_repr(value)


# json.dumps escapes \n, \r, quotes and U+0000-U+001F, but with ensure_ascii=False it leaves
# these Unicode line breaks raw; some readers (str.splitlines, JS) split lines on them.
_UNICODE_BREAKS: Final = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def stringify(value: object) -> str:
    """A non-JSON value as text: ISO-8601 for dates and times, else its repr."""
    import datetime as dt  # lazy: the slow path only

    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return safe_repr(value)


def _fallback(value: object) -> object:
    """json `default=` hook."""
    if isinstance(value, set | frozenset):
        return list(value)
    return stringify(value)


def _sanitise(value: Any, depth: int = 0) -> Any:
    """JSON-safe copy for the slow path: str keys, finite floats, bounded depth."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth >= 32:
        return TRUNCATED
    if isinstance(value, Mapping):
        return {safe_str(k): _sanitise(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_sanitise(v, depth + 1) for v in value]
    return _sanitise(_fallback(value), depth + 1)


class JSONRenderer:
    """Last step: the event as ONE line of JSON. Never raises.

    Non-serialisable values fall back to repr; NaN/Infinity (invalid JSON) become strings;
    anything still failing is rendered from a sanitised copy, and if even that fails, a
    minimal line with the message and the rendering error.
    """

    def __init__(self, ensure_ascii: bool = False) -> None:
        # One encoder, built once: json.dumps with options builds a new one per call.
        self._encode = json.JSONEncoder(
            ensure_ascii=ensure_ascii, allow_nan=False, default=_fallback, separators=(",", ":")
        ).encode

    def __call__(self, event: EventDict) -> str:
        try:
            line = self._encode(event)
        # Non-str keys, NaN, cycles, too deep, a failing default: the slow, safe path.
        except Exception:  # noqa: BLE001
            try:
                line = self._encode(_sanitise(event))
            except Exception as exc:  # noqa: BLE001 - the renderer never raises
                return json.dumps(
                    {
                        "level": safe_str(event.get("level", "ERROR")),
                        "message": safe_str(event.get("message", "")),
                        "render_error": f"{type(exc).__name__}: {safe_str(exc)}",
                    }
                )
        if not line.isascii():
            line = line.translate(_UNICODE_BREAKS)
        return line


def escape_non_ascii(line: str) -> str:
    """Same JSON with every non-ASCII char (lone surrogates included) as a \\u escape.

    Non-ASCII can only occur inside JSON strings, so the result stays valid JSON; used when
    the output stream cannot encode the line.
    """
    if line.isascii():
        return line
    return "".join(c if c.isascii() else json.dumps(c)[1:-1] for c in line)
