"""The ADOT layer's shape under the real runtime: the reference service in `otlp` mode, our
collector (the committed `lambda` config, every exporter on loopback) run as an external
extension by the wrapper of scripts/lambda-extension, in AWS's emulator with a private /opt
(support/lambda_rie.py, support/lambda_layer.py). awsxray and awsemf write to a moto server
of this module's own (`own_moto_url`: its X-Ray traces are not mixed with other tests' data),
prometheusremotewrite to a stand-in. The function runs with the telemetry settings deploy/sam
gives it (`as_deployed`).

- the extension registers and its collector accepts OTLP before the first invocation: the
  function's first export finds it (no export fails, nothing is dropped);
- each invocation's spans are in X-Ray when its response returns (the `lambda` config has no
  processor, so the receiver answers once awsxray has written);
- on SHUTDOWN (the emulator's SIGTERM) the wrapper stops the collector gracefully within the
  deadline, and by the time the emulator has exited every trace is whole in X-Ray, the EMF
  documents are in CloudWatch Logs and the remote-write stand-in has the metrics (its
  exporter queues: this is what SHUTDOWN must not lose).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.artifacts.collector_configs.loopback import loopback_config, shape_config
from aurastream_obs.artifacts.deploy_templates import sam
from aurastream_obs.core.conventions import EMF_NAMESPACE
from aurastream_obs.core.log_categories import log_group_name
from support.aws_sinks import emf_metrics, log_events, xray_documents
from support.lambda_layer import WRAPPER_LOG, RemoteWriteSink, collector_layer
from support.lambda_output import http_api_event
from support.lambda_rie import RieFunction, RieInvocation
from support.otelcol import loopback

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
ENTRY = "aurastream_obs.service.lambda_entry.handler"
ENVIRONMENT = "e2e-rie-extension"  # the collector's AURASTREAM_ENVIRONMENT: its own EMF group
EMF_GROUP = log_group_name("emf", ENVIRONMENT)
REGION = "us-east-1"  # where the collector writes and the sinks read (the test value)
STOPPED = re.compile(rf"^{WRAPPER_LOG} collector stopped in (\d+) ms")


def start(tmp_path: Path, moto_url: str, sink: RemoteWriteSink, **env: str) -> RieFunction:
    lb = loopback(aws_endpoint=moto_url, remote_write_url=sink.url)
    config = loopback_config(shape_config("lambda"), lb)
    opt, layer_env = collector_layer(tmp_path, config, lb.otlp_http_port)
    function_env = {
        **layer_env,
        # As deploy/sam's AdotFunction, on the collector's loopback port (not a fixed 4318:
        # other tests run on this host).
        "AURASTREAM_TELEMETRY_MODE": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://localhost:{lb.otlp_http_port}",
        "OTEL_SERVICE_NAME": "aurastream-api",
        "AURASTREAM_ENVIRONMENT": ENVIRONMENT,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AURASTREAM_API_KEYS": "demo-key-1=cust-a",
        "AURASTREAM_ANALYZER": "lexicon",
        **env,
    }
    return RieFunction(ENTRY, env=function_env, opt=opt)


def as_deployed() -> dict[str, str]:
    """The telemetry settings deploy/sam gives AdotFunction (its `OTEL_*` and mode variables,
    but the endpoint: the collector listens on a loopback port of this test)."""
    variables = sam.template()["Resources"]["Function"]["Properties"]["Environment"]["Variables"]
    condition, adot, _collectorless = variables["Fn::If"]
    assert condition == "IsAdot"
    return {
        k: v
        for k, v in adot.items()
        if (k.startswith("OTEL_") or k == "AURASTREAM_TELEMETRY_MODE")
        and k not in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME")
    }


def traceparent() -> tuple[str, str]:
    """(a sampled traceparent with an X-Ray compatible trace id, that trace id)."""
    trace_id = f"{int(time.time()):08x}{uuid.uuid4().hex[:24]}"
    return f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01", trace_id


def export_warnings(*invocations: RieInvocation) -> list[str]:
    """The function's own stderr warnings (a failed export, dropped telemetry)."""
    return [x for inv in invocations for x in inv.stdout if x.startswith("aurastream_obs:")]


