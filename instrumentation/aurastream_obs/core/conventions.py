"""The one conventions module: every name the instrumentation, the definitions, the rendered
artifacts, the operations tools and the demo share.

- Metric instruments as data: name, kind, unit, allowed attributes, cardinality and buckets;
- where they go: EMF namespace and dimension sets, X-Ray indexed keys, local file names;
- what the definitions produce: alarm and rule names (`aurastream-<env>-<thing>-<severity>`),
  Prometheus series and labels, Sloth-style recording rules, burn-rate windows.

Instruments:

Every metric aurastream_obs records is declared here once. `configure()` turns each spec into
an SDK View that keeps only the allowed attribute keys (so an accidental per-request or
per-customer attribute is dropped, not billed) and caps the number of attribute sets.

Per-customer decision, per instrument:
- HTTP and sentiment metrics: no customer attribute. They feed SLOs and alarms, and a
  CustomerId dimension multiplies CloudWatch custom metrics by the number of customers
  (≈ $0.30 per metric-month each). Per-customer detail lives in logs and EMF properties.
- Business metrics (customer activity, revenue, usage): `aurastream.customer.id` is allowed,
  because the business dashboards and analytics group by customer, but capped by a tight
  cardinality limit (overflow goes to the SDK's `otel.metric.overflow` series) and the
  collector's awsemf declarations never make it a CloudWatch dimension.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from aurastream_obs.core.records import Record

InstrumentKind = Literal["counter", "histogram", "up_down_counter"]

# Attribute keys.
SENTIMENT: Final = "sentiment"
CACHE_HIT: Final = "aurastream.cache.hit"
CUSTOMER_ID: Final = "aurastream.customer.id"
ACTIVITY_TYPE: Final = "aurastream.activity.type"
ANALYZER: Final = "aurastream.analyzer"
HTTP_METHOD: Final = "http.request.method"
HTTP_ROUTE: Final = "http.route"
HTTP_STATUS: Final = "http.response.status_code"
ERROR_TYPE: Final = "error.type"
CORRELATION_ID: Final = "aurastream.correlation.id"  # API Gateway's request id on Lambda
# Span attributes of the reference service's analysis and cache spans.
CACHE_TYPE: Final = "aurastream.cache.type"
TEXT_LENGTH: Final = "aurastream.text.length"
LANGUAGE: Final = "aurastream.language"
REQUEST_ID: Final = "aurastream.request.id"  # the service's request id, on spans and log lines

# Seconds. Includes the SLO thresholds (0.25, 0.5, 1, 2 s) so that "fraction of requests
# under 1 s" is an exact bucket boundary, not an interpolation.
DURATION_BUCKETS_S: Final = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
CONFIDENCE_BUCKETS: Final = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)

DEFAULT_CARDINALITY_LIMIT: Final = 2000
CUSTOMER_CARDINALITY_LIMIT: Final = 500


class InstrumentSpec(Record, frozen=True):
    name: str
    kind: InstrumentKind
    unit: str
    description: str
    attributes: tuple[str, ...]
    buckets: tuple[float, ...] | None = None
    cardinality_limit: int = DEFAULT_CARDINALITY_LIMIT


HTTP_SERVER_DURATION = InstrumentSpec(
    "http.server.request.duration",
    "histogram",
    "s",
    "Duration of HTTP server requests.",
    (HTTP_METHOD, HTTP_ROUTE, HTTP_STATUS, ERROR_TYPE, "url.scheme", "network.protocol.version"),
    DURATION_BUCKETS_S,
)
SENTIMENT_ANALYSES = InstrumentSpec(
    "aurastream.sentiment.analyses",
    "counter",
    "{analysis}",
    "Sentiment analyses performed, by resulting sentiment.",
    (SENTIMENT, ANALYZER),
)
SENTIMENT_CONFIDENCE = InstrumentSpec(
    "aurastream.sentiment.confidence",
    "histogram",
    "1",
    "Confidence score (0-1) of the winning sentiment.",
    (SENTIMENT,),
    CONFIDENCE_BUCKETS,
)
SENTIMENT_DURATION = InstrumentSpec(
    "aurastream.sentiment.duration",
    "histogram",
    "s",
    "Time spent in the analyzer (cache misses only).",
    (SENTIMENT, ANALYZER),
    DURATION_BUCKETS_S,
)
CACHE_LOOKUPS = InstrumentSpec(
    "aurastream.cache.lookups",
    "counter",
    "{lookup}",
    "Cache lookups; the hit rate is hits / all.",
    (CACHE_HIT,),
)
CUSTOMER_ACTIVITY = InstrumentSpec(
    "aurastream.customer.activity",
    "counter",
    "{event}",
    "Customer activity events by type.",
    (CUSTOMER_ID, ACTIVITY_TYPE),
    cardinality_limit=CUSTOMER_CARDINALITY_LIMIT,
)
REVENUE = InstrumentSpec(
    "aurastream.revenue",
    "counter",
    "USD",
    "Revenue earned from billable usage.",
    (CUSTOMER_ID,),
    cardinality_limit=CUSTOMER_CARDINALITY_LIMIT,
)
USAGE = InstrumentSpec(
    "aurastream.usage",
    "counter",
    "{analysis}",
    "Billable usage units.",
    (CUSTOMER_ID,),
    cardinality_limit=CUSTOMER_CARDINALITY_LIMIT,
)
LAMBDA_COLDSTARTS = InstrumentSpec(
    "aurastream.lambda.coldstarts",
    "counter",
    "{invocation}",
    "Invocations that started a new execution environment (AWS Lambda).",
    (),
)
DROPPED_TELEMETRY = InstrumentSpec(
    "aurastream.telemetry.dropped",
    "counter",
    "{item}",
    "Telemetry items dropped by aurastream_obs (full queue, failed export).",
    ("signal", "reason"),
)

# Security events the service logs (category "security", e.g. failed_authentication), counted
# by type so that Prometheus can alert on them (CloudWatch counts the same log lines with the
# security log group's metric filter). The type is a small closed set: never a customer id.
SECURITY_EVENT: Final = "aurastream.security.event"
SECURITY_EVENTS = InstrumentSpec(
    "aurastream.security.events",
    "counter",
    "{event}",
    "Security events (failed authentications, rejected webhooks) by type.",
    (SECURITY_EVENT,),
)

# Requests per customer, failed or not (failed: a 5xx, or a 429 the customer sees as a failure
# too): the customer's own error rate for the health score. Recorded by the HTTP server
# recorder for authenticated requests. Only Prometheus and the local files slice it by
# customer: EMF keeps the customer id a property (never a dimension), so on CloudWatch the
# same figure comes from the `api_response` log lines (Logs Insights). Two attribute sets per
# customer, hence twice the customer cap.
REQUEST_FAILED: Final = "aurastream.request.failed"
CUSTOMER_REQUESTS = InstrumentSpec(
    "aurastream.customer.requests",
    "counter",
    "{request}",
    "Authenticated requests per customer, by failed (5xx or 429) or not.",
    (CUSTOMER_ID, REQUEST_FAILED),
    cardinality_limit=2 * CUSTOMER_CARDINALITY_LIMIT,
)


def is_failed_status(status: int) -> bool:
    """What the customer experiences as a failure: a server error, or being throttled."""
    return status >= 500 or status == 429


ALL_INSTRUMENTS: Final[tuple[InstrumentSpec, ...]] = (
    HTTP_SERVER_DURATION,
    SENTIMENT_ANALYSES,
    SENTIMENT_CONFIDENCE,
    SENTIMENT_DURATION,
    CACHE_LOOKUPS,
    CUSTOMER_ACTIVITY,
    REVENUE,
    USAGE,
    LAMBDA_COLDSTARTS,
    DROPPED_TELEMETRY,
    SECURITY_EVENTS,
    CUSTOMER_REQUESTS,
)

# CloudWatch (EMF) namespace and resource key used as a dimension, for every export path.
EMF_NAMESPACE: Final = "AuraStream/Application"
SERVICE_NAME: Final = "service.name"

# CloudWatch dimension sets per metric (awsemf metric_declarations). Each set is billed as one
# custom metric per distinct value combination, so only what alarms and dashboards slice by:
# route and status for the RED views, sentiment, cache hit. Business metrics get no customer
# dimension: per-customer values stay EMF properties (searchable in Logs Insights).
EMF_DIMENSIONS: Final[dict[str, list[list[str]]]] = {
    HTTP_SERVER_DURATION.name: [
        [SERVICE_NAME, HTTP_ROUTE, HTTP_STATUS],
        [SERVICE_NAME, HTTP_ROUTE],
        [SERVICE_NAME],
    ],
    SENTIMENT_ANALYSES.name: [[SERVICE_NAME, SENTIMENT], [SERVICE_NAME]],
    SENTIMENT_CONFIDENCE.name: [[SERVICE_NAME, SENTIMENT]],
    SENTIMENT_DURATION.name: [[SERVICE_NAME]],
    CACHE_LOOKUPS.name: [[SERVICE_NAME, CACHE_HIT]],
    CUSTOMER_ACTIVITY.name: [[SERVICE_NAME, ACTIVITY_TYPE]],
    REVENUE.name: [[SERVICE_NAME]],
    USAGE.name: [[SERVICE_NAME]],
    LAMBDA_COLDSTARTS.name: [[SERVICE_NAME]],
    DROPPED_TELEMETRY.name: [[SERVICE_NAME, "signal", "reason"]],
    SECURITY_EVENTS.name: [[SERVICE_NAME, SECURITY_EVENT]],  # a closed set of event types
    # Fleet-wide failed/not counts; the customer id stays a property (never a dimension).
    CUSTOMER_REQUESTS.name: [[SERVICE_NAME, REQUEST_FAILED]],
}

# X-Ray annotations (indexed, filterable in the console). The customer id IS indexed here:
# annotations create no CloudWatch metric and X-Ray bills per trace recorded/scanned, not per
# distinct annotation value, so "show me this customer's slow requests" costs nothing extra.
XRAY_INDEXED: Final = [
    HTTP_ROUTE,
    HTTP_STATUS,
    HTTP_METHOD,
    ERROR_TYPE,
    SENTIMENT,
    CACHE_HIT,
    CUSTOMER_ID,
    CORRELATION_ID,
]

# Local mode: one OTLP/JSON export request per line, in AURASTREAM_TELEMETRY_DIR.
TRACES_FILE: Final = "traces.jsonl"
METRICS_FILE: Final = "metrics.jsonl"
LOGS_FILE: Final = "logs.jsonl"


# --- Names the definitions produce ------------------------------------------------------------
Severity = Literal["critical", "warning"]
SEVERITIES: Final[tuple[Severity, ...]] = ("critical", "warning")

PREFIX: Final = "aurastream"
PROMETHEUS_ENV: Final = "local"  # env of the committed Prometheus rules (deploy/local)
CLOUDFORMATION_ENV: Final = "${Environment}"  # a template parameter, resolved by Fn::Sub

_THING: Final = r"[a-z][a-z0-9]*(-[a-z0-9]+)*"  # compiled on first use (`re`'s cache)


def is_valid_thing(name: str) -> bool:
    """Definition names are lower-kebab-case: they become parts of alarm and rule names."""
    return re.fullmatch(_THING, name) is not None


def alarm_name(env: str, thing: str, severity: Severity | str) -> str:
    """The naming strategy for every alarm and alert: `aurastream-<env>-<thing>-<severity>`."""
    return f"{PREFIX}-{env}-{thing}-{severity}"


def slo_alert_thing(slo: str) -> str:
    """The <thing> of an SLO's burn-rate alerts (`aurastream-<env>-<slo>-budget-burn-<sev>`)."""
    return f"{slo}-budget-burn"


