"""`instrument_handler`: one span per invocation, cold start, errors, and a flush before return.

Parent context, in order: Lambda's `_X_AMZN_TRACE_ID` (the function segment Lambda created:
the only parent X-Ray can nest our subsegments under), then the event's `X-Amzn-Trace-Id`
header, then its `traceparent`. When a header names a different trace than Lambda's, it
becomes a span link, so the caller's trace stays reachable. `Lineage` is carried in the
context, so outgoing X-Ray headers keep it (recursion detection).

Flush: in `finally`, all three signals, bounded by the time Lambda leaves
(`context.get_remaining_time_in_millis()` minus a margin, at most `max_flush_ms`). A watchdog
timer flushes what exists shortly before the deadline when the handler runs too long (Lambda
kills the process at the deadline; without it the whole invocation's telemetry is lost).
"""

from __future__ import annotations

import contextvars
import functools
import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar, overload

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags

from aurastream_obs.aws_lambda.context import ColdStart
from aurastream_obs.aws_lambda.triggers import Trigger, describe
from aurastream_obs.aws_lambda.watchdog import Cancellable, TimerFactory, Watchdog
from aurastream_obs.core.conventions import CORRELATION_ID, LAMBDA_COLDSTARTS
from aurastream_obs.core.errors import error_type
from aurastream_obs.core.version import __version__
from aurastream_obs.logs.invocation import CURRENT, Invocation, ensure_context_adder
from aurastream_obs.propagation.xray_header import LAMBDA_TRACE_ENV, parse_xray_header

if TYPE_CHECKING:
    from aurastream_obs.logs.lambda_logs import LambdaLogGate

_log = logging.getLogger("aurastream_obs.lambda")
_F = TypeVar("_F", bound=Callable[..., Any])
DEFAULT_MAX_FLUSH_MS: Final = 2000
DEFAULT_MARGIN_MS: Final = 200  # kept free before the deadline for the flush itself
_TRACEPARENT_PARTS: Final = 4
_FLAGS: Final = (TraceFlags(TraceFlags.DEFAULT), TraceFlags(TraceFlags.SAMPLED))


def _traceparent(value: str | None) -> SpanContext | None:
    """W3C `traceparent` (version 00 layout), strictly; None when invalid."""
    if not value:
        return None
    parts = value.strip().split("-")
    if len(parts) < _TRACEPARENT_PARTS or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    if parts[0] == "ff" or len(parts[3]) != 2:
        return None
    try:
        trace_id, span_id, flags = int(parts[1], 16), int(parts[2], 16), int(parts[3], 16)
    except ValueError:
        return None
    if not trace_id or not span_id:
        return None
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=_FLAGS[flags & 1])


def _xray(header: str | None) -> tuple[SpanContext, str | None] | None:
    parsed = parse_xray_header(header)
    if parsed is None:
        return None
    flags = _FLAGS[1 if parsed.sampled else 0]
    ctx = SpanContext(parsed.trace_id, parsed.span_id, is_remote=True, trace_flags=flags)
    return ctx, parsed.lineage


def parent_context(
    trigger: Trigger, env: Mapping[str, str]
) -> tuple[context_api.Context, list[Link]]:
    """The parent (see the module doc) and links to other traces the event names."""
    candidates: list[tuple[SpanContext, str | None]] = []
    for found in (
        _xray(env.get(LAMBDA_TRACE_ENV)),
        _xray(trigger.headers.get("x-amzn-trace-id")),
    ):
        if found is not None:
            candidates.append(found)
    w3c = _traceparent(trigger.headers.get("traceparent"))
    if w3c is not None:
        candidates.append((w3c, None))
    links: list[Link] = []
    ctx = context_api.Context()
    if candidates:
        parent, lineage = candidates[0]
        ctx = trace.set_span_in_context(NonRecordingSpan(parent), ctx)
        for _, other_lineage in candidates:
            lineage = lineage or other_lineage
        if lineage:
            from aurastream_obs.propagation.xray_header import LINEAGE_KEY

            ctx = context_api.set_value(LINEAGE_KEY, lineage, ctx)
        seen = {parent.trace_id}
        for other, _ in candidates[1:]:
            if other.trace_id not in seen:
                seen.add(other.trace_id)
                links.append(Link(other))
    for header in trigger.link_headers:
        found = _xray(header)
        if found is not None:
            links.append(Link(found[0]))
    return ctx, links


def _remaining_ms(lambda_context: Any) -> int | None:
    getter = getattr(lambda_context, "get_remaining_time_in_millis", None)
    if not callable(getter):
        return None
    try:
        return int(getter())
    except Exception:  # noqa: BLE001 - a fake context must not fail the invocation
        return None


