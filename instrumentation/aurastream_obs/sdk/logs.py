"""Log pipeline wiring: stdlib logging → JSON lines on stdout and OTLP log records.

The JSON handler runs the processor pipeline once (trace ids, service, category, redaction)
and hands the *redacted* event and its rendered JSON line to `OtlpLogSink`, so what is
exported is exactly what is printed: no second, unredacted path.

The record is in the semantic-conventions shape: body = the message, EventName = `event_type`
(also the `event.name` attribute), the other fields as attributes under the keys of
core/conventions.LOG_ATTRIBUTE_KEYS. The sidecar's `awscloudwatchlogs` exporters store it as
their JSON (`{"body", "severity_text", "attributes": {...}, "resource": {...}}`), and the Logs
Insights queries read that shape and the stdout line alike (definitions/log_fields.py).

Why the sink does not go through the SDK `Logger.emit`: that path builds a ReadWriteLogRecord
(BoundedAttributes with a lock, a warnings check, the API LogRecord's own context lookup) and
the SDK encoder later walks it again; ≈12 µs per line on the reference machine. The sink
queues a `LogItem` (plain fields) and the exporter encodes it straight to OTLP. The
LoggerProvider stays installed (the contract) and shares the same queue, so records emitted
through the OTel logs API by other libraries are exported alongside ours. Should anyone add a
processor of their own to that provider, our records go through `Logger.emit` again, so that
processor sees every record as before (`AuraLoggerProvider.shared`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from aurastream_obs.core.batching import BatchWorker
from aurastream_obs.core.conventions import LOG_ATTRIBUTE_KEYS, LOG_EXCEPTION_KEYS
from aurastream_obs.core.drops import DropCounter
from aurastream_obs.core.json_encoding import compact_encoder
from aurastream_obs.core.otel_compat import (
    LoggerProvider,
    LogRecordExportResult,
    LogRecordProcessor,
    ReadableLogRecord,
    ReadWriteLogRecord,
    SeverityNumber,
)
from aurastream_obs.encoding.log_item import LogItem, log_item_from_sdk

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource

    from aurastream_obs.core.otel_compat import LogRecordExporter
    from aurastream_obs.core.settings import Settings
    from aurastream_obs.logs import JsonLogHandler

# JSON-line fields that are the record's own (body, severity, time, trace context), the
# resource's (service, environment) or the scope's (logger): not attributes. `event_type` is
# both the EventName field and the `event.name` attribute (core/conventions.py says why).
_NOT_ATTRIBUTES: Final = frozenset(
    {"message", "level", "timestamp", "trace_id", "span_id", "xray_trace_id",
     "service", "environment", "logger", "exception"}
)  # fmt: skip
_SCOPE_CACHE_MAX: Final = 256  # logger names → scopes; a program has a handful of loggers
# stdlib level → OTLP SeverityNumber (DEBUG=5, INFO=9, WARN=13, ERROR=17, FATAL=21).
_SEVERITY: Final = {
    logging.DEBUG: 5,
    logging.INFO: 9,
    logging.WARNING: 13,
    logging.ERROR: 17,
    logging.CRITICAL: 21,
}
_SCALARS: Final = frozenset({str, bool, int, float})
# One C encoder, built once (core/json_encoding.py says why).
_to_json: Final = compact_encoder(repr)
# How long a JSON line may wait in a piped stdout's buffer (a log driver sees it that late).
STDOUT_FLUSH_INTERVAL_S: Final = 0.2


class LogQueueProcessor(LogRecordProcessor):
    """Feeds records of the OTel logs API (other libraries) into our log export queue."""

    def __init__(self, worker: BatchWorker[Any], *, stock: bool = False) -> None:
        self.worker = worker
        # Stock path: queue the SDK's own ReadableLogRecord (as its BatchLogRecordProcessor
        # does) for the SDK's encoder; else our LogItem for our encoder.
        self._snapshot = readable_snapshot if stock else log_item_from_sdk

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        try:
            # A snapshot now: later processors may still change the mutable record.
            self.worker.put(self._snapshot(log_record))
        except Exception:  # noqa: BLE001 - telemetry boundary: count, never raise
            self.worker.drops.add("logs", "invalid_record")

    def shutdown(self) -> None:
        self.worker.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.worker.force_flush(timeout_millis / 1000.0)


def _attribute_value(value: Any) -> Any:
    if value.__class__ in _SCALARS:
        return value
    if isinstance(value, str | bool | int | float):
        return value
    if value is None:
        return ""
    # Nested structures (e.g. business event data) travel as JSON text.
    return _to_json(value)


def readable_snapshot(record: ReadWriteLogRecord) -> Any:
    """The SDK's ReadableLogRecord of a record, as BatchLogRecordProcessor.on_emit makes it."""
    import copy

    from opentelemetry.context import Context
    from opentelemetry.sdk.resources import Resource

    api_record = copy.copy(record.log_record)
    api_record.context = Context()
    return ReadableLogRecord(
        log_record=api_record,
        resource=record.resource if record.resource is not None else Resource.create({}),
        instrumentation_scope=record.instrumentation_scope,
        limits=record.limits,
    )


class AuraLoggerProvider(LoggerProvider):
    """The SDK LoggerProvider; `shared` turns true once a processor not ours is added."""

    shared = False
    stock = False  # AURASTREAM_SDK_PATH=stock: every record goes through Logger.emit

    def add_log_record_processor(self, log_record_processor: LogRecordProcessor) -> None:
        super().add_log_record_processor(log_record_processor)
        if not isinstance(log_record_processor, LogQueueProcessor):
            self.shared = True


