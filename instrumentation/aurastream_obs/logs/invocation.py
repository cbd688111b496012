"""The Lambda invocation a log line belongs to: a ContextVar set by `instrument_handler` for the
handler's duration (reset after it, so nothing leaks into the next warm invocation), and the
log processor that adds its fields to every line."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from aurastream_obs.core.redaction import mask_emails
from aurastream_obs.logs.processors import EventDict, TraceIdAdder

if TYPE_CHECKING:
    from aurastream_obs.logs.handler import JsonLogHandler


class Invocation:
    """One invocation's identity, and what its logs decided (`logs`: sampling, buffer).

    A plain class, not a dataclass: creating a dataclass costs cold-start time.
    """

    __slots__ = (
        "cold_start",
        "correlation_id",
        "function_arn",
        "function_name",
        "logs",
        "memory_size",
        "request_id",
    )

    def __init__(  # noqa: PLR0917 - built once per invocation by instrument_handler
        self,
        request_id: str,
        cold_start: bool,
        function_name: str,
        function_arn: str = "",
        memory_size: str = "",
        correlation_id: str = "",
        logs: Any = None,
    ) -> None:
        # The two ids that come from outside (the runtime's context, the event): masked here,
        # once, as the log redaction would mask them (it runs before these fields are added).
        self.request_id = mask_emails(request_id)
        self.cold_start = cold_start
        self.function_name = function_name
        self.function_arn = function_arn
        self.memory_size = memory_size
        self.correlation_id = mask_emails(correlation_id)
        self.logs = logs


CURRENT: ContextVar[Invocation | None] = ContextVar("aurastream_lambda_invocation", default=None)


class LambdaContextAdder:
    """Log processor: the invocation's fields on every line, with Powertools Logger's names.

    `cold_start`, `function_name`, `function_arn`, `function_memory_size`,
    `function_request_id` (Lambda's request id) and `correlation_id` (API Gateway's request
    id), so queries written for Powertools logs keep working. The service's own `request_id`
    (the x-request-id it answers with) is never overwritten.
    """

    def __call__(self, event: EventDict) -> EventDict:
        invocation = CURRENT.get()
        if invocation is not None:
            event["cold_start"] = invocation.cold_start
            if invocation.function_name:
                event.setdefault("function_name", invocation.function_name)
            if invocation.function_arn:
                event.setdefault("function_arn", invocation.function_arn)
            if invocation.memory_size:
                event.setdefault("function_memory_size", invocation.memory_size)
            if invocation.request_id:  # no context object (local run): no request id
                event["function_request_id"] = invocation.request_id
            if invocation.correlation_id:
                event.setdefault("correlation_id", invocation.correlation_id)
        return event


def ensure_context_adder(handler: JsonLogHandler | None) -> None:
    """Put a `LambdaContextAdder` into the handler's pipeline (after the trace ids), once."""
    if handler is None:
        return
    pipeline = handler.pipeline
    processors: tuple[Any, ...] = pipeline.processors
    if any(isinstance(p, LambdaContextAdder) for p in processors):
        return
    at = next((i + 1 for i, p in enumerate(processors) if isinstance(p, TraceIdAdder)), 0)
    pipeline.processors = (*processors[:at], LambdaContextAdder(), *processors[at:])
