"""The CloudWatch metric catalog as data: what each AWS resource we deploy publishes.

One entry per (resource kind, metric): namespace, metric name, the dimension sets CloudWatch
publishes it under (a query must name exactly one of them, or it reads a metric that does not
exist), the statistics that mean something for it, and the AWS documentation page it was
written from. `definitions/validation.py` and `aurastream-obs validate` check every alarm,
dashboard widget and KPI query against it: a REST API metric on an HTTP API, a DynamoDB
operation metric without its `Operation` dimension, a `Sum` of a gauge, all fail with one line.

Facts restated from the AWS pages linked per group (retrieved for this catalog):
- HTTP APIs publish `4xx`, `5xx`, `Count`, `IntegrationLatency`, `Latency`, `DataProcessed` by
  `ApiId`, by `ApiId, Stage`, and (detailed metrics only) by `ApiId, Method, Resource, Stage`.
  REST APIs publish `4XXError`, `5XXError`, `CacheHitCount`, `CacheMissCount`, `Count`,
  `IntegrationLatency`, `Latency` by `ApiName`, `ApiName, Stage`, `ApiName, Method, Resource,
  Stage`; their error metrics' `Average` is the error rate, `Sum` the count.
- Lambda invocation metrics (`Invocations`, `Errors`, `Throttles`, `DeadLetterErrors`,
  `DestinationDeliveryFailures`) are read with `Sum`; `Duration` with averages, extremes or
  percentiles; `ConcurrentExecutions` with `Maximum`. Dimensions: `FunctionName`,
  `FunctionName, Resource` (version or alias), none (the Region). `DeadLetterErrors` exists
  only for asynchronous invocation with a dead-letter queue. There is no `InitDuration` metric
  in `AWS/Lambda`: init time is a field of the REPORT log line (`@initDuration`).
- DynamoDB publishes `ConsumedRead/WriteCapacityUnits` and `Read/WriteThrottleEvents` by
  `TableName` (and GSI), but `ThrottledRequests`, `SystemErrors` and
  `SuccessfulRequestLatency` only by `TableName, Operation`; `UserErrors` is the Region's
  aggregate, without dimensions. DynamoDB sends nothing for a zero.
- SQS publishes per `QueueName`; `ApproximateAgeOfOldestMessage` is in seconds.
- S3 daily storage metrics (`BucketSizeBytes`, `NumberOfObjects`) by `BucketName, StorageType`
  once a day; request metrics (`AllRequests`, `GetRequests`, ...) by `BucketName, FilterId`
  only for a bucket with a metrics configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from aurastream_obs.core.conventions import ALL_INSTRUMENTS, EMF_DIMENSIONS, EMF_NAMESPACE
from aurastream_obs.definitions.deployment import (
    SECURITY_EVENT_TYPES,
    SECURITY_NAMESPACE,
    ResourceKind,
    security_metric,
)

HTTP_API_DOC: Final = (
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html"
)
REST_API_DOC: Final = (
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "api-gateway-metrics-and-dimensions.html"
)
LAMBDA_DOC: Final = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"
DYNAMODB_DOC: Final = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html"
)
SNS_DOC: Final = "https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html"
SQS_DOC: Final = (
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
    "sqs-available-cloudwatch-metrics.html"
)
S3_DOC: Final = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html"
EMF_DOC: Final = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/"
    "CloudWatch_Embedded_Metric_Format_Specification.html"
)
METRIC_FILTER_DOC: Final = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringLogData.html"
)

# Statistic semantics. Percentiles (p99), percentile ranks (PR(:1000)) and trimmed statistics
# (TM, TC) exist only for metrics with value distributions (latencies, durations, histograms).
PERCENTILE: Final = re.compile(r"^(p\d+(\.\d+)?|PR\(.*\)|TM\(.*\)|TC\(.*\))$")
COUNT: Final = frozenset({"Sum", "SampleCount"})  # events: Sum is the count
RATE_OR_COUNT: Final = frozenset({"Sum", "Average", "SampleCount"})  # Average = share of Count
TIMING: Final = frozenset({"Average", "Minimum", "Maximum", "SampleCount"})  # + percentiles
GAUGE: Final = frozenset({"Maximum", "Average", "Minimum"})  # a level sampled per period
DAILY: Final = frozenset({"Average"})  # one datapoint a day


@dataclass(frozen=True)
class MetricSpec:
    kind: ResourceKind
    namespace: str
    name: str
    dimension_sets: tuple[frozenset[str], ...]
    statistics: frozenset[str]
    unit: str
    source: str
    percentiles: bool = False

    def allows(self, stat: str) -> bool:
        return stat in self.statistics or (self.percentiles and bool(PERCENTILE.match(stat)))


def _dims(*sets: Iterable[str]) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(s) for s in sets)


_HTTP_DIMS = _dims(["ApiId"], ["ApiId", "Stage"], ["ApiId", "Method", "Resource", "Stage"])
_REST_DIMS = _dims(["ApiName"], ["ApiName", "Stage"], ["ApiName", "Method", "Resource", "Stage"])
_LAMBDA_DIMS = _dims(["FunctionName"], ["FunctionName", "Resource"], [])
_TABLE = _dims(["TableName"], ["TableName", "GlobalSecondaryIndexName"])
_TABLE_OP = _dims(["TableName", "Operation"])


def _group(
    kind: ResourceKind, namespace: str, source: str, dims: tuple[frozenset[str], ...],
    *metrics: tuple[str, frozenset[str], str] | tuple[str, frozenset[str], str, bool],
) -> list[MetricSpec]:  # fmt: skip
    out = []
    for metric in metrics:
        name, stats, unit = metric[0], metric[1], metric[2]
        percentiles = bool(metric[3]) if len(metric) > 3 else False
        out.append(MetricSpec(kind, namespace, name, dims, stats, unit, source, percentiles))
    return out


def _app_metrics() -> list[MetricSpec]:
    """Our instruments in the EMF namespace, with exactly the declared dimension sets."""
    kinds = {spec.name: spec.kind for spec in ALL_INSTRUMENTS}
    return [
        MetricSpec("emf", EMF_NAMESPACE, name, tuple(frozenset(s) for s in sets),
                   COUNT if kinds[name] == "counter" else TIMING, "", EMF_DOC,
                   percentiles=kinds[name] == "histogram")
        for name, sets in EMF_DIMENSIONS.items()
    ]  # fmt: skip


_SPECS: Final[tuple[MetricSpec, ...]] = (
    *_group("http-api", "AWS/ApiGateway", HTTP_API_DOC, _HTTP_DIMS,
            ("4xx", COUNT, "Count"), ("5xx", COUNT, "Count"), ("Count", COUNT, "Count"),
            ("Latency", TIMING, "Milliseconds", True),
            ("IntegrationLatency", TIMING, "Milliseconds", True),
            ("DataProcessed", COUNT, "Bytes")),
    *_group("rest-api", "AWS/ApiGateway", REST_API_DOC, _REST_DIMS,
            ("4XXError", RATE_OR_COUNT, "Count"), ("5XXError", RATE_OR_COUNT, "Count"),
            ("CacheHitCount", RATE_OR_COUNT, "Count"),
            ("CacheMissCount", RATE_OR_COUNT, "Count"), ("Count", COUNT, "Count"),
            ("Latency", TIMING, "Milliseconds", True),
            ("IntegrationLatency", TIMING, "Milliseconds", True)),
    *_group("lambda", "AWS/Lambda", LAMBDA_DOC, _LAMBDA_DIMS,
            ("Invocations", COUNT, "Count"), ("Errors", COUNT, "Count"),
            ("Throttles", COUNT, "Count"), ("DeadLetterErrors", COUNT, "Count"),
            ("DestinationDeliveryFailures", COUNT, "Count"),
            ("Duration", TIMING, "Milliseconds", True),
            ("PostRuntimeExtensionsDuration", TIMING, "Milliseconds", True),
            ("ConcurrentExecutions", GAUGE, "Count")),
    *_group("dynamodb", "AWS/DynamoDB", DYNAMODB_DOC, _TABLE,
            ("ConsumedReadCapacityUnits", COUNT | {"Average", "Maximum"}, "Count"),
            ("ConsumedWriteCapacityUnits", COUNT | {"Average", "Maximum"}, "Count"),
            ("ReadThrottleEvents", COUNT, "Count"), ("WriteThrottleEvents", COUNT, "Count")),
    *_group("dynamodb", "AWS/DynamoDB", DYNAMODB_DOC, _TABLE_OP,
            ("ThrottledRequests", COUNT, "Count"), ("SystemErrors", COUNT, "Count"),
            ("SuccessfulRequestLatency", TIMING, "Milliseconds")),
    *_group("dynamodb", "AWS/DynamoDB", DYNAMODB_DOC, _dims([]),
            ("UserErrors", COUNT, "Count")),
    *_group("sqs", "AWS/SQS", SQS_DOC, _dims(["QueueName"]),
            ("ApproximateAgeOfOldestMessage", GAUGE, "Seconds"),
            ("ApproximateNumberOfMessagesVisible", GAUGE, "Count"),
            ("NumberOfMessagesSent", COUNT, "Count"),
            ("NumberOfMessagesReceived", COUNT, "Count")),
    # NumberOfNotificationsFailed: for HTTP(S) endpoints every failed attempt, retries
    # included; for other endpoints one per message SNS gave up on.
    *_group("sns", "AWS/SNS", SNS_DOC, _dims(["TopicName"]),
            ("NumberOfNotificationsFailed", COUNT, "Count"),
            ("NumberOfNotificationsDelivered", COUNT, "Count"),
            ("NumberOfMessagesPublished", COUNT, "Count")),
    *_group("s3", "AWS/S3", S3_DOC, _dims(["BucketName", "StorageType"]),
            ("BucketSizeBytes", DAILY, "Bytes"), ("NumberOfObjects", DAILY, "Count")),
    *_group("s3", "AWS/S3", S3_DOC, _dims(["BucketName", "FilterId"]),
            ("AllRequests", COUNT, "Count"), ("GetRequests", COUNT, "Count"),
            ("PutRequests", COUNT, "Count"), ("DeleteRequests", COUNT, "Count")),
    *_app_metrics(),
    # The security log group's metric filters: one metric per security event type.
    *_group("log-metric", SECURITY_NAMESPACE, METRIC_FILTER_DOC, _dims([]),
            *((security_metric(t), COUNT, "Count") for t in SECURITY_EVENT_TYPES)),
)  # fmt: skip

KIND_NAMES: Final[Mapping[ResourceKind, str]] = {
    "http-api": "an HTTP API", "rest-api": "a REST API", "lambda": "a Lambda function",
    "dynamodb": "a DynamoDB table", "sqs": "an SQS queue", "s3": "an S3 bucket",
    "sns": "an SNS topic",
    "emf": "our EMF metrics", "log-metric": "a log metric filter",
}  # fmt: skip


def catalog() -> tuple[MetricSpec, ...]:
    return _SPECS


def lookup(kind: ResourceKind, namespace: str, name: str) -> MetricSpec | None:
    return next(
        (s for s in _SPECS if (s.kind, s.namespace, s.name) == (kind, namespace, name)), None
    )


def publishers(namespace: str, name: str) -> list[MetricSpec]:
    """Every resource kind that publishes `namespace/name` (REST and HTTP APIs share a few)."""
    return [s for s in _SPECS if (s.namespace, s.name) == (namespace, name)]


def metrics_of(kind: ResourceKind) -> list[MetricSpec]:
    return [s for s in _SPECS if s.kind == kind]


def describe_kind(kind: ResourceKind) -> str:
    """`an HTTP API, which publishes 4xx, 5xx, Count, ... by ApiId | ApiId+Stage | ...`."""
    specs = metrics_of(kind)
    names = ", ".join(dict.fromkeys(s.name for s in specs))
    dims = sorted({"+".join(sorted(d)) or "(none)" for s in specs for d in s.dimension_sets})
    return f"{KIND_NAMES[kind]}, which publishes {names} by {' | '.join(dims)}"
