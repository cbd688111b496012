"""Log pipeline wiring: stdlib logging → JSON lines on stdout and OTLP log records.

The JSON handler runs the processor pipeline once (trace ids, service, category, redaction)
and hands the *redacted* event to the OTel log bridge, so what is exported is exactly what is
printed: no second, unredacted path.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

from aurastream_obs._internal.batching import BatchWorker, DropCounter

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource

    from aurastream_obs._internal.settings import Settings
    from aurastream_obs.logs import JsonLogHandler

# Keys that become OTLP record fields (body, severity, timestamp, trace context), not attributes.
_RECORD_FIELDS = frozenset(
    {"message", "level", "timestamp", "trace_id", "span_id", "xray_trace_id"}
)
_SEVERITY = {
    logging.DEBUG: SeverityNumber.DEBUG,
    logging.INFO: SeverityNumber.INFO,
    logging.WARNING: SeverityNumber.WARN,
    logging.ERROR: SeverityNumber.ERROR,
    logging.CRITICAL: SeverityNumber.FATAL,
}


class BatchingLogRecordProcessor(LogRecordProcessor):
    """Batches SDK log records through a BatchWorker (bounded, deadline-bound flush)."""

    def __init__(
        self, exporter: LogRecordExporter, *, drops: DropCounter, settings: Settings
    ) -> None:
        def export(batch: Sequence[ReadWriteLogRecord]) -> bool:
            # ReadWriteLogRecord carries the same fields the exporters read.
            result = exporter.export(batch)  # type: ignore[arg-type]
            return result is LogRecordExportResult.SUCCESS

        self.worker: BatchWorker[ReadWriteLogRecord] = BatchWorker(
            export,
            signal="logs",
            drops=drops,
            max_queue_size=settings.max_queue_size,
            schedule_delay_s=settings.schedule_delay_ms / 1000.0,
            on_shutdown=exporter.shutdown,
        )

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        self.worker.put(log_record)

    def shutdown(self) -> None:
        self.worker.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.worker.force_flush(timeout_millis / 1000.0)


def _attribute_value(value: Any) -> Any:
    if isinstance(value, str | bool | int | float):
        return value
    if value is None:
        return ""
    # Nested structures (e.g. business event data) travel as JSON text.
    return json.dumps(value, default=repr, separators=(",", ":"))


class OtlpLogSink:
    """Turns a processed (redacted) event dict into an OTel log record."""

    def __init__(self, logger_provider: LoggerProvider) -> None:
        from aurastream_obs._internal.version import __version__

        self._logger = logger_provider.get_logger("aurastream_obs", __version__)

    def __call__(self, event: Mapping[str, Any], record: logging.LogRecord) -> None:
        attributes = {
            key: _attribute_value(value)
            for key, value in event.items()
            if key not in _RECORD_FIELDS
        }
        attributes["logger"] = record.name
        # context=None: the SDK takes trace_id/span_id from the active span.
        self._logger.emit(
            timestamp=int(record.created * 1e9),
            severity_number=_SEVERITY.get(record.levelno, SeverityNumber.UNSPECIFIED),
            severity_text=record.levelname,
            body=str(event.get("message", "")),
            attributes=attributes,
        )


def build_logging(
    settings: Settings,
    resource: Resource,
    exporter: LogRecordExporter | None,
    *,
    drops: DropCounter,
) -> tuple[LoggerProvider | None, JsonLogHandler]:
    """The logger provider (None when nothing is exported) and the root JSON handler."""
    from aurastream_obs.logs import JsonLogHandler, build_log_pipeline

    pipeline = build_log_pipeline(
        service=settings.service_name,
        environment=settings.environment,
        redact=settings.redact,
        allow_analysed_text=settings.log_analysed_text,
    )
    provider: LoggerProvider | None = None
    sinks = []
    if exporter is not None:
        provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        provider.add_log_record_processor(
            BatchingLogRecordProcessor(exporter, drops=drops, settings=settings)
        )
        sinks.append(OtlpLogSink(provider))
    # Stdout is always on in local and lambda modes; in otlp mode it can be turned off.
    to_stdout = settings.mode != "otlp" or settings.log_stdout
    handler = JsonLogHandler(pipeline, sinks=sinks, to_stream=to_stdout)
    handler.setLevel(settings.log_level)
    return provider, handler
