"""The Lambda cold-start path imports nothing heavy (checked with `python -X importtime`)."""

from __future__ import annotations

import os
import subprocess
import sys

BANNED = (
    "boto3",
    "botocore",
    "requests",
    "urllib3",
    "grpc",
    "yaml",
    "google.protobuf",
    "opentelemetry.sdk",
    "opentelemetry.propagate",
    "opentelemetry.instrumentation",  # the botocore instrumentation waits for botocore
    "wrapt",
    "uvicorn",
    "starlette",
    "fastapi",
    "flask",
    "django",
    "aiohttp",
    # Loaded by nothing the mode needs (its meter provider goes into the metrics API when
    # something imports the API; records are not dataclasses; the C JSON encoder is `_json`).
    "opentelemetry.metrics",
    "dataclasses",
    "json",
    "math",
    "signal",
    "aurastream_obs.core.batching",
    # The X-Ray header is read by propagation.xray_header; the propagator classes (and the
    # contrib propagator and composite they build on) are for the other modes.
    "opentelemetry.propagators",
    "aurastream_obs.propagation.propagators",
)
CODE = (
    "import aurastream_obs; aurastream_obs.configure(mode='lambda');"
    "h = aurastream_obs.instrument_handler(lambda e, c: {'statusCode': 200});"
    "h({'version': '2.0', 'routeKey': 'GET /v1/health', 'requestContext': {'http': "
    "{'method': 'GET', 'path': '/v1/health'}}}, None)"
)


def test_configure_lambda_and_one_invocation_import_nothing_banned() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AURASTREAM_"))}
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": "fn",
            "AWS_REGION": "eu-west-1",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:9",  # discard port: sendto never blocks
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;"
            "Parent=53995c3f42cd8ad8;Sampled=1",
        }
    )
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", CODE],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    imported = {
        line.rpartition("|")[2].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "aurastream_obs.modes.awslambda.pipeline" in imported, "the lambda path did not run"
    found = sorted(
        name for name in imported if any(name == b or name.startswith(b + ".") for b in BANNED)
    )
    assert not found, f"banned on the Lambda cold-start path: {found}"
