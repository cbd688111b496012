"""OTLP http/protobuf exporters built from Settings (mode=otlp).

The SDK exporters import `requests` (+urllib3, ~80 ms of cold start, see REFERENCE.md), so
they are imported inside the function: `import aurastream_obs` never pays for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk._logs.export import LogRecordExporter
    from opentelemetry.sdk.metrics.export import MetricExporter
    from opentelemetry.sdk.trace.export import SpanExporter

    from aurastream_obs._internal.settings import Settings


def build_otlp_exporters(
    settings: Settings,
) -> tuple[SpanExporter, MetricExporter, LogRecordExporter]:
    """Span, metric and log OTLP/HTTP exporters for the endpoints and options in `settings`.

    Every value comes from `settings` (argument > env > default already resolved there), so
    what configure() resolved is what is used. Exports are bounded by `otlp_timeout_s`
    including the SDK's retries of 429/502/503/504 and connection errors, and a failure
    returns FAILURE rather than raising.
    """
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from aurastream_obs.exporters.local_files import CUMULATIVE

    compression = (
        Compression.Gzip if settings.otlp_compression == "gzip" else Compression.NoCompression
    )
    headers = dict(settings.otlp_headers)
    timeout = settings.otlp_timeout_s
    spans = OTLPSpanExporter(
        endpoint=settings.traces_endpoint,
        headers=headers,
        timeout=timeout,
        compression=compression,
    )
    # Cumulative temporality for every instrument, explicitly (not from
    # OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE): the Collector's prometheus and
    # prometheusremotewrite exporters need cumulative sums and drop or mis-rate deltas, while
    # awsemf converts cumulative to delta itself (it keeps the previous value per series and
    # emits the difference), so cumulative serves every backend in the ARCHITECTURE diagram.
    # It is also restart- and loss-tolerant: a lost export loses no counts.
    metrics = OTLPMetricExporter(
        endpoint=settings.metrics_endpoint,
        headers=headers,
        timeout=timeout,
        compression=compression,
        preferred_temporality=dict(CUMULATIVE),
    )
    logs = OTLPLogExporter(
        endpoint=settings.logs_endpoint,
        headers=headers,
        timeout=timeout,
        compression=compression,
    )
    return spans, metrics, logs
