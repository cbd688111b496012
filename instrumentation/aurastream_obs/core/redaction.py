"""One redaction policy for every signal: what the logs mask, spans mask too.

- client IPs (keys like `ip`, `client_ip`, `client.address`) → their /24 (IPv4) or /48 (IPv6)
  network;
- e-mail addresses inside any string (also `%40`-encoded, as in a URL path) → `[EMAIL]`;
- values of secret-like keys (`*token*`, `*password*`, `authorization`, `cookie`...) →
  `[REDACTED]`;
- the analysed text (`text`, `analysed_text`, `input_text`) → dropped unless allowed.

`logs.processors.Redactor` applies it to log events (nested values included); `SpanRedactor`
to span attributes, event attributes and status descriptions, before any exporter sees the
span. Only the standard library is imported (cold start).
"""

from __future__ import annotations

import re
from typing import Any, Final

REDACTED: Final = "[REDACTED]"
EMAIL_MASK: Final = "[EMAIL]"

_SECRET_PARTS: Final = (
    "secret", "token", "password", "passwd", "api_key", "apikey", "authorization", "cookie",
)  # fmt: skip
_IP_KEYS: Final = frozenset(
    {"ip", "ip_address", "client_ip", "source_ip", "remote_addr", "x_forwarded_for",
     "client.address", "source.address", "http.client_ip", "net.peer.ip",
     "http.request.header.x_forwarded_for"}
)  # fmt: skip
_TEXT_KEYS: Final = frozenset(
    {"text", "analysed_text", "analyzed_text", "input_text", "aurastream.text"}
)
# Local part: RFC 5322 atext minus ' = / ? ` { | }, which in log text are far more often
# delimiters (quotes, key=value, paths, query strings) than part of an address; a local part
# ending in one of them is still masked from that character on. Lengths bounded (RFC 5321)
# so that hostile input cannot make the regex quadratic. `%40` is "@" percent-encoded.
_EMAIL_PATTERN: Final = r"[\w.!#$%&*+^~\-]{1,64}(?:@|%40)[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8}"
_email_re: re.Pattern[str] | None = None  # compiled on first use (cold start: most never do)

PLAIN_KEY, SECRET_KEY, IP_KEY, TEXT_KEY = 0, 1, 2, 3
_SEQUENCES: Final = (tuple, list)


def email_sub(text: str) -> str:
    global _email_re  # noqa: PLW0603 - a lazily compiled, immutable pattern
    if _email_re is None:
        _email_re = re.compile(_EMAIL_PATTERN, re.IGNORECASE)
    return _email_re.sub(EMAIL_MASK, text)


def mask_emails(text: str) -> str:
    """Replaces every e-mail address in `text` by `[EMAIL]`."""
    return email_sub(text) if "@" in text or "%40" in text else text


def classify_key(key: str) -> int:
    """PLAIN_KEY, SECRET_KEY, IP_KEY or TEXT_KEY for an attribute or event key."""
    norm = key.lower().replace("-", "_")
    if any(part in norm for part in _SECRET_PARTS):
        return SECRET_KEY
    if norm in _TEXT_KEYS:
        return TEXT_KEY
    if norm in _IP_KEYS:
        return IP_KEY
    return PLAIN_KEY


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


# Masked addresses by raw value: a client's address repeats in its requests' log record and
# span, and parsing costs more than a lookup. Bounded: cleared when full (addresses are data).
_MASKED: dict[str, str] = {}
_MASKED_MAX: Final = 4096


