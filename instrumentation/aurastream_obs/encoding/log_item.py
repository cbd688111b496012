"""`LogItem`: a log record as queued for export, with no SDK machinery.

The JSON handler's OTLP sink builds these directly (see `sdk/logs.py`); records of
the OTel logs API (other libraries) are converted by `log_item_from_sdk`. Both encoders
(`proto`, `json_encode`) take either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope


class LogItem:
    """One log record as queued for export: plain fields, no SDK machinery.

    `body` and attribute values are OTLP AnyValues (str, bool, int, float, bytes, sequences,
    mappings). Ids are ints (0 = none), `flags` the W3C trace flags of the active span.
    """

    __slots__ = (
        "attributes",
        "body",
        "dropped_attributes",
        "event_name",
        "flags",
        "observed_timestamp",
        "resource",
        "scope",
        "severity_number",
        "severity_text",
        "span_id",
        "timestamp",
        "trace_id",
    )

    def __init__(  # noqa: PLR0917 - a positional record, built on the logging hot path
        self,
        timestamp: int | None,
        observed_timestamp: int,
        severity_number: int,
        severity_text: str | None,
        body: Any,
        attributes: Mapping[str, Any] | None,
        trace_id: int,
        span_id: int,
        flags: int,
        resource: Resource,
        scope: InstrumentationScope | None,
        event_name: str | None = None,
        dropped_attributes: int = 0,
    ) -> None:
        self.timestamp = timestamp
        self.observed_timestamp = observed_timestamp
        self.severity_number = severity_number
        self.severity_text = severity_text
        self.body = body
        self.attributes = attributes
        self.trace_id = trace_id
        self.span_id = span_id
        self.flags = flags
        self.resource = resource
        self.scope = scope
        self.event_name = event_name
        self.dropped_attributes = dropped_attributes


def log_item_from_sdk(readable: Any) -> LogItem:
    """A LogItem from an SDK ReadableLogRecord / ReadWriteLogRecord (OTel logs API users)."""
    record = readable.log_record
    severity = record.severity_number
    return LogItem(
        record.timestamp,
        record.observed_timestamp,
        severity.value if severity is not None else 0,
        record.severity_text,
        record.body,
        record.attributes,
        record.trace_id or 0,
        record.span_id or 0,
        int(record.trace_flags or 0),
        readable.resource,
        readable.instrumentation_scope,
        record.event_name,
        readable.dropped_attributes,
    )


def as_log_item(item: Any) -> LogItem:
    """`item` itself if a LogItem, else the LogItem of an SDK log record."""
    return item if item.__class__ is LogItem else log_item_from_sdk(item)
