"""The sidecar's AWS exporters for real: the reference service (otlp mode, its own process) ->
the committed sidecar config in our collector -> awsemf, awsxray and awscloudwatchlogs pointed
at a moto server (their `endpoint` settings; loopback addresses are all that changed).

What arrives is read back through the AWS APIs, decoded and checked against our definitions:
every CloudWatch metric an alarm or dashboard widget references in our namespace (name,
namespace, dimension set, and the literal dimension values) is one the collector really emits
as EMF; no emitted dimension set carries a customer id; emitted metrics that nothing references
are listed (printed and written to `emf-unreferenced.json`). X-Ray holds every request's trace
with the indexed attributes as annotations; each log category lands in its own group, with its
retention, as the exporter's structured record (raw_log false); every Logs Insights query we
ship over those groups reads from these records the same values it reads from the service's
stdout JSON lines (the shape Lambda's groups hold), field by field (moto's Logs Insights cannot
run the queries: support/logs_insights.py evaluates their normalising commands).

The collector writes to a moto server of this module's own (`own_moto_url`).
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.artifacts.collector_configs.loopback import loopback_config, shape_config
from aurastream_obs.core.conventions import CUSTOMER_ID, LAMBDA_COLDSTARTS, XRAY_INDEXED
from aurastream_obs.core.log_categories import LOG_CATEGORIES, log_group_name
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions.log_fields import STRUCTURED_FIELDS
from support.aws_sinks import (
    as_emitted,
    emf_metrics,
    log_events,
    log_group_retention,
    log_only_emf,
    missing_from,
    ours,
    xray_documents,
)
from support.logs_insights import comparable, flatten, normalised, shipped_queries
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
# Recorded only on Lambda: checked against the Lambda shape (test_collector_lambda.py).
LAMBDA_ONLY = frozenset({LAMBDA_COLDSTARTS.name})
OPS_EVENTS = """
import logging, aurastream_obs
from aurastream_obs.logs import events
telemetry = aurastream_obs.configure()
events.audit_event("runbook_executed", runbook="restart", actor="e2e")
logging.getLogger("aurastream.perf").info("slow path", extra={"category": "performance"})
telemetry.shutdown()
"""


def drive(url: str, round_no: int, trace_ids: list[str]) -> None:
    """One round: each sentiment (new texts: cache misses; repeats: hits) and a bad key."""
    for text in (*TEXTS, f"fresh text number {round_no}"):
        reply = analyze(url, text, key=KEY)
        assert reply.status == 200, reply
        root = reply.headers["x-amzn-trace-id"].split(";")[0].removeprefix("Root=1-")
        trace_ids.append(root.replace("-", ""))  # the OTel spelling
    assert analyze(url, "who am I", key="not-a-key").status == 401


@dataclass(frozen=True)
class Delivered:
    """What the sidecar left in moto: EMF documents, log events by group, retention by group,
    and the request traces (OTel ids) with their segment documents; and the JSON lines the
    processes printed on stdout (the same events)."""

    emf: list[dict[str, Any]]
    groups: dict[str, list[str]]
    retention: dict[str, int | None]
    trace_ids: list[str]
    traces: dict[str, list[dict[str, Any]]]
    lines: list[dict[str, Any]]


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON log lines in a process's output (other output left out)."""
    out = []
    for raw in text.splitlines():
        if raw.startswith("{"):
            line = json.loads(raw)
            if "category" in line:
                out.append(line)
    return out


