"""The probes behind `aurastream-obs health`: HTTP endpoints (API, collector health_check,
Prometheus readiness) over urllib, and AWS resources over boto3 (imported lazily, one client
per service, short timeouts and no retries: a health check must answer within its budget)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, Final

from aurastream_obs.ops.health import STATUSES, HealthCheck, Probe, Status

ClientFactory = Callable[[str], Any]
COLLECTOR_HEALTH_URL: Final = "http://127.0.0.1:13133/"  # ADOT health_check extension default
COMPREHEND_TEXT: Final = "AuraStream health check: the service works well."


def _get(url: str, timeout_s: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return int(response.status), response.read(65536)
    except urllib.error.HTTPError as error:
        return int(error.code), error.read(65536)


def http_check(name: str, url: str, *, critical: bool, timeout_s: float = 3.0) -> HealthCheck:
    """200 is healthy; anything else (or no answer) unhealthy."""

    def probe() -> Probe:
        status, _ = _get(url, timeout_s)
        return Probe("healthy" if status == 200 else "unhealthy", {"url": url, "http": status})

    return HealthCheck(name, probe, critical)


def api_check(base_url: str, timeout_s: float = 3.0) -> HealthCheck:
    """The service's own `/v1/health`: its `health` field says degraded when a dependency is."""
    url = base_url.rstrip("/") + "/v1/health"

    def probe() -> Probe:
        status, body = _get(url, timeout_s)
        if status != 200:
            return Probe("unhealthy", {"url": url, "http": status})
        try:
            reported = json.loads(body).get("health", "healthy")
        except (ValueError, AttributeError):
            return Probe("unhealthy", {"url": url, "error": "not a JSON health document"})
        state: Status = "degraded"  # an unknown word from the service is not "healthy"
        if reported in STATUSES:
            state = reported
        return Probe(state, {"url": url, "http": status})

    return HealthCheck("api", probe, critical=True)


def prometheus_check(url: str, timeout_s: float = 3.0) -> HealthCheck:
    return http_check(
        "prometheus", url.rstrip("/") + "/-/ready", critical=False, timeout_s=timeout_s
    )


def collector_check(url: str = COLLECTOR_HEALTH_URL, timeout_s: float = 3.0) -> HealthCheck:
    return http_check("collector", url, critical=False, timeout_s=timeout_s)


def boto3_clients(timeout_s: float = 3.0) -> ClientFactory:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=timeout_s, read_timeout=timeout_s, retries={"max_attempts": 1})
    return lambda service: boto3.client(service, config=config)


def lambda_check(function: str, clients: ClientFactory) -> HealthCheck:
    def probe() -> Probe:
        config = clients("lambda").get_function(FunctionName=function)["Configuration"]
        state = config.get("State", "Active")
        update = config.get("LastUpdateStatus", "Successful")
        detail = {
            "function": function,
            "state": state,
            "last_update": update,
            "last_modified": config.get("LastModified"),
        }
        if state == "Active" and update in ("Successful", "InProgress"):
            return Probe("healthy", detail)
        return Probe("degraded" if state == "Pending" else "unhealthy", detail)

    return HealthCheck("lambda", probe, critical=True)


def dynamodb_check(table: str, clients: ClientFactory) -> HealthCheck:
    def probe() -> Probe:
        status = clients("dynamodb").describe_table(TableName=table)["Table"]["TableStatus"]
        state = {"ACTIVE": "healthy", "UPDATING": "degraded"}.get(status, "unhealthy")
        return Probe(state, {"table": table, "table_status": status})  # type: ignore[arg-type]

    return HealthCheck("dynamodb", probe, critical=False)


def s3_check(bucket: str, clients: ClientFactory) -> HealthCheck:
    def probe() -> Probe:
        clients("s3").head_bucket(Bucket=bucket)
        return Probe("healthy", {"bucket": bucket})

    return HealthCheck("s3", probe, critical=False)


def comprehend_check(clients: ClientFactory) -> HealthCheck:
    """A fixed DetectSentiment call: the text is ours, so a wrong answer is a fault too."""

    def probe() -> Probe:
        answer = clients("comprehend").detect_sentiment(Text=COMPREHEND_TEXT, LanguageCode="en")
        sentiment = answer.get("Sentiment")
        state = (
            "healthy" if sentiment in ("POSITIVE", "NEUTRAL", "NEGATIVE", "MIXED") else "unhealthy"
        )
        return Probe(state, {"sentiment": sentiment})  # type: ignore[arg-type]

    return HealthCheck("comprehend", probe, critical=True)
