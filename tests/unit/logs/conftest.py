"""Fixtures for the logging tests: a fresh handler on a private logger, a local tracer."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Tracer

from support.log_capture import Captured, attach


@pytest.fixture
def captured() -> Iterator[Captured]:
    logger = logging.getLogger(f"test.logs.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    cap = attach(logger)
    yield cap
    logger.removeHandler(cap.handler)


@pytest.fixture
def events_log() -> Iterator[Captured]:
    """The events module's logger, captured for one test and restored after."""
    logger = logging.getLogger("aurastream.events")
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    cap = attach(logger)
    yield cap
    logger.removeHandler(cap.handler)
    logger.setLevel(saved[0])
    logger.propagate = saved[1]


@pytest.fixture
def tracer() -> Tracer:
    # A local provider: the global one is never set by these tests.
    return TracerProvider().get_tracer("aurastream-obs-tests")