class OtlpLogSink:
    """Turns a processed (redacted) event dict into a queued OTLP log record in the
    semantic-conventions shape: body = the message, event name = `event_type` (the field and
    the `event.name` attribute), attributes under semconv keys (`otlp_attributes`), scope =
    the logger. No other field is sent twice.
    """

    def __init__(
        self,
        put: Callable[[LogItem], None],
        provider: AuraLoggerProvider,
        span_getter: Callable[[], Any] | None = None,
    ) -> None:
        from opentelemetry import trace

        self._put = put
        self._provider = provider
        self._resource = provider.resource
        self._scopes: dict[str, InstrumentationScope] = {}
        self._current_span = span_getter or trace.get_current_span

    def __call__(
        self, event: Mapping[str, Any], record: logging.LogRecord, line: str | None
    ) -> None:
        attributes = otlp_attributes(event)
        # The active span, as the SDK's Logger.emit(context=None) would take it.
        ctx = self._current_span().get_span_context()
        if ctx.is_valid:
            trace_id, span_id, flags = ctx.trace_id, ctx.span_id, int(ctx.trace_flags)
        else:
            trace_id = span_id = flags = 0
        body = event.get("message", "")
        event_name = event.get("event_type")
        provider = self._provider
        if provider.shared or provider.stock:  # every processor must see the record
            self._emit_through_sdk(record, body, attributes, event_name)
            return
        self._put(
            LogItem(
                int(record.created * 1e9),
                time.time_ns(),
                _SEVERITY.get(record.levelno, 0),
                record.levelname,
                body,
                attributes,
                trace_id,
                span_id,
                flags,
                self._resource,
                self._scope_of(record.name),
                event_name if isinstance(event_name, str) else None,
            )
        )

    def _scope_of(self, logger_name: str) -> InstrumentationScope:
        """The logger is the instrumentation scope, as with the SDK's LoggingHandler."""
        scope = self._scopes.get(logger_name)
        if scope is None:
            scope = InstrumentationScope(logger_name or "root")
            if len(self._scopes) < _SCOPE_CACHE_MAX:
                self._scopes[logger_name] = scope
        return scope

    def _emit_through_sdk(
        self,
        record: logging.LogRecord,
        body: Any,
        attributes: dict[str, Any],
        event_name: Any,
    ) -> None:
        # context=None: the SDK takes trace_id/span_id from the active span, as above.
        self._provider.get_logger(record.name or "root").emit(
            timestamp=int(record.created * 1e9),
            severity_number=SeverityNumber(_SEVERITY.get(record.levelno, 0)),
            severity_text=record.levelname,
            body=body,
            attributes=attributes,
            event_name=event_name if isinstance(event_name, str) else None,
        )


def otlp_attributes(event: Mapping[str, Any]) -> dict[str, Any]:
    """A processed (redacted) JSON-line event as OTLP log attributes, semconv keys
    (core/conventions.LOG_ATTRIBUTE_KEYS); nested values travel as JSON text."""
    keys = LOG_ATTRIBUTE_KEYS
    scalars = _SCALARS
    attributes = {
        keys.get(key, key): value if value.__class__ in scalars else _attribute_value(value)
        for key, value in event.items()
        if key not in _NOT_ATTRIBUTES and value is not None
    }
    exception = event.get("exception")
    if isinstance(exception, Mapping):
        for key, attribute in LOG_EXCEPTION_KEYS.items():
            if key in exception:
                attributes[attribute] = str(exception[key])
    return attributes


def build_logging(
    settings: Settings,
    resource: Resource,
    exporter: LogRecordExporter | None,
    *,
    drops: DropCounter,
    abort: Callable[[], None] | None = None,
) -> tuple[LoggerProvider | None, JsonLogHandler, BatchWorker[Any] | None]:
    """The logger provider (None when nothing is exported), the root JSON handler and the
    export queue (None when nothing is exported)."""
    from aurastream_obs.logs import JsonLogHandler, build_log_pipeline

    pipeline = build_log_pipeline(
        service=settings.service_name,
        environment=settings.environment,
        redact=settings.redact,
        allow_analysed_text=settings.log_analysed_text,
    )
    provider: LoggerProvider | None = None
    worker: BatchWorker[Any] | None = None
    sinks = []
    if exporter is not None:
        export = exporter.export

        def export_batch(batch: Sequence[Any]) -> bool:
            # Our exporters take LogItems and SDK records alike (see encoding/log_item.as_log_item).
            return export(batch) is LogRecordExportResult.SUCCESS

        worker = BatchWorker(
            export_batch,
            signal="logs",
            drops=drops,
            max_queue_size=settings.max_queue_size,
            schedule_delay_s=settings.schedule_delay_ms / 1000.0,
            on_shutdown=exporter.shutdown,
            abort=abort,
        )
        stock = settings.sdk_path == "stock"
        aura_provider = AuraLoggerProvider(resource=resource, shutdown_on_exit=False)
        aura_provider.stock = stock
        aura_provider.add_log_record_processor(LogQueueProcessor(worker, stock=stock))
        sinks.append(OtlpLogSink(worker.put, aura_provider))
        provider = aura_provider
    # Stdout is always on in local and lambda modes; in otlp mode it can be turned off.
    to_stdout = settings.mode != "otlp" or settings.log_stdout
    # On AWS Lambda every line is flushed (a frozen environment may never run a timer again);
    # elsewhere a pipe is flushed within STDOUT_FLUSH_INTERVAL_S (see JsonLogHandler).
    on_lambda = resource.attributes.get("cloud.platform") == "aws_lambda"
    handler = JsonLogHandler(
        pipeline,
        sinks=sinks,
        to_stream=to_stdout,
        flush_interval_s=None if on_lambda else STDOUT_FLUSH_INTERVAL_S,
        on_drop=lambda n, reason: drops.add("logs", reason, n),
    )
    handler.setLevel(settings.log_level)
    return provider, handler, worker
