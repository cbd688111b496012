"""Shared fixtures for integration tests (real servers on loopback)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.otlp_receiver import OtlpReceiver


@pytest.fixture
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """A started OTLP/HTTP receiver; set `.status`, `.delay_s`, `.close_connections` to fail."""
    receiver = OtlpReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
