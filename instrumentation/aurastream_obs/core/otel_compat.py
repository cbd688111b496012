"""Every private OpenTelemetry name this package uses, in one place, each with why.

The SDK is pinned to the minor versions the test suite runs (pyproject.toml); an upgrade that
moves one of these names fails here, at one import, and `AURASTREAM_SDK_PATH=stock` switches
the span and export path back to the SDK's own (sdk/traces.py, modes/otlp/exporters.py).

Names load on first use (PEP 562), so that importing this module costs nothing and the Lambda
cold-start path pulls in only what it touches (never `opentelemetry.sdk`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

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
    "encode_logs",
    "is_non_custom_str",
    "is_valid_link",
    "set_logger_provider",
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


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where[0]), where[1])
    globals()[name] = value  # later lookups skip __getattr__
    return value
