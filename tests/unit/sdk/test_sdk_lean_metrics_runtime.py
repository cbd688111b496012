"""The lean metric path under the conditions a service meets: several readers collecting at
their own times, a reader added later, up-down counters, threads and the event loop recording
at once (no increment lost, collections running meanwhile), a fork (with a lock held by
another thread), and the Prometheus endpoint (the same exposition text on both paths)."""

from __future__ import annotations

import asyncio
import json
import os
import select
import sys
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from aurastream_obs.core import conventions as c
from aurastream_obs.core.settings import Settings
from aurastream_obs.modes.local.prometheus import start_prometheus_endpoint
from aurastream_obs.sdk.lean_instruments import LeanInstrument
from aurastream_obs.sdk.lean_meter import LeanMeterProvider
from aurastream_obs.sdk.metrics import build_meter_provider, view_for
from support.metric_paths import MetricPaths, normalized

SAMPLED = TracerProvider().get_tracer("t")
HIT = {c.CACHE_HIT: True}


def _period(meter: Meter, n: int) -> None:
    meter.create_counter(c.CACHE_LOOKUPS.name).add(n, HIT)
    histogram = meter.create_histogram(c.SENTIMENT_DURATION.name, unit="s")
    histogram.record(n / 100, {c.SENTIMENT: "POSITIVE", "extra": n})
    histogram.record(n, {c.SENTIMENT: "NEGATIVE"})


def _histograms(meter: Meter, n: int) -> None:
    histogram = meter.create_histogram(c.SENTIMENT_DURATION.name, unit="s")
    histogram.record(n / 100, {c.SENTIMENT: "POSITIVE", "extra": n})


def test_readers_collecting_at_their_own_times_get_what_the_sdk_gives_them() -> None:
    paths = MetricPaths.build(readers=2)
    try:
        with SAMPLED.start_as_current_span("one"):
            paths.record(lambda m: _period(m, 1))
        paths.assert_same(0)
        # Bucket exemplars only from here on: a sum keeps one of several sampled
        # measurements at random, and each SDK reader draws its own.
        with SAMPLED.start_as_current_span("two"):
            paths.record(lambda m: _histograms(m, 2))
        paths.record(lambda m: _period(m, 2))
        paths.assert_same(0)
        paths.record(lambda m: _period(m, 3))
        second = paths.assert_same(1)  # everything so far, the exemplars of both spans
        assert second != paths.assert_same(0)
        paths.assert_same(1)
    finally:
        paths.shutdown()


def test_a_sums_exemplar_stays_a_uniform_sample_across_readers() -> None:
    """Reader 1 collects once per two periods of reader 0: the exemplar it gets is either
    measurement, each about half of the time (the lean streams merge two samples)."""
    reader_0, reader_1 = InMemoryMetricReader(), InMemoryMetricReader()
    provider = build_meter_provider(Resource.create({}), [reader_0, reader_1], settings=Settings())
    counter = provider.get_meter("t").create_counter(c.CACHE_LOOKUPS.name)
    firsts, rounds = 0, 1000
    with SAMPLED.start_as_current_span("s"):
        for _ in range(rounds):
            counter.add(1, HIT)
            reader_0.get_metrics_data()
            counter.add(2, HIT)
            reader_0.get_metrics_data()
            data = reader_1.get_metrics_data()
            assert data is not None
            (point,) = data.resource_metrics[0].scope_metrics[0].metrics[0].data.data_points
            (exemplar,) = point.exemplars
            firsts += exemplar.value == 1
    provider.shutdown()
    assert 0.4 < firsts / rounds < 0.6


def test_a_reader_added_later_starts_from_then() -> None:
    paths = MetricPaths.build()
    try:
        paths.record(lambda m: _period(m, 1))
        late = {path: InMemoryMetricReader() for path in paths.providers}
        for path, provider in paths.providers.items():
            provider.add_metric_reader(late[path])
            paths.readers[path].append(late[path])
        paths.record(lambda m: _period(m, 5))
        assert paths.assert_same(1) != paths.assert_same(0)
        for path, provider in paths.providers.items():
            provider.remove_metric_reader(late[path])
        paths.record(lambda m: _period(m, 7))
        paths.assert_same(0)
    finally:
        paths.shutdown()


