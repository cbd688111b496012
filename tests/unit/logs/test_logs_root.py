"""`install_json_logging`: the project's JSON lines on the root logger, in place of the Lambda
runtime's plain handler, once per process."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from aurastream_obs.logs import events
from aurastream_obs.logs.handler import JsonLogHandler
from aurastream_obs.logs.root import install_json_logging


class LambdaLoggerHandler(logging.Handler):
    """Stands in for awslambdaric's root handler (matched by its class name)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def bare_root() -> Iterator[logging.Logger]:
    """The root logger with the Lambda runtime's handler (pytest adds its own capture handlers
    during a test); restored afterwards."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    root.handlers = [LambdaLoggerHandler()]
    root.setLevel(logging.WARNING)
    try:
        yield root
    finally:
        root.handlers, root.level = saved, level


def test_json_lines_replace_the_lambda_runtime_handler(bare_root: logging.Logger) -> None:
    (runtime,) = [h for h in bare_root.handlers if isinstance(h, LambdaLoggerHandler)]
    out = io.StringIO()
    handler = install_json_logging("aurastream-alert-router", "prod", stream=out)
    assert handler in bare_root.handlers and runtime not in bare_root.handlers
    assert bare_root.level == logging.INFO
    events.security_event("sns_signature_rejected", reason="bad signature from a@example.com")
    (line,) = out.getvalue().splitlines()
    record = json.loads(line)
    assert record["category"] == "security"
    assert record["event_type"] == "sns_signature_rejected"
    assert record["service"] == "aurastream-alert-router" and record["environment"] == "prod"
    assert "a@example.com" not in line  # redacted
    assert isinstance(runtime, LambdaLoggerHandler) and runtime.records == []


def test_a_second_install_keeps_the_first_handler(bare_root: logging.Logger) -> None:
    first = install_json_logging("a", "dev", stream=io.StringIO())
    assert install_json_logging("b", "prod", stream=io.StringIO()) is first
    assert [h for h in bare_root.handlers if isinstance(h, JsonLogHandler)] == [first]
