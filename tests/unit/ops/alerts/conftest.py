"""Fixtures for the alert router: a signing certificate (session-wide: RSA keys are slow),
Slack and PagerDuty peers (real loopback servers), and `start_router`, which starts routers
between them (support.alert_router) and closes them after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from support.alert_peers import AlertPeer
from support.alert_router import RouterHarness, start_router
from support.sns import Signer


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture
def peers() -> Iterator[tuple[AlertPeer, AlertPeer]]:
    """(Slack, PagerDuty): Slack answers 200, PagerDuty 202, unless told otherwise."""
    with AlertPeer() as slack, AlertPeer(default=202) as pagerduty:
        yield slack, pagerduty


@pytest.fixture
def make_harness(
    signer: Signer, peers: tuple[AlertPeer, AlertPeer]
) -> Iterator[Callable[..., RouterHarness]]:
    """`make_harness(policy=..., pem=..., dedup_window_s=..., on_alert=...)` -> a started router
    between `peers`; SNS certificates are `signer.pem` unless `pem` is given."""
    started: list[RouterHarness] = []

    def make(*, pem: bytes | None = None, **options: Any) -> RouterHarness:
        harness = start_router(*peers, pem=pem or signer.pem, **options)
        started.append(harness)
        return harness

    yield make
    for harness in started:
        harness.close()