def mask_ip(value: object) -> object:
    """Client IP → its /24 (IPv4) or /48 (IPv6) network; X-Forwarded-For lists masked each."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    masked = _MASKED.get(text)
    if masked is None:
        if "," not in text:
            masked = _mask_one_ip(text)
        else:
            masked = ", ".join([_mask_one_ip(part) for part in text.split(",")])
        if len(_MASKED) >= _MASKED_MAX:
            _MASKED.clear()
        _MASKED[text] = masked
    return masked


_KEY_CACHE_MAX: Final = 4096


class SpanRedactor:
    """Applies the policy to an ended span in place (attributes, events, status text).

    Called by our span processor before the span is queued, so every exporter (and any
    processor added after ours) sees the redacted span. The analysed text is dropped unless
    `allow_text`; its length is kept as `<key>_length`.
    """

    def __init__(self, allow_text: bool = False) -> None:
        self._allow_text = allow_text
        self._kinds: dict[str, int] = {}

    def _kind(self, key: str) -> int:
        kind = self._kinds.get(key)
        if kind is None:
            kind = classify_key(key) if isinstance(key, str) else PLAIN_KEY
            if len(self._kinds) < _KEY_CACHE_MAX:  # keys may be data: stay bounded
                self._kinds[key] = kind
        return kind

    def redact_mapping(self, attributes: dict[str, Any]) -> None:
        """Redact a mutable attribute dict in place (the common case changes nothing)."""
        changes: list[tuple[str, Any]] = []
        kinds = self._kinds
        for key, value in attributes.items():
            kind = kinds.get(key)
            if kind is None:
                kind = self._kind(key)
            if kind == PLAIN_KEY:
                if value.__class__ is str:
                    if "@" in value or "%40" in value:
                        masked = email_sub(value)
                        if masked != value:
                            changes.append((key, masked))
                elif isinstance(value, _SEQUENCES) and any(
                    isinstance(v, str) and ("@" in v or "%40" in v) for v in value
                ):
                    changes.append(
                        (key, tuple(mask_emails(v) if isinstance(v, str) else v for v in value))
                    )
            elif kind == SECRET_KEY:
                changes.append((key, REDACTED))
            elif kind == IP_KEY:
                changes.append((key, mask_ip(value)))
            elif not self._allow_text:
                changes.append((key, None))
        for key, value in changes:
            if value is None:
                original = attributes.pop(key)
                if isinstance(original, str):
                    attributes[f"{key}_length"] = len(original)
            else:
                attributes[key] = value

    def __call__(self, span: Any) -> None:
        """Redact an SDK span (`_attributes`, `_events`, `_status`) or a lambda-mode span
        (`attributes`, `events`, `status`) in place."""
        attributes = getattr(span, "attributes", None)
        # A lambda-mode span keeps plain containers; asked first, so that it does not pay for
        # the AttributeError of `hasattr(span, "_attributes")`.
        sdk = attributes.__class__ is not dict and hasattr(span, "_attributes")
        if sdk:
            attributes = span._attributes
        if isinstance(attributes, dict):
            self.redact_mapping(attributes)
        elif attributes:  # the SDK's BoundedAttributes (immutable once ended): a masked copy
            masked = self._masked_copy(attributes)
            if masked is not None:
                span._attributes = masked
        events = span._events if sdk else getattr(span, "events", None)
        for event in events or ():
            event_attributes = getattr(event, "_attributes", None)
            if isinstance(getattr(event, "attributes", None), dict) and event_attributes is None:
                self.redact_mapping(event.attributes)  # lambda mode: a plain dict
            elif event_attributes:
                masked = self._masked_copy(event_attributes)
                if masked is not None:
                    event._attributes = masked
        status_field = "_status" if sdk else "status"
        status = getattr(span, status_field, None)
        description = getattr(status, "description", None)
        if status is not None and description and ("@" in description or "%40" in description):
            from opentelemetry.trace import Status

            setattr(span, status_field, Status(status.status_code, mask_emails(description)))

    def _masked_copy(self, attributes: Any) -> Any:
        """A redacted immutable copy of BoundedAttributes, or None when nothing changes."""
        copy = dict(attributes)
        self.redact_mapping(copy)
        if copy == dict(attributes):
            return None
        from opentelemetry.attributes import BoundedAttributes

        return BoundedAttributes(attributes=copy, immutable=True)
