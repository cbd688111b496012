"""The reference service instrumented the plain way, for the throughput benchmark's peer row.

The same `AuraStreamService` (same handlers, same spans, metrics and events from the service
code) wrapped in the contrib `OpenTelemetryMiddleware`, with SDK providers and their defaults:
`BatchSpanProcessor`, `PeriodicExportingMetricReader` and `BatchLogRecordProcessor` over the
OTLP/HTTP exporters, and the SDK's `LoggingHandler` on the root logger for the events.

    python bench/plain_service.py --port P   (OTLP endpoint from OTEL_EXPORTER_OTLP_ENDPOINT)
"""

from __future__ import annotations

import argparse
import logging
import os


def build_app(endpoint: str) -> object:
    from opentelemetry import metrics, trace
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from aurastream_obs.service import (
        AuraStreamService,
        CustomerDirectory,
        analyzer_from_env,
        cache_from_env,
    )
    from aurastream_obs.signals import AuraStreamMetrics

    resource = Resource.create({"service.name": "aurastream-api"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))
    )
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"))
    metrics.set_meter_provider(MeterProvider([reader], resource=resource))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{endpoint}/v1/logs"))
    )
    set_logger_provider(logger_provider)
    root = logging.getLogger()
    root.addHandler(LoggingHandler(logger_provider=logger_provider))
    root.setLevel(logging.INFO)

    service = AuraStreamService(
        analyzer=analyzer_from_env(),
        cache=cache_from_env(),
        customers=CustomerDirectory.from_env(),
        metrics=AuraStreamMetrics(),
    )
    return OpenTelemetryMiddleware(service)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318").rstrip("/")
    app = build_app(endpoint)

    import uvicorn

    uvicorn.Server(
        uvicorn.Config(
            app,  # type: ignore[arg-type]
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            server_header=False,
        )
    ).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