# --- Prometheus names ------------------------------------------------------------------------
# What the OTel -> Prometheus translation produces (checked against this repo's /metrics in
# local mode): dots become underscores, the unit becomes a suffix (s -> seconds; annotations
# like {analysis} and the unit "1" vanish; other units such as USD are kept verbatim), and
# counters end in _total.
_UNIT_SUFFIX: Final = {"s": "seconds", "ms": "milliseconds", "By": "bytes"}


def prometheus_base_name(spec: InstrumentSpec) -> str:
    name = spec.name.replace(".", "_")
    unit = re.sub(r"\{[^}]*\}", "", spec.unit)
    suffix = _UNIT_SUFFIX.get(unit, unit if unit not in ("", "1") else "")
    return f"{name}_{suffix}" if suffix else name


def prometheus_series(spec: InstrumentSpec) -> tuple[str, ...]:
    """Every series name one instrument exposes."""
    base = prometheus_base_name(spec)
    if spec.kind == "histogram":
        return (f"{base}_bucket", f"{base}_sum", f"{base}_count")
    if spec.kind == "counter":
        return (f"{base}_total",)
    return (base,)


def prometheus_label(attribute: str) -> str:
    return attribute.replace(".", "_")


def prometheus_le(bound: float) -> str:
    """Bucket label as the OTel exporter writes it (1.0, not 1); Prometheus 3 normalises the
    same way, so the matcher works on both."""
    return repr(float(bound))


