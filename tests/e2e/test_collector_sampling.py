"""The gateway tier, run for real: the committed gateway config (loopback addresses only) in
our collector, its X-Ray exporter writing to a moto server.

1. Tail sampling, with counts: error traces and slow traces are all kept, `/v1/analyze` traces
   at about 50 %, the rest at about 10 %; every kept trace is whole.
2. Scale-out: two gateway processes, each running the loadbalancing exporter (routing by trace
   id) in front of its tail-sampling pipeline. Root spans go to gateway A, child spans to
   gateway B; every trace is still decided by exactly one gateway (its sampler saw it whole),
   and it is either kept with all its spans or dropped with all of them. Each gateway exports
   to its own region (the `AWS_REGION` placeholder), so X-Ray says which one kept a trace.

Completion is read from the collectors' own metrics (every trace decided, every kept span
exported), never from elapsed time; the committed `decision_wait` (10 s) is kept.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.artifacts.collector_configs.loopback import loopback_config, shape_config
from support.aws_sinks import xray_documents
from support.otelcol import loopback, metric_sum, own_metrics, post_otlp_json, start_collector
from support.otlp_data import CLIENT, INTERNAL, SERVER, span, traces_line
from support.processes import free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
SPANS_PER_TRACE = 3
COUNTS = {"error": 60, "slow": 60, "analyze": 300, "other": 300}
DECIDED = "otelcol_processor_tail_sampling_global_count_traces_sampled"
NEW_TRACES = "otelcol_processor_tail_sampling_new_trace_id_received"
SENT_SPANS = "otelcol_exporter_sent_spans"


@dataclass(frozen=True)
class Trace:
    kind: str
    trace_id: str
    root: dict[str, Any]
    children: tuple[dict[str, Any], ...]


def _trace(kind: str, rng: random.Random, now_ns: int) -> Trace:
    # X-Ray compatible ids: the first 32 bits are the epoch seconds (awsxray checks them).
    trace_id = f"{now_ns // 10**9:08x}{rng.getrandbits(96):024x}"
    ids = [f"{rng.getrandbits(64):016x}" for _ in range(SPANS_PER_TRACE)]
    route = "/v1/analyze" if kind in ("error", "analyze") else "/v1/health"
    duration_ms = 1500 if kind == "slow" else 20
    end = now_ns + duration_ms * 10**6
    status = 500 if kind == "error" else 200
    attrs = {
        "http.route": route,
        "http.request.method": "POST",
        "http.response.status_code": status,
    }
    root = span(trace_id, ids[0], f"POST {route}", kind=SERVER, start=now_ns, end=end,
                attrs=attrs, error=kind == "error")  # fmt: skip
    children = (
        span(trace_id, ids[1], "cache lookup", parent=ids[0], kind=CLIENT,
             start=now_ns + 10**6, end=now_ns + 2 * 10**6),
        span(trace_id, ids[2], "analyze", parent=ids[0], kind=INTERNAL,
             start=now_ns + 3 * 10**6, end=end - 10**6, error=kind == "error"),
    )  # fmt: skip
    return Trace(kind, trace_id, root, children)


def make_traces(seed: int) -> list[Trace]:
    rng = random.Random(seed)
    now_ns = time.time_ns()
    traces = [_trace(kind, rng, now_ns) for kind, n in COUNTS.items() for _ in range(n)]
    rng.shuffle(traces)
    return traces


def send(traces: Sequence[Trace], roots_port: int, children_port: int) -> None:
    """Root spans in requests to one collector, child spans in requests to another."""
    for start in range(0, len(traces), 200):
        chunk = traces[start : start + 200]
        post_otlp_json(roots_port, "traces", traces_line(*(t.root for t in chunk)))
        children = [c for t in chunk for c in t.children]
        post_otlp_json(children_port, "traces", traces_line(*children))


def wait_until_exported(telemetry_ports: Sequence[int], total: int) -> list[dict[str, float]]:
    """Every trace decided and every kept span exported; per gateway: received, kept, spans."""

    def state() -> list[dict[str, float]]:
        rows = []
        for port in telemetry_ports:
            samples = own_metrics(port)
            rows.append({
                "received": metric_sum(samples, NEW_TRACES),
                "decided": metric_sum(samples, DECIDED),
                "kept": metric_sum(samples, DECIDED, sampled="true"),
                "exported_spans": metric_sum(samples, SENT_SPANS, exporter="awsxray"),
            })  # fmt: skip
        return rows

    def done() -> bool:
        rows = state()
        return sum(r["decided"] for r in rows) >= total and all(
            r["exported_spans"] >= SPANS_PER_TRACE * r["kept"] for r in rows
        )

    wait_until(done, timeout=90, what=f"{total} traces decided and the kept ones exported")
    return state()


def settled_documents(
    moto_url: str, trace_ids: Sequence[str], kept: float, region: str = "us-east-1"
) -> dict[str, list[dict[str, Any]]]:
    """X-Ray's documents once the `kept` traces are there whole, or the last look after 30 s
    (the collector counts a span sent before X-Ray on moto has stored every segment of the
    batch: read too early, a kept trace looks partial)."""
    documents: dict[str, list[dict[str, Any]]] = {}

    def whole() -> bool:
        nonlocal documents
        documents = xray_documents(moto_url, trace_ids, region)
        return len(documents) >= kept and all(
            len(docs) == SPANS_PER_TRACE for docs in documents.values()
        )

    with contextlib.suppress(AssertionError):  # the callers assert on what was found
        wait_until(whole, timeout=30, what="X-Ray holding every kept trace whole")
    return documents


def kept_by_kind(
    traces: Sequence[Trace], documents: dict[str, list[dict[str, Any]]]
) -> Counter[str]:
    return Counter(t.kind for t in traces if t.trace_id in documents)


def assert_sampling_rates(traces: Sequence[Trace], kept: Counter[str]) -> None:
    # Deterministic per trace id (hash with the committed salt); the bounds are > 5 sigma wide.
    assert kept["error"] == COUNTS["error"], kept
    assert kept["slow"] == COUNTS["slow"], kept
    assert 0.35 * COUNTS["analyze"] <= kept["analyze"] <= 0.65 * COUNTS["analyze"], kept
    assert 0.03 * COUNTS["other"] <= kept["other"] <= 0.20 * COUNTS["other"], kept


def test_tail_sampling_keeps_every_error_and_slow_trace_and_samples_the_rest(
    own_moto_url: str, tmp_path: Path
) -> None:
    telemetry = free_port()
    lb = loopback(aws_endpoint=own_moto_url, telemetry_port=telemetry)
    lb = loopback(aws_endpoint=own_moto_url, telemetry_port=telemetry, peer_port=lb.peer_port,
                  peers=(f"127.0.0.1:{lb.peer_port}",))  # fmt: skip
    traces = make_traces(seed=11)
    with start_collector(loopback_config(shape_config("gateway"), lb), tmp_path, "gateway"):
        send(traces, lb.otlp_http_port, lb.otlp_http_port)
        (row,) = wait_until_exported([telemetry], len(traces))
    documents = settled_documents(own_moto_url, [t.trace_id for t in traces], row["kept"])
    kept = kept_by_kind(traces, documents)
    print("\ntail sampling (sent -> kept): "
          + ", ".join(f"{k} {COUNTS[k]} -> {kept[k]}" for k in COUNTS))  # fmt: skip
    assert_sampling_rates(traces, kept)
    assert row["received"] == len(traces) and row["kept"] == sum(kept.values())
    partial = {t: len(docs) for t, docs in documents.items() if len(docs) != SPANS_PER_TRACE}
    assert not partial, f"traces without exactly {SPANS_PER_TRACE} spans: {partial}"


def test_two_gateways_behind_the_loadbalancing_exporter_decide_each_trace_whole(
    own_moto_url: str, tmp_path: Path
) -> None:
    regions = ("us-east-1", "eu-west-1")
    telemetry = (free_port(), free_port())
    peer_ports = (free_port(), free_port())
    peers = tuple(f"127.0.0.1:{p}" for p in peer_ports)
    lbs = [
        loopback(aws_endpoint=own_moto_url, telemetry_port=t, peer_port=p, peers=peers)
        for t, p in zip(telemetry, peer_ports, strict=True)
    ]
    traces = make_traces(seed=12)
    config = shape_config("gateway")
    with (
        start_collector(loopback_config(config, lbs[0]), tmp_path, "gateway-a",
                        env={"AWS_REGION": regions[0]}),
        start_collector(loopback_config(config, lbs[1]), tmp_path, "gateway-b",
                        env={"AWS_REGION": regions[1]}),
    ):  # fmt: skip
        send(traces, lbs[0].otlp_http_port, lbs[1].otlp_http_port)
        rows = wait_until_exported(telemetry, len(traces))
    ids = [t.trace_id for t in traces]
    by_gateway = [
        settled_documents(own_moto_url, ids, row["kept"], region)
        for row, region in zip(rows, regions, strict=True)
    ]
    print(f"\nload balancing: gateway A sampled {rows[0]['received']:.0f} traces "
          f"(kept {len(by_gateway[0])}), gateway B {rows[1]['received']:.0f} "
          f"(kept {len(by_gateway[1])})")  # fmt: skip
    # Each trace reached exactly one sampler: received counts add up to the traces sent
    # (a trace split across gateways would be counted by both), and both gateways got a share.
    assert rows[0]["received"] + rows[1]["received"] == len(traces)
    assert min(rows[0]["received"], rows[1]["received"]) > len(traces) * 0.3
    assert not set(by_gateway[0]) & set(by_gateway[1])
    # Whole decisions: a kept trace has every span, on one gateway; a dropped one has none.
    documents = {**by_gateway[0], **by_gateway[1]}
    partial = {t: len(docs) for t, docs in documents.items() if len(docs) != SPANS_PER_TRACE}
    assert not partial, f"traces without exactly {SPANS_PER_TRACE} spans: {partial}"
    assert sum(r["kept"] for r in rows) == len(documents)
    assert_sampling_rates(traces, kept_by_kind(traces, documents))
