"""Log processors: small callables `(event_dict) -> event_dict`, each with one job.

The renderer is the last step and returns the line (a str). Only the standard library is
imported here: the OTel trace API is imported on first use by `TraceIdAdder`, so that
`import aurastream_obs.logs` stays cheap on the Lambda cold-start path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from aurastream_obs.core.json_encoding import compact_encoder, encode_basestring_ascii
from aurastream_obs.core.log_categories import DEFAULT_CATEGORY, LOG_CATEGORIES, LogCategory
from aurastream_obs.core.redaction import (
    EMAIL_MASK,
    IP_KEY,
    PLAIN_KEY,
    REDACTED,
    SECRET_KEY,
    classify_key,
    email_sub,
    mask_emails,
    mask_ip,
)

__all__ = ["EMAIL_MASK", "REDACTED", "TRUNCATED", "mask_emails", "mask_ip"]

EventDict = dict[str, Any]
Processor = Callable[[EventDict], EventDict]
Renderer = Callable[[EventDict], str]

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
        # (span, its three id strings): the lines of one request share the span; formatting
        # the ids once per span, not per line. One tuple, so threads never see a torn pair.
        self._last: tuple[object, tuple[str, str, str] | None] = (None, None)

    def __call__(self, event: EventDict) -> EventDict:
        getter = self._span_getter
        if getter is None:
            from opentelemetry import trace

            getter = self._span_getter = trace.get_current_span
        span = getter()
        last_span, ids = self._last
        if span is not last_span:
            ctx = span.get_span_context()
            ids = None
            if ctx.is_valid:
                trace_id = format(ctx.trace_id, "032x")
                # X-Ray form of the same id: 8 hex of epoch seconds, then the 24 random hex.
                xray = f"1-{trace_id[:8]}-{trace_id[8:]}"
                ids = (trace_id, format(ctx.span_id, "016x"), xray)
            self._last = (span, ids)
        if ids is not None:
            event["trace_id"], event["span_id"], event["xray_trace_id"] = ids
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


# --- Redaction (the policy is shared with spans: aurastream_obs.core.redaction) --------

_KEY_CACHE_MAX: Final = 4096
_SCALARS: Final = frozenset({int, float, bool, type(None)})


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
            return PLAIN_KEY
        kind = classify_key(key)
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
            if kind == PLAIN_KEY:
                if value.__class__ in _SCALARS:
                    out[key] = value
                elif value.__class__ is str:
                    out[key] = email_sub(value) if "@" in value or "%40" in value else value
                else:
                    out[key] = self._value(value, depth)
            elif kind == SECRET_KEY:
                out[key] = REDACTED
            elif kind == IP_KEY:
                out[key] = mask_ip(value)
            elif self.allow_analysed_text:
                out[key] = self._value(value, depth)
            elif isinstance(value, str):
                out["text_length"] = len(value)
        return out

    def _value(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return mask_emails(value)
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
        # Finite: x - x is 0.0 (NaN and the infinities give NaN). No `math`: the cold start.
        return value if value - value == 0.0 else str(value)
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
        # One C encoder, built once (core/json_encoding.py); a cycle raises RecursionError
        # there and takes the sanitised path below, like any other failure.
        self._encode = compact_encoder(_fallback, ensure_ascii=ensure_ascii, allow_nan=False)

    def __call__(self, event: EventDict) -> str:
        try:
            line = self._encode(event)
        # Non-str keys, NaN, cycles, too deep, a failing default: the slow, safe path.
        except Exception:  # noqa: BLE001
            try:
                line = self._encode(_sanitise(event))
            except Exception as exc:  # noqa: BLE001 - the renderer never raises
                import json  # only here: the Lambda path does not load the json package

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
    # encode_basestring_ascii is what json.dumps does with a str: the same escape.
    return "".join(c if c.isascii() else encode_basestring_ascii(c)[1:-1] for c in line)
