"""A moto server for the whole test session, the fake-credential environment that points boto3
at it, a boto3 client factory (`Clients`) and `lambda_function` (a function to inspect). The
fixtures are in tests/conftest.py."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

Clients = Callable[[str], Any]
FAKE_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def need(module: str) -> None:
    """Import `module`, or skip the test when it is not installed (never under CI=true)."""
    try:
        __import__(module)
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"{module} is not installed (pip install -e '.[dev]')")


@contextmanager
def moto_server() -> Iterator[str]:
    """A started ThreadedMotoServer on a free loopback port; yields its base URL."""
    need("moto.server")
    from moto.server import ThreadedMotoServer

    from support.moto_serialized import serialize_xray_store

    serialize_xray_store()  # see there: moto's X-Ray store races concurrent writes

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def fake_aws_env(monkeypatch: pytest.MonkeyPatch, endpoint_url: str, region: str) -> None:
    """Fake credentials, `region`, and AWS_ENDPOINT_URL so that the boto3 clients the tools
    build themselves follow to the moto server; no profile can redirect the calls."""
    for key in FAKE_CREDENTIALS:
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_url)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def client_factory(endpoint_url: str, region: str) -> Clients:
    """`clients("s3")` -> a boto3 client on the moto server in `region`."""
    import boto3

    return lambda service: boto3.client(service, endpoint_url=endpoint_url, region_name=region)


def lambda_function(clients: Clients, name: str, memory_mb: int = 128) -> None:
    """A Lambda function on the moto server (code that returns 1; never invoked)."""
    iam = clients("iam")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    clients("lambda").create_function(
        FunctionName=name, Runtime="python3.13", Role=role, Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()}, MemorySize=memory_mb,
    )  # fmt: skip
