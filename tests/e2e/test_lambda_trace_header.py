"""Lambda's trace header, in the hand-written environment (support/lambda_harness.py): AWS's
emulator never sets `_X_AMZN_TRACE_ID` (nor freezes the process), so these cases cannot run
under it. Everything else about Lambda mode runs under the real runtime
(test_lambda_rie.py, test_lambda_rie_service.py, test_lambda_rie_extension.py).

- whatever the trigger, the invocation is a subsegment of the function segment Lambda
  created (the header's Parent), in Lambda's trace, even when the event names another trace;
  the log lines carry Lambda's trace id;
- `Sampled=0` (Active tracing off): sampled locally by default, as a segment of its own in
  the caller's trace; `respect` sends nothing, and the logs still correlate;
- nothing is sent while the environment is frozen after the handler returned.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.lambda_harness import (
    LambdaEnvironment,
    assert_delivered_before_return,
    new_trace_header,
)
from support.lambda_output import EVENTS, root_segment

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def env() -> Iterator[LambdaEnvironment]:
    with LambdaEnvironment() as environment:
        yield environment


@pytest.mark.parametrize("event", ["http_api_v2", "sqs", "direct"])
def test_the_invocation_is_a_subsegment_of_lambdas_function_segment(
    env: LambdaEnvironment, event: str
) -> None:
    header, trace_id, parent = new_trace_header()
    inv = env.invoke(EVENTS[event], trace_header=header)
    assert_delivered_before_return(inv)
    root = root_segment(inv)
    assert root["type"] == "subsegment"
    # Lambda's segment wins over the event's own traceparent (http_api_v2 carries one).
    assert (root["trace_id"], root["parent_id"]) == (trace_id, parent)
    assert root["aws"]["request_id"] == inv.request_id
    line = next(log for log in inv.logs if log["message"] == "analysing")
    assert line["xray_trace_id"] == trace_id
    assert line["function_request_id"] == inv.request_id


def test_sampled0_default_samples_locally_as_a_segment() -> None:
    with LambdaEnvironment() as env:
        header, trace_id, _ = new_trace_header(sampled="0")
        inv = env.invoke(EVENTS["direct"], trace_header=header)
        assert_delivered_before_return(inv)  # first request of the second: the reservoir
        root = root_segment(inv)
        # Lambda recorded no segment: ours is the segment, in the caller's trace.
        assert "type" not in root and "parent_id" not in root
        assert root["trace_id"] == trace_id
        assert root["origin"] == "AWS::Lambda::Function"


def test_sampled0_respect_sends_nothing_but_logs_still_correlate() -> None:
    with LambdaEnvironment(AURASTREAM_LAMBDA_SAMPLED0="respect") as env:
        header, trace_id, _ = new_trace_header(sampled="0")
        inv = env.invoke(EVENTS["direct"], trace_header=header)
        assert inv.datagrams == [] and inv.frozen_datagrams == []
        line = next(log for log in inv.logs if log["message"] == "analysing")
        assert line["xray_trace_id"] == trace_id
        assert inv.emf, "metrics do not depend on trace sampling"
