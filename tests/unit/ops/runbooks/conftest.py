"""Fixtures for the runbooks: the shared moto server (`clients`, `moto_url`: tests/conftest.py)
in REGION, with fresh resources per test (support.runbooks.create_resources)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from support.runbooks import REGION, create_resources


@pytest.fixture
def aws_region() -> str:
    return REGION


@pytest.fixture
def aws(clients: Callable[[str], Any]) -> dict[str, Any]:
    """A Lambda function and a WAF IP set, uniquely named per test."""
    return create_resources(clients)