def test_up_down_counters_when_declared() -> None:
    spec = c.InstrumentSpec("aurastream.inflight", "up_down_counter", "{request}", "In flight.",
                            (c.HTTP_ROUTE,))  # fmt: skip
    readers = {"lean": InMemoryMetricReader(), "stock": InMemoryMetricReader()}
    options: dict[str, Any] = {"views": [view_for(spec, 2000)], "shutdown_on_exit": False}
    options["resource"] = Resource.create({"service.name": "udc"})
    lean = LeanMeterProvider([readers["lean"]], declared=[spec], **options)
    stock = MeterProvider([readers["stock"]], **options)
    for provider in (lean, stock):
        counter = provider.get_meter("t").create_up_down_counter(spec.name, "{request}")
        for amount in (1, 1, -1, 0.5, float("nan"), -3):
            counter.add(amount, {c.HTTP_ROUTE: "/a", "dropped": 1})
    assert type(lean.get_meter("t").create_up_down_counter(spec.name, "{request}")).__name__ == (
        "LeanUpDownCounter"
    )
    got = {path: normalized(r.get_metrics_data()) for path, r in readers.items()}
    assert got["lean"] == got["stock"] and "-1.5" in str(got["lean"])


@pytest.fixture
def lean_meter() -> Iterator[tuple[Meter, InMemoryMetricReader]]:
    reader = InMemoryMetricReader()
    provider = build_meter_provider(Resource.create({}), [reader], settings=Settings())
    yield provider.get_meter("t"), reader
    provider.shutdown()


def _totals(reader: InMemoryMetricReader) -> dict[str, Any]:
    data = reader.get_metrics_data()
    assert data is not None
    out: dict[str, Any] = {}
    for metric in data.resource_metrics[0].scope_metrics[0].metrics:
        for point in metric.data.data_points:
            key = f"{metric.name}{sorted(dict(point.attributes or {}).items())}"
            out[key] = getattr(point, "value", None) or (point.count, point.sum)
    return out


def test_threads_lose_no_increment_while_collections_run(
    lean_meter: tuple[Meter, InMemoryMetricReader],
) -> None:
    meter, reader = lean_meter
    counter = meter.create_counter(c.CACHE_LOOKUPS.name)
    histogram = meter.create_histogram(c.SENTIMENT_CONFIDENCE.name, unit="1")
    threads_n, per_thread = 8, 4000
    stop = threading.Event()

    def work(i: int) -> None:
        hit = {c.CACHE_HIT: i % 2 == 0}
        for _ in range(per_thread):
            counter.add(1, hit)
            histogram.record(0.5, {c.SENTIMENT: "POSITIVE"})

    def collect() -> None:
        while not stop.is_set():
            reader.get_metrics_data()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        collector = threading.Thread(target=collect)
        collector.start()
        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        stop.set()
        collector.join()
    finally:
        sys.setswitchinterval(interval)
    totals = _totals(reader)
    half = threads_n * per_thread // 2
    assert totals[f"{c.CACHE_LOOKUPS.name}[('{c.CACHE_HIT}', True)]"] == half
    assert totals[f"{c.CACHE_LOOKUPS.name}[('{c.CACHE_HIT}', False)]"] == half
    count, total = totals[f"{c.SENTIMENT_CONFIDENCE.name}[('{c.SENTIMENT}', 'POSITIVE')]"]
    assert count == threads_n * per_thread and total == 0.5 * threads_n * per_thread


def test_the_event_loop_and_worker_threads_record_together(
    lean_meter: tuple[Meter, InMemoryMetricReader],
) -> None:
    meter, reader = lean_meter
    counter = meter.create_counter(c.SENTIMENT_ANALYSES.name)

    def blocking() -> None:
        for _ in range(500):
            counter.add(1, {c.SENTIMENT: "NEUTRAL"})

    async def request() -> None:
        with SAMPLED.start_as_current_span("request"):
            counter.add(1, {c.SENTIMENT: "NEUTRAL"})
            await asyncio.to_thread(blocking)  # the context (and span) goes along
            counter.add(1, {c.SENTIMENT: "NEUTRAL"})

    async def main() -> None:
        await asyncio.gather(*(request() for _ in range(20)))

    asyncio.run(main())
    assert _totals(reader) == {f"{c.SENTIMENT_ANALYSES.name}[('{c.SENTIMENT}', 'NEUTRAL')]": 10040}