def _add_invocation_attributes(attrs: dict[str, Any], lambda_context: Any, cold: bool) -> None:
    attrs["faas.coldstart"] = cold
    request_id = getattr(lambda_context, "aws_request_id", None)
    if isinstance(request_id, str):
        attrs["faas.invocation_id"] = request_id
    arn = getattr(lambda_context, "invoked_function_arn", None)
    if isinstance(arn, str) and arn.count(":") >= 6:
        attrs["cloud.resource_id"] = arn
        attrs["cloud.account.id"] = arn.split(":")[4]


def _is_mapping(value: Any) -> bool:
    return value.__class__ is dict or isinstance(value, Mapping)  # no ABC check for a dict


def correlation_id(event: Any) -> str:
    """API Gateway's (REST, HTTP API, function URL) request id: Powertools' correlation id."""
    if _is_mapping(event):
        context = event.get("requestContext")
        if _is_mapping(context):
            value = context.get("requestId")
            if isinstance(value, str):
                return value[:128]
    return ""


def _response_status(result: Any) -> int | None:
    if _is_mapping(result):
        status = result.get("statusCode")
        if isinstance(status, int) and not isinstance(status, bool):
            return status
    return None


def _log_gate(telemetry: Any) -> LambdaLogGate | None:
    """Per-invocation log sampling/buffering (logs/lambda_logs.py) when the settings ask."""
    settings, handler = telemetry.settings, telemetry.log_handler
    if handler is None or not (settings.log_sample_rate > 0 or settings.log_buffer):
        return None
    from aurastream_obs.logs.lambda_logs import LambdaLogGate

    gate = LambdaLogGate(
        handler,
        level=settings.log_level,
        sample_rate=settings.log_sample_rate,
        buffer=settings.log_buffer,
        buffer_max_bytes=settings.log_buffer_max_bytes,
        on_evict=lambda n: telemetry.drops.add("logs", "buffer_evicted", n),
    )
    gate.attach()
    return gate


def _drop_runtime_log_handlers(ours: logging.Handler | None) -> None:
    """Remove the Python runtime's root handler (awslambdaric's `LambdaLoggerHandler`, or
    `LambdaLoggerHandlerWithFrameType` under AWS_LAMBDA_LOG_FORMAT=JSON) once ours is on the
    root logger: it would write every record a second time, unredacted. configure() does it too,
    but configure() can run before the runtime adds its handler (opentelemetry-instrument's
    sitecustomize, the ADOT layer's shape): the decorator runs after, at the handler's import."""
    root = logging.getLogger()
    if ours is None or ours not in root.handlers:
        return
    for existing in list(root.handlers):
        if type(existing).__name__.startswith("LambdaLoggerHandler"):
            root.removeHandler(existing)


