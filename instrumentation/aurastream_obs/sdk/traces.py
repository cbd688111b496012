"""Trace pipeline: X-Ray ids, X-Ray-rule head sampling, lean spans, one bounded batching
processor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from aurastream_obs.core.batching import BatchWorker
from aurastream_obs.core.drops import DropCounter
from aurastream_obs.core.redaction import SpanRedactor
from aurastream_obs.sdk.tracer import make_lean

if TYPE_CHECKING:
    from opentelemetry import trace as trace_api
    from opentelemetry.context import Context
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import Span
    from opentelemetry.sdk.trace.sampling import Sampler
    from opentelemetry.util.types import Attributes

    from aurastream_obs.core.settings import Settings


class BatchingSpanProcessor(SpanProcessor):
    """Sends ended, sampled spans to an exporter through a BatchWorker."""

    def __init__(
        self,
        exporter: SpanExporter,
        *,
        drops: DropCounter,
        settings: Settings,
        abort: Callable[[], None] | None = None,
    ) -> None:
        self._exporter = exporter
        self._redact = SpanRedactor(settings.log_analysed_text) if settings.redact else None

        def export(batch: Sequence[ReadableSpan]) -> bool:
            return exporter.export(batch) is SpanExportResult.SUCCESS

        self.worker: BatchWorker[ReadableSpan] = BatchWorker(
            export,
            signal="traces",
            drops=drops,
            max_queue_size=settings.max_queue_size,
            schedule_delay_s=settings.schedule_delay_ms / 1000.0,
            on_shutdown=exporter.shutdown,
            abort=abort,
        )

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is not None and context.trace_flags.sampled:
            if self._redact is not None:
                try:  # before any exporter sees it: the logs' policy (redaction.py)
                    self._redact(span)
                except Exception:  # noqa: BLE001 - never export what could not be redacted
                    self.worker.drops.add("traces", "redaction_failed")
                    return
            self.worker.put(span)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.worker.force_flush(timeout_millis / 1000.0)

    def shutdown(self) -> None:
        self.worker.shutdown()


class AuraTracerProvider(TracerProvider):
    """The SDK TracerProvider whose tracers create `LeanSpan`s (see `sdk/spans.py`).

    `shared` turns true once the app adds a span processor of its own: `Telemetry` then
    flushes the provider as a whole, besides its own queue.
    """

    shared = False
    lean = True  # False: the SDK's own tracer and spans (AURASTREAM_SDK_PATH=stock)

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        if not isinstance(span_processor, BatchingSpanProcessor):
            self.shared = True

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes = None,
    ) -> trace_api.Tracer:
        tracer = super().get_tracer(
            instrumenting_module_name, instrumenting_library_version, schema_url, attributes
        )
        return make_lean(tracer) if self.lean else tracer


def build_tracer_provider(
    resource: Resource,
    sampler: Sampler,
    processors: Sequence[SpanProcessor],
    *,
    lean: bool = True,
) -> TracerProvider:
    """A TracerProvider with X-Ray compatible ids; not installed globally here."""
    from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator

    provider = AuraTracerProvider(
        resource=resource,
        sampler=sampler,
        id_generator=AwsXRayIdGenerator(),
        shutdown_on_exit=False,  # Telemetry.shutdown() owns the bounded shutdown
    )
    provider.lean = lean
    for processor in processors:
        provider.add_span_processor(processor)
    return provider
