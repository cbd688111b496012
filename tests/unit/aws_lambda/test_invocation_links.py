"""A trace the event names besides Lambda's own (its `traceparent`, its `X-Amzn-Trace-Id`, an
SQS message's AWSTraceHeader) reaches X-Ray as a link of the invocation's segment, over the
real UDP path; before, the links were made and then dropped by the encoder."""

from __future__ import annotations

import io
import json
from typing import Any

from aurastream_obs.aws_lambda import instrument_handler
from aurastream_obs.bootstrap import Telemetry
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.modes.awslambda import build_pipelines
from support.xray_daemon import xray_daemon

LAMBDA_ROOT = "5759e988bd862e3fe1be46a994272793"
CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
QUEUE_TRACE = "5e6722a7cc5600000000000000000001"


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    daemon, env = xray_daemon(5)
    env["_X_AMZN_TRACE_ID"] = (
        f"Root=1-{LAMBDA_ROOT[:8]}-{LAMBDA_ROOT[8:]};Parent=53995c3f42cd8ad8;Sampled=1"
    )
    settings = resolve_settings(mode="lambda", env=env)
    telemetry = Telemetry(settings=settings)
    pipelines = build_pipelines(settings, telemetry.drops, stream=io.StringIO())
    telemetry.tracer_provider = pipelines.tracer_provider  # type: ignore[assignment]
    telemetry.meter_provider = pipelines.meter_provider  # type: ignore[assignment]
    telemetry.log_handler = pipelines.log_handler
    handler = instrument_handler(telemetry=telemetry, env=env)(lambda e, c: {"statusCode": 200})
    try:
        handler(event, None)
        header, _, body = daemon.recv(65_000).partition(b"\n")
    finally:
        daemon.close()
    assert json.loads(header) == {"format": "json", "version": 1}
    document: dict[str, Any] = json.loads(body)
    return document


def test_the_callers_traceparent_is_a_link_of_the_segment() -> None:
    event = {
        "version": "2.0",
        "routeKey": "GET /x",
        "headers": {"traceparent": f"00-{CALLER_TRACE}-b7ad6b7169203331-01"},
        "requestContext": {"http": {"method": "GET", "path": "/x"}},
    }
    document = _invoke(event)
    assert document["trace_id"] == f"1-{LAMBDA_ROOT[:8]}-{LAMBDA_ROOT[8:]}"  # Lambda's parent
    assert document["links"] == [
        {"trace_id": f"1-{CALLER_TRACE[:8]}-{CALLER_TRACE[8:]}", "id": "b7ad6b7169203331"}
    ]


def test_an_sqs_messages_trace_header_is_a_link() -> None:
    header = f"Root=1-{QUEUE_TRACE[:8]}-{QUEUE_TRACE[8:]};Parent=1111111111111111;Sampled=1"
    event = {
        "Records": [
            {
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:q",
                "messageId": "m1",
                "attributes": {"AWSTraceHeader": header},
            }
        ]
    }
    document = _invoke(event)
    assert {"trace_id": f"1-{QUEUE_TRACE[:8]}-{QUEUE_TRACE[8:]}", "id": "1111111111111111"} in (
        document["links"]
    )


def test_no_other_trace_no_links() -> None:
    event = {"version": "2.0", "routeKey": "GET /x", "requestContext": {"http": {}}}
    assert "links" not in _invoke(event)
