"""Every environment variable aurastream_obs reads: one documented constant each (name,
meaning, default), rendered into the README's table (tests/unit/test_readme.py keeps them in
step). Resolution is in settings.py."""

from __future__ import annotations

from typing import Final

from aurastream_obs.core.env import EnvVar

# --- AuraStream variables -------------------------------------------------------------------
MODE = EnvVar(
    "AURASTREAM_TELEMETRY_MODE",
    "Export mode: otlp, lambda, local or none. Unset: otlp if an OTLP endpoint is set, "
    "else lambda on AWS Lambda, else local.",
    "(auto)",
)
TELEMETRY_DIR = EnvVar(
    "AURASTREAM_TELEMETRY_DIR", "Local mode: folder for traces/metrics/logs.jsonl.", ".telemetry"
)
PROMETHEUS_PORT = EnvVar(
    "AURASTREAM_PROMETHEUS_PORT",
    "Local mode: port of the Prometheus /metrics endpoint (0 = off).",
    "9464",
)
PROMETHEUS_HOST = EnvVar(
    "AURASTREAM_PROMETHEUS_HOST",
    "Local mode: address the /metrics endpoint binds to.",
    "127.0.0.1",
)
ENVIRONMENT = EnvVar("AURASTREAM_ENVIRONMENT", "deployment.environment resource attribute.", "dev")
SERVICE_VERSION = EnvVar(
    "AURASTREAM_SERVICE_VERSION", "service.version resource attribute.", "(package version)"
)
SAMPLING_RULES = EnvVar(
    "AURASTREAM_SAMPLING_RULES",
    "Path to an X-Ray sampling rules JSON file (head sampling). Default: the packaged rules.",
    "(packaged)",
)
SAMPLING_ENDPOINT = EnvVar(
    "AURASTREAM_SAMPLING_ENDPOINT",
    "X-Ray remote sampling (otlp and local modes): base URL of the collector's awsproxy "
    "extension or the X-Ray daemon, e.g. http://localhost:2000. Rules and quotas come from X-Ray; "
    "the local rules apply until the first fetch. Unset: the local rules only.",
    "",
)
SAMPLING_POLL_INTERVAL = EnvVar(
    "AURASTREAM_SAMPLING_POLL_INTERVAL",
    "Remote sampling: seconds between GetSamplingRules polls (10 to 86400, plus up to 5 s of "
    "jitter); quotas are refreshed at the interval X-Ray asks for (10 s).",
    "300",
)
LOG_LEVEL = EnvVar("AURASTREAM_LOG_LEVEL", "Minimum level of the JSON logs.", "INFO")
LOG_STDOUT = EnvVar(
    "AURASTREAM_LOG_STDOUT",
    "Also write JSON log lines to stdout in otlp mode (always on in local and lambda modes).",
    "true",
)
LOG_SAMPLE_RATE = EnvVar(
    "AURASTREAM_LOG_SAMPLE_RATE",
    "Lambda: the fraction of invocations (0-1) that log every level, DEBUG included "
    "(Powertools' sample_rate).",
    "0",
)
LOG_BUFFER = EnvVar(
    "AURASTREAM_LOG_BUFFER",
    "Lambda: keep the records below AURASTREAM_LOG_LEVEL and write them only when the "
    "invocation fails or logs an error (Powertools' log buffering).",
    "false",
)
LOG_BUFFER_MAX_BYTES = EnvVar(
    "AURASTREAM_LOG_BUFFER_MAX_BYTES",
    "Lambda: bound of the buffer per invocation; the oldest records are evicted (counted).",
    "20480",
)
LOG_TEXT = EnvVar(
    "AURASTREAM_LOG_ANALYSED_TEXT",
    "Allow the analysed text to appear in logs. Off by default: it is customer content.",
    "false",
)
REDACT = EnvVar(
    "AURASTREAM_LOG_REDACTION",
    "Redact PII in logs (client IP to /24, e-mail addresses, secret-like keys).",
    "true",
)
DETECT_EC2 = EnvVar(
    "AURASTREAM_DETECT_EC2",
    "Query the EC2 instance metadata service for resource attributes (a network call).",
    "false",
)
CARDINALITY_LIMIT = EnvVar(
    "AURASTREAM_CARDINALITY_LIMIT", "Maximum attribute sets per metric view.", "2000"
)
MAX_QUEUE_SIZE = EnvVar(
    "AURASTREAM_MAX_QUEUE_SIZE",
    "Bound of each export queue (spans, log records); overflow is counted, never blocking.",
    "16384",
)
LAMBDA_SAMPLED0 = EnvVar(
    "AURASTREAM_LAMBDA_SAMPLED0",
    "Lambda mode: what a remote parent with Sampled=0 (Lambda's _X_AMZN_TRACE_ID when Active "
    "tracing is off) means: sample_locally (the X-Ray rules decide) or respect (drop).",
    "sample_locally",
)
XRAY_ANNOTATIONS = EnvVar(
    "AURASTREAM_XRAY_ANNOTATIONS",
    "Lambda mode: span attributes sent to X-Ray as (indexed) annotations, comma separated, "
    "* for all; the others go to metadata. Default: the conventions' indexed keys.",
    "(indexed keys)",
)
EMF_NAMESPACE = EnvVar(
    "AURASTREAM_EMF_NAMESPACE", "Lambda mode: CloudWatch namespace of the EMF metrics.",
    "AuraStream/Application",
)  # fmt: skip
XRAY_DAEMON_ADDRESS = EnvVar(
    "AWS_XRAY_DAEMON_ADDRESS",
    "Set by Lambda: the X-Ray daemon's UDP address (lambda mode sends segments there).",
    "127.0.0.1:2000",
)
EXPORT_INTERVAL_MS = EnvVar(
    "OTEL_METRIC_EXPORT_INTERVAL", "Metric export interval in milliseconds.", "10000"
)
SCHEDULE_DELAY_MS = EnvVar(
    "OTEL_BSP_SCHEDULE_DELAY", "Delay between span/log export batches in milliseconds.", "1000"
)
SHUTDOWN_TIMEOUT_MS = EnvVar(
    "AURASTREAM_SHUTDOWN_TIMEOUT",
    "Budget in milliseconds of the flush at exit, at an ASGI server's graceful stop and on "
    "SIGTERM (fits a 30 s container stop grace period with room to drain requests).",
    "10000",
)
TRACE_AWS_CLIENTS = EnvVar(
    "AURASTREAM_TRACE_AWS_CLIENTS",
    "Trace boto3/botocore calls as CLIENT spans (X-Ray subsegments in lambda mode), from the "
    "moment botocore is imported (no cost when it never is).",
    "true",
)
SDK_PATH = EnvVar(
    "AURASTREAM_SDK_PATH",
    "lean: our spans, metric instruments and OTLP encoders inside the SDK providers (faster); "
    "stock: the SDK's own spans, measurement path, log records and OTLP encoders (the way back "
    "if an SDK upgrade breaks ours).",
    "lean",
)
FLUSH_ON_SIGTERM = EnvVar(
    "AURASTREAM_FLUSH_ON_SIGTERM",
    "Install a SIGTERM handler that shuts telemetry down within the budget, then chains to "
    "the previous handler (default action: exit by the signal). For scripts without one.",
    "false",
)

