"""`JsonLogHandler`: the root logging handler writing each record as one JSON line and
handing the processed event and its line to sinks (e.g. the OTLP log exporter).

It is the telemetry boundary: nothing raises into the code that logged, failures are counted
in `dropped` and reported once on stderr (never through logging, which could recurse). The
record → event → line steps live in `logs/pipeline.py`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol, TextIO

from aurastream_obs.core.forking import after_fork_in_child
from aurastream_obs.logs.pipeline import EventRecord, LogPipeline, build_log_pipeline
from aurastream_obs.logs.processors import EventDict, escape_non_ascii, safe_repr, safe_str


class LogGate(Protocol):
    """Decides, per record, whether it is emitted now (True), or sampled out or buffered."""

    def admit(self, record: logging.LogRecord) -> bool: ...


# (processed event, record, the stdout line or None when stdout is off): sinks such as the
# OTLP log sink build their record from the processed, redacted event.
LogSink = Callable[[EventDict, logging.LogRecord, "str | None"], None]
_BATCH_CHARS: Final = 16384  # buffered lines are written out at this size at the latest


def _start_daemon_timer(delay_s: float, callback: Callable[[], None]) -> threading.Timer:
    timer = threading.Timer(delay_s, callback)
    timer.daemon = True
    timer.start()
    return timer


class JsonLogHandler(logging.Handler):
    """Writes each record as one JSON line to `stream` and hands event dict and line to sinks.

    `stream=None` means `sys.stdout` looked up at each emit (so pytest capture and Lambda
    runtimes that swap stdout work). `to_stream=False` feeds the sinks only (otlp mode with
    stdout turned off). Never raises: failures are counted in `dropped`, warned once.

    Records of `sink_excluded_loggers` (the exporter stack's own loggers) are written to the
    stream but not handed to sinks: an exporter's "export failed" warning must not become a
    record to export, which would keep a failing exporter busy with its own complaints.

    `flush_interval_s=None` writes and flushes every line (logging.StreamHandler's
    behaviour). A number lets lines collect in the handler when the stream is not a terminal
    (a pipe to a log driver: one write per 16 KB instead of one per line, so far fewer
    syscalls and reader wake-ups), written out by a timer within that many seconds, on
    `flush()` (which `Telemetry.force_flush` calls) and at exit (`logging.shutdown`). A
    terminal always gets every line at once. Lost on a hard kill: at most that interval's lines.
    """

    def __init__(
        self,
        pipeline: LogPipeline | None = None,
        *,
        stream: TextIO | None = None,
        sinks: Iterable[LogSink] = (),
        to_stream: bool = True,
        level: int = logging.NOTSET,
        sink_excluded_loggers: tuple[str, ...] = (
            "opentelemetry",
            "urllib3",
            "aurastream_obs.exporters",
        ),
        flush_interval_s: float | None = None,
        on_drop: Callable[[int, str], None] | None = None,
        timer_factory: Callable[[float, Callable[[], None]], Any] | None = None,
    ) -> None:
        super().__init__(level)
        self._on_drop = on_drop  # e.g. DropCounter: aurastream.telemetry.dropped{signal=logs}
        # Starts the flush timer of a piped stream: (delay s, callback) -> an object with
        # cancel(); a daemon threading.Timer by default, a manual one in tests.
        self._timer_factory = timer_factory or _start_daemon_timer
        if pipeline is None:  # the safe defaults: redaction on, no analysed text
            pipeline = build_log_pipeline(
                service="aurastream-api", environment="dev", redact=True, allow_analysed_text=False
            )
        self.pipeline = pipeline
        self._stream = stream
        self.to_stream = to_stream
        self._sinks: tuple[LogSink, ...] = tuple(sinks)  # replaced, never mutated: lock-free
        # Per-invocation sampling and buffering on Lambda (logs/lambda_logs.py); None: none.
        self.gate: LogGate | None = None
        self._sink_excluded = sink_excluded_loggers
        self.dropped = 0
        self._warned = False
        self._local = threading.local()
        self._flush_interval = flush_interval_s
        self._flush_timer: Any = None  # whatever the timer factory returned (has cancel())
        self._tty_of: tuple[int, bool] = (0, True)  # (id of the stream, is it a terminal)
        self._pending: list[str] = []
        self._pending_chars = 0
        if flush_interval_s is not None:
            after_fork_in_child(self, JsonLogHandler._after_fork)

    def _after_fork(self) -> None:
        # The parent writes the lines it buffered; the child starts empty, without a timer
        # (timer threads do not survive a fork).
        self._pending, self._pending_chars = [], 0
        self._flush_timer = None

    @property
    def stream(self) -> TextIO | None:
        return self._stream if self._stream is not None else sys.stdout

    @property
    def sinks(self) -> tuple[LogSink, ...]:
        return self._sinks

    def add_sink(self, sink: LogSink) -> None:
        self._sinks = (*self._sinks, sink)

    def remove_sink(self, sink: LogSink) -> None:
        self._sinks = tuple(s for s in self._sinks if s is not sink)

    def emit(self, record: logging.LogRecord) -> None:
        local = self._local
        depth: int = getattr(local, "depth", 0)
        if depth > 1:  # a sink logged, and that record's processing logged again: stop here
            self._drop("recursive logging", None)
            return
        local.depth = depth + 1
        try:
            gate = self.gate
            if gate is not None and not gate.admit(record):  # sampled out, or buffered
                return
            self.deliver(self.pipeline.process(record), record, depth)
        except Exception as exc:  # noqa: BLE001 - the telemetry boundary: count, never raise
            self._drop("record", exc)
        finally:
            local.depth = depth

    def emit_event(
        self, levelno: int, logger_name: str, message: str, category: str, fields: Mapping[str, Any]
    ) -> None:
        """A structured event from logs/events.py, which calls this only when no one but this
        handler would see the record: the same line and sink calls as `emit`, without the
        LogRecord, caller lookup and handler chain of stdlib logging."""
        record = EventRecord(logger_name, levelno, time.time())
        local = self._local
        depth: int = getattr(local, "depth", 0)
        if depth > 1:  # as in emit: a sink's logging looped back
            self._drop("recursive logging", None)
            return
        local.depth = depth + 1
        self.acquire()  # as Handler.handle does around emit (the stdout buffer, the timer)
        try:
            self.deliver(self.pipeline.process_event(record, message, category, fields),
                         record, depth)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - the telemetry boundary: count, never raise
            self._drop("record", exc)
        finally:
            self.release()
            local.depth = depth

    def deliver(self, event: EventDict, record: logging.LogRecord, depth: int = 0) -> None:
        """Write a processed event's line and hand the event to the sinks."""
        try:
            line = None
            if self.to_stream:
                line = self.pipeline.render(event)
                self._write(line)
            # Records logged by a sink reach the stream, never the sinks (no recursion).
            sinks = self._sinks
            if sinks and depth == 0 and not record.name.startswith(self._sink_excluded):
                for sink in sinks:
                    try:
                        sink(event, record, line)
                    except Exception as exc:  # noqa: BLE001 - one sink must not stop others
                        self._drop(f"sink {safe_repr(sink)}", exc)
        except Exception as exc:  # noqa: BLE001 - the telemetry boundary: count, never raise
            self._drop("record", exc)

    def _write(self, line: str) -> None:
        stream = self.stream
        if stream is None:  # e.g. pythonw: no stdout at all
            raise RuntimeError("no output stream")
        if self._flush_interval is None or self._is_terminal(stream):
            # Nothing may sit in a buffer when a Lambda execution environment is frozen.
            self._write_lines(stream, [line])
            return
        # Our own buffer, not the stream's: with PYTHONUNBUFFERED=1 (common in containers)
        # every stream.write() is a syscall that also wakes the log reader.
        self._pending.append(line)
        self._pending_chars += len(line) + 1
        if self._pending_chars >= _BATCH_CHARS:
            self._write_pending(stream)
        elif self._flush_timer is None:
            # Runs under the handler lock (Handler.handle holds it): no race with _timed_flush.
            self._flush_timer = self._timer_factory(self._flush_interval, self._timed_flush)

    @staticmethod
    def _write_lines(stream: TextIO, lines: list[str]) -> None:
        try:
            stream.write("\n".join(lines) + "\n")
        except UnicodeEncodeError:  # e.g. a lone surrogate, or an ASCII-only stdout
            for line in lines:
                try:
                    stream.write(line + "\n")
                except UnicodeEncodeError:
                    stream.write(escape_non_ascii(line) + "\n")
        stream.flush()

    def _write_pending(self, stream: TextIO | None) -> None:
        lines = self._pending
        if not lines:
            return
        self._pending, self._pending_chars = [], 0
        try:
            if stream is None:
                raise RuntimeError("no output stream")
            self._write_lines(stream, lines)
        except Exception as exc:  # noqa: BLE001 - telemetry boundary: count, never raise
            self._drop("line", exc, len(lines))

    def _is_terminal(self, stream: TextIO) -> bool:
        known_id, terminal = self._tty_of
        if known_id != id(stream):
            try:
                terminal = stream.isatty()
            except Exception:  # noqa: BLE001 - an odd stream: flush per line, the safe side
                terminal = True
            self._tty_of = (id(stream), terminal)
        return terminal

    def _timed_flush(self) -> None:
        self.acquire()
        try:
            self._flush_timer = None
            self.flush()
        finally:
            self.release()

    def flush(self) -> None:
        """Write buffered lines (if any) and flush the stream. Never raises."""
        if not self.to_stream:
            return
        self.acquire()
        try:
            stream = self.stream
            self._write_pending(stream)
            if stream is not None:
                try:
                    stream.flush()
                except Exception as exc:  # noqa: BLE001 - telemetry boundary
                    self._drop("flush", exc)
        finally:
            self.release()

    def close(self) -> None:
        timer = self._flush_timer
        if timer is not None:
            timer.cancel()
        self.flush()
        super().close()

    def _drop(self, what: str, exc: BaseException | None, count: int = 1) -> None:
        self.dropped += count
        if self._on_drop is not None:
            reason = "stdout_failed" if what in ("line", "flush") else "record_failed"
            with contextlib.suppress(Exception):
                self._on_drop(count, reason)
        if self._warned:
            return
        self._warned = True
        reason = f": {type(exc).__name__}: {safe_str(exc)}" if exc is not None else ""
        # stderr directly (like logging.lastResort): logging here could recurse.
        with contextlib.suppress(Exception):
            sys.stderr.write(
                f"aurastream_obs: dropped a log {what}{reason}; further drops are only "
                f"counted (JsonLogHandler.dropped)\n"
            )


def install_root_handler(handler: logging.Handler, level: int) -> None:
    """`handler` on the root logger, at `level` unless the root is already more verbose.

    On Lambda the Python runtime (awslambdaric) installs its own root handler in every mode:
    `LambdaLoggerHandler`, or `LambdaLoggerHandlerWithFrameType` when AWS_LAMBDA_LOG_FORMAT=
    JSON or a log level is set. Ours replaces it, so a line is neither written twice nor, in
    its copy, unredacted."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if type(existing).__name__.startswith("LambdaLoggerHandler"):
            root.removeHandler(existing)
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
