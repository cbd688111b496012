"""What the collector's AWS exporters left in a moto server, read back through the AWS APIs
and decoded: X-Ray segment documents by trace (`xray_documents`), CloudWatch Logs events by
log group (`log_events`), and the EMF metric declarations in them (`emf_metrics`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

FAKE_KEYS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "dummy"}


def client(moto_url: str, service: str, region: str = "us-east-1") -> Any:
    import boto3

    return boto3.client(service, endpoint_url=moto_url, region_name=region, **FAKE_KEYS)


def xray_id(otel_trace_id: str) -> str:
    """`6b16...e26b` (32 hex) -> `1-6b161245-acd0...e26b`, the X-Ray spelling."""
    return f"1-{otel_trace_id[:8]}-{otel_trace_id[8:]}"


def xray_documents(
    moto_url: str, trace_ids: Iterable[str], region: str = "us-east-1"
) -> dict[str, list[dict[str, Any]]]:
    """Segment documents X-Ray holds for each OTel trace id (absent: not exported)."""
    xray = client(moto_url, "xray", region)
    ids = [xray_id(t) for t in trace_ids]
    found: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), 5):  # BatchGetTraces takes at most 5 ids
        for trace in xray.batch_get_traces(TraceIds=ids[start : start + 5])["Traces"]:
            otel_id = trace["Id"].replace("1-", "", 1).replace("-", "")
            found[otel_id] = [json.loads(s["Document"]) for s in trace["Segments"]]
    return found


def log_events(moto_url: str, prefix: str = "/") -> dict[str, list[str]]:
    """Every event message by log group (groups named with `prefix`)."""
    logs = client(moto_url, "logs")
    events: dict[str, list[str]] = {}
    for group in logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]:
        name = group["logGroupName"]
        events[name] = []
        for stream in logs.describe_log_streams(logGroupName=name)["logStreams"]:
            got = logs.get_log_events(
                logGroupName=name, logStreamName=stream["logStreamName"], startFromHead=True
            )
            events[name] += [e["message"] for e in got["events"]]
    return events


def log_group_retention(moto_url: str, prefix: str = "/") -> dict[str, int | None]:
    logs = client(moto_url, "logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    return {g["logGroupName"]: g.get("retentionInDays") for g in groups}


@dataclass(frozen=True)
class EmfMetric:
    """One metric as an EMF document declares it: namespace, name, one dimension set."""

    namespace: str
    name: str
    dimensions: frozenset[str]


def emf_metrics(messages: Iterable[str]) -> set[EmfMetric]:
    """Every (namespace, metric, dimension set) declared by the EMF documents in `messages`;
    each document must carry a value for every dimension it declares."""
    found: set[EmfMetric] = set()
    for message in messages:
        document = json.loads(message)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dims in directive["Dimensions"]:
                missing = [d for d in dims if d not in document]
                assert not missing, f"EMF document declares {missing} without values"
                for metric in directive["Metrics"]:
                    found.add(EmfMetric(directive["Namespace"], metric["Name"], frozenset(dims)))
    return found
