"""A lean TracerProvider behind the OTel trace API, for the collectorless Lambda mode.

Why not the SDK: `opentelemetry.sdk.trace` alone costs ≈ 70 ms of cold start on the reference
machine (`python -X importtime`, 2-core machine, 2026-11; bench/cold_start.py measures the
whole effect); the Lambda mode needs none of its processors,
exporters or entry-point plugins. These classes implement the API (`Tracer.start_span`,
`start_as_current_span`, `Span`'s methods, `get_current_span` through the API's context) with
X-Ray compatible ids, a sampler hook and attribute limits; finished spans go to a bounded
buffer that `force_flush` hands to the exporter (X-Ray UDP) before the handler returns.
"""

from __future__ import annotations

import threading
import time
import traceback

# The C generator `random.Random` subclasses: `random` itself costs ≈ 1 ms of cold start
# (hashlib's sha512, bisect, math, a module-level instance). Seeded from os.urandom, and again
# in a forked child, so two processes never share ids (what `random` does for its own).
from _random import Random as _Random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, NamedTuple

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.util.types import Attributes, AttributeValue

from aurastream_obs.core.errors import error_type
from aurastream_obs.core.forking import after_fork_call
from aurastream_obs.sdk import span_scope

MAX_ATTRIBUTES: Final = 128  # the OTel default span limits (OTEL_SPAN_*_COUNT_LIMIT)
MAX_EVENTS: Final = 128
MAX_LINKS: Final = 128
_SCALARS: Final = (str, bool, int, float)
_SCALAR_CLASSES: Final = frozenset(_SCALARS)
_UNSET: Final = Status(StatusCode.UNSET)  # immutable: shared by every new span
_SAMPLED: Final = TraceFlags(TraceFlags.SAMPLED)
_NOT_SAMPLED: Final = TraceFlags(TraceFlags.DEFAULT)
_rng = _Random()
_getrandbits = _rng.getrandbits
after_fork_call(_rng.seed)  # a forked child must not repeat the parent's ids


def new_trace_id() -> int:
    """X-Ray compatible: epoch seconds in the top 32 bits, 96 random bits below."""
    return (int(time.time()) << 96) | _getrandbits(96)


def new_span_id() -> int:
    span_id = _getrandbits(64)
    return span_id or 1  # 0 is the invalid id


# The functional form with real types: the class form's string annotations (this module's
# `from __future__ import annotations`) are compiled one by one at import, on the cold start.
Event = NamedTuple(  # noqa: UP014
    "Event", [("name", str), ("attributes", dict[str, AttributeValue]), ("timestamp_ns", int)]
)


# (parent span context or None, trace id, span name, kind, attributes) -> sampled?
Sampler = Callable[[SpanContext | None, int, str, SpanKind, Mapping[str, AttributeValue]], bool]


