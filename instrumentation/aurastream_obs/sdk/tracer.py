"""`LeanTracer`: the SDK Tracer with LeanSpans and a class-based `start_as_current_span`.

The SDK's `start_as_current_span` nests two generator-based context managers
(`_agnosticcontextmanager` around `use_span`); `SpanScope` (span_scope.py, shared with the
Lambda mode's tracer) does the same work in one small object. `make_lean` is applied by
`traces.AuraTracerProvider` to the tracers the SDK builds, so tracer caching, configurators,
resource and processors stay the SDK's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import SpanContext, SpanKind, TraceFlags

from aurastream_obs.sdk import span_scope
from aurastream_obs.sdk.spans import LeanSpan

_FLAGS: Final = tuple(TraceFlags(i) for i in range(4))  # bit 0 sampled, bit 1 random id
_INTERNAL: Final = SpanKind.INTERNAL
_SAMPLE: Final = Decision.RECORD_AND_SAMPLE  # Decision.is_sampled() is `is RECORD_AND_SAMPLE`
_DROP: Final = Decision.DROP  # is_recording() is "not DROP"


class LeanTracer(sdk_trace.Tracer):
    """An SDK Tracer whose spans are LeanSpans (state and configuration are the SDK's)."""

    start_as_current_span = span_scope.start_as_current_span  # type: ignore[assignment]

    def start_span(  # noqa: PLR0917 - the OTel Tracer signature
        self,
        name: str,
        context: context_api.Context | None = None,
        kind: SpanKind = _INTERNAL,
        attributes: Mapping[str, Any] | None = None,
        links: Sequence[trace_api.Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace_api.Span:
        links = links or ()
        parent: SpanContext | None = trace_api.get_current_span(context).get_span_context()
        if parent is not None and not isinstance(parent, SpanContext):
            raise TypeError("parent_span_context must be a SpanContext or None.")
        if not self._is_enabled():  # a disabled tracer (TracerConfigurator): as the SDK
            return trace_api.NonRecordingSpan(parent or trace_api.INVALID_SPAN_CONTEXT)
        generator = self.id_generator
        if parent is None or not parent.is_valid:
            parent = None
            trace_id = generator.generate_trace_id()
            random_id = generator.is_trace_id_random()
        else:
            trace_id = parent.trace_id
            random_id = parent.trace_flags.random_trace_id
        result = self.sampler.should_sample(context, trace_id, name, kind, attributes, links)
        decision = result.decision
        flags = _FLAGS[(1 if decision is _SAMPLE else 0) | (2 if random_id else 0)]
        span_context = SpanContext(
            trace_id,
            generator.generate_span_id(),
            is_remote=False,
            trace_flags=flags,
            trace_state=result.trace_state,
        )
        record_end_metrics = self._tracer_metrics.start_span(parent, decision)
        if decision is _DROP:
            return trace_api.NonRecordingSpan(context=span_context)
        span = LeanSpan(
            name,
            span_context,
            parent,
            self,
            kind,
            result.attributes,
            links,
            record_exception,
            set_status_on_exception,
            record_end_metrics,
        )
        span.start(start_time=start_time, parent_context=context)
        return span


_TRACER_FIELDS: Final = (
    "sampler",
    "resource",
    "span_processor",
    "id_generator",
    "instrumentation_info",
    "_span_limits",
    "_instrumentation_scope",
    "_tracer_metrics",
    "_is_enabled",
)


def make_lean(tracer: trace_api.Tracer) -> trace_api.Tracer:
    """Turn an SDK Tracer into a LeanTracer in place, if it has the fields LeanSpan reads.

    An SDK release that renames them keeps its own (slower, equally correct) tracer.
    """
    if tracer.__class__ is sdk_trace.Tracer and all(hasattr(tracer, f) for f in _TRACER_FIELDS):
        tracer.__class__ = LeanTracer
    return tracer