@pytest.fixture(scope="module")
def delivered(own_moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Delivered:
    moto_url, tmp_path = own_moto_url, tmp_path_factory.mktemp("collector-aws")
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
        for round_no in itertools.count():
            drive(service.url, round_no, trace_ids)
            emf = [json.loads(m) for m in log_events(moto_url, EMF_GROUP).get(EMF_GROUP, [])]
            missing = missing_from(emf, emf_metrics(map(json.dumps, emf)), exclude=LAMBDA_ONLY)
            if not missing or time.monotonic() > deadline:
                break
        # The categories the service never writes: an operator's audit event, a performance line.
        ops = run_python(OPS_EVENTS, env={**service_env, "OTEL_SERVICE_NAME": "aurastream-api"})
        assert ops.returncode == 0, ops.stderr
    # The service and then the collector stopped with SIGTERM: both flushed.
    groups = log_events(moto_url, f"/aurastream/{ENVIRONMENT}/")
    return Delivered(
        emf=[json.loads(m) for m in groups.get(EMF_GROUP, [])],
        groups=groups,
        retention=log_group_retention(moto_url, f"/aurastream/{ENVIRONMENT}/"),
        trace_ids=trace_ids,
        traces=xray_documents(moto_url, trace_ids),
        lines=json_lines(service.log.read_text()) + json_lines(ops.stdout),
    )


def test_every_metric_an_alarm_or_dashboard_references_is_emitted(
    delivered: Delivered, tmp_path: Path
) -> None:
    emitted = emf_metrics(map(json.dumps, delivered.emf))
    assert missing_from(delivered.emf, emitted, exclude=LAMBDA_ONLY) == []
    assert {doc["service.name"] for doc in delivered.emf} == {load_definitions().service}
    assert not [m for m in emitted if CUSTOMER_ID in m.dimensions]  # cost: never per customer
    # The reverse, reported: emitted metrics (name + dimension set) that nothing references.
    referenced = {as_emitted(m) for m in ours()}
    unreferenced = sorted(f"{m.name} {sorted(m.dimensions)}" for m in emitted - referenced)
    (tmp_path / "emf-unreferenced.json").write_text(json.dumps(unreferenced, indent=2))
    log_only = sorted(log_only_emf(map(json.dumps, delivered.emf)))
    print("\nEMF metrics emitted but referenced by no alarm or dashboard:\n  "
          + "\n  ".join(unreferenced)
          + "\nmetrics in no metric_declarations entry (stored as log events only): "
          + (", ".join(log_only) or "none"))  # fmt: skip


def test_the_security_counter_is_a_metric_with_lambdas_dimensions(delivered: Delivered) -> None:
    """The round's bad API key is a failed authentication: the service counts it, the collector
    emits it as a metric (not a plain log event: awsemf's fate for undeclared metrics) with
    the dimension set Lambda's collectorless encoder declares for the same attributes."""
    from aurastream_obs.core.conventions import SECURITY_EVENT, SECURITY_EVENTS
    from aurastream_obs.modes.awslambda.emf import dimension_sets

    name = SECURITY_EVENTS.name
    assert name not in log_only_emf(map(json.dumps, delivered.emf))
    documents = [d for d in delivered.emf if name in d and "_aws" in d]
    assert documents and all(d[SECURITY_EVENT] == "failed_authentication" for d in documents)
    for document in documents:
        (directive,) = [c for c in document["_aws"]["CloudWatchMetrics"]
                        if name in {m["Name"] for m in c["Metrics"]}]  # fmt: skip
        labels = frozenset(k for k in document if k != "_aws")
        lambdas = dimension_sets(name, labels)  # awsemf sorts a set's names, Lambda does not
        assert {frozenset(d) for d in directive["Dimensions"]} == {frozenset(d) for d in lambdas}


def test_xray_holds_every_request_with_the_indexed_annotations(delivered: Delivered) -> None:
    assert set(delivered.traces) == set(delivered.trace_ids)
    for segments in delivered.traces.values():
        (server,) = [s for s in segments if "parent_id" not in s]
        assert server["name"] == load_definitions().service and not server["fault"]
        indexed = set(XRAY_INDEXED) & set(server["annotations"])
        assert {"http.route", CUSTOMER_ID} <= indexed, server["annotations"]


def test_each_log_category_lands_in_its_own_group_with_its_retention(
    delivered: Delivered,
) -> None:
    for category, spec in LOG_CATEGORIES.items():
        name = log_group_name(category, ENVIRONMENT)
        assert delivered.retention.get(name) == spec.retention_days, (name, delivered.retention)
        assert delivered.groups.get(name), f"no event in {name}"
    security = " ".join(delivered.groups[log_group_name("security", ENVIRONMENT)])
    assert "failed_authentication" in security
    business = " ".join(delivered.groups[log_group_name("business", ENVIRONMENT)])
    assert "business_analysis" in business


def test_log_events_are_the_exporters_records_and_the_queries_read_them_as_the_lines(
    delivered: Delivered,
) -> None:
    # Delivery is at least once: an export retried after a timeout (the backend slow to answer,
    # as a loaded CI machine makes moto) arrives twice, byte for byte the same record (times to
    # the nanosecond, ids). Such copies are counted and set aside; anything else must match.
    records: dict[str, list[dict[str, Any]]] = {}
    copies: dict[str, int] = {}
    for c in LOG_CATEGORIES:
        texts = delivered.groups.get(log_group_name(c, ENVIRONMENT), [])
        unique = list(dict.fromkeys(json.dumps(json.loads(m), sort_keys=True) for m in texts))
        records[c], copies[c] = [json.loads(u) for u in unique], len(texts) - len(unique)
    print(f"\nrecords delivered twice (retried exports), per category: {copies}")
    lines = {c: [line for line in delivered.lines if line["category"] == c] for c in LOG_CATEGORIES}
    for category, events in records.items():
        assert events and all({"body", "severity_text", "attributes", "resource"} <= set(e)
                              for e in events), category  # fmt: skip
        # The same events: what the sidecar wrote is what the processes printed.
        assert len(events) == len(lines[category]), category
    sizes = [len(m.encode()) for c in LOG_CATEGORIES
             for m in delivered.groups[log_group_name(c, ENVIRONMENT)]]  # fmt: skip
    line_sizes = [len(json.dumps(x, separators=(",", ":")).encode()) for x in delivered.lines]
    print(
        f"\nlog events: {len(sizes)}; bytes on average: collector record "
        f"{sum(sizes) / len(sizes):.0f}, stdout line {sum(line_sizes) / len(line_sizes):.0f}"
    )
    # The facts the old JSON-line test stated, in the collector's record.
    attr = STRUCTURED_FIELDS
    flat = {c: [flatten(e) for e in events] for c, events in records.items()}
    assert any(e.get(attr["event_type"]) == "failed_authentication" for e in flat["security"])
    assert any(e.get(attr["event_type"]) == "api_response" for e in flat["application"])
    assert any(str(e.get(attr["event_type"])).startswith("business_")
               and e.get(attr["customer_id"]) == "acme" for e in flat["business"])  # fmt: skip
    line_flat = {c: [flatten(line) for line in ls] for c, ls in lines.items()}
    for name, text, categories in shipped_queries():
        defined = set(normalised(text, {}))
        from_records = [normalised(text, e) for c in categories for e in flat[c]]
        from_lines = [normalised(text, e) for c in categories for e in line_flat[c]]
        # Every field the query reads is in the collector's records (some value)...
        assert {k for e in from_records for k, v in e.items() if v is not None} == defined, name
        # ... with the values the stdout lines give it, event for event.
        assert Counter(map(comparable, from_records)) == Counter(map(comparable, from_lines)), name