class _Instrumented:
    """The state one decorated handler keeps across the invocations of an environment."""

    def __init__(
        self,
        handler: Callable[..., Any],
        *,
        telemetry: Any,
        cold_start: ColdStart,
        max_flush_ms: int,
        margin_ms: int,
        env: Mapping[str, str] | None,
        timer_factory: TimerFactory | None = None,
    ) -> None:
        if telemetry is None:
            from aurastream_obs.bootstrap import configure

            telemetry = configure()  # the init phase: Lambda runs it before the first event
        self.handler = handler
        self.telemetry = telemetry
        self.cold_start = cold_start
        self.max_flush_ms = max_flush_ms
        self.margin_ms = margin_ms
        # One watchdog thread per decorated handler, armed per invocation (watchdog.py).
        self.timer_factory = timer_factory if timer_factory is not None else Watchdog()
        self.env = os.environ if env is None else env
        provider = telemetry.tracer_provider or trace.get_tracer_provider()
        self.tracer = provider.get_tracer("aurastream_obs.lambda", __version__)
        self.coldstarts: Any = None
        if telemetry.meter_provider is not None:
            meter = telemetry.meter_provider.get_meter("aurastream_obs.lambda", __version__)
            self.coldstarts = meter.create_counter(
                LAMBDA_COLDSTARTS.name,
                unit=LAMBDA_COLDSTARTS.unit,
                description=LAMBDA_COLDSTARTS.description,
            )
        ensure_context_adder(telemetry.log_handler)
        _drop_runtime_log_handlers(telemetry.log_handler)
        self.function_name = self.env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.memory_size = self.env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_gate = _log_gate(telemetry)

    def __call__(self, event: Any, lambda_context: Any = None) -> Any:
        cold = self.cold_start.take()
        trigger = describe(event, self.function_name)
        parent, links = parent_context(trigger, self.env)
        attrs = trigger.attributes.copy()  # the trigger's own dict is not kept anywhere
        _add_invocation_attributes(attrs, lambda_context, cold)
        span = self.tracer.start_span(
            trigger.name, context=parent, kind=trigger.kind, attributes=attrs, links=links
        )
        request_id = str(attrs.get("faas.invocation_id", ""))
        correlation = correlation_id(event)
        if correlation:
            span.set_attribute(CORRELATION_ID, correlation)
        token = context_api.attach(trace.set_span_in_context(span, parent))
        gate = self.log_gate
        logs = gate.begin() if gate is not None else None
        invocation = CURRENT.set(
            Invocation(
                request_id,
                cold,
                self.function_name,
                str(attrs.get("cloud.resource_id", "")),
                self.memory_size,
                correlation,
                logs,
            )
        )
        failed = False
        remaining = _remaining_ms(lambda_context)
        watchdog = self._watchdog(span, remaining)
        if cold and self.coldstarts is not None:
            self.coldstarts.add(1)  # counted once; never a zero point
        try:
            result = self.handler(event, lambda_context)
            status = _response_status(result) if trigger.is_http else None
            if status is not None:
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
            return result
        except BaseException as exc:
            failed = True
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            span.set_attribute("error.type", error_type(exc))
            _log.error(
                "invocation failed: %s",
                type(exc).__name__,
                exc_info=True,
                extra={"category": "application"},
            )
            raise
        finally:
            if watchdog is not None:
                watchdog.cancel()
            if gate is not None:
                gate.end(logs, failed)
            span.end()
            context_api.detach(token)
            # Flushed while the invocation is current: EMF documents carry its request and
            # correlation ids as properties.
            self._flush(_remaining_ms(lambda_context))
            CURRENT.reset(invocation)

    def _budget_ms(self, remaining: int | None) -> int:
        if remaining is None:
            return self.max_flush_ms
        return max(0, min(self.max_flush_ms, remaining - self.margin_ms // 2))

    def _flush(self, remaining: int | None) -> None:
        try:
            self.telemetry.force_flush(timeout_millis=self._budget_ms(remaining))
        except Exception:  # noqa: BLE001 - telemetry never fails the invocation
            _log.debug("flush failed", exc_info=True)

    def _watchdog(self, span: trace.Span, remaining: int | None) -> Cancellable | None:
        if remaining is None or remaining <= self.margin_ms:
            return None

        def before_deadline() -> None:
            span.set_attribute("faas.timeout_imminent", True)
            span.set_status(Status(StatusCode.ERROR, "invocation about to time out"))
            _log.error(
                "invocation about to time out; flushing telemetry",
                extra={"category": "application"},
            )
            span.end()
            self._flush(self.margin_ms)

        # The timer thread runs in the invocation's context: its log line and the EMF documents
        # it flushes carry the invocation's trace and request ids like every other line.
        invocation_context = contextvars.copy_context()
        return self.timer_factory(
            (remaining - self.margin_ms) / 1000.0, lambda: invocation_context.run(before_deadline)
        )


@overload
def instrument_handler(handler: _F) -> _F: ...
@overload
def instrument_handler(
    handler: None = None,
    *,
    telemetry: Any = None,
    cold_start: ColdStart | None = None,
    max_flush_ms: int = DEFAULT_MAX_FLUSH_MS,
    margin_ms: int = DEFAULT_MARGIN_MS,
    env: Mapping[str, str] | None = None,
    timer_factory: TimerFactory | None = None,
) -> Callable[[_F], _F]: ...
def instrument_handler(
    handler: Callable[..., Any] | None = None,
    *,
    telemetry: Any = None,
    cold_start: ColdStart | None = None,
    max_flush_ms: int = DEFAULT_MAX_FLUSH_MS,
    margin_ms: int = DEFAULT_MARGIN_MS,
    env: Mapping[str, str] | None = None,
    timer_factory: TimerFactory | None = None,
) -> Any:
    """Decorate a Lambda handler: `@instrument_handler` or `@instrument_handler(...)`.

    `telemetry` defaults to `aurastream_obs.configure()` (run at decoration, i.e. in Lambda's
    init phase); `cold_start` to a fresh tracker per decorated handler; `env` to os.environ;
    `timer_factory` arms the watchdog (default: one `Watchdog` thread per decorated handler;
    tests fire it on demand).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        instrumented = _Instrumented(
            fn,
            telemetry=telemetry,
            cold_start=cold_start or ColdStart(),
            max_flush_ms=max_flush_ms,
            margin_ms=margin_ms,
            env=env,
            timer_factory=timer_factory,
        )

        @functools.wraps(fn)
        def wrapper(event: Any, context: Any = None) -> Any:
            return instrumented(event, context)

        wrapper.instrumented = instrumented  # type: ignore[attr-defined]  # tests and tools
        return wrapper

    return decorate(handler) if handler is not None else decorate
