"""The Lambda invocation a log line belongs to: a ContextVar set by `instrument_handler` for the
handler's duration (reset after it, so nothing leaks into the next warm invocation), and the
log processor that adds its fields to every line."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from aurastream_obs.logs.processors import EventDict

if TYPE_CHECKING:
    from aurastream_obs.logs.pipeline import JsonLogHandler


class Invocation:
    """A plain class, not a dataclass: creating a dataclass costs cold-start time."""

    __slots__ = ("cold_start", "function_name", "request_id")

    def __init__(self, request_id: str, cold_start: bool, function_name: str) -> None:
        self.request_id = request_id
        self.cold_start = cold_start
        self.function_name = function_name


CURRENT: ContextVar[Invocation | None] = ContextVar("aurastream_lambda_invocation", default=None)


class LambdaContextAdder:
    """Log processor: `cold_start`, `request_id`, `function_request_id`, `function_name`.

    `request_id` is Lambda's (the aws_request_id) unless the code logged its own (the
    service's API request id); `function_request_id` always carries Lambda's.
    """

    def __call__(self, event: EventDict) -> EventDict:
        invocation = CURRENT.get()
        if invocation is not None:
            event["cold_start"] = invocation.cold_start
            if invocation.request_id:  # no context object (local run): no request id
                event["function_request_id"] = invocation.request_id
                event.setdefault("request_id", invocation.request_id)
            if invocation.function_name:
                event.setdefault("function_name", invocation.function_name)
        return event


def ensure_context_adder(handler: JsonLogHandler | None) -> None:
    """Put a `LambdaContextAdder` into the handler's pipeline (after the trace ids), once."""
    if handler is None:
        return
    pipeline = handler.pipeline
    processors: tuple[Any, ...] = pipeline.processors
    if any(isinstance(p, LambdaContextAdder) for p in processors):
        return
    pipeline.processors = (*processors[:1], LambdaContextAdder(), *processors[1:])
