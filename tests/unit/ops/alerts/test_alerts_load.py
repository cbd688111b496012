"""Latency stays flat as the memory of delivered alerts grows to 100,000 entries: over real
HTTP on loopback (500 Alertmanager webhooks of 200 distinct alerts each, Slack stand-in), and
for the ledger alone. Compared: the median of an early batch against a late batch (ratios
only, no absolute times: the machine is shared). The old store grew a dict scan per check
(7 µs at 1k entries, 3.4 ms at 40k): its late/early ratio was in the hundreds."""

from __future__ import annotations

import json
import statistics
import time
import urllib.request
from collections.abc import Callable

import pytest

from aurastream_obs.ops.alerts.ledger import Deadline, OnceLedger
from support.alert_router import RouterHarness, am_alert, am_payload, bearer

pytestmark = pytest.mark.timeout(300)
ALERTS_PER_WEBHOOK = 200
WEBHOOKS = 500  # 100,000 distinct alerts
BATCH = 50
MAX_RATIO = 3.0  # generous: a shared 2-core machine; a linear store is far beyond it


def webhook(n: int) -> bytes:
    alerts = [
        am_alert("firing", "warning", value="1 %", instance=f"i-{n}-{k}")
        for k in range(ALERTS_PER_WEBHOOK)
    ]
    return json.dumps(am_payload(alerts=alerts)).encode()


def test_http_latency_is_flat_up_to_100k_distinct_alerts(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness()
    url = harness.server.url + "/alertmanager"
    headers = {**bearer(), "Content-Type": "application/json"}
    bodies = [webhook(n) for n in range(WEBHOOKS)]  # built before timing
    latencies = []
    for body in bodies:
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            response.read()
        latencies.append(time.perf_counter() - started)
    assert len(harness.router.deliveries) == WEBHOOKS * ALERTS_PER_WEBHOOK
    assert len(harness.slack.requests) == WEBHOOKS  # one message per group
    early = statistics.median(latencies[5 : 5 + BATCH])  # after a short warm-up
    late = statistics.median(latencies[-BATCH:])
    ratio = late / early
    print(f"\nHTTP, {WEBHOOKS} webhooks x {ALERTS_PER_WEBHOOK} alerts: median early "
          f"{early * 1000:.2f} ms, late {late * 1000:.2f} ms, late/early {ratio:.2f}")  # fmt: skip
    assert ratio < MAX_RATIO, f"late/early latency ratio {ratio:.2f}"


def test_ledger_checks_are_flat_up_to_100k_entries() -> None:
    ledger = OnceLedger(300.0)
    deadline = Deadline(60.0)
    block = 1000
    timings = []
    for start in range(0, 100_000, block):
        began = time.perf_counter()
        for i in range(start, start + block):
            items = [(("slack", f"fp-{i}"), "firing")]
            claim = ledger.claim(items, deadline)
            assert claim is not None and claim.fresh
            ledger.settle(claim, delivered=True)
            repeat = ledger.claim(items, deadline)  # the duplicate check, at this size
            assert repeat is not None and not repeat.fresh
        timings.append((time.perf_counter() - began) / block)
    assert len(ledger) == 100_000 and ledger.evicted == 0
    early, late = statistics.median(timings[1:11]), statistics.median(timings[-10:])
    ratio = late / early
    print(f"\nledger: per claim+settle+check early {early * 1e6:.1f} µs, "
          f"late {late * 1e6:.1f} µs, late/early {ratio:.2f}")  # fmt: skip
    assert ratio < MAX_RATIO, f"late/early ratio {ratio:.2f}"
