"""Span classes whose private fields hold exactly what their public properties return.

The encoders read such a span's fields directly: the SDK's properties copy attributes,
events and links into new containers on every access. The SDK's `ReadableSpan` is one; a span
implementation of our own registers itself (`sdk/spans.py` registers `LeanSpan`), so that the
encoders need not import it.
"""

from __future__ import annotations

from typing import Final

from opentelemetry.sdk.trace import ReadableSpan

FIELD_EXACT_SPAN_CLASSES: Final[set[type]] = {ReadableSpan}


def trust_span_fields(cls: type) -> None:
    """Let the encoders read `cls`'s fields (`_context`, `_attributes`, ...) directly."""
    FIELD_EXACT_SPAN_CLASSES.add(cls)
