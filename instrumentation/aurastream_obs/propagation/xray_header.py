"""The X-Ray trace header: parsed strictly, written from a span context, and its trace-id form.

Its own module, apart from the propagators: the Lambda mode reads Lambda's `_X_AMZN_TRACE_ID`
and the event's headers with these functions and needs none of the propagator classes (the
contrib X-Ray propagator they extend, the composite): they stay off its cold start.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, NamedTuple

from opentelemetry.context import create_key

if TYPE_CHECKING:
    from opentelemetry.trace import SpanContext

XRAY_HEADER: Final = "X-Amzn-Trace-Id"
LAMBDA_TRACE_ENV: Final = "_X_AMZN_TRACE_ID"
LINEAGE_KEY: Final = create_key("aurastream-xray-lineage")
# The general parser's patterns, compiled on first use (`re`'s cache): Lambda and AWS services
# send the canonical form below, so most processes never need them.
_ROOT: Final = r"1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24}"
_PARENT: Final = r"[0-9a-fA-F]{16}"
_LINEAGE: Final = r"([0-9]{1,5}):[0-9a-fA-F]{8}:([0-9]{1,3})"
_OWS: Final = " \t"  # HTTP optional whitespace; str.strip() would also eat Unicode spaces
# The form Lambda's `_X_AMZN_TRACE_ID` and AWS services send: one regex instead of the parser.
_CANONICAL = re.compile(
    r"Root=1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24});Parent=([0-9a-fA-F]{16});Sampled=([01])"
)


# The functional form with real types: the class form's string annotations (this module's
# `from __future__ import annotations`) are compiled one by one at import, on the cold start.
XRayHeader = NamedTuple(  # noqa: UP014
    "XRayHeader", [("trace_id", int), ("span_id", int), ("sampled", bool), ("lineage", str | None)]
)


def parse_xray_header(header: object) -> XRayHeader | None:
    """Strictly parse ``Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0|1[;Lineage=..]``.

    None when the header cannot give a valid remote parent. Unknown keys (``Self``, vendor
    keys) are ignored; a part that is not ``key=value`` or a repeated key makes it malformed.
    """
    if not isinstance(header, str):
        return None
    canonical = _CANONICAL.fullmatch(header)
    if canonical is not None:  # the same result as the general parser, faster
        trace_id, span_id = int(canonical[1] + canonical[2], 16), int(canonical[3], 16)
        if trace_id == 0 or span_id == 0:
            return None
        return XRayHeader(trace_id, span_id, canonical[4] == "1", None)
    return parse_xray_header_parts(header)


def parse_xray_header_parts(header: str) -> XRayHeader | None:
    """`parse_xray_header` part by part (any order, whitespace, extra keys)."""
    root = parent = sampled = lineage = None
    for raw_part in header.split(";"):
        part = raw_part.strip(_OWS)
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(_OWS), value.strip(_OWS)
        if not sep:
            return None
        if key == "Root":
            if root is not None or not re.fullmatch(_ROOT, value):
                return None
            root = value
        elif key == "Parent":
            if parent is not None or not re.fullmatch(_PARENT, value):
                return None
            parent = value
        elif key == "Sampled":
            if sampled is not None or value not in ("0", "1"):
                return None  # includes "?": no usable decision, start a new trace
            sampled = value
        elif key == "Lineage":
            match = re.fullmatch(_LINEAGE, value)
            if match and int(match[1]) <= 32767 and int(match[2]) <= 255:
                lineage = value
    if root is None or parent is None:
        return None
    trace_id, span_id = int(root[2:10] + root[11:], 16), int(parent, 16)
    if trace_id == 0 or span_id == 0:
        return None
    return XRayHeader(trace_id, span_id, sampled == "1", lineage)


def xray_trace_id(trace_id: int) -> str:
    """The X-Ray form ``1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`` of a 128-bit trace id."""
    hex_id = f"{trace_id:032x}"
    return f"1-{hex_id[:8]}-{hex_id[8:]}"


def xray_header_from_context(span_context: SpanContext) -> str:
    """``Root=..;Parent=..;Sampled=0|1`` for a span context (e.g. to echo on a response);
    empty for an invalid context."""
    if not span_context.is_valid:
        return ""
    sampled = "1" if span_context.trace_flags.sampled else "0"
    return (
        f"Root={xray_trace_id(span_context.trace_id)};"
        f"Parent={span_context.span_id:016x};Sampled={sampled}"
    )
