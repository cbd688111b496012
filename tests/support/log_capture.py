"""Helpers shared by the logging tests (a uniquely named module: no clash with other suites)."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

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
