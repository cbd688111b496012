"""AuraStream's SLOs, alarms, log groups, saved queries, sampling rules and alert routes: the
seed's monitoring plan as one typed definition (dashboards live in `dashboards.py`)."""

from __future__ import annotations

from aurastream_obs.core.log_categories import LOG_CATEGORIES
from aurastream_obs.core.sampling_rules import load_sampling_rules
from aurastream_obs.definitions import sources as s
from aurastream_obs.definitions.dashboards import (
    BUSINESS,
    COLD_STARTS_QUERY,
    INFRASTRUCTURE,
    OPERATIONAL,
)
from aurastream_obs.definitions.deployment import SERVICE_NAME, TOPIC_ROUTES
from aurastream_obs.definitions.spec import (
    SLO,
    Alarm,
    AlertRoute,
    CwExpression,
    Definitions,
    LogGroup,
    PromRatio,
    PromSignal,
    SavedQuery,
    Threshold,
)

_ERRORS_OVER_TOTAL = "FILL(errors, 0) / total"
# The HTTP API's own names: `5xx` and `Count` by ApiId and Stage (REST APIs say 5XXError).
_API_5XX = (("errors", s.api("5xx")), ("total", s.api("Count")))
_CACHE = (("hits", s.CW_CACHE_HITS), ("misses", s.CW_CACHE_MISSES))

SLOS = (
    SLO(
        "availability",
        "Requests answered without a server error (5xx are bad events).",
        99.9,
        PromRatio(total=s.REQUESTS, bad=s.REQUESTS_5XX),
        # At the edge on AWS: API Gateway also counts the 5xx a crashed or throttled Lambda causes.
        CwExpression(_ERRORS_OVER_TOTAL, _API_5XX),
    ),
    SLO(
        "latency",
        "99 % of requests complete in under 1 s.",
        99.0,
        PromRatio(total=s.REQUESTS, good=s.FAST_REQUESTS),
        # PR(:1000): percentage of requests at or under 1000 ms (API Gateway Latency is in ms).
        CwExpression("1 - fast / 100", (("fast", s.api("Latency", "PR(:1000)")),)),
    ),
    SLO(
        "error-rate",
        "Under 1 % of analyses fail (5xx or 429 on POST /v1/analyze).",
        99.0,
        PromRatio(total=s.ANALYZE_REQUESTS, bad=s.ANALYZE_FAILED),
        # On AWS the analysis is the sync handler: a failed invocation is a failed analysis.
        CwExpression(
            _ERRORS_OVER_TOTAL,
            (("errors", s.function("Errors")), ("total", s.function("Invocations"))),
        ),
    ),
    SLO(
        "cache-hit-rate",
        "At least 60 % of lookups hit the cache (a cost objective: misses call Comprehend).",
        60.0,
        PromRatio(total=s.CACHE_LOOKUPS, good=s.CACHE_HITS),
        CwExpression("misses / (hits + misses)", _CACHE),
        # A 40 % budget cannot burn 14.4x: burn-rate rows are meaningless this far from 100 %;
        # the low-cache-hit-rate threshold alarm covers it.
        burn_rates=(),
    ),
)

_PERCENT = (0.0, 100.0)
_NO_TRAFFIC = "no requests means nothing failed: missing data must not page at night"

