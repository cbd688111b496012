"""OTLP http/protobuf exporters built from Settings (mode=otlp).

Spans and log records are written straight to the protobuf wire format (`otlp_proto`) and
POSTed by `OtlpHttpSender` (http.client, gzip level 1): together ≈10x less CPU per item than
the SDK's exporters, and no `requests`/`urllib3` import (≈80 ms of cold start). Metrics, a few
points every export interval, use the SDK's own metrics encoder. What reaches the collector
is the same OTLP; tests/unit/exporters decode it with opentelemetry-proto to prove it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from aurastream_obs.core.otel_compat import LogRecordExporter, LogRecordExportResult
from aurastream_obs.encoding.proto import encode_logs, encode_spans
from aurastream_obs.modes.otlp.transport import OtlpHttpSender, TlsFiles
from aurastream_obs.sdk.temporality import CUMULATIVE

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import AggregationTemporality, MetricsData
    from opentelemetry.sdk.metrics.view import Aggregation
    from opentelemetry.sdk.trace import ReadableSpan

    from aurastream_obs.core.settings import Settings

_log = logging.getLogger("aurastream_obs.exporters")
_T = TypeVar("_T")


def _encode_and_send(
    sender: OtlpHttpSender, encode: Callable[[_T], bytes], items: _T, what: str
) -> bool:
    """Encode and POST one export; False (the batch is dropped) when either step fails."""
    try:
        body = encode(items)
    except Exception:  # noqa: BLE001 - telemetry boundary; the processor counts the failure
        _log.exception("aurastream_obs: could not encode %s", what)
        return False
    return sender.send(body)


class OtlpHttpSpanExporter(SpanExporter):
    """SpanExporter: spans → ExportTraceServiceRequest → POST. Never raises."""

    def __init__(
        self,
        sender: OtlpHttpSender,
        encode: Callable[[Sequence[ReadableSpan]], bytes] = encode_spans,
    ) -> None:
        self.sender = sender
        self._encode = encode

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        ok = not spans or _encode_and_send(self.sender, self._encode, spans, f"{len(spans)} spans")
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        self.sender.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # nothing is buffered here


class OtlpHttpLogExporter(LogRecordExporter):
    """LogRecordExporter for LogItems and SDK log records alike. Never raises."""

    def __init__(
        self, sender: OtlpHttpSender, encode: Callable[[Sequence[Any]], bytes] = encode_logs
    ) -> None:
        self.sender = sender
        self._encode = encode

    def export(self, batch: Sequence[Any]) -> LogRecordExportResult:
        ok = not batch or _encode_and_send(
            self.sender, self._encode, batch, f"{len(batch)} log records"
        )
        return LogRecordExportResult.SUCCESS if ok else LogRecordExportResult.FAILURE

    def shutdown(self) -> None:
        self.sender.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class OtlpHttpMetricExporter(MetricExporter):
    """MetricExporter using the SDK's metrics encoder (not a hot path) and our sender."""

    def __init__(
        self,
        sender: OtlpHttpSender,
        preferred_temporality: dict[type, AggregationTemporality] | None = None,
        preferred_aggregation: dict[type, Aggregation] | None = None,
    ) -> None:
        super().__init__(
            preferred_temporality=preferred_temporality,
            preferred_aggregation=preferred_aggregation,
        )
        self.sender = sender

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics

        def encode(data: MetricsData) -> bytes:
            return bytes(encode_metrics(data).SerializeToString())

        ok = _encode_and_send(self.sender, encode, metrics_data, "metrics")
        return MetricExportResult.SUCCESS if ok else MetricExportResult.FAILURE

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self.sender.close()


def stock_encode_spans(spans: Sequence[ReadableSpan]) -> bytes:
    """The SDK's own OTLP span encoder (AURASTREAM_SDK_PATH=stock)."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode

    return bytes(sdk_encode(spans).SerializeToString())


def stock_encode_logs(batch: Sequence[Any]) -> bytes:
    """The SDK's own OTLP log encoder, for the SDK's ReadableLogRecords (stock path)."""
    from aurastream_obs.core.otel_compat import encode_logs as sdk_encode

    return bytes(sdk_encode(batch).SerializeToString())


def build_otlp_exporters(
    settings: Settings,
) -> tuple[OtlpHttpSpanExporter, OtlpHttpMetricExporter, OtlpHttpLogExporter]:
    """Span, metric and log OTLP/HTTP exporters for the endpoints and options in `settings`.

    Every export is bounded by `otlp_timeout_s`, retries included, and a failure returns
    FAILURE rather than raising.
    """
    from urllib.parse import urlsplit

    from aurastream_obs.core.env import check_proxy

    def sender(endpoint: str, signal: str) -> OtlpHttpSender:
        url = urlsplit(endpoint)  # checked by the settings: parses
        return OtlpHttpSender(
            endpoint,
            headers=settings.otlp_headers,
            timeout_s=settings.otlp_timeout_s,
            compression=settings.otlp_compression,
            tls=TlsFiles(*settings.otlp_tls.get(signal, (None, None, None))),
            signal=signal,
            proxy=check_proxy(settings.proxy_variables, url.scheme, url.hostname or ""),
        )

    # Cumulative temporality for every instrument, explicitly (not from
    # OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE): the Collector's prometheus and
    # prometheusremotewrite exporters need cumulative sums and drop or mis-rate deltas, while
    # awsemf converts cumulative to delta itself (it keeps the previous value per series and
    # emits the difference), so cumulative serves every backend in the ARCHITECTURE diagram.
    # It is also restart- and loss-tolerant: a lost export loses no counts.
    stock = settings.sdk_path == "stock"
    return (
        OtlpHttpSpanExporter(
            sender(settings.traces_endpoint, "traces"),
            stock_encode_spans if stock else encode_spans,
        ),
        OtlpHttpMetricExporter(
            sender(settings.metrics_endpoint, "metrics"), preferred_temporality=dict(CUMULATIVE)
        ),
        OtlpHttpLogExporter(
            sender(settings.logs_endpoint, "logs"), stock_encode_logs if stock else encode_logs
        ),
    )
