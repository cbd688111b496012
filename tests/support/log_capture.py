"""Capturing what would be logged: a logger wired to a JsonLogHandler writing into a StringIO
(`attach()` -> `Captured`), strict JSON parsing of its lines (`strict_loads`), and an ASGI
`EventSink` that records the middleware's events instead of logging them (`RecordingEvents`)."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aurastream_obs.asgi import EventSink
from aurastream_obs.logs import JsonLogHandler, build_log_pipeline


@dataclass
class Captured:
    """A logger wired to a JsonLogHandler writing into a StringIO."""

    logger: logging.Logger
    handler: JsonLogHandler
    stream: io.StringIO
    sunk: list[tuple[dict[str, Any], logging.LogRecord]] = field(default_factory=list)
    sunk_lines: list[str] = field(default_factory=list)  # the rendered line each sink got

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def events(self) -> list[dict[str, Any]]:
        return [strict_loads(line) for line in self.lines()]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def strict_loads(line: str) -> Any:
    """json.loads that rejects NaN/Infinity (invalid JSON that Python would accept)."""
    return json.loads(line, parse_constant=_reject_constant)


def attach(logger: logging.Logger, *, redact: bool = True, allow_text: bool = False) -> Captured:
    stream = io.StringIO()
    pipeline = build_log_pipeline(
        service="aurastream-test", environment="test", redact=redact, allow_analysed_text=allow_text
    )
    handler = JsonLogHandler(pipeline, stream=stream)
    captured = Captured(logger, handler, stream)

    def sink(event: dict[str, Any], record: logging.LogRecord, line: str) -> None:
        captured.sunk.append((event, record))
        captured.sunk_lines.append(line)

    handler.add_sink(sink)
    logger.addHandler(handler)
    return captured


@dataclass
class RecordingEvents(EventSink):
    """Records every event instead of logging it."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [fields for event, fields in self.calls if event == name]

    def api_request(self, **fields: Any) -> None:  # type: ignore[override]
        self.calls.append(("api_request", fields))

    def api_response(self, **fields: Any) -> None:  # type: ignore[override]
        self.calls.append(("api_response", fields))

    def error(self, **fields: Any) -> None:  # type: ignore[override]
        self.calls.append(("error", fields))

    def business_event(self, event_type: str, **fields: Any) -> None:  # type: ignore[override]
        self.calls.append(("business_event", {"event_type": event_type, **fields}))

    def security_event(self, event_type: str, **fields: Any) -> None:
        self.calls.append(("security_event", {"event_type": event_type, **fields}))
