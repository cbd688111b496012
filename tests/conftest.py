"""Session-wide fixtures: one moto server, and per test a fake-credential environment with a
boto3 client factory pointed at it (override `aws_region` in a conftest to change region)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.moto import Clients, client_factory, fake_aws_env, moto_server


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def aws_region() -> str:
    return "us-east-1"


@pytest.fixture
def clients(moto_url: str, aws_region: str, monkeypatch: pytest.MonkeyPatch) -> Clients:
    """boto3 clients on the moto server, with fake credentials in the environment."""
    fake_aws_env(monkeypatch, moto_url, aws_region)
    return client_factory(moto_url, aws_region)
