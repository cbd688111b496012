"""Fixtures of the e2e tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.aws_sinks import start_moto_process


@pytest.fixture(scope="module")
def own_moto_url() -> Iterator[str]:
    """A moto server for one test module alone: what the collector exports there (X-Ray
    traces, log groups) is not mixed with other tests' data, in either direction."""
    with start_moto_process() as url:
        yield url
