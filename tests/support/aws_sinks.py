"""What the collector's AWS exporters left in a moto server, read back through the AWS APIs
and decoded: X-Ray segment documents by trace (`xray_documents`), CloudWatch Logs events by
log group (`log_events`), and the EMF metric declarations in them (`emf_metrics`); and
`start_moto_process()`, a moto server of a test's own; and what our definitions reference
(`ours()`: every CloudWatch metric an alarm, SLO or dashboard reads in our EMF namespace) with
`missing_from()` comparing the two."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aurastream_obs.core.conventions import EMF_NAMESPACE
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions.spec import CwMetric
from support.processes import clean_env, free_port, wait_until

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
    """Segment documents X-Ray holds for each OTel trace id (absent: not exported). One per
    segment id, the last one sent: X-Ray takes a segment sent again under its id as an update of
    it (an in-progress segment is completed that way), while moto keeps every copy, so that an
    exporter's retry after a slow answer would read as extra spans."""
    xray = client(moto_url, "xray", region)
    ids = [xray_id(t) for t in trace_ids]
    found: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), 5):  # BatchGetTraces takes at most 5 ids
        for trace in xray.batch_get_traces(TraceIds=ids[start : start + 5])["Traces"]:
            otel_id = trace["Id"].replace("1-", "", 1).replace("-", "")
            by_id = {}
            for segment in trace["Segments"]:
                document = json.loads(segment["Document"])
                by_id[document.get("id", segment["Id"])] = document
            found[otel_id] = list(by_id.values())
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


def log_only_emf(messages: Iterable[str]) -> set[str]:
    """Property names of the documents awsemf wrote without `_aws` metadata: a metric that
    matched no `metric_declarations` entry is stored as a plain log event, never a metric."""
    found: set[str] = set()
    for message in messages:
        document = json.loads(message)
        if "_aws" not in document:
            found |= {k for k, v in document.items() if isinstance(v, int | float)}
    return found


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
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            for dims in directive["Dimensions"]:
                missing = [d for d in dims if d not in document]
                assert not missing, f"EMF document declares {missing} without values"
                for metric in directive["Metrics"]:
                    found.add(EmfMetric(directive["Namespace"], metric["Name"], frozenset(dims)))
    return found


@contextlib.contextmanager
def start_moto_process() -> Iterator[str]:
    """A moto server in its own process (moto's server, its X-Ray store made thread-safe:
    support/moto_serialized.py says why) on a free loopback port; yields its URL. Unlike the
    session's in-process server, nothing written here is seen by other tests (X-Ray traces,
    log groups), and nothing they write is seen here."""
    port = free_port()
    launcher = Path(__file__).with_name("moto_serialized.py")
    proc = subprocess.Popen(
        [sys.executable, str(launcher), "-H", "127.0.0.1", "-p", str(port)],
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"moto server exited with {proc.returncode}")
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as response:
            return bool(response.status == 200)

    try:
        wait_until(ready, timeout=30, what="the moto server")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# --- what the definitions reference ----------------------------------------------------


def referenced_metrics(obj: Any) -> Iterator[CwMetric]:
    """Every CwMetric in the definitions (alarms, SLO expressions, dashboard widgets)."""
    if isinstance(obj, CwMetric):
        yield obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for field in dataclasses.fields(obj):
            yield from referenced_metrics(getattr(obj, field.name))
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from referenced_metrics(item)


def ours() -> list[CwMetric]:
    """The CloudWatch metrics our definitions reference in the EMF namespace."""
    return [m for m in referenced_metrics(load_definitions()) if m.namespace == EMF_NAMESPACE]


def as_emitted(metric: CwMetric) -> EmfMetric:
    return EmfMetric(metric.namespace, metric.name, frozenset(k for k, _ in metric.dimensions))


def missing_from(
    documents: list[dict[str, Any]],
    emitted: set[EmfMetric],
    *,
    only: frozenset[str] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> list[str]:
    """Referenced metrics (with their literal dimension values) that no EMF document emits;
    `only`/`exclude` restrict them by metric name."""
    missing = []
    for metric in ours():
        if metric.name in exclude or (only is not None and metric.name not in only):
            continue
        literal = {k: v for k, v in metric.dimensions if not v.startswith("${")}
        carried = any(
            metric.name in doc
            and all(str(doc.get(k)).lower() == v.lower() for k, v in literal.items())
            for doc in documents
        )
        if as_emitted(metric) not in emitted or not carried:
            missing.append(f"{metric.name} {dict(metric.dimensions)}")
    return missing
