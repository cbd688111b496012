"""Metric instruments as data: name, kind, unit, allowed attributes, cardinality and buckets.

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

from dataclasses import dataclass
from typing import Final, Literal

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


@dataclass(frozen=True)
class InstrumentSpec:
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
DROPPED_TELEMETRY = InstrumentSpec(
    "aurastream.telemetry.dropped",
    "counter",
    "{item}",
    "Telemetry items dropped by aurastream_obs (full queue, failed export).",
    ("signal", "reason"),
)

ALL_INSTRUMENTS: Final[tuple[InstrumentSpec, ...]] = (
    HTTP_SERVER_DURATION,
    SENTIMENT_ANALYSES,
    SENTIMENT_CONFIDENCE,
    SENTIMENT_DURATION,
    CACHE_LOOKUPS,
    CUSTOMER_ACTIVITY,
    REVENUE,
    USAGE,
    DROPPED_TELEMETRY,
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
    DROPPED_TELEMETRY.name: [[SERVICE_NAME, "signal", "reason"]],
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
]
