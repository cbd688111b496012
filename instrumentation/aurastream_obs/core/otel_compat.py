"""Every private OpenTelemetry name this package uses, in one place, each with why.

The SDK is pinned to the minor versions the test suite runs (pyproject.toml); an upgrade that
moves one of these names fails here, at one import, and `AURASTREAM_SDK_PATH=stock` switches
the span, metric and export path back to the SDK's own (sdk/traces.py, sdk/metrics.py,
modes/otlp/exporters.py).

Names load on first use (PEP 562), so that importing this module costs nothing and the Lambda
cold-start path pulls in only what it touches (never `opentelemetry.sdk`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aurastream_obs.core.lazy_names import lazy_getattr

if TYPE_CHECKING:
    # The SDK's logs signal lives in `_logs` packages (still "development" in
    # opentelemetry-python 1.45: public classes under a private package name).
    from opentelemetry._logs import SeverityNumber, set_logger_provider

    # Span attributes: the SDK's own value cleaning, for the values LeanSpan does not
    # fast-path (sequences, invalid types) and the non-str key check of `_set_items`.
    from opentelemetry.attributes import _clean_attribute_value as clean_attribute_value
    from opentelemetry.attributes import _is_non_custom_str as is_non_custom_str

    # The logs encoder of the OTLP common package: its only module is private-named.
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs

    # The base class `opentelemetry-instrument` instantiates for the `opentelemetry_configurator`
    # entry point (distro.py); there is no public name for it.
    from opentelemetry.sdk._configuration import _BaseConfigurator as BaseConfigurator
    from opentelemetry.sdk._logs import (
        LoggerProvider,
        LogRecordProcessor,
        ReadableLogRecord,
        ReadWriteLogRecord,
    )
    from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

    # Link validation as the SDK Span does it (a link without a valid context is dropped).
    from opentelemetry.sdk.trace import _is_valid_link as is_valid_link

__all__ = [
    "BaseConfigurator",
    "LogRecordExportResult",
    "LogRecordExporter",
    "LogRecordProcessor",
    "LoggerProvider",
    "ReadWriteLogRecord",
    "ReadableLogRecord",
    "SeverityNumber",
    "call_on_ending",
    "clean_attribute_value",
    "current_span_source",
    "encode_logs",
    "exporter_preferences",
    "is_non_custom_str",
    "is_valid_link",
    "meter_provider_config",
    "reader_preferences",
    "set_logger_provider",
    "wrap_reader_collect",
]

_WHERE: Final[dict[str, tuple[str, str]]] = {
    "SeverityNumber": ("opentelemetry._logs", "SeverityNumber"),
    "set_logger_provider": ("opentelemetry._logs", "set_logger_provider"),
    "clean_attribute_value": ("opentelemetry.attributes", "_clean_attribute_value"),
    "is_non_custom_str": ("opentelemetry.attributes", "_is_non_custom_str"),
    "encode_logs": ("opentelemetry.exporter.otlp.proto.common._log_encoder", "encode_logs"),
    "BaseConfigurator": ("opentelemetry.sdk._configuration", "_BaseConfigurator"),
    "LoggerProvider": ("opentelemetry.sdk._logs", "LoggerProvider"),
    "LogRecordProcessor": ("opentelemetry.sdk._logs", "LogRecordProcessor"),
    "ReadableLogRecord": ("opentelemetry.sdk._logs", "ReadableLogRecord"),
    "ReadWriteLogRecord": ("opentelemetry.sdk._logs", "ReadWriteLogRecord"),
    "LogRecordExporter": ("opentelemetry.sdk._logs.export", "LogRecordExporter"),
    "LogRecordExportResult": ("opentelemetry.sdk._logs.export", "LogRecordExportResult"),
    "is_valid_link": ("opentelemetry.sdk.trace", "_is_valid_link"),
}


def call_on_ending(processor: Any, span: Any) -> None:
    """The span processors' `_on_ending` hook (SDK >= 1.35: runs between end time and
    `on_end`, while the span may still be changed). LeanSpan.end calls it as the SDK Span
    does; an SDK without the hook skips it."""
    hook = getattr(processor, "_on_ending", None)
    if hook is not None:
        hook(span)


# --- The lean metric path (sdk/lean_meter.py) -----------------------------------------------
# A MetricReader's collect() calls the callback its MeterProvider set with the private
# `_set_collect_callback`; the lean provider wraps that callback to add its own streams to the
# collection (no public hook exists between the measurement consumer and the reader).
def wrap_reader_collect(reader: Any, wrap: Any) -> None:
    """Make `reader.collect()` call `wrap(current_callback)` instead of the callback."""
    reader._set_collect_callback(wrap(reader._collect))


def reader_preferences(reader: Any) -> tuple[dict[type, Any], dict[type, Any]]:
    """A MetricReader's temporality and default aggregation per SDK instrument class, as its
    constructor resolved them (there is no public getter)."""
    return reader._instrument_class_temporality, reader._instrument_class_aggregation


def exporter_preferences(exporter: Any) -> tuple[Any, Any]:
    """A MetricExporter's preferred temporality and aggregation, as its constructor took them
    (the SDK's PeriodicExportingMetricReader reads these private fields the same way)."""
    return exporter._preferred_temporality, exporter._preferred_aggregation


def meter_provider_config(provider: Any) -> Any:
    """A MeterProvider's configuration: its `resource` (updated after a fork) and the
    `exemplar_filter` it resolved (argument or OTEL_METRICS_EXEMPLAR_FILTER)."""
    return provider._sdk_config


def current_span_source() -> tuple[Any, str] | None:
    """(the ContextVar holding the current Context, the key the trace API stores the current
    span under): the trace-based exemplar filter reads them on every measurement, where
    `get_current_span()` is four calls deep. None when the runtime context is not the default
    contextvars one (OTEL_PYTHON_CONTEXT): then the public API is used."""
    from opentelemetry import context
    from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
    from opentelemetry.trace.propagation import _SPAN_KEY

    runtime = getattr(context, "_RUNTIME_CONTEXT", None)
    if type(runtime) is not ContextVarsRuntimeContext:
        return None
    return runtime._current_context, _SPAN_KEY


__getattr__ = lazy_getattr(__name__, _WHERE)
