"""The sidecar's AWS exporters for real: the reference service (otlp mode, its own process) ->
the committed sidecar config in our collector -> awsemf, awsxray and awscloudwatchlogs pointed
at a moto server (their `endpoint` settings; loopback addresses are all that changed).

What arrives is read back through the AWS APIs, decoded and checked against our definitions:
every CloudWatch metric an alarm or dashboard widget references in our namespace (name,
namespace, dimension set, and the literal dimension values) is one the collector really emits
as EMF; no emitted dimension set carries a customer id; emitted metrics that nothing references
are listed (printed and written to `emf-unreferenced.json`). X-Ray holds every request's trace
with the indexed attributes as annotations; each log category lands in its own group, with its
retention, as the raw JSON line, and the saved Logs Insights queries find their fields.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.artifacts.collector_configs.loopback import loopback_config, shape_config
from aurastream_obs.core.conventions import CUSTOMER_ID, EMF_NAMESPACE, XRAY_INDEXED
from aurastream_obs.core.log_categories import LOG_CATEGORIES, log_group_name
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions.spec import CwMetric
from support.aws_sinks import (
    EmfMetric,
    emf_metrics,
    log_events,
    log_group_retention,
    xray_documents,
)
from support.otelcol import loopback, start_collector
from support.processes import free_port, run_python
from support.service_client import analyze
from support.service_process import start_service

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
ENVIRONMENT = "e2e-aws"  # the collector's AURASTREAM_ENVIRONMENT: its own log groups in moto
KEY = "cw-key"
TEXTS = ("I love this phone", "I hate this, terrible", "The box is on the table",
         "I love the camera but hate the battery")  # fmt: skip
EMF_GROUP = log_group_name("emf", ENVIRONMENT)
OPS_EVENTS = """
import logging, aurastream_obs
from aurastream_obs.logs import events
telemetry = aurastream_obs.configure()
events.audit_event("runbook_executed", runbook="restart", actor="e2e")
logging.getLogger("aurastream.perf").info("slow path", extra={"category": "performance"})
telemetry.shutdown()
"""


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
    return [m for m in referenced_metrics(load_definitions()) if m.namespace == EMF_NAMESPACE]


def as_emitted(metric: CwMetric) -> EmfMetric:
    return EmfMetric(metric.namespace, metric.name, frozenset(k for k, _ in metric.dimensions))


def missing_from(documents: list[dict[str, Any]], emitted: set[EmfMetric]) -> list[str]:
    """Referenced metrics (with their literal dimension values) that no EMF document emits."""
    missing = []
    for metric in ours():
        literal = {k: v for k, v in metric.dimensions if not v.startswith("${")}
        carried = any(
            metric.name in doc
            and all(str(doc.get(k)).lower() == v.lower() for k, v in literal.items())
            for doc in documents
        )
        if as_emitted(metric) not in emitted or not carried:
            missing.append(f"{metric.name} {dict(metric.dimensions)}")
    return missing


def drive(url: str, round_no: int, trace_ids: list[str]) -> None:
    """One round: each sentiment (new texts: cache misses; repeats: hits) and a bad key."""
    for text in (*TEXTS, f"fresh text number {round_no}"):
        reply = analyze(url, text, key=KEY)
        assert reply.status == 200, reply
        root = reply.headers["x-amzn-trace-id"].split(";")[0].removeprefix("Root=1-")
        trace_ids.append(root.replace("-", ""))  # the OTel spelling
    assert analyze(url, "who am I", key="not-a-key").status == 401


def test_awsemf_xray_and_logs_match_the_cloudwatch_definitions(
    moto_url: str, tmp_path: Path
) -> None:
    dead = free_port()  # remote write is not under test here: nobody listens
    lb = loopback(aws_endpoint=moto_url, remote_write_url=f"http://127.0.0.1:{dead}/api/v1/write")
    config = loopback_config(shape_config("sidecar"), lb)
    service_env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{lb.otlp_http_port}",
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        "AURASTREAM_API_KEYS": f"{KEY}=acme",
    }
    trace_ids: list[str] = []
    with (
        start_collector(config, tmp_path, "sidecar", env={"AURASTREAM_ENVIRONMENT": ENVIRONMENT}),
        start_service(service_env, tmp_path) as service,
    ):
        # awsemf turns cumulative counters into deltas, so a series is emitted from its
        # second export on: send rounds until every referenced metric arrived (or time out).
        deadline = time.monotonic() + 90
        for round_no in range(1000):
            drive(service.url, round_no, trace_ids)
            documents = [json.loads(m) for m in log_events(moto_url, EMF_GROUP).get(EMF_GROUP, [])]
            if not missing_from(documents, emf_metrics(map(json.dumps, documents))):
                break
            assert time.monotonic() < deadline, missing_from(
                documents, emf_metrics(map(json.dumps, documents))
            )
        # The categories the service never writes: an operator's audit event, a performance line.
        ops = run_python(OPS_EVENTS, env={**service_env, "OTEL_SERVICE_NAME": "aurastream-api"})
        assert ops.returncode == 0, ops.stderr
    # The service and then the collector stopped with SIGTERM: both flushed.
    groups = log_events(moto_url, f"/aurastream/{ENVIRONMENT}/")
    documents = [json.loads(m) for m in groups[EMF_GROUP]]
    emitted = emf_metrics(groups[EMF_GROUP])

    # 1. Every referenced metric is emitted, in our namespace, with its dimension set.
    assert missing_from(documents, emitted) == []
    assert {doc["service.name"] for doc in documents} == {load_definitions().service}
    assert not [m for m in emitted if CUSTOMER_ID in m.dimensions]
    # 2. The reverse, reported: emitted metrics (name + dimension set) nothing references.
    referenced = {as_emitted(m) for m in ours()}
    unreferenced = sorted(f"{m.name} {sorted(m.dimensions)}" for m in emitted - referenced)
    (tmp_path / "emf-unreferenced.json").write_text(json.dumps(unreferenced, indent=2))
    print(
        "\nEMF metrics emitted but referenced by no alarm or dashboard:\n  "
        + "\n  ".join(unreferenced)
    )

    # X-Ray: every request's trace, the server segment annotated with the indexed keys.
    traces = xray_documents(moto_url, trace_ids)
    assert set(traces) == set(trace_ids)
    for segments in traces.values():
        (server,) = [s for s in segments if "parent_id" not in s]
        assert server["name"] == load_definitions().service and not server["fault"]
        indexed = set(XRAY_INDEXED) & set(server["annotations"])
        assert {"http.route", CUSTOMER_ID} <= indexed, server["annotations"]

    # CloudWatch Logs: one group per category with its retention, raw JSON lines.
    retention = log_group_retention(moto_url, f"/aurastream/{ENVIRONMENT}/")
    for category, spec in LOG_CATEGORIES.items():
        name = log_group_name(category, ENVIRONMENT)
        assert retention.get(name) == spec.retention_days, (name, retention)
        lines = [json.loads(m) for m in groups.get(name, [])]
        assert all(line.get("category", "application") == category for line in lines), name
    events = {c: [json.loads(m) for m in groups.get(log_group_name(c, ENVIRONMENT), [])]
              for c in LOG_CATEGORIES}  # fmt: skip
    assert any(e.get("event_type") == "failed_authentication" for e in events["security"])
    assert any(e.get("event_type") == "api_response" for e in events["application"])
    assert any(e.get("event_type", "").startswith("business_") and e.get("customer_id") == "acme"
               for e in events["business"])  # fmt: skip
    for query in load_definitions().saved_queries:
        fields = set(re.findall(r"\b([a-z_]+)\b\s*(?:=|>|like)", query.query))
        fields |= {f.strip() for f in re.findall(r"fields ([^\n|]+)", query.query)[0].split(",")}
        fields = {f for f in fields if not f.startswith("@")}
        pool = [e for c in query.categories for e in events[c]]
        assert all(any(f in e for e in pool) for f in fields), (query.name, fields)
