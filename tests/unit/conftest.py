"""Unit-test fixtures on real SDK objects in memory (never the global providers): recorded
sample telemetry for the encoders and local files, live in-memory providers and a recording
event sink for the ASGI middleware and the service. The builders: support.sdk_telemetry and
support.log_capture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.log_capture import RecordingEvents
from support.sdk_telemetry import InMemoryTelemetry, SampleTelemetry, record_sample_telemetry


@pytest.fixture
def sample_telemetry() -> SampleTelemetry:
    return record_sample_telemetry()


@pytest.fixture
def telemetry() -> Iterator[InMemoryTelemetry]:
    telemetry = InMemoryTelemetry.start()
    yield telemetry
    telemetry.shutdown()


@pytest.fixture
def events() -> RecordingEvents:
    return RecordingEvents()