ALARMS = (
    # Seed AlertManager.alert_rules (critical 5 % / 2 periods, warning 2 % / 3 periods).
    Alarm(
        "error-rate", "Share of requests answered with a 5xx.", ">",
        {"critical": Threshold(5, 2), "warning": Threshold(2, 3)},
        "notBreaching", _NO_TRAFFIC, value_range=_PERCENT, unit="percent",
        prometheus=PromSignal("percent", s.REQUESTS_5XX, s.REQUESTS),
        cloudwatch=CwExpression(
            "100 * FILL(errors, 0) / total", _API_5XX
        ),
    ),
    # Seed latency: critical 2000 ms / 3 periods, warning 1000 ms / 5 periods; 3 of 5 is enough
    # for the warning (a flapping p99 is still a slow service).
    Alarm(
        "latency-p99", "p99 request latency (seconds on Prometheus, ms on API Gateway).", ">",
        {"critical": Threshold(2.0, 3), "warning": Threshold(1.0, 5, 3)},
        "notBreaching", _NO_TRAFFIC, unit="seconds",
        prometheus=PromSignal("quantile", s.LATENCY_BUCKETS, quantile=0.99),
    ),
    Alarm(
        "api-latency-p99", "p99 latency at API Gateway (seed: AuraStream-High-Latency, 2000 ms).",
        ">", {"critical": Threshold(2000, 3), "warning": Threshold(1000, 5, 3)},
        "notBreaching", _NO_TRAFFIC, unit="milliseconds",
        cloudwatch=s.api("Latency", "p99"),
    ),
    # Seed availability: critical below 99 % in one 5-minute period.
    Alarm(
        "availability", "Share of requests answered without a 5xx.", "<",
        {"critical": Threshold(99, 1)},
        "notBreaching", _NO_TRAFFIC, value_range=_PERCENT, unit="percent",
        prometheus=PromSignal("percent", s.REQUESTS_5XX, s.REQUESTS, complement=True),
        cloudwatch=CwExpression(
            "100 - 100 * FILL(errors, 0) / total",
            _API_5XX,
        ),
    ),
    # Seed cache_hit_rate: warning below 50 % over 2 x 15 minutes.
    Alarm(
        "cache-hit-rate", "Share of cache lookups that hit.", "<",
        {"warning": Threshold(50, 2)},
        "notBreaching", "no lookups means no misses either", period_s=900,
        value_range=_PERCENT, unit="percent",
        prometheus=PromSignal("percent", s.CACHE_HITS, s.CACHE_LOOKUPS, window="15m"),
        cloudwatch=CwExpression(
            "100 * hits / (hits + misses)", _CACHE
        ),
    ),
    # Seed setup_all_alerts: AuraStream-High-Error-Rate (5XXError > 10 per 5 minutes; the HTTP
    # API's metric is `5xx`).
    Alarm(
        "api-5xx", "5xx responses at API Gateway per 5 minutes.", ">",
        {"critical": Threshold(10, 1)},
        "notBreaching", _NO_TRAFFIC, cloudwatch=s.api("5xx"), unit="count",
    ),
    # Seed setup_all_alerts: AuraStream-High-Lambda-Duration (5000 ms, warning).
    Alarm(
        "lambda-duration-p99", "p99 Lambda duration of the sync handler.", ">",
        {"warning": Threshold(5000, 3, 2)},
        "ignore", "an idle function says nothing about duration: keep the last state",
        cloudwatch=s.function("Duration", "p99"), unit="milliseconds",
    ),
    Alarm(
        "lambda-errors", "Invocations that ended in an error.", ">",
        {"critical": Threshold(10, 1), "warning": Threshold(1, 3, 2)},
        "notBreaching", _NO_TRAFFIC, cloudwatch=s.function("Errors"), unit="count",
    ),
    Alarm(
        "lambda-throttles", "Invocations throttled by the concurrency limit.", ">",
        {"critical": Threshold(10, 1), "warning": Threshold(0, 2)},
        "notBreaching", "Lambda publishes no Throttles datapoint when nothing was throttled",
        cloudwatch=s.function("Throttles"), unit="count",
    ),
    Alarm(
        "lambda-concurrency",
        "Concurrent executions of the API function near the Region's default account limit "
        "(1,000, shared by every function).", ">",
        {"critical": Threshold(900, 2), "warning": Threshold(800, 3)},
        "notBreaching", _NO_TRAFFIC, cloudwatch=s.function("ConcurrentExecutions", "Maximum"),
        unit="count",
    ),
    # ThrottledRequests and SystemErrors exist only per TableName and Operation: summed over
    # the operations the service performs (GetItem, PutItem).
    Alarm(
        "dynamodb-throttles", "Throttled requests on the sentiment cache table.", ">",
        {"critical": Threshold(50, 1), "warning": Threshold(0, 2)},
        "notBreaching", "DynamoDB publishes no datapoint when nothing was throttled",
        cloudwatch=s.table_operations("ThrottledRequests"), unit="count",
    ),
    Alarm(
        "dynamodb-system-errors", "Server-side errors from DynamoDB (HTTP 500).", ">",
        {"critical": Threshold(5, 1), "warning": Threshold(0, 2)},
        "notBreaching", "DynamoDB publishes no datapoint without errors",
        cloudwatch=s.table_operations("SystemErrors"), unit="count",
    ),
    # Throughput is a capacity signal, not an SLO: warn at 80 % of the 1,000 rps design point.
    Alarm(
        "throughput", "Requests per second against the 1,000 rps capacity.", ">",
        {"critical": Threshold(1000, 3), "warning": Threshold(800, 3)},
        "notBreaching", _NO_TRAFFIC, unit="requests/second",
        prometheus=PromSignal("rate", s.REQUESTS),
        cloudwatch=CwExpression("total / PERIOD(total)", (("total", s.api("Count")),)),
    ),
    # Failed authentications (the service's `failed_authentication` security events): a
    # credential-stuffing or key-leak signal, routed to the security team. CloudWatch counts
    # the security log lines (metric filter), Prometheus the service's counter.
    Alarm(
        "failed-authentication", "Failed authentications (missing or invalid API key) per 5 "
        "minutes.", ">",
        {"critical": Threshold(100, 1), "warning": Threshold(20, 1)},
        "notBreaching", "no failed authentication writes no log line: nothing to count",
        unit="count", team="security",
        prometheus=PromSignal("increase", s.FAILED_AUTHENTICATIONS),
        cloudwatch=s.security_events("failed_authentication"),
    ),
    # The alert path itself. SNS invokes the router asynchronously and CloudWatch Logs the
    # log forwarder: what Lambda could not deliver after its retries lands in their
    # dead-letter queues, and DeadLetterErrors counts what could not even be put there (lost).
    Alarm(
        "alert-router-errors", "Alert router invocations that failed (notifications may be "
        "undelivered; the e-mail subscription is the fallback).", ">",
        {"critical": Threshold(0, 1)},
        "notBreaching", "no alarm notification means no invocation", unit="count",
        cloudwatch=s.function("Errors", of="alert-router"),
    ),
    # What SNS failed to hand to the router (its HTTPS endpoint down, its function not
    # invocable): every topic, so a failing critical topic is seen too; the notification goes
    # to the critical topic's required e-mail as well as to the router.
    Alarm(
        "alert-delivery-failures", "Alarm notifications SNS failed to deliver to a subscriber "
        "(the router's endpoint or function; e-mail).", ">",
        {"critical": Threshold(0, 1)},
        "notBreaching", "SNS publishes no datapoint for a topic that delivered nothing",
        unit="count",
        cloudwatch=CwExpression(
            " + ".join(f"FILL({r}, 0)" for r in TOPIC_ROUTES),
            tuple((r, s.topic("NumberOfNotificationsFailed", r)) for r in TOPIC_ROUTES),
        ),
    ),
    Alarm(
        "dead-letter-errors", "Events Lambda could not write to a dead-letter queue (lost).",
        ">", {"critical": Threshold(0, 1)},
        "notBreaching", "Lambda publishes no datapoint without dead-letter errors", unit="count",
        cloudwatch=CwExpression(
            "FILL(router, 0) + FILL(forwarder, 0)",
            (("router", s.function("DeadLetterErrors", of="alert-router")),
             ("forwarder", s.function("DeadLetterErrors", of="log-forwarder"))),
        ),
    ),
    Alarm(
        "alert-router-dead-letters", "Alarm notifications the router failed on, waiting in its "
        "dead-letter queue (replay them).", ">",
        {"critical": Threshold(0, 1)},
        "notBreaching", "SQS reports nothing for an idle, empty queue", unit="messages",
        cloudwatch=s.queue("ApproximateNumberOfMessagesVisible", of="alert-router-dlq"),
    ),
    # The forwarder carries the 7-year security and audit lines: a batch in its DLQ expires
    # with the queue's 14-day retention, so its age pages well before that.
    Alarm(
        "log-forwarder-dead-letters", "Age of the oldest log batch the forwarder failed on.",
        ">", {"critical": Threshold(604800, 1), "warning": Threshold(3600, 1)},
        "notBreaching", "SQS reports nothing for an idle, empty queue", unit="seconds",
        cloudwatch=s.queue("ApproximateAgeOfOldestMessage", of="log-forwarder-dlq"),
    ),
    Alarm(
        "log-forwarder-errors", "Log forwarder invocations that failed (Lambda retries twice, "
        "then the batch goes to the dead-letter queue).", ">",
        {"warning": Threshold(0, 3, 2)},
        "notBreaching", "no log line to forward means no invocation", unit="count",
        cloudwatch=s.function("Errors", of="log-forwarder"),
    ),
)  # fmt: skip

