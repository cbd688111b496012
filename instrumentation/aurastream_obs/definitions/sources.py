"""Named sources shared by SLOs, alarms and panels: Prometheus selectors over our instruments and
CloudWatch metrics (native AWS ones keyed by template parameters)."""

from __future__ import annotations

from decimal import Decimal

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import EMF_NAMESPACE, prometheus_label, prometheus_le
from aurastream_obs.definitions import promql as q
from aurastream_obs.definitions.deployment import (
    RESOURCES,
    SECURITY_NAMESPACE,
    TABLE_OPERATIONS,
    security_metric,
)
from aurastream_obs.definitions.spec import CwExpression, CwMetric, MatchOp, PromSelector


def _m(label: str, op: MatchOp, value: str) -> tuple[str, MatchOp, str]:
    return (label, op, value)


# --- Prometheus ------------------------------------------------------------------------------
REQUESTS = PromSelector(q.HTTP_COUNT)
REQUESTS_5XX = PromSelector(q.HTTP_COUNT, (_m("http_response_status_code", "=~", "5.."),))
REQUESTS_4XX = PromSelector(q.HTTP_COUNT, (_m("http_response_status_code", "=~", "4.."),))
ANALYZE = _m("http_route", "=", "/v1/analyze")
ANALYZE_REQUESTS = PromSelector(q.HTTP_COUNT, (ANALYZE,))
# Failed or refused analyses: 5xx, and 429 (throttled) which the customer sees as a failure too.
ANALYZE_FAILED = PromSelector(
    q.HTTP_COUNT, (ANALYZE, _m("http_response_status_code", "=~", "5..|429"))
)
LATENCY_BUCKETS = PromSelector(q.HTTP_BUCKET)


class BucketBound(str):
    """The `le` matcher value for one bucket bound, in every spelling a store may hold.

    The Python client (and Prometheus 3 on scrape) writes `le="1.0"`; the collector's
    prometheusremotewrite translator and Prometheus' own OTLP ingestion write `le="1"` (Go's
    `strconv.FormatFloat(b, 'f', -1, 64)`). The text is a regex matching both (`1|1[.]0`; a
    character class needs no escaping in PromQL, YAML or JSON); `float()` of it is the bound,
    which is how the local evaluator (ops/backends/local_eval.py) reads an `le` matcher.
    """

    bound: float

    def __new__(cls, bound: float) -> BucketBound:
        spellings = sorted({prometheus_le(bound), go_le(bound)})
        self = super().__new__(cls, "|".join(s.replace(".", "[.]") for s in spellings))
        self.bound = float(bound)
        return self

    def __float__(self) -> float:
        return self.bound


def go_le(bound: float) -> str:
    """`strconv.FormatFloat(bound, 'f', -1, 64)`: shortest, no exponent, no trailing `.0`."""
    text = format(Decimal(repr(float(bound))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def le_matcher(bound: float) -> tuple[str, MatchOp, str]:
    """`le=~"<every spelling of bound>"`: one bucket on every store (see BucketBound)."""
    return ("le", "=~", BucketBound(bound))


# The SLO threshold (1 s) is a bucket boundary (DURATION_BUCKETS_S), so the ratio is exact.
FAST_REQUESTS = PromSelector(q.HTTP_BUCKET, (le_matcher(1.0),))
CACHE_LOOKUPS = PromSelector(q.CACHE_LOOKUPS)
CACHE_HITS = PromSelector(q.CACHE_LOOKUPS, (_m("aurastream_cache_hit", "=", "true"),))
CACHE_MISSES = PromSelector(q.CACHE_LOOKUPS, (_m("aurastream_cache_hit", "=", "false"),))
SENTIMENTS = PromSelector(q.SENTIMENT_ANALYSES)
SENTIMENT_BUCKETS = PromSelector(q.SENTIMENT_BUCKET)
ACTIVITY = PromSelector(q.CUSTOMER_ACTIVITY)
REVENUE = PromSelector(q.REVENUE)
USAGE = PromSelector(q.USAGE)
SECURITY_EVENTS = PromSelector(q.SECURITY_EVENTS)
FAILED_AUTHENTICATIONS = PromSelector(
    q.SECURITY_EVENTS, (_m(prometheus_label(c.SECURITY_EVENT), "=", "failed_authentication"),)
)


# --- CloudWatch ------------------------------------------------------------------------------
# Every metric names the deployed resource it reads (definitions/deployment.py); its identity
# dimensions come from there, so a name is spelt once for templates, alarms, widgets and CLI.
def metric(
    resource: str, namespace: str, name: str, stat: str = "Sum", *, label: str = "",
    extra: tuple[tuple[str, str], ...] = (),
) -> CwMetric:  # fmt: skip
    dimensions = (*RESOURCES[resource].dimensions, *extra)
    return CwMetric(namespace, name, stat, dimensions, label, resource)


def api(name: str, stat: str = "Sum", label: str = "") -> CwMetric:
    """The HTTP API (metrics `4xx`, `5xx`, `Count`, `Latency`, ... by ApiId and Stage)."""
    return metric("api", "AWS/ApiGateway", name, stat, label=label)


def function(name: str, stat: str = "Sum", label: str = "", of: str = "function") -> CwMetric:
    return metric(of, "AWS/Lambda", name, stat, label=label)


def table(name: str, stat: str = "Sum", label: str = "", operation: str | None = None) -> CwMetric:
    extra = (("Operation", operation),) if operation else ()
    return metric("table", "AWS/DynamoDB", name, stat, label=label, extra=extra)


def table_operations(name: str, stat: str = "Sum") -> CwExpression:
    """A per-operation DynamoDB metric summed over the operations the service performs
    (ThrottledRequests, SystemErrors exist only by TableName and Operation)."""
    ids = [(op.lower(), table(name, stat, op, operation=op)) for op in TABLE_OPERATIONS]
    return CwExpression(" + ".join(f"FILL({i}, 0)" for i, _ in ids), tuple(ids), name)


def queue(name: str, of: str, stat: str = "Maximum", label: str = "") -> CwMetric:
    return metric(of, "AWS/SQS", name, stat, label=label)


def topic(name: str, route: str, stat: str = "Sum", label: str = "") -> CwMetric:
    """An alert topic's SNS metric (route: critical, warning, security)."""
    return metric(f"{route}-topic", "AWS/SNS", name, stat, label=label or route)


def app(name: str, stat: str = "Sum", label: str = "", **dims: str) -> CwMetric:
    # awsemf puts service.name in every dimension set the collector declares.
    extra = tuple((k.replace("__", "."), v) for k, v in dims.items())
    return metric("service", EMF_NAMESPACE, name, stat, label=label, extra=extra)


def security_events(event_type: str, label: str = "") -> CwMetric:
    """Security log lines of one event type, counted by the security log group's metric
    filters (deploy/cloudformation/aurastream-logs.yaml)."""
    name = security_metric(event_type)
    return metric("security-events", SECURITY_NAMESPACE, name, label=label or event_type)


CW_CACHE_HITS = app(c.CACHE_LOOKUPS.name, label="hits", aurastream__cache__hit="true")
CW_CACHE_MISSES = app(c.CACHE_LOOKUPS.name, label="misses", aurastream__cache__hit="false")
