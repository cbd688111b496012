"""`SpanScope`: what `Tracer.start_as_current_span` returns, as one small class.

The OTel API's own nests two generator-based context managers (`_agnosticcontextmanager` around
`use_span`). Shared by `LeanTracer` (sdk/tracer.py) and the Lambda mode's tracer; imports only
the OTel API (the Lambda cold-start path uses it).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.trace import SpanKind, Status, StatusCode


class SpanStarter(Protocol):
    def start_span(self, *args: Any) -> trace_api.Span: ...


class SpanScope:
    """`start_as_current_span`: a context manager, or a decorator of sync and async functions,
    with `opentelemetry.trace.use_span`'s behaviour (an `Exception` leaving the block is
    recorded and sets an ERROR status; BaseExceptions such as GeneratorExit are not)."""

    __slots__ = ("_args", "_end_on_exit", "_span", "_token", "_tracer")

    def __init__(self, tracer: SpanStarter, args: tuple[Any, ...], end_on_exit: bool) -> None:
        self._tracer = tracer
        self._args = args
        self._end_on_exit = end_on_exit

    def __enter__(self) -> trace_api.Span:
        span = self._span = self._tracer.start_span(*self._args)
        self._token = context_api.attach(trace_api.set_span_in_context(span))
        return span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        span = self._span
        try:
            context_api.detach(self._token)
            if isinstance(exc, Exception) and span.is_recording():
                _, _, _, _, _, _, record_exception, set_status = self._args
                if record_exception:
                    span.record_exception(exc)
                if set_status:
                    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        finally:
            if self._end_on_exit:
                span.end()

    def _fresh(self) -> SpanScope:
        return SpanScope(self._tracer, self._args, self._end_on_exit)

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper


def start_as_current_span(  # noqa: PLR0917 - the OTel Tracer signature
    self: SpanStarter,
    name: str,
    context: context_api.Context | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
    links: Sequence[trace_api.Link] | None = (),
    start_time: int | None = None,
    record_exception: bool = True,
    set_status_on_exception: bool = True,
    end_on_exit: bool = True,
) -> SpanScope:
    """`Tracer.start_as_current_span` for a tracer whose `start_span` takes the API's positional
    arguments; assigned in the class body (`start_as_current_span = start_as_current_span`): a
    function, not a mixin, because `make_lean` swaps an SDK Tracer's class in place, which a
    second base class would forbid."""
    return SpanScope(
        self,
        (name, context, kind, attributes, links, start_time, record_exception,
         set_status_on_exception),
        end_on_exit,
    )  # fmt: skip