# --- Standard OpenTelemetry variables we honour ---------------------------------------------
SERVICE_NAME = EnvVar("OTEL_SERVICE_NAME", "service.name resource attribute.", "aurastream-api")
RESOURCE_ATTRIBUTES = EnvVar(
    "OTEL_RESOURCE_ATTRIBUTES", "Extra resource attributes, key=value,key=value.", ""
)
OTLP_ENDPOINT = EnvVar(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTLP/HTTP base URL; /v1/traces, /v1/metrics, /v1/logs are appended.",
    "http://localhost:4318",
)
OTLP_TRACES_ENDPOINT = EnvVar(
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "Full OTLP/HTTP URL for traces.", "(from base)"
)
OTLP_METRICS_ENDPOINT = EnvVar(
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "Full OTLP/HTTP URL for metrics.", "(from base)"
)
OTLP_LOGS_ENDPOINT = EnvVar(
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "Full OTLP/HTTP URL for logs.", "(from base)"
)
OTLP_HEADERS = EnvVar(
    "OTEL_EXPORTER_OTLP_HEADERS", "Extra HTTP headers for OTLP export, key=value,...", ""
)
OTLP_TIMEOUT = EnvVar("OTEL_EXPORTER_OTLP_TIMEOUT", "OTLP export timeout in milliseconds.", "5000")
OTLP_COMPRESSION = EnvVar(
    "OTEL_EXPORTER_OTLP_COMPRESSION", "OTLP body compression: gzip or none.", "gzip"
)
PROPAGATORS = EnvVar(
    "OTEL_PROPAGATORS",
    "Propagators, comma separated (tracecontext, baggage, xray).",
    "tracecontext,baggage,xray",
)
EXEMPLAR_FILTER = EnvVar(
    "OTEL_METRICS_EXEMPLAR_FILTER",
    "Exemplars: trace_based, always_on or always_off.",
    "trace_based",
)
TRACES_SAMPLER = EnvVar(
    "OTEL_TRACES_SAMPLER",
    "Standard sampler name (always_on, always_off, traceidratio, parentbased_*) instead of "
    "the X-Ray rules sampler (xray).",
    "parentbased_xray",
)
TRACES_SAMPLER_ARG = EnvVar(
    "OTEL_TRACES_SAMPLER_ARG",
    "Ratio for the traceidratio samplers; for xray, ADOT's endpoint=URL,polling_interval=S "
    "(remote sampling; the AURASTREAM_SAMPLING_* variables win).",
    "1.0",
)
SDK_DISABLED = EnvVar("OTEL_SDK_DISABLED", "true turns telemetry off (same as mode none).", "false")
LAMBDA_FUNCTION = EnvVar(
    "AWS_LAMBDA_FUNCTION_NAME", "Set by AWS Lambda; selects lambda mode when no endpoint.", ""
)

ALL_ENV_VARS: Final[tuple[EnvVar, ...]] = tuple(
    v for v in globals().copy().values() if isinstance(v, EnvVar)
)