def test_the_collector_extension_delivers_before_the_response_and_before_shutdown(
    own_moto_url: str, tmp_path: Path
) -> None:
    moto_url = own_moto_url  # X-Ray traces of its own: not mixed with other tests' data
    traces: list[str] = []
    at_response: list[list[dict[str, Any]]] = []
    with RemoteWriteSink() as sink:
        # As deployed: the layer's collector has no logs pipeline, logs go by stdout only.
        function = start(tmp_path, moto_url, sink, **as_deployed())
        with function:
            invocations = []
            for n in range(3):
                header, trace_id = traceparent()
                traces.append(trace_id)
                inv = function.invoke(
                    http_api_event({"text": f"I love this product {n}"}, traceparent=header),
                    at_response=lambda t=trace_id: xray_documents(moto_url, [t], REGION),
                )
                assert inv.body["statusCode"] == 200, inv.body
                invocations.append(inv)
                documents = inv.at_response.get(trace_id, [])
                names = {doc["name"] for doc in documents}
                # In X-Ray when the response returned: the invocation and the service's spans.
                assert {"aurastream-api", "sentiment.analyze"} <= names, documents
                at_response.append(documents)
            remote_writes_before_shutdown = len(sink.bodies)
        wrapper = [x for x in function.lines if x.startswith(WRAPPER_LOG)]
        emulator_exit = function.process.returncode
    # The extension was ready before the first invocation and no export ever failed.
    first_output = next(i for i, x in enumerate(function.lines) if x.startswith("{"))
    ready = next(i for i, x in enumerate(function.lines) if "accepting on" in x)
    assert ready < first_output, function.lines[: first_output + 1]
    assert export_warnings(*invocations) == []
    # SHUTDOWN: the collector stopped on SIGTERM, within the deadline, not killed.
    assert any("SHUTDOWN (SandboxTerminated" in x for x in wrapper), wrapper
    stopped = [int(m.group(1)) for x in wrapper if (m := STOPPED.match(x))]
    assert len(stopped) == 1 and stopped[0] < 2000, wrapper
    assert not [x for x in wrapper if "killed" in x], wrapper
    assert emulator_exit == 0
    # Once the emulator had exited: every trace whole in X-Ray (as at its response), the EMF
    # documents in CloudWatch Logs, the metrics at the remote-write stand-in.
    stored = xray_documents(moto_url, traces, REGION)
    assert [len(stored.get(t, [])) for t in traces] == [len(d) for d in at_response]
    emf = log_events(moto_url, EMF_GROUP).get(EMF_GROUP, [])
    declared = emf_metrics(emf)
    assert {m.namespace for m in declared} == {EMF_NAMESPACE}
    assert "aurastream.sentiment.analyses" in {m.name for m in declared}
    assert all(json.loads(doc)["service.name"] == "aurastream-api" for doc in emf)
    assert any(b"aurastream_sentiment_analyses" in body for body in sink.bodies), (
        f"{len(sink.bodies)} remote writes ({remote_writes_before_shutdown} before SHUTDOWN)"
    )


def test_the_function_as_deployed_exports_its_logs_without_loss(
    own_moto_url: str, tmp_path: Path
) -> None:
    """deploy/sam's AdotFunction sets OTEL_LOGS_EXPORTER=none: without it the OTLP logs of an
    otlp-mode function get HTTP 404 from the layer's collector (no logs pipeline) and are
    counted dropped. Its JSON lines are on stdout, where Lambda takes them to CloudWatch."""
    deployed = as_deployed()
    assert deployed["OTEL_LOGS_EXPORTER"] == "none"
    with (
        RemoteWriteSink() as sink,
        start(tmp_path, own_moto_url, sink, **deployed) as function,
    ):
        inv = function.invoke(http_api_event({"text": "I love this product"}))
    if inv.body.get("statusCode") != 200:
        pytest.fail(f"the invocation itself failed: {inv.body}")
    assert export_warnings(inv) == []
    assert [x for x in inv.late_output() if x.startswith("aurastream_obs:")] == []
    stdout = [json.loads(x) for x in inv.stdout if x.startswith("{") and '"category"' in x]
    assert "api_response" in {line.get("event_type") for line in stdout}, inv.stdout
