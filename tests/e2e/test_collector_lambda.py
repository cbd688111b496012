"""The Lambda extension shape: the committed `adot-lambda` config in our collector (loopback
addresses; awsxray and awsemf on a moto server) next to a function run by our Lambda harness in
`otlp` mode, as the ADOT layer runs it (OTEL_EXPORTER_OTLP_ENDPOINT at the extension).

The layer ships no processors, so nothing batches or queues: `instrument_handler` flushes over
OTLP before the handler returns, the collector's OTLP receiver answers once awsxray and awsemf
have written, and so the invocation's spans (and, from the second invocation on, its EMF
metrics: awsemf turns cumulative sums into deltas) are in the stand-in AWS endpoints when the
invocation returns. Nothing arrives while the environment is frozen. The metrics only Lambda
records (cold starts) are emitted as the alarms and dashboards reference them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.artifacts.collector_configs.loopback import loopback_config, shape_config
from aurastream_obs.artifacts.collector_configs.placeholders import ENVIRONMENT
from aurastream_obs.core.conventions import EMF_NAMESPACE, LAMBDA_COLDSTARTS
from aurastream_obs.core.log_categories import log_group_name
from support.aws_sinks import emf_metrics, log_events, missing_from, xray_documents
from support.lambda_harness import EVENTS, LambdaEnvironment, new_trace_header
from support.otelcol import loopback, start_collector
from support.processes import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
LAMBDA_ENVIRONMENT = "e2e-lambda"  # the collector's AURASTREAM_ENVIRONMENT: its own EMF group
EMF_GROUP = log_group_name("emf", LAMBDA_ENVIRONMENT)


def test_spans_and_metrics_reach_aws_before_the_invocation_returns(
    own_moto_url: str, tmp_path: Path
) -> None:
    dead = free_port()  # AMP remote write is not under test here
    lb = loopback(
        aws_endpoint=own_moto_url, remote_write_url=f"http://127.0.0.1:{dead}/api/v1/write"
    )
    config = loopback_config(shape_config("lambda"), lb)
    assert "processors" not in config  # the layer's collector has none: nothing may batch

    def delivered(trace_id: str) -> dict[str, Any]:
        return {
            "xray": xray_documents(own_moto_url, [trace_id]).get(trace_id, []),
            "emf": log_events(own_moto_url, EMF_GROUP).get(EMF_GROUP, []),
        }

    with (
        start_collector(
            config, tmp_path, "lambda-extension", env={ENVIRONMENT.name: LAMBDA_ENVIRONMENT}
        ),
        LambdaEnvironment(
            AURASTREAM_TELEMETRY_MODE="otlp",
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{lb.otlp_http_port}",
        ) as function,
    ):
        for n in range(3):
            header, xray_trace, parent = new_trace_header()
            trace_id = xray_trace.removeprefix("1-").replace("-", "")
            inv = function.invoke(
                EVENTS["http_api_v2"], trace_header=header, at_end=lambda t=trace_id: delivered(t)
            )
            assert inv.outcome["result"]["statusCode"] == 200, inv.outcome
            at_return = inv.at_end
            # Spans: in X-Ray when the handler returned, as children of Lambda's segment.
            names = {doc["name"] for doc in at_return["xray"]}
            assert "sentiment.analyze" in names, at_return["xray"]
            roots = [d for d in at_return["xray"] if d.get("parent_id") == parent]
            assert len(roots) == 1, at_return["xray"]
            # Nothing more for this trace after return, nothing written while frozen.
            assert len(delivered(trace_id)["xray"]) == len(at_return["xray"])
            assert inv.frozen_stdout == []
            if n >= 1:
                declared = emf_metrics(at_return["emf"])
                assert {m.namespace for m in declared} == {EMF_NAMESPACE}
                assert "aurastream.sentiment.analyses" in {m.name for m in declared}
    documents = [json.loads(m) for m in log_events(own_moto_url, EMF_GROUP)[EMF_GROUP]]
    assert all(doc["service.name"] == "aurastream-api" for doc in documents)
    # The metrics only Lambda records, as the alarms and dashboards reference them.
    emitted = emf_metrics(map(json.dumps, documents))
    lambda_only = frozenset({LAMBDA_COLDSTARTS.name})
    assert missing_from(documents, emitted, only=lambda_only) == []
    assert LAMBDA_COLDSTARTS.name in {m.name for m in emitted}
