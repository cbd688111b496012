"""From a stdlib `LogRecord` (or a structured event that skipped logging) to one JSON line:
event dict → processors → renderer. The handler writing the lines is `logs/handler.py`;
sinks (e.g. the OTLP log exporter) receive the processed, redacted event dict and its rendered
JSON line: the very string written to stdout, rendered once for both.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Final

from aurastream_obs.core.errors import error_type
from aurastream_obs.core.log_categories import DEFAULT_CATEGORY
from aurastream_obs.logs.processors import (
    CategoryAdder,
    EventDict,
    JSONRenderer,
    Processor,
    Redactor,
    Renderer,
    ServiceAdder,
    TraceIdAdder,
    safe_repr,
    safe_str,
)

# Attributes every LogRecord has; anything else on a record came from `extra=`.
# "category" is read explicitly; "taskName" appears in Python 3.12.
_RESERVED: Final = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName", "category"}
)


class EventRecord(logging.LogRecord):
    """The LogRecord fields sinks read (name, level, time), for events that skip logging.

    Deliberately not initialised through LogRecord.__init__ (its ~20 fields, pid and thread
    lookups are the cost being skipped); nothing else reads it."""

    def __init__(self, name: str, levelno: int, created: float) -> None:
        self.name = name
        self.levelno = levelno
        self.levelname = logging.getLevelName(levelno)
        self.created = created
        self.msg = ""
        self.args = ()
        self.exc_info = None
        self.exc_text = None
        self.stack_info = None


class LogPipeline:
    """Turns a `LogRecord` into an event dict, runs the processors, renders the line."""

    def __init__(self, processors: Sequence[Processor], renderer: Renderer) -> None:
        self.processors: tuple[Processor, ...] = tuple(processors)
        self.renderer = renderer
        # (epoch second, "YYYY-MM-DDTHH:MM:SS"): one tuple so threads never see a torn pair.
        self._second: tuple[int, str] = (-1, "")

    def __call__(self, record: logging.LogRecord) -> str:
        return self.renderer(self.process(record))

    def process(self, record: logging.LogRecord) -> EventDict:
        """The event dict after all processors (what sinks receive)."""
        event = self.event_from_record(record)
        for processor in self.processors:
            event = processor(event)
        return event

    def render(self, event: EventDict) -> str:
        return self.renderer(event)

    def process_event(
        self, record: logging.LogRecord, message: str, category: str, fields: Mapping[str, Any]
    ) -> EventDict:
        """The processed event of a structured event that skipped logging (logs/events.py):
        the same dict as for a LogRecord with `fields` (and `category`) as `extra=`."""
        event: EventDict = {
            "timestamp": self._timestamp(record.created),
            "level": record.levelname,
            "message": message,
            "logger": record.name,
            "category": category or DEFAULT_CATEGORY,
        }
        for key, value in fields.items():
            event[f"extra_{key}" if key in event else key] = value
        for processor in self.processors:
            event = processor(event)
        return event

    def event_from_record(self, record: logging.LogRecord) -> EventDict:
        attrs = record.__dict__
        try:
            message = record.getMessage()
            message_error = None
        # Bad %-args (any exception from a user __str__) must never lose the record.
        except Exception as exc:  # noqa: BLE001
            message = safe_str(record.msg)
            if record.args:
                message = f"{message} {safe_repr(record.args)}"
            message_error = f"{type(exc).__name__}: {safe_str(exc)}"
        event: EventDict = {
            "timestamp": self._timestamp(record.created),
            "level": record.levelname,
            "message": message,
            "logger": record.name,
            "category": attrs.get("category") or DEFAULT_CATEGORY,
        }
        # The extras: one C-level set difference instead of a Python loop over the ~20
        # standard attributes; then the record's own order is kept.
        extras = attrs.keys() - _RESERVED
        if extras:
            for key, value in attrs.items():
                if key in extras:
                    # An extra must not overwrite a core field ("level", "timestamp", ...).
                    event[f"extra_{key}" if key in event else key] = value
        if message_error is not None:
            event["message_error"] = message_error
        exc_info = record.exc_info
        if exc_info and exc_info[1] is not None:
            event["exception"] = self._exception(record, exc_info[1], exc_info[2])
        if record.stack_info:
            event["stack_info"] = record.stack_info
        return event

    def _timestamp(self, created: float) -> str:
        """ISO-8601 UTC with milliseconds: 2026-11-27T08:18:00.123Z (strftime once a second)."""
        second = int(created)
        cached = self._second
        if cached[0] != second:
            cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
            self._second = cached
        millis = min(int((created - second) * 1000), 999)
        return f"{cached[1]}.{millis:03d}Z"

    @staticmethod
    def _exception(
        record: logging.LogRecord, exc: BaseException, tb: TracebackType | None
    ) -> dict[str, str]:
        if not record.exc_text:
            # Cached on the record like logging.Formatter does, so other handlers reuse it.
            record.exc_text = "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()
        try:
            message = str(exc)
        except Exception:  # noqa: BLE001 - a broken __str__ on the user's exception
            message = safe_repr(exc)
        return {
            "type": error_type(exc),
            "message": message,
            "stacktrace": record.exc_text,
        }


def build_log_pipeline(
    *, service: str, environment: str, redact: bool, allow_analysed_text: bool
) -> LogPipeline:
    """The default pipeline: redaction of the record's own fields, then trace ids, service,
    category, then JSON. Redaction comes first: what the processors after it add is ours (hex
    ids, the configured service and environment, a known category name), so a line's walk
    covers the message and the extras only, not a dozen fields that cannot hold personal data."""
    return LogPipeline(
        [
            Redactor(enabled=redact, allow_analysed_text=allow_analysed_text),
            TraceIdAdder(),
            ServiceAdder(service, environment),
            CategoryAdder(),
        ],
        JSONRenderer(),
    )
