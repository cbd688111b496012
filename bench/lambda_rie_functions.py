"""The functions bench/lambda_rie_cold_start.py starts cold, one per scenario, each doing the
same work: one invocation span, one counter point, one log line, every signal out before the
handler returns. Written as `function.py` into a task folder of their own (handler
`function.handler`)."""

from __future__ import annotations

AURASTREAM = """
import logging
from opentelemetry import metrics, trace
import aurastream_obs

@aurastream_obs.instrument_handler  # configure(): mode from AURASTREAM_TELEMETRY_MODE
def handler(event, context):
    metrics.get_meter("bench").create_counter("bench.requests").add(1)
    logging.getLogger("bench").info("hello")
    return {"statusCode": 200}
"""
FUNCTIONS = {
    "bare": """
def handler(event, context):
    return {"statusCode": 200}
""",
    "aurastream": AURASTREAM,
    "otlp+collector": AURASTREAM,
    "otel-sdk": """
import logging
from opentelemetry import _logs, metrics, trace
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

tracer_provider = TracerProvider()
tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(tracer_provider)
meter_provider = MeterProvider([PeriodicExportingMetricReader(OTLPMetricExporter())])
metrics.set_meter_provider(meter_provider)
logger_provider = LoggerProvider()
logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
_logs.set_logger_provider(logger_provider)
logging.getLogger().addHandler(LoggingHandler(logger_provider=logger_provider))
logging.getLogger().setLevel(logging.INFO)
tracer = trace.get_tracer("bench")
counter = metrics.get_meter("bench").create_counter("bench.requests")

def handler(event, context):
    try:
        with tracer.start_as_current_span("POST /v1/analyze", kind=trace.SpanKind.SERVER):
            counter.add(1)
            logging.getLogger("bench").info("hello")
    finally:
        tracer_provider.force_flush()
        meter_provider.force_flush()
        logger_provider.force_flush()
    return {"statusCode": 200}
""",
    "powertools": """
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()
tracer = Tracer()

@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event, context):
    metrics.add_metric(name="requests", unit=MetricUnit.Count, value=1)
    logger.info("hello")
    return {"statusCode": 200}
""",
}
