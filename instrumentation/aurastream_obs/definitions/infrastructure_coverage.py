"""The operators' list of infrastructure metrics, and where each one is watched here.

The monitoring plan names 26 AWS service metrics (API Gateway 7, Lambda 7, DynamoDB 6, S3 6);
each row below says which catalog metric of the resources we deploy answers it, or why none
does. `tests/unit/definitions/test_aws_metrics.py` proves that every row with a
metric is read by an alarm or a dashboard widget, and that the log field is read by a query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from aurastream_obs.definitions.deployment import ResourceKind


@dataclass(frozen=True)
class Coverage:
    service: str
    listed: str  # the name in the operators' list
    how: Literal["metric", "log field", "not deployed"]
    kind: ResourceKind | None = None
    metric: str | None = None  # the catalog name (the HTTP API renames a few)
    note: str = ""


def _m(service: str, listed: str, kind: ResourceKind, metric: str = "", note: str = "") -> Coverage:
    return Coverage(service, listed, "metric", kind, metric or listed, note)


_HTTP_CACHE = "API caching is a REST API stage feature; the HTTP API we deploy has no cache"
_NO_BUCKET = "no template deploys an S3 bucket (`health --bucket` checks one by name)"

SEED_INFRASTRUCTURE: Final[tuple[Coverage, ...]] = (
    _m("api_gateway", "Count", "http-api"),
    _m("api_gateway", "Latency", "http-api"),
    _m("api_gateway", "4XXError", "http-api", "4xx", "the HTTP API's name for it"),
    _m("api_gateway", "5XXError", "http-api", "5xx", "the HTTP API's name for it"),
    _m("api_gateway", "IntegrationLatency", "http-api"),
    Coverage("api_gateway", "CacheHitCount", "not deployed", note=_HTTP_CACHE),
    Coverage("api_gateway", "CacheMissCount", "not deployed", note=_HTTP_CACHE),
    _m("lambda", "Invocations", "lambda"),
    _m("lambda", "Errors", "lambda"),
    _m("lambda", "Duration", "lambda"),
    _m("lambda", "Throttles", "lambda"),
    _m("lambda", "ConcurrentExecutions", "lambda"),
    _m("lambda", "DeadLetterErrors", "lambda", note="the asynchronously invoked alert router "
       "and log forwarder have dead-letter queues; the API function is invoked synchronously"),
    Coverage("lambda", "InitDuration", "log field", note="not a metric in AWS/Lambda: the "
             "REPORT line's Init Duration, read as @initDuration by the cold-starts query"),
    _m("dynamodb", "ConsumedReadCapacityUnits", "dynamodb"),
    _m("dynamodb", "ConsumedWriteCapacityUnits", "dynamodb"),
    _m("dynamodb", "ThrottledRequests", "dynamodb", note="by TableName and Operation"),
    _m("dynamodb", "SuccessfulRequestLatency", "dynamodb", note="by TableName and Operation"),
    _m("dynamodb", "UserErrors", "dynamodb", note="the Region's aggregate, no table dimension"),
    _m("dynamodb", "SystemErrors", "dynamodb", note="by TableName and Operation"),
    *(Coverage("s3", name, "not deployed", note=_NO_BUCKET)
      for name in ("BucketSizeBytes", "NumberOfObjects", "AllRequests", "GetRequests",
                   "PutRequests", "DeleteRequests")),
)  # fmt: skip
