"""The Operational and Business dashboards (seed "Monitoring Tools and Dashboards"): each panel
written once, rendered to a CloudWatch widget and a Grafana panel. Panels that exist only in
CloudWatch (Lambda, DynamoDB) reach Grafana through its CloudWatch datasource."""

from __future__ import annotations

from aurastream_obs.core import conventions as c
from aurastream_obs.core.conventions import SLO_BUDGET_REMAINING
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
__all__ = ["BUSINESS", "COLD_STARTS_QUERY", "INFRASTRUCTURE", "OPERATIONAL", "SECURITY_EVENT_TYPES"]

W = "5m"


def _rate(selector: PromSelector, legend: str, by: tuple[str, ...] = ()) -> PromTarget:
    return PromTarget(q.sum_rate(selector, W, by), legend, (selector.metric,))


def _quantiles(bucket: PromSelector, *qs: float) -> tuple[PromTarget, ...]:
    return tuple(
        PromTarget(q.quantile(x, bucket, W), f"p{round(x * 100)}", (bucket.metric,)) for x in qs
    )


def _increase(selector: PromSelector, legend: str, by: tuple[str, ...] = ()) -> PromTarget:
    grouping = f" by ({', '.join(by)})" if by else ""
    expr = f"sum{grouping}(increase({selector.render('1h')}))"
    return PromTarget(expr, legend, (selector.metric,))


def _by_type(selector: PromSelector) -> PromTarget:
    """Security events per 5 minutes by type (the CloudWatch widget's Sum per period)."""
    label = c.prometheus_label(c.SECURITY_EVENT)
    expr = f"sum by ({label})(increase({selector.render(W)}))"
    return PromTarget(expr, "{{" + label + "}}", (selector.metric,))


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
            prometheus=(
                q.target_for(PromSignal("percent", s.CACHE_HITS, s.CACHE_LOOKUPS), "hit rate"),
            ),
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
            prometheus=(q.target_for(PromSignal("rate", s.REQUESTS), "requests/s"),),
            cloudwatch=(CwExpression("total / PERIOD(total)", (("total", s.api("Count")),)),),
        ),
        Panel(
            "Error budget remaining (30 days)",
            "percentunit",
            kind="stat",
            prometheus=(PromTarget(f"{SLO_BUDGET_REMAINING}", "{{slo}}", (SLO_BUDGET_REMAINING,)),),
            # Availability budget over the widget's time range (set the range to 30 days).
            cloudwatch=(
                CwExpression(
                    "1 - (FILL(errors, 0) / total) / 0.001",
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
            "Customer activity",
            prometheus=(
                _increase(
                    s.ACTIVITY, "{{aurastream_activity_type}}", ("aurastream_activity_type",)
                ),
            ),
            cloudwatch=(s.app(c.CUSTOMER_ACTIVITY.name, aurastream__activity__type="analysis"),),
        ),
        Panel(
            "Revenue (USD per hour)",
            "currencyUSD",
            prometheus=(_increase(s.REVENUE, "revenue"),),
            cloudwatch=(s.app(c.REVENUE.name),),
        ),
        Panel(
            "Usage (analyses per hour)",
            prometheus=(_increase(s.USAGE, "usage"),),
            cloudwatch=(s.app(c.USAGE.name),),
        ),
        Panel(
            "Top customers by usage",
            prometheus=(
                PromTarget(
                    f"topk(10, sum by (aurastream_customer_id)(increase({s.USAGE.render('1h')})))",
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
