"""X-Ray remote sampling over real HTTP: a stand-in for the collector's awsproxy / the X-Ray
daemon on loopback (POST /GetSamplingRules, POST /SamplingTargets) that records the statistics
it receives. Rules fetched and used, targets applied, statistics reported; the configured
pipeline (AURASTREAM_SAMPLING_ENDPOINT) sampling spans by the remote rules; a refused port, a
500, garbage and a black hole all falling back without raising or blocking a decision; a
forked child polling on its own; shutdown stopping the poller. Polls are driven by `tick()` on
fake clocks, or awaited on events with deadlines: nothing sleeps.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.sampling import Decision, SamplingResult
from opentelemetry.trace import SpanKind

from aurastream_obs.bootstrap import build_telemetry
from aurastream_obs.core.sampling_rules import SamplingRule
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.sdk.remote_sampling import RemoteParentBased, XRayRemoteSampler
from aurastream_obs.sdk.sampling import SAMPLING_RULE_ATTRIBUTE, XRayRulesSampler
from support.xray_sampling import XRaySamplingStandIn, api_rule

pytestmark = pytest.mark.integration

SERVICE = "aurastream-api"
LOW_BITS_MAX = 0x65A1B2C3_00000000_FFFFFFFF_FFFFFFFF  # never under a rate below 1


class Clocks:
    def __init__(self) -> None:
        self.now, self.wall = 1000.0, 1_700_000_000.0

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.wall += seconds


@pytest.fixture
def stand_in() -> Iterator[XRaySamplingStandIn]:
    rules = [
        api_rule("analyze", 1, 0, 1.0, URLPath="/v1/analyze", HTTPMethod="POST"),
        api_rule("Default", 10000, 1, 0.0),
    ]
    with XRaySamplingStandIn(rules) as started:
        yield started


def local_rules() -> XRayRulesSampler:
    return XRayRulesSampler([SamplingRule("local-rule", 1, 0, 1.0)], SERVICE)


def driven(endpoint: str, clocks: Clocks, **kw: Any) -> XRayRemoteSampler:
    """A sampler over real HTTP whose polls the test runs with `tick()`."""
    return XRayRemoteSampler(
        endpoint,
        local_rules(),
        SERVICE,
        clock=lambda: clocks.now,
        wall_clock=lambda: clocks.wall,
        jitter=lambda: 0.0,
        start=False,
        **kw,
    )


def decide(sampler: Any, path: str = "/v1/analyze") -> str | None:
    attrs = {"http.request.method": "POST", "url.path": path}
    result: SamplingResult = sampler.should_sample(None, LOW_BITS_MAX, "POST", attributes=attrs)
    if result.decision is not Decision.RECORD_AND_SAMPLE:
        return None
    return str(dict(result.attributes or {}).get(SAMPLING_RULE_ATTRIBUTE))


def test_rules_targets_and_statistics_over_http(stand_in: XRaySamplingStandIn) -> None:
    clocks = Clocks()
    sampler = driven(stand_in.url, clocks)
    sampler.tick()
    assert [decide(sampler) for _ in range(3)] == ["analyze"] * 3
    assert [decide(sampler, "/health") for _ in range(3)] == ["Default", None, None]  # borrowed
    ttl = clocks.wall + 60
    stand_in.targets["Default"] = {"FixedRate": 0.0, "ReservoirQuota": 2, "ReservoirQuotaTTL": ttl}
    clocks.advance(10)
    sampler.tick()
    received = {doc["RuleName"]: doc for doc in stand_in.statistics}
    counts = {
        n: (d["RequestCount"], d["SampledCount"], d["BorrowCount"]) for n, d in received.items()
    }
    assert counts == {"analyze": (3, 3, 0), "Default": (3, 1, 1)}
    assert {d["ClientID"] for d in received.values()} == {sampler.client_id}
    clocks.advance(1)
    assert [decide(sampler, "/health") for _ in range(3)] == ["Default", "Default", None]  # quota
    stand_in.rules[0] = api_rule("analyze", 1, 0, 0.0, URLPath="/v1/analyze", HTTPMethod="POST")
    clocks.advance(300)
    sampler.tick()
    assert decide(sampler) is None  # the updated rule


def test_the_configured_pipeline_samples_spans_by_the_remote_rules(
    stand_in: XRaySamplingStandIn, tmp_path: Path
) -> None:
    env = {
        "AURASTREAM_TELEMETRY_MODE": "local",
        "AURASTREAM_TELEMETRY_DIR": str(tmp_path),
        "AURASTREAM_PROMETHEUS_PORT": "0",
        "AURASTREAM_SAMPLING_ENDPOINT": stand_in.url,
        "OTEL_SERVICE_NAME": SERVICE,
    }
    stand_in.rules[1] = api_rule("Default", 10000, 0, 0.0)
    telemetry = build_telemetry(resolve_settings(env=env))
    assert telemetry.tracer_provider is not None
    sampler = telemetry.tracer_provider.sampler
    assert isinstance(sampler, RemoteParentBased)
    try:
        assert sampler.remote.wait_for_rules(10)
        tracer = telemetry.tracer_provider.get_tracer("test")
        attrs = {"http.request.method": "POST", "url.path": "/v1/analyze"}
        with (
            tracer.start_as_current_span(
                "POST /v1/analyze", kind=SpanKind.SERVER, attributes=attrs
            ) as root,
            tracer.start_as_current_span("child") as child,
        ):
            assert child.get_span_context().trace_flags.sampled  # parent-based
        health = tracer.start_span("GET /health", attributes={"url.path": "/health"})
        health.end()
        assert root.get_span_context().trace_flags.sampled
        assert not health.get_span_context().trace_flags.sampled
    finally:
        telemetry.shutdown(timeout_millis=2000)  # stops the poller (does not wait for it)
    deadline = time.monotonic() + 10
    while sampler.remote.alive and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not sampler.remote.alive


class BlackHole:
    """A peer that reads a request and never answers until `release()` drops its connections."""

    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self.received = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self._held.append(conn)
            conn.recv(65536)
            self.received.set()

    def release(self) -> None:
        self._server.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    yield hole
    hole.release()


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("failure", ["refused", "500", "garbage", "black hole"])
def test_failures_fall_back_to_the_local_rules(
    failure: str,
    stand_in: XRaySamplingStandIn,
    black_hole: BlackHole,
) -> None:
    endpoint = {"refused": _closed_port(), "black hole": black_hole.url}.get(failure, stand_in.url)
    stand_in.status = 500 if failure == "500" else 200
    stand_in.garbage = failure == "garbage"
    clocks = Clocks()
    sampler = driven(endpoint, clocks, timeout_s=0.5)
    assert sampler.tick() > 0  # returned: the timeout bounds a black hole
    assert not sampler.has_rules
    assert decide(sampler, "/health") == "local-rule"
    stand_in.status, stand_in.garbage = 200, False
    if failure in ("500", "garbage"):  # the same peer recovers: the next retry uses it
        clocks.advance(10)
        sampler.tick()
        assert decide(sampler) == "analyze"


def test_a_poller_stuck_in_a_black_hole_blocks_no_decision_nor_shutdown(
    black_hole: BlackHole,
) -> None:
    sampler = XRayRemoteSampler(black_hole.url, local_rules(), SERVICE, timeout_s=60)
    assert black_hole.received.wait(
        10
    )  # the poller sent GetSamplingRules and now waits for an answer
    assert decide(sampler, "/health") == "local-rule"
    sampler.shutdown()  # returns at once
    assert sampler.alive  # still in its call: a daemon, it cannot hold the process
    black_hole.release()
    sampler.shutdown(60)  # once the peer lets go, the thread sees the stop
    assert not sampler.alive


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_polls_with_its_own_client_id(stand_in: XRaySamplingStandIn) -> None:
    sampler = XRayRemoteSampler(stand_in.url, local_rules(), SERVICE)
    try:
        assert sampler.wait_for_rules(10)
        parent_id = sampler.client_id
        decide(sampler, "/health")  # the parent's borrowed trace this second
        pid = os.fork()
        if pid == 0:  # the child: new id, its own poller, borrowing afresh
            ok = (
                sampler.client_id != parent_id
                and len(sampler.client_id) == 24
                and sampler.alive
                and sampler.has_rules
                and decide(sampler, "/health") == "Default"
            )
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert sampler.client_id == parent_id and sampler.alive
        assert decide(sampler, "/health") is None  # the parent's second is used up
    finally:
        sampler.shutdown(10)