# Sloth's recording-rule naming (slok/sloth: slo:sli_error:ratio_rate5m, slo:objective:ratio).
SLI_ERROR_RATIO: Final = "slo:sli_error:ratio_rate{window}"
SLO_OBJECTIVE: Final = "slo:objective:ratio"
SLO_ERROR_BUDGET: Final = "slo:error_budget:ratio"
SLO_BUDGET_REMAINING: Final = "slo:period_error_budget_remaining:ratio"
SLO_LABEL: Final = "slo"
SIGNAL_LABEL: Final = "signal"  # on every alert: inhibition matches warning to critical on it
SEVERITY_LABEL: Final = "severity"
TEAM_LABEL: Final = "team"  # alerts owned by a team (security) route to that team's receiver
# Every recorded series and alert says whose it is: the service and the environment the rules
# were rendered for (`aurastream-obs render --environment`).
SERVICE_LABEL: Final = "service"
ENVIRONMENT_LABEL: Final = "environment"
# Every raw series carries its resource's identity as labels, under the OTel -> Prometheus names
# of service.name and deployment.environment.name: local mode's /metrics adds them, the
# collector's prometheus and prometheusremotewrite exporters convert the resource
# (resource_to_telemetry_conversion). Rules and dashboards filter on them, so that one
# Prometheus can hold several services and environments without summing them together.
SERVICE_NAME_LABEL: Final = prometheus_label(SERVICE_NAME)
ENVIRONMENT_NAME_LABEL: Final = prometheus_label("deployment.environment.name")


