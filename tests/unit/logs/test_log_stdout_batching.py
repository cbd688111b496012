"""JsonLogHandler with flush_interval_s: batched for pipes, not for terminals, never lost.

The flush timer is injected (`timer_factory`, support.timers): tests fire it themselves."""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections.abc import Iterator

import pytest

from aurastream_obs.logs import JsonLogHandler
from support.log_capture import strict_loads
from support.timers import ManualTimers


class PipeLike(io.StringIO):
    """A non-terminal stream that counts its writes."""

    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self.writes = 0
        self.tty = tty

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)

    def isatty(self) -> bool:
        return self.tty


class Broken(PipeLike):
    def write(self, text: str) -> int:
        raise BrokenPipeError("reader went away")


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger(f"test.batching.{uuid.uuid4().hex}")
    log.propagate = False
    log.setLevel(logging.INFO)
    yield log
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()


def _attach(
    logger: logging.Logger,
    stream: PipeLike,
    interval: float,
    timers: ManualTimers | None = None,
) -> JsonLogHandler:
    handler = JsonLogHandler(
        stream=stream, flush_interval_s=interval, timer_factory=timers or ManualTimers()
    )
    logger.addHandler(handler)
    return handler


def test_pipe_lines_wait_for_flush_in_order(logger: logging.Logger) -> None:
    stream = PipeLike()
    handler = _attach(logger, stream, 60.0)
    for i in range(5):
        logger.info("line %d", i)
    assert stream.getvalue() == ""  # batched, not yet written
    handler.flush()
    messages = [strict_loads(line)["message"] for line in stream.getvalue().splitlines()]
    assert messages == [f"line {i}" for i in range(5)]
    assert stream.writes == 1  # one write for the batch


def test_the_timer_writes_within_the_interval(logger: logging.Logger) -> None:
    stream, timers = PipeLike(), ManualTimers()
    _attach(logger, stream, 0.05, timers)
    logger.info("soon")
    logger.info("and this")
    assert stream.getvalue() == ""
    assert [t.delay_s for t in timers.started] == [0.05]  # one timer for the batch
    timers.last.fire()
    assert [strict_loads(x)["message"] for x in stream.getvalue().splitlines()] == [
        "soon",
        "and this",
    ]
    logger.info("next batch")  # the fired timer is gone: the next line starts a new one
    assert [t.delay_s for t in timers.pending()] == [0.05]


def test_an_explicit_flush_leaves_the_timer_nothing_to_write(logger: logging.Logger) -> None:
    stream, timers = PipeLike(), ManualTimers()
    handler = _attach(logger, stream, 0.05, timers)
    logger.info("once")
    handler.flush()
    timers.last.fire()  # a timer that was already due
    assert stream.getvalue().count("once") == 1


def test_a_terminal_gets_every_line_at_once(logger: logging.Logger) -> None:
    stream = PipeLike(tty=True)
    _attach(logger, stream, 60.0)
    logger.info("now")
    assert "now" in stream.getvalue()


def test_without_an_interval_every_line_is_written_at_once(logger: logging.Logger) -> None:
    stream = PipeLike()
    logger.addHandler(JsonLogHandler(stream=stream))
    logger.info("now")
    assert "now" in stream.getvalue()


def test_a_full_batch_is_written_without_waiting(logger: logging.Logger) -> None:
    stream = PipeLike()
    _attach(logger, stream, 60.0)
    for _ in range(200):  # about 200 * 150 chars > 16 KB
        logger.info("x" * 100)
    assert stream.writes >= 1
    assert len(stream.getvalue().splitlines()) >= 100


def test_close_writes_what_is_pending(logger: logging.Logger) -> None:
    stream = PipeLike()
    handler = _attach(logger, stream, 60.0)
    logger.info("last words")
    logger.removeHandler(handler)
    handler.close()
    assert "last words" in stream.getvalue()


def test_a_failed_batch_counts_every_line(logger: logging.Logger) -> None:
    handler = _attach(logger, Broken(), 60.0)
    for _ in range(3):
        logger.info("lost")
    handler.flush()  # must not raise
    assert handler.dropped == 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_neither_repeats_nor_stalls(logger: logging.Logger) -> None:
    stream, timers = PipeLike(), ManualTimers()
    handler = _attach(logger, stream, 0.05, timers)
    logger.info("parent's line")
    parent_timer = timers.last
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's buffer, and a timer of its own
        ok = False
        try:
            ok = handler._pending == []
            logger.info("child's line")
            ok = ok and len(timers.started) == 2 and timers.last is not parent_timer
            timers.last.fire()
            ok = ok and "child's line" in stream.getvalue() and "parent's" not in stream.getvalue()
        finally:  # whatever happened, the child never returns into pytest
            os.write(write_fd, b"1" if ok else b"0")
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read_fd, 1) == b"1"
    os.close(read_fd)
    os.close(write_fd)
    parent_timer.fire()
    assert "parent's line" in stream.getvalue() and "child's line" not in stream.getvalue()
