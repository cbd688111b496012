"""The Operational and Business dashboards (seed "Monitoring Tools and Dashboards"): each panel
written once, rendered to a CloudWatch widget and a Grafana panel. Panels that exist only in
CloudWatch (Lambda, DynamoDB) reach Grafana through its CloudWatch datasource.

Prometheus windows: every panel over raw series uses Grafana's `$__rate_interval` (a rate that
follows the zoom and the scrape interval); a per-hour or per-5-minutes figure is that rate times
the period, not an `increase` over a fixed window. Fixed windows remain only where they are the
definition: the burn-rate panel reads the SLO rules' 1h and 6h windows (the page windows of the
SRE workbook's table) and the budget panel their 30-day period. Every query is scoped to the
dashboard's `service` and `environment` variables (raw series by artifacts/grafana.py, recorded
ones here), so dev and prod are never summed together."""

from __future__ import annotations

from dataclasses import replace

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import (
    ENVIRONMENT_LABEL,
    SERVICE_LABEL,
    SLO_BUDGET_REMAINING,
    SLO_ERROR_BUDGET,
    sli_error_ratio,
)
from aurastream_obs.definitions import promql as q
from aurastream_obs.definitions import sources as s
from aurastream_obs.definitions.deployment import SECURITY_EVENT_TYPES, TABLE_OPERATIONS
from aurastream_obs.definitions.spec import (
    CwExpression,
    Dashboard,
    LogsQuery,
    Panel,
    PromSelector,
    PromSignal,
    PromTarget,
)

# SECURITY_EVENT_TYPES is re-exported: the cost report counts one metric per type.
__all__ = [
    "BURN_WINDOWS",
    "BUSINESS",
    "COLD_STARTS_QUERY",
    "INFRASTRUCTURE",
    "OPERATIONAL",
    "SECURITY_EVENT_TYPES",
    "burn_target",
]

W = q.RATE_INTERVAL
# A recorded series of the dashboard's service and environment (the rules' labels).
_SCOPE = f'{{{SERVICE_LABEL}="$service",{ENVIRONMENT_LABEL}="$environment"}}'
BURN_WINDOWS = ("1h", "6h")  # the page rows' long windows (definitions/spec.py, SRE workbook)


def _recorded(name: str) -> str:
    return f"{name}{_SCOPE}"


def burn_target(window: str) -> PromTarget:
    """Burn rate over an SLO window: its error ratio over the budget. An idle window records
    no ratio, and burns nothing: 0, never NaN or a gap."""
    ratio, budget = _recorded(sli_error_ratio(window)), _recorded(SLO_ERROR_BUDGET)
    expr = f"({ratio} or 0 * {budget}) / {budget}"
    return PromTarget(expr, "{{slo}} " + window, (sli_error_ratio(window), SLO_ERROR_BUDGET))


def _per(seconds: int, selector: PromSelector, by: tuple[str, ...] = ()) -> str:
    """Events per `seconds` (an hour, 5 minutes) at the rate over `$__rate_interval`."""
    return f"{q.sum_rate(selector, W, by)} * {seconds}"


def _rate(selector: PromSelector, legend: str, by: tuple[str, ...] = ()) -> PromTarget:
    return PromTarget(q.sum_rate(selector, W, by), legend, (selector.metric,))


def _quantiles(bucket: PromSelector, *qs: float) -> tuple[PromTarget, ...]:
    return tuple(
        PromTarget(q.quantile(x, bucket, W), f"p{round(x * 100)}", (bucket.metric,)) for x in qs
    )


def _hourly(selector: PromSelector, legend: str, by: tuple[str, ...] = ()) -> PromTarget:
    return PromTarget(_per(3600, selector, by), legend, (selector.metric,))


def _by_type(selector: PromSelector) -> PromTarget:
    """Security events per 5 minutes by type (the CloudWatch widget's Sum per period)."""
    label = c.prometheus_label(c.SECURITY_EVENT)
    return PromTarget(_per(300, selector, (label,)), "{{" + label + "}}", (selector.metric,))


def _signal(signal: PromSignal, legend: str) -> PromTarget:
    return q.target_for(replace(signal, window=W), legend)


