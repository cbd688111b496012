"""Lambda mode and the OTel metrics API: configure() does not import the API, yet code that
imports it afterwards (user code, an instrumentation) gets the mode's provider, whose points
reach the EMF document of the invocation. Each case runs in its own interpreter: the API's
global provider can be set once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PRELUDE = """
import io, json, sys
{before}
import aurastream_obs
telemetry = aurastream_obs.configure(mode="lambda")
api_loaded_by_configure = "opentelemetry.metrics" in sys.modules
"""


def _run(code: str, before: str = "") -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AURASTREAM_"))}
    env |= {"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_REGION": "eu-west-1"}
    env["AWS_XRAY_DAEMON_ADDRESS"] = "127.0.0.1:9"  # discard port
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE.format(before=before) + code],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    result: dict[str, object] = json.loads(proc.stderr.strip().splitlines()[-1])
    result["stdout"] = proc.stdout
    return result


def test_api_imported_after_configure_gets_the_lambda_provider() -> None:
    result = _run("""
from opentelemetry import metrics
provider = metrics.get_meter_provider()
counter = metrics.get_meter("user.code").create_counter("orders.placed", unit="{order}")
counter.add(3, {"region": "eu"})
telemetry.force_flush(2000)
sys.stderr.write(json.dumps({
    "api_loaded_by_configure": api_loaded_by_configure,
    "provider": type(provider).__name__,
    "same": provider is telemetry.meter_provider,
    "isinstance": [isinstance(provider, metrics.MeterProvider),
                   isinstance(counter, metrics.Counter)],
}) + "\\n")
""")
    assert result["api_loaded_by_configure"] is False
    assert result["provider"] == "LambdaMeterProvider" and result["same"] is True
    assert result["isinstance"] == [True, True]  # registered as the API's virtual subclasses
    documents = [json.loads(line) for line in str(result["stdout"]).splitlines() if "_aws" in line]
    assert [doc["orders.placed"] for doc in documents if "orders.placed" in doc] == [3.0]


@pytest.mark.parametrize("api_first", [False, True])
def test_instruments_of_a_library_reach_the_emf_document(api_first: bool) -> None:
    """A library that made its instrument through the API before configure() (the API's proxy
    instrument, then bound to the provider installed at once) or after it (the provider
    installed when the API was imported) records into the invocation's EMF document."""
    make = (
        "from opentelemetry import metrics\n"
        'counter = metrics.get_meter("lib").create_counter("lib.calls")\n'
    )
    result = _run(
        ("" if api_first else make)
        + """
counter.add(1)
counter.add(2)
telemetry.force_flush(2000)
sys.stderr.write(json.dumps({"api_loaded_by_configure": api_loaded_by_configure}) + "\\n")
""",
        before=make if api_first else "",
    )
    assert result["api_loaded_by_configure"] is api_first
    documents = [json.loads(line) for line in str(result["stdout"]).splitlines() if "_aws" in line]
    assert [doc["lib.calls"] for doc in documents if "lib.calls" in doc] == [3.0]