LOG_GROUPS = tuple(LogGroup(c.name, c.retention_days, c.sensitive) for c in LOG_CATEGORIES.values())

# The seed's four Logs Insights queries; the event fields they filter on are what
# logs/events.py writes (event_type, response_time in ms, customer_id).
SAVED_QUERIES = (
    SavedQuery(
        "high-error-rates",
        'fields @timestamp, @message\n| filter level = "ERROR"\n| stats count() by bin(5m)',
        ("application",),
    ),
    SavedQuery(
        "slow-requests",
        "fields @timestamp, @message, request_id, response_time\n"
        '| filter event_type = "api_response"\n| filter response_time > 1000\n'
        "| sort @timestamp desc",
        ("application", "performance"),
    ),
    SavedQuery(
        "customer-usage-patterns",
        "fields @timestamp, customer_id\n| filter event_type like /^business_/\n"
        "| stats count() by customer_id, bin(1h)",
        ("business",),
    ),
    SavedQuery(
        "security-events",
        'fields @timestamp, @message\n| filter event_type = "failed_authentication"\n'
        "| sort @timestamp desc",
        ("security",),
    ),
    # Lambda's REPORT lines carry the init time of cold starts (there is no InitDuration
    # metric in AWS/Lambda); they are in the function's own log group, in both Lambda shapes.
    SavedQuery("cold-starts", COLD_STARTS_QUERY, (), ("function",)),
)

ROUTES = (
    AlertRoute(
        "critical", pagerduty=True, slack_channel="#aurastream-alerts", repeat_interval="1h"
    ),
    AlertRoute("warning", pagerduty=False, slack_channel="#aurastream-alerts"),
    # Alarms of team "security" (failed authentications) go to the security channel.
    AlertRoute(
        "critical",
        pagerduty=True,
        slack_channel="#aurastream-security",
        repeat_interval="1h",
        team="security",
    ),
    AlertRoute("warning", pagerduty=False, slack_channel="#aurastream-security", team="security"),
)


def aurastream_definitions() -> Definitions:
    """The unvalidated AuraStream definition (see `load_definitions` for the checked one)."""
    return Definitions(
        service=SERVICE_NAME,
        slos=SLOS,
        alarms=ALARMS,
        dashboards=(OPERATIONAL, BUSINESS, INFRASTRUCTURE),
        log_groups=LOG_GROUPS,
        saved_queries=SAVED_QUERIES,
        sampling_rules=tuple(load_sampling_rules(None)),
        routes=ROUTES,
    )
