"""JsonLogHandler: one line per record, sinks, and never raising into the caller."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from aurastream_obs.logs import JsonLogHandler, JSONRenderer, LogPipeline
from support.log_capture import Captured, strict_loads


def _record(msg: str = "hello", **extra: Any) -> logging.LogRecord:
    return logging.makeLogRecord({"name": "test.handler", "msg": msg, "levelname": "INFO", **extra})


def test_one_line_per_record(captured: Captured) -> None:
    captured.logger.info("one")
    captured.logger.info("two\nlines")
    output = captured.stream.getvalue()
    assert output.count("\n") == 2
    assert [e["message"] for e in captured.events()] == ["one", "two\nlines"]


def test_default_stream_is_stdout_looked_up_at_emit_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = JsonLogHandler()
    assert handler.stream is not None
    handler.handle(_record("to stdout"))
    out = capsys.readouterr().out  # capsys swapped sys.stdout after the handler was built
    assert strict_loads(out)["message"] == "to stdout"
    assert strict_loads(out)["service"] == "aurastream-api"


def test_sinks_receive_the_processed_redacted_event_and_the_record(captured: Captured) -> None:
    captured.logger.info("from a@b.example.com", extra={"ip": "203.0.113.9", "password": "p"})
    ((event, record),) = captured.sunk
    assert event["message"] == "from [EMAIL]"
    assert (event["ip"], event["password"]) == ("203.0.113.0/24", "[REDACTED]")
    assert event["service"] == "aurastream-test"
    assert record.getMessage() == "from a@b.example.com"
    assert strict_loads(captured.lines()[0]) == event
    assert captured.sunk_lines == captured.lines()  # the sink gets the very stdout line


def test_failing_sink_is_counted_warned_once_and_never_raises(
    captured: Captured, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(event: dict[str, Any], record: logging.LogRecord, line: str) -> None:
        raise ConnectionError("collector down")

    captured.handler.remove_sink(captured.handler.sinks[0])
    captured.handler.add_sink(broken)
    later: list[str] = []
    captured.handler.add_sink(lambda event, record, line: later.append(event["message"]))
    captured.logger.info("first")
    captured.logger.info("second")
    assert captured.handler.dropped == 2
    assert later == ["first", "second"]  # one failing sink does not starve the others
    assert len(captured.lines()) == 2  # nor the stream
    err = capsys.readouterr().err
    assert err.count("aurastream_obs: dropped") == 1
    assert "ConnectionError" in err


def test_failing_stream_and_failing_processor_are_counted_not_raised() -> None:
    class BrokenStream(io.StringIO):
        def write(self, s: str) -> int:
            raise OSError("disk full")

    def exploding(event: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("bug")

    sunk: list[dict[str, Any]] = []
    handler = JsonLogHandler(stream=BrokenStream(), sinks=[lambda e, r, line: sunk.append(e)])
    handler.handle(_record())
    assert handler.dropped == 1
    bad_pipeline = LogPipeline([exploding], JSONRenderer())
    handler = JsonLogHandler(bad_pipeline, stream=io.StringIO())
    handler.handle(_record())
    handler.handle(_record())
    assert handler.dropped == 2


def test_a_sink_that_logs_does_not_recurse(captured: Captured) -> None:
    calls: list[str] = []

    def chatty(event: dict[str, Any], record: logging.LogRecord, line: str) -> None:
        calls.append(event["message"])
        captured.logger.warning("sink saw %s", event["message"])

    captured.handler.add_sink(chatty)
    captured.logger.info("original")
    assert calls == ["original"]  # the sink's own record never reaches the sinks
    messages = [e["message"] for e in captured.events()]
    assert messages == ["original", "sink saw original"]  # but it is written, after
    assert captured.handler.dropped == 0


def test_exporter_stack_loggers_are_written_but_not_sunk() -> None:
    stream = io.StringIO()
    sunk: list[str] = []
    handler = JsonLogHandler(stream=stream, sinks=[lambda e, r, line: sunk.append(e["logger"])])
    for name in ("opentelemetry.sdk._logs", "urllib3.connectionpool", "aurastream.events"):
        handler.handle(logging.makeLogRecord({"name": name, "msg": "m", "levelname": "WARNING"}))
    assert sunk == ["aurastream.events"]
    assert stream.getvalue().count("\n") == 3


def test_to_stream_false_feeds_only_the_sinks() -> None:
    stream = io.StringIO()
    sunk: list[tuple[dict[str, Any], str | None]] = []
    handler = JsonLogHandler(
        stream=stream, sinks=[lambda e, r, line: sunk.append((e, line))], to_stream=False
    )
    handler.handle(_record("otlp only"))
    assert stream.getvalue() == ""
    ((event, line),) = sunk
    assert event["message"] == "otlp only"
    assert line is None  # stdout off: no line is rendered (sinks build from the event)


def test_stream_that_cannot_encode_gets_ascii_escaped_valid_json() -> None:
    raw = io.BytesIO()
    ascii_stream = io.TextIOWrapper(raw, encoding="ascii", write_through=True)
    handler = JsonLogHandler(stream=ascii_stream)
    handler.handle(_record("caf\u00e9 \U0001f600"))
    surrogate = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    handler2 = JsonLogHandler(stream=surrogate)
    handler2.handle(_record("lone \ud800"))
    assert (handler.dropped, handler2.dropped) == (0, 0)
    assert json.loads(raw.getvalue().decode("ascii"))["message"] == "caf\u00e9 \U0001f600"
    surrogate.seek(0)
    assert json.loads(surrogate.buffer.read().decode("ascii"))["message"] == "lone \ud800"


def test_handler_level_and_flush(captured: Captured) -> None:
    captured.handler.setLevel(logging.WARNING)
    captured.logger.info("filtered out")
    captured.logger.warning("kept")
    captured.handler.flush()
    assert [e["message"] for e in captured.events()] == ["kept"]