def _clean(value: object) -> AttributeValue | None:
    """A valid attribute value, or None (dropped), as the OTel API rules say."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items = [v for v in value if isinstance(v, _SCALARS)]
        return tuple(items)
    return None


def _clean_all(attributes: Attributes) -> dict[str, AttributeValue]:
    cleaned = {key: _clean(value) for key, value in (attributes or {}).items()}
    return {key: value for key, value in cleaned.items() if value is not None}


class LambdaSpan(trace_api.Span):
    """A recording span; after `end()` it refuses changes and goes to the provider's buffer."""

    def __init__(
        self,
        name: str,
        *,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        on_end: Callable[[LambdaSpan], None],
        scope: str,
        links: Sequence[Link] = (),
        start_time: int | None = None,
    ) -> None:
        self.name = name
        self.context = context
        self.parent = parent
        self.kind = kind
        self.scope = scope
        self.attributes: dict[str, AttributeValue] = {}
        self.events: list[Event] = []
        self.links = tuple(links[:MAX_LINKS])
        self.status = _UNSET
        self.start_time = start_time if start_time is not None else time.time_ns()
        self.end_time: int | None = None
        self.dropped_attributes = 0
        self._on_end = on_end
        self._lock = threading.Lock()

    def get_span_context(self) -> SpanContext:
        return self.context

    def is_recording(self) -> bool:
        return self.end_time is None

    def set_attribute(self, key: str, value: Any) -> None:
        if self.end_time is not None or not isinstance(key, str) or not key:
            return
        cleaned = _clean(value)
        if cleaned is None:
            return
        attributes = self.attributes
        if key not in attributes and len(attributes) >= MAX_ATTRIBUTES:
            self.dropped_attributes += 1
            return
        attributes[key] = cleaned

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        if self.end_time is not None:
            return
        target: dict[str, Any] = self.attributes
        for key, value in attributes.items():
            # The common case inline (a str key, a scalar value); the rest as set_attribute.
            if value.__class__ in _SCALAR_CLASSES and key.__class__ is str and key:
                if key in target or len(target) < MAX_ATTRIBUTES:
                    target[key] = value
                else:
                    self.dropped_attributes += 1
            else:
                self.set_attribute(key, value)

    def add_event(
        self, name: str, attributes: Attributes = None, timestamp: int | None = None
    ) -> None:
        if self.end_time is not None or len(self.events) >= MAX_EVENTS:
            return
        self.events.append(Event(name, _clean_all(attributes), timestamp or time.time_ns()))

    def update_name(self, name: str) -> None:
        if self.end_time is None:
            self.name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self.end_time is not None or self.status.status_code is StatusCode.OK:
            return  # OK is final (API rule)
        if isinstance(status, StatusCode):
            status = Status(status, description)
        if status.status_code is StatusCode.UNSET:
            return
        self.status = status

    def record_exception(
        self,
        exception: BaseException,
        attributes: Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        stack = "".join(
            traceback.format_exception(type(exception), exception, exception.__traceback__)
        )
        event: dict[str, AttributeValue] = {
            "exception.type": error_type(exception),
            "exception.message": str(exception),
            "exception.stacktrace": stack,
        }
        event.update(_clean_all(attributes))
        self.add_event("exception", event, timestamp)

    def end(self, end_time: int | None = None) -> None:
        with self._lock:  # end-once: the timeout watchdog and the handler may race
            if self.end_time is not None:
                return
            self.end_time = end_time if end_time is not None else time.time_ns()
        self._on_end(self)

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        if exc_val is not None and self.is_recording():
            self.record_exception(exc_val, escaped=True)
            self.set_status(Status(StatusCode.ERROR, f"{type(exc_val).__name__}: {exc_val}"))
        super().__exit__(exc_type, exc_val, exc_tb)


class LambdaTracer(trace_api.Tracer):
    """`start_as_current_span` is one small object (SpanScope) instead of the API's two
    generator-based context managers; like theirs, a context manager or a decorator."""

    start_as_current_span = span_scope.start_as_current_span  # type: ignore[assignment]

    def __init__(self, provider: LambdaTracerProvider, scope: str) -> None:
        self._provider = provider
        self._scope = scope

    def start_span(  # noqa: PLR0917  (signature fixed by the OTel API)
        self,
        name: str,
        context: context_api.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace_api.Span:
        parent = trace_api.get_current_span(context).get_span_context()
        parent_ctx = parent if parent.is_valid else None
        trace_id = parent.trace_id if parent_ctx is not None else new_trace_id()
        attrs = attributes or {}
        sampled = self._provider.sampler(parent_ctx, trace_id, name, kind, attrs)
        span_context = SpanContext(
            trace_id,
            new_span_id(),
            is_remote=False,
            trace_flags=_SAMPLED if sampled else _NOT_SAMPLED,
            trace_state=parent.trace_state if parent_ctx is not None else None,
        )
        if not sampled:  # still carries ids, so logs correlate and children inherit the drop
            return trace_api.NonRecordingSpan(span_context)
        span = LambdaSpan(
            name,
            context=span_context,
            parent=parent_ctx,
            kind=kind,
            on_end=self._provider.span_ended,
            scope=self._scope,
            links=links or (),
            start_time=start_time,
        )
        span.set_attributes(attrs)
        return span


class LambdaTracerProvider(trace_api.TracerProvider):
    """Holds ended spans (bounded) until `force_flush` hands them to `export`."""

    def __init__(
        self,
        sampler: Sampler,
        export: Callable[[list[LambdaSpan]], bool],
        *,
        max_buffered: int = 65536,
        on_drop: Callable[[int], None] | None = None,
        redact: Callable[[LambdaSpan], None] | None = None,
    ) -> None:
        self.sampler = sampler
        self._redact = redact  # the logs' redaction policy, applied to every ended span
        self._export = export
        self._max = max_buffered
        self._on_drop = on_drop
        self._ended: list[LambdaSpan] = []
        self._lock = threading.Lock()
        self._shut_down = False

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes = None,
    ) -> trace_api.Tracer:
        return LambdaTracer(self, instrumenting_module_name or "unknown")

    def span_ended(self, span: LambdaSpan) -> None:
        if self._redact is not None:
            try:
                self._redact(span)
            except Exception:  # noqa: BLE001 - never send what could not be redacted
                if self._on_drop is not None:
                    self._on_drop(1)
                return
        with self._lock:
            if len(self._ended) < self._max and not self._shut_down:
                self._ended.append(span)
                return
        if self._on_drop is not None:  # counted, never silent (aurastream.telemetry.dropped)
            self._on_drop(1)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        with self._lock:
            spans, self._ended = self._ended, []
        if not spans:
            return True
        return self._export(spans)

    def shutdown(self) -> None:
        self.force_flush()
        self._shut_down = True
