"""Events that skip stdlib logging when our JSON handler is the only listener: the same line and
sink calls as through `logging`, and `logging` again as soon as anyone else could listen."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from aurastream_obs.logs import JsonLogHandler, build_log_pipeline, events

EVENTS = logging.getLogger("aurastream.events")


class _Handler:
    """Our handler alone on the root logger, lines in a StringIO, sink calls recorded."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        pipeline = build_log_pipeline(
            service="svc", environment="test", redact=True, allow_analysed_text=False
        )
        self.handler = JsonLogHandler(pipeline, stream=self.stream)
        self.sunk: list[tuple[dict[str, Any], logging.LogRecord, str | None]] = []
        self.handler.add_sink(lambda event, record, line: self.sunk.append((event, record, line)))

    def install(self) -> None:  # replaced by the fixture
        raise NotImplementedError

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def only_ours(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Handler]:
    """Our handler as the root's only one. pytest adds its capture handlers to the root
    logger after fixtures are set up, so each test calls `install()` in its body."""
    root = logging.getLogger()
    saved = (root.level, EVENTS.level)
    ours = _Handler()
    ours.install = lambda: monkeypatch.setattr(root, "handlers", [ours.handler])  # type: ignore[method-assign]
    root.setLevel(logging.INFO)
    EVENTS.setLevel(logging.NOTSET)
    try:
        yield ours
    finally:
        root.setLevel(saved[0])
        EVENTS.setLevel(saved[1])


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The logger names of every LogRecord made from now on."""
    names: list[str] = []
    original = logging.Logger.makeRecord

    def counting(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
        names.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(logging.Logger, "makeRecord", counting)
    return names


def _emit_some() -> None:
    events.api_response(
        request_id="r1", status_code=200, response_time_ms=12.5, cache_hit=False,
        customer_id="acme", method="POST", path="/v1/analyze", user_agent="ua",
        ip_address="198.51.100.7",
    )  # fmt: skip
    events.business_event(
        "analysis", customer_id="acme", data={"sentiment": "POSITIVE", "email": "a@b.example"}
    )
    events.security_event("failed_authentication", reason="invalid_api_key", name="x")


def _without_time(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in line.items() if k != "timestamp"} for line in lines]


def test_direct_events_make_no_log_record_and_the_same_lines_as_logging(
    only_ours: _Handler, made: list[str]
) -> None:
    only_ours.install()
    _emit_some()
    direct = only_ours.lines()
    assert made == []  # no LogRecord, no caller lookup: the direct path

    # The same events with a second listener on the root logger go through logging.
    other = logging.Handler()
    other.emit = lambda record: None  # type: ignore[method-assign]
    logging.getLogger().addHandler(other)
    only_ours.stream.truncate(0)
    only_ours.stream.seek(0)
    _emit_some()
    assert made == ["aurastream.events"] * 3
    assert _without_time(only_ours.lines()) == _without_time(direct)
    # Field order too: the line is byte-for-byte the same apart from the time.
    assert [list(line) for line in only_ours.lines()] == [list(line) for line in direct]


def test_direct_events_reach_the_sinks_redacted_with_a_record_they_can_read(
    only_ours: _Handler,
) -> None:
    only_ours.install()
    _emit_some()
    (response, _, line), (business, _, _), (security, record, _) = only_ours.sunk
    assert response["ip_address"] == "198.51.100.0/24"  # redacted before any sink
    assert business["data"]["email"] == "[EMAIL]"
    assert security["name_"] == "x"  # a LogRecord attribute's name is kept, renamed
    assert (record.name, record.levelno, record.levelname) == (
        "aurastream.events",
        logging.WARNING,
        "WARNING",
    )
    assert record.created > 0
    assert line is not None and json.loads(line)["event_type"] == "api_response"


@pytest.mark.parametrize(
    "listener",
    ["handler_on_events_logger", "filter_on_events_logger", "filter_on_handler", "gate", "level"],
)
def test_anyone_else_listening_gets_the_records_through_logging(
    only_ours: _Handler, made: list[str], monkeypatch: pytest.MonkeyPatch, listener: str
) -> None:
    only_ours.install()
    seen: list[logging.LogRecord] = []

    class Remember(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            seen.append(record)
            return True

    if listener == "handler_on_events_logger":
        extra = logging.Handler()
        extra.emit = seen.append  # type: ignore[method-assign,assignment]
        monkeypatch.setattr(EVENTS, "handlers", [extra])
    elif listener == "filter_on_events_logger":
        monkeypatch.setattr(EVENTS, "filters", [Remember()])
    elif listener == "filter_on_handler":
        monkeypatch.setattr(only_ours.handler, "filters", [Remember()])
    elif listener == "gate":

        class Gate:
            def admit(self, record: logging.LogRecord) -> bool:
                seen.append(record)
                return True

        monkeypatch.setattr(only_ours.handler, "gate", Gate())
    else:  # the handler's level above the event's: logging decides (and drops it)
        only_ours.handler.setLevel(logging.ERROR)
    _emit_some()
    assert made == ["aurastream.events"] * 3
    if listener == "level":
        assert only_ours.lines() == []
    else:
        assert len(seen) == 3 and len(only_ours.lines()) == 3


def test_a_failing_sink_is_counted_never_raised(only_ours: _Handler) -> None:
    def broken(event: Any, record: Any, line: Any) -> None:
        raise RuntimeError("sink down")

    only_ours.handler.add_sink(broken)
    only_ours.install()
    _emit_some()
    assert len(only_ours.lines()) == 3
    assert only_ours.handler.dropped == 3