def _child(meter: Meter, reader: InMemoryMetricReader, write_fd: int) -> None:
    try:
        counter = meter.create_counter(c.CACHE_LOOKUPS.name)
        counter.add(5, HIT)
        os.write(write_fd, json.dumps(_totals(reader)).encode())
    finally:
        os._exit(0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_forked_child_records_even_when_a_lock_was_held_at_fork(
    lean_meter: tuple[Meter, InMemoryMetricReader],
) -> None:
    meter, reader = lean_meter
    counter = meter.create_counter(c.CACHE_LOOKUPS.name)
    counter.add(2, HIT)
    assert isinstance(counter, LeanInstrument)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with counter.lock:  # e.g. a worker thread recording at the moment of the fork
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(meter, reader, write_fd)
    release.set()
    holder.join()
    os.close(write_fd)
    ready, _, _ = select.select([read_fd], [], [], 20)
    output = os.read(read_fd, 65536) if ready else b""
    os.close(read_fd)
    if not ready:
        os.kill(pid, 9)
    os.waitpid(pid, 0)
    key = f"{c.CACHE_LOOKUPS.name}[('{c.CACHE_HIT}', True)]"
    assert json.loads(output or b"{}") == {key: 7}  # the parent's 2, then the child's 5
    counter.add(1, HIT)
    assert _totals(reader) == {key: 3}  # the parent never sees the child's


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def test_the_prometheus_endpoint_serves_the_same_text() -> None:
    texts = {}
    for path in ("lean", "stock"):
        reader, endpoint = start_prometheus_endpoint("127.0.0.1", 0)
        settings = Settings(sdk_path=path)  # type: ignore[arg-type]
        provider = build_meter_provider(
            Resource.create({"service.name": "prom"}), [reader], settings=settings
        )
        try:
            meter = provider.get_meter("aurastream_obs", "1.0")
            for n in (1, 2, 3):
                _period(meter, n)
            meter.create_counter(c.REVENUE.name, unit="USD").add(0.5, {c.CUSTOMER_ID: "a"})
            meter.create_counter("library.calls").add(4, {"x": "y"})  # the SDK's own
            _scrape(endpoint.url)
            meter.create_counter(c.CACHE_LOOKUPS.name).add(1, {c.CACHE_HIT: False})
            texts[path] = _scrape(endpoint.url)
        finally:
            endpoint.close()
            provider.shutdown()
    assert "aurastream_cache_lookups_total" in texts["lean"]
    assert 'aurastream_sentiment_duration_seconds_bucket{le="0.01"' in texts["lean"]
    assert texts["lean"] == texts["stock"]


def test_the_overflow_keeps_memory_bounded(
    lean_meter: tuple[Meter, InMemoryMetricReader],
) -> None:
    """Past the limit, new attribute sets share the overflow series and the attribute cache
    stops growing (those sets take the slow path)."""
    meter, reader = lean_meter
    counter = meter.create_counter(c.CUSTOMER_ACTIVITY.name)
    for i in range(5000):  # beyond the limit: 500 series and the overflow one
        counter.add(1, {c.CUSTOMER_ID: f"c{i}", c.ACTIVITY_TYPE: "x"})
    counter.add(1, {c.CUSTOMER_ID: "c4999", c.ACTIVITY_TYPE: "x"})  # still the overflow
    totals = _totals(reader)
    assert len(totals) == 501
    assert totals[f"{c.CUSTOMER_ACTIVITY.name}[('otel.metric.overflow', True)]"] == 4501
    assert isinstance(counter, LeanInstrument)
    assert len(counter.cells) == 501 and len(counter._fast) <= 4 * 500 + 64