OPERATIONAL = Dashboard(
    "operational",
    "AuraStream — Operational",
    (
        Panel(
            "API requests and errors",
            "reqps",
            prometheus=(
                _rate(s.REQUESTS, "requests"),
                _rate(s.REQUESTS_4XX, "4xx"),
                _rate(s.REQUESTS_5XX, "5xx"),
            ),
            cloudwatch=(s.api("Count"), s.api("4xx"), s.api("5xx")),
        ),
        Panel(
            "Latency p50 / p90 / p99",
            "s",
            prometheus=_quantiles(s.LATENCY_BUCKETS, 0.5, 0.9, 0.99),
            cloudwatch=tuple(s.api("Latency", p) for p in ("p50", "p90", "p99")),
        ),
        Panel(
            "Lambda duration",
            "ms",
            cloudwatch=tuple(s.function("Duration", p) for p in ("p50", "p99")),
        ),
        Panel(
            "Lambda errors, throttles, concurrency",
            cloudwatch=(
                s.function("Errors"),
                s.function("Throttles"),
                s.function("ConcurrentExecutions", "Maximum"),
            ),
        ),
        Panel(
            "DynamoDB throttles and system errors",
            cloudwatch=(
                s.table_operations("ThrottledRequests"),
                s.table_operations("SystemErrors"),
            ),
        ),
        Panel(
            "Sentiment mix",
            "ops",
            prometheus=(_rate(s.SENTIMENTS, "{{sentiment}}", ("sentiment",)),),
            cloudwatch=tuple(
                s.app(c.SENTIMENT_ANALYSES.name, label=v, sentiment=v)
                for v in ("POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED")
            ),
        ),
        Panel(
            "Cache hit rate",
            "percent",
            prometheus=(_signal(PromSignal("percent", s.CACHE_HITS, s.CACHE_LOOKUPS), "hit rate"),),
            cloudwatch=(
                CwExpression(
                    "100 * hits / (hits + misses)",
                    (("hits", s.CW_CACHE_HITS), ("misses", s.CW_CACHE_MISSES)),
                ),
            ),
        ),
        Panel(
            "Processing time (analyzer)",
            "s",
            prometheus=_quantiles(s.SENTIMENT_BUCKETS, 0.5, 0.99),
            cloudwatch=tuple(s.app(c.SENTIMENT_DURATION.name, p, label=p) for p in ("p50", "p99")),
        ),
        Panel(
            "Throughput vs 1,000 rps capacity",
            "reqps",
            prometheus=(_signal(PromSignal("rate", s.REQUESTS), "requests/s"),),
            cloudwatch=(CwExpression("total / PERIOD(total)", (("total", s.api("Count")),)),),
        ),
        Panel(
            "Error budget remaining (30 days)",
            "percentunit",
            kind="stat",
            prometheus=(
                PromTarget(_recorded(SLO_BUDGET_REMAINING), "{{slo}}", (SLO_BUDGET_REMAINING,)),
            ),
            # Availability budget over the widget's time range (set the range to 30 days); a
            # range without requests spent nothing: the whole budget, not a division by zero.
            cloudwatch=(
                CwExpression(
                    "IF(FILL(total, 0) > 0, 1 - (FILL(errors, 0) / total) / 0.001, 1)",
                    (("errors", s.api("5xx")), ("total", s.api("Count"))),
                ),
            ),
        ),
        Panel(
            "SLO burn rate (1h and 6h windows)",
            prometheus=tuple(burn_target(w) for w in BURN_WINDOWS),
            # Availability per period (the widget's period): an idle period burns nothing.
            cloudwatch=(
                CwExpression(
                    "IF(FILL(total, 0) > 0, (FILL(errors, 0) / total) / 0.001, 0)",
                    (("errors", s.api("5xx")), ("total", s.api("Count"))),
                ),
            ),
        ),
    ),
)

