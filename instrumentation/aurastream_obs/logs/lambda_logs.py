"""Per-invocation log sampling and buffering on AWS Lambda (Powertools Logger parity).

- **Sampling** (`AURASTREAM_LOG_SAMPLE_RATE`, Powertools' `sample_rate`): for that fraction of
  invocations every level is logged (DEBUG included); the others log at the configured level.
- **Buffering** (`AURASTREAM_LOG_BUFFER`, Powertools' `buffer_config`): records below the
  configured level (down to DEBUG) are kept, processed (trace ids, redaction) at the moment
  they were logged, and written only if the invocation fails or logs an ERROR — then before
  that error line, in order; a successful invocation discards them. The buffer is bounded
  (`AURASTREAM_LOG_BUFFER_MAX_BYTES`, oldest evicted first, the eviction counted).

The decision is taken once per invocation by `instrument_handler` (`begin`/`end`); outside an
invocation (the init phase) records are logged at the configured level. Loggers must let the
lower levels through for this to work, so the root logger is set to DEBUG while a gate is
attached; the gate drops what no invocation wants, before any processing.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from aurastream_obs.logs.invocation import CURRENT

if TYPE_CHECKING:
    from aurastream_obs.logs.handler import JsonLogHandler
    from aurastream_obs.logs.processors import EventDict

_RECORD_OVERHEAD: Final = 200  # bytes a JSON line adds to its message (keys, ids, timestamp)


class InvocationLogs:
    """What one invocation decided: sampled, and the records it holds back."""

    __slots__ = ("buffer", "buffered_bytes", "evicted", "sampled")

    def __init__(self, sampled: bool) -> None:
        self.sampled = sampled
        self.buffer: list[tuple[EventDict, logging.LogRecord]] = []
        self.buffered_bytes = 0
        self.evicted = 0


class LambdaLogGate:
    """The JsonLogHandler gate (`handler.gate`) for sampling and buffering."""

    def __init__(
        self,
        handler: JsonLogHandler,
        *,
        level: int,
        sample_rate: float = 0.0,
        buffer: bool = False,
        buffer_max_bytes: int = 20480,
        random_draw: Callable[[], float] = random.random,
        on_evict: Callable[[int], None] | None = None,
    ) -> None:
        self._handler = handler
        self._level = level
        self._sample_rate = sample_rate
        self._buffering = buffer
        self._max_bytes = buffer_max_bytes
        self._draw = random_draw
        self._on_evict = on_evict

    @property
    def active(self) -> bool:
        return self._sample_rate > 0 or self._buffering

    def attach(self) -> None:
        """Install as the handler's gate; let DEBUG records reach it."""
        self._handler.gate = self
        self._handler.setLevel(logging.DEBUG)
        root = logging.getLogger()
        if root.level > logging.DEBUG or root.level == logging.NOTSET:
            root.setLevel(logging.DEBUG)

    # --- per invocation --------------------------------------------------------------------
    def begin(self) -> InvocationLogs:
        return InvocationLogs(sampled=self._sample_rate > 0 and self._draw() < self._sample_rate)

    def end(self, logs: InvocationLogs | None, failed: bool) -> None:
        """A failed invocation writes what it buffered; a successful one discards it."""
        if logs is None:
            return
        if failed:
            self._flush(logs)
        logs.buffer.clear()
        logs.buffered_bytes = 0

    # --- per record ------------------------------------------------------------------------
    def admit(self, record: logging.LogRecord) -> bool:
        invocation = CURRENT.get()
        logs: Any = getattr(invocation, "logs", None)
        if record.levelno >= self._level:
            if logs is not None and logs.buffer and record.levelno >= logging.ERROR:
                self._flush(logs)  # the context an error needs, before the error itself
            return True
        if logs is None:
            return False  # outside an invocation: the configured level
        if logs.sampled:
            return True
        if self._buffering:
            self._hold(logs, record)
        return False

    def _hold(self, logs: InvocationLogs, record: logging.LogRecord) -> None:
        # Processed now: the trace ids, redaction and invocation fields of this moment.
        event = self._handler.pipeline.process(record)
        size = len(str(event.get("message", ""))) + _RECORD_OVERHEAD
        logs.buffer.append((event, record))
        logs.buffered_bytes += size
        while logs.buffered_bytes > self._max_bytes and logs.buffer:
            dropped_event, _ = logs.buffer.pop(0)
            logs.buffered_bytes -= len(str(dropped_event.get("message", ""))) + _RECORD_OVERHEAD
            logs.evicted += 1
            if self._on_evict is not None:
                self._on_evict(1)

    def _flush(self, logs: InvocationLogs) -> None:
        held, logs.buffer = logs.buffer, []
        logs.buffered_bytes = 0
        for event, record in held:
            event["buffered"] = True  # written late: it says so
            self._handler.deliver(event, record)