def sli_error_ratio(window: str) -> str:
    return SLI_ERROR_RATIO.format(window=window)


_DURATION: Final = r"(\d+)([smhdw])"  # compiled on first use (`re`'s cache)
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def window_seconds(window: str) -> int:
    """Seconds in a Prometheus duration like 5m, 6h, 30d; ValueError otherwise."""
    match = re.fullmatch(_DURATION, window)
    if not match:
        raise ValueError(f"not a duration: {window!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


# Recording windows: every window used by a burn-rate row, plus 30m/2h for dashboards.
SLI_WINDOWS: Final = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


# --- CloudWatch ------------------------------------------------------------------------------
def cloudformation_id(*parts: str) -> str:
    """A CloudFormation logical id (alphanumeric) from kebab-case parts."""
    return "".join(p.capitalize() for part in parts for p in re.split(r"[^A-Za-z0-9]+", part))


# Series our own recording rules produce (dashboards may read them).
RECORDED_SERIES: Final = frozenset(
    {SLO_OBJECTIVE, SLO_ERROR_BUDGET, SLO_BUDGET_REMAINING}
    | {sli_error_ratio(w) for w in (*SLI_WINDOWS, "30d")}
)


# --- Log records: the stdout JSON line ↔ the OTLP log record ---------------------------------
# A JSON line's field → the OTLP attribute it is exported as: the semantic-conventions key where
# one exists, else an `aurastream.` key. `event_type` is the record's EventName field and also the
# `event.name` attribute: Logs Insights reads attributes, and the collector's awscloudwatchlogs
# exporter writes attributes but not EventName (semconv deprecates the attribute for the field; we
# send both). The record's own fields take the rest: the message is the body, level and timestamp
# the severity and time, the ids the trace context; `service`/`environment` are the resource's;
# the logger is the instrumentation scope (as the SDK's LoggingHandler does). CloudWatch holds
# both: the line (Lambda, stdout) and the collector's record (sidecars); the Logs Insights queries
# read either through this table (definitions/log_fields.py).
LOG_ATTRIBUTE_KEYS: Final[dict[str, str]] = {
    "category": "aurastream.log.category",
    "event_type": "event.name",
    "request_id": REQUEST_ID,
    "method": "http.request.method",
    "path": "url.path",
    "customer_id": CUSTOMER_ID,
    "user_agent": "user_agent.original",
    "ip_address": "client.address",
    "status_code": HTTP_STATUS,
    "response_time": "aurastream.response_time_ms",
    "cache_hit": CACHE_HIT,
    "error_type": ERROR_TYPE,
    "error_message": "aurastream.error.message",
    "client_error": "aurastream.error.client",
    "data": "aurastream.event.data",
    "text_length": TEXT_LENGTH,
    "cold_start": "faas.coldstart",
    "function_request_id": "faas.invocation_id",
    "function_name": "faas.name",
    "function_arn": "aws.lambda.invoked_arn",
    "function_memory_size": "aurastream.lambda.memory_mb",
    "correlation_id": CORRELATION_ID,
    "category_invalid": "aurastream.log.category_invalid",
    "message_error": "aurastream.log.message_error",
    "stack_info": "code.stacktrace",
}
# The JSON line's `exception` object ↔ the semconv exception attributes.
LOG_EXCEPTION_KEYS: Final[dict[str, str]] = {
    "type": "exception.type",
    "message": "exception.message",
    "stacktrace": "exception.stacktrace",
}