BUSINESS = Dashboard(
    "business",
    "AuraStream — Business",
    (
        Panel(
            "Customer activity (events per hour)",
            prometheus=(
                _hourly(s.ACTIVITY, "{{aurastream_activity_type}}", ("aurastream_activity_type",)),
            ),
            cloudwatch=(s.app(c.CUSTOMER_ACTIVITY.name, aurastream__activity__type="analysis"),),
        ),
        Panel(
            "Revenue (USD per hour)",
            "currencyUSD",
            prometheus=(_hourly(s.REVENUE, "revenue"),),
            cloudwatch=(s.app(c.REVENUE.name),),
        ),
        Panel(
            "Usage (analyses per hour)",
            prometheus=(_hourly(s.USAGE, "usage"),),
            cloudwatch=(s.app(c.USAGE.name),),
        ),
        Panel(
            "Top customers by usage",
            prometheus=(
                PromTarget(
                    f"topk(10, {_per(3600, s.USAGE, ('aurastream_customer_id',))})",
                    "{{aurastream_customer_id}}",
                    (s.USAGE.metric,),
                ),
            ),
            # Per-customer values are never CloudWatch dimensions: on AWS this comes from logs.
            logs=LogsQuery(
                "fields customer_id\n| filter event_type like /^business_/\n"
                "| stats count() as analyses by customer_id\n| sort analyses desc\n| limit 10",
                ("business",),
            ),
        ),
        Panel(
            "Business events",
            logs=LogsQuery(
                "fields @timestamp, @message\n| filter event_type like /^business_/\n"
                "| stats count() by bin(1h)",
                ("business",),
            ),
            width=24,
        ),
    ),
    period_s=3600,
)

# Lambda's REPORT line of a cold start carries "Init Duration" (@initDuration in Logs Insights):
# AWS/Lambda has no InitDuration metric.
COLD_STARTS_QUERY = (
    "fields @timestamp, @initDuration\n| filter ispresent(@initDuration)\n"
    "| stats count(*) as cold_starts, avg(@initDuration) as avg_init_ms, "
    "max(@initDuration) as max_init_ms by bin(5m)"
)

# The AWS resources behind the API and the alert path: what the seed's infrastructure metrics
# say about Lambda, DynamoDB and the asynchronous functions' dead-letter queues.
INFRASTRUCTURE = Dashboard(
    "infrastructure",
    "AuraStream — Infrastructure",
    (
        Panel(
            "API Gateway latency and integration latency (p99)",
            "ms",
            cloudwatch=(
                s.api("Latency", "p99", "latency p99"),
                s.api("IntegrationLatency", "p99", "integration p99"),
            ),
        ),
        Panel(
            "Lambda invocations and cold starts",
            cloudwatch=(
                s.function("Invocations"),
                s.app(c.LAMBDA_COLDSTARTS.name, label="cold starts"),
            ),
        ),
        Panel(
            "Lambda init duration (cold starts)",
            logs=LogsQuery(COLD_STARTS_QUERY, (), ("function",)),
        ),
        Panel(
            "DynamoDB consumed capacity",
            cloudwatch=(
                s.table("ConsumedReadCapacityUnits", label="read units"),
                s.table("ConsumedWriteCapacityUnits", label="write units"),
            ),
        ),
        Panel(
            "DynamoDB latency by operation",
            "ms",
            cloudwatch=tuple(
                s.table("SuccessfulRequestLatency", "Average", op, operation=op)
                for op in TABLE_OPERATIONS
            ),
        ),
        Panel(
            "DynamoDB user errors (whole Region)",
            cloudwatch=(s.metric("dynamodb-region", "AWS/DynamoDB", "UserErrors"),),
        ),
        Panel(
            "Alert router and log forwarder",
            cloudwatch=(
                s.function("Errors", label="router errors", of="alert-router"),
                s.function("Errors", label="forwarder errors", of="log-forwarder"),
                s.function("DeadLetterErrors", label="router lost", of="alert-router"),
                s.function("DeadLetterErrors", label="forwarder lost", of="log-forwarder"),
                s.queue(
                    "ApproximateNumberOfMessagesVisible", "alert-router-dlq", label="router DLQ"
                ),
                s.queue(
                    "ApproximateNumberOfMessagesVisible", "log-forwarder-dlq", label="forwarder DLQ"
                ),
            ),
        ),
        Panel(
            "Security events",
            prometheus=(_by_type(s.SECURITY_EVENTS),),
            cloudwatch=tuple(s.security_events(t) for t in SECURITY_EVENT_TYPES),
        ),
    ),
)
