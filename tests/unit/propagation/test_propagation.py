"""Propagation: both headers written and read, precedence, Lineage, safety on odd carriers."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.baggage import get_baggage, set_baggage
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import CarrierT, Getter, Setter, TextMapPropagator
from opentelemetry.trace import (
    INVALID_SPAN_CONTEXT,
    NonRecordingSpan,
    SpanContext,
    TraceFlags,
    TraceState,
    get_current_span,
    set_span_in_context,
)

from aurastream_obs.propagation.propagators import (
    HEADER_GETTER,
    SafePropagator,
    XRayLambdaPropagator,
    XRayPropagator,
    build_propagator,
)
from aurastream_obs.propagation.xray_header import (
    parse_xray_header,
    parse_xray_header_parts,
    xray_header_from_context,
    xray_trace_id,
)

TRACE_ID = 0x5759E988_BD862E3F_E1BE46A9_94272793
SPAN_ID = 0x53995C3F42CD8AD8
XRAY = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
W3C = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
DEFAULT = ("tracecontext", "baggage", "xray")


def parent_of(context: Context) -> SpanContext:
    return get_current_span(context).get_span_context()


def context_with(trace_id: int = TRACE_ID, span_id: int = SPAN_ID, sampled: bool = True) -> Context:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    span_context = SpanContext(trace_id, span_id, is_remote=False, trace_flags=flags)
    return set_span_in_context(NonRecordingSpan(span_context))


@pytest.mark.parametrize("sampled", [True, False])
def test_inject_writes_both_headers_and_extract_round_trips(sampled: bool) -> None:
    propagator = build_propagator(DEFAULT)
    carrier: dict[str, str] = {}
    propagator.inject(carrier, context_with(sampled=sampled))
    flag = "1" if sampled else "0"
    assert carrier["traceparent"] == f"00-{TRACE_ID:032x}-{SPAN_ID:016x}-0{flag}"
    assert carrier["X-Amzn-Trace-Id"] == (
        f"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled={flag}"
    )
    for only in ("traceparent", "X-Amzn-Trace-Id"):  # each header alone is enough
        extracted = parent_of(propagator.extract({only: carrier[only]}))
        assert (extracted.trace_id, extracted.span_id) == (TRACE_ID, SPAN_ID)
        assert extracted.is_remote
        assert extracted.trace_flags.sampled is sampled


def test_fields_cover_both_headers() -> None:
    assert build_propagator(DEFAULT).fields == {
        "traceparent",
        "tracestate",
        "baggage",
        "X-Amzn-Trace-Id",
    }


def test_header_names_are_case_insensitive() -> None:
    propagator = build_propagator(DEFAULT)
    # API Gateway HTTP APIs (payload v2) deliver lower-case header names.
    assert parent_of(propagator.extract({"x-amzn-trace-id": XRAY})).trace_id == TRACE_ID
    assert parent_of(propagator.extract({"TraceParent": W3C})).span_id == 0xB7AD6B7169203331


def test_xray_wins_when_both_headers_are_valid_and_disagree() -> None:
    extracted = parent_of(
        build_propagator(DEFAULT).extract({"traceparent": W3C, "X-Amzn-Trace-Id": XRAY})
    )
    assert (extracted.trace_id, extracted.span_id) == (TRACE_ID, SPAN_ID)


def test_explicit_order_is_honoured() -> None:
    propagator = build_propagator(("xray", "tracecontext"))
    extracted = parent_of(propagator.extract({"traceparent": W3C, "X-Amzn-Trace-Id": XRAY}))
    assert extracted.trace_id == 0x0AF7651916CD43DD8448EB211C80319C


@pytest.mark.parametrize(
    "xray",
    [
        "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",  # no Parent (e.g. from an ALB)
        "Root=1-5759e988-bd862e3fe1be46a99427279g;Parent=53995c3f42cd8ad8;Sampled=1",
        "garbage",
    ],
)
def test_w3c_parent_stands_when_xray_header_is_unusable(xray: str) -> None:
    carrier = {"traceparent": W3C, "X-Amzn-Trace-Id": xray}
    extracted = parent_of(build_propagator(DEFAULT).extract(carrier))
    assert extracted.trace_id == 0x0AF7651916CD43DD8448EB211C80319C


def test_same_trace_keeps_w3c_tracestate_with_xray_parent() -> None:
    carrier = {
        "traceparent": f"00-{TRACE_ID:032x}-b7ad6b7169203331-01",
        "tracestate": "vendor=abc",
        "X-Amzn-Trace-Id": XRAY,
    }
    extracted = parent_of(build_propagator(DEFAULT).extract(carrier))
    assert extracted.span_id == SPAN_ID  # X-Ray's parent: the nearer hop
    assert extracted.trace_state.get("vendor") == "abc"
    other = {**carrier, "traceparent": W3C}  # a different trace: its tracestate does not apply
    assert parent_of(build_propagator(DEFAULT).extract(other)).trace_state == TraceState()


def test_lineage_is_kept_and_reinjected() -> None:
    propagator = build_propagator(DEFAULT)
    context = propagator.extract({"X-Amzn-Trace-Id": f"{XRAY};Lineage=10:1234abcd:3"})
    carrier: dict[str, str] = {}
    propagator.inject(carrier, context)
    assert carrier["X-Amzn-Trace-Id"].endswith(";Lineage=10:1234abcd:3")


@pytest.mark.parametrize("lineage", ["99999:1234abcd:3", "1:1234abcd:256", "1:xyz:1", "a:b", ""])
def test_invalid_lineage_is_dropped_but_parent_kept(lineage: str) -> None:
    propagator = build_propagator(DEFAULT)
    context = propagator.extract({"X-Amzn-Trace-Id": f"{XRAY};Lineage={lineage}"})
    assert parent_of(context).trace_id == TRACE_ID
    carrier: dict[str, str] = {}
    propagator.inject(carrier, context)
    assert "Lineage" not in carrier["X-Amzn-Trace-Id"]


def test_sampled_flag_variants() -> None:
    root_parent = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"
    assert parse_xray_header(root_parent) is not None
    assert parse_xray_header(root_parent).sampled is False  # type: ignore[union-attr]
    assert parse_xray_header(f"{root_parent};Sampled=?") is None  # deferred: our sampler decides
    assert parse_xray_header(f"{root_parent};Sampled=1;Self=1-67891234-12456789abcdef012345678")
    assert parse_xray_header(
        " Parent=53995c3f42cd8ad8 ; Root=1-5759E988-BD862E3FE1BE46A994272793 ;"
    )


@pytest.mark.parametrize(
    "header",
    [
        "Root=1-0x59e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "Root=1-5759e988-bd862e3fe1be46a9942727_3;Parent=53995c3f42cd8ad8;Sampled=1",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=+3995c3f42cd8ad8;Sampled=1",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000;Sampled=1",
        "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8;Sampled=1",
        "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=true",
        f"{XRAY};Root=1-5759e988-bd862e3fe1be46a994272794",  # repeated key
        f"{XRAY};junk",  # a part that is not key=value
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8\n;Sampled=1",
    ],
)
def test_malformed_xray_header_starts_a_new_trace(header: str) -> None:
    assert not parent_of(build_propagator(DEFAULT).extract({"X-Amzn-Trace-Id": header})).is_valid


def test_xray_header_helpers() -> None:
    span_context = parent_of(context_with(sampled=False))
    assert xray_header_from_context(span_context) == (
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"
    )
    assert xray_header_from_context(INVALID_SPAN_CONTEXT) == ""
    assert xray_trace_id(1) == "1-00000000-000000000000000000000001"


def test_baggage_travels_alongside() -> None:
    propagator = build_propagator(DEFAULT)
    carrier: dict[str, str] = {}
    propagator.inject(carrier, set_baggage("tenant", "t-1", context_with()))
    assert carrier["baggage"] == "tenant=t-1"
    assert get_baggage("tenant", propagator.extract(carrier)) == "t-1"


def test_unknown_and_none_names(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        propagator = build_propagator(["tracecontext", "b3", "none", " XRAY ", "xray", ""])
    assert "'b3'" in caplog.text
    assert propagator.fields == {"traceparent", "tracestate", "X-Amzn-Trace-Id"}
    assert build_propagator(["none"]).fields == set()
    carrier: dict[str, str] = {}
    build_propagator(["none"]).inject(carrier, context_with())
    assert carrier == {}


class Exploding(TextMapPropagator):
    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = HEADER_GETTER,
    ) -> Context:
        raise RuntimeError("boom")

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] | None = None,
    ) -> None:
        raise RuntimeError("boom")

    @property
    def fields(self) -> set[str]:
        raise RuntimeError("boom")


def test_safe_propagator_contains_failures(caplog: pytest.LogCaptureFixture) -> None:
    safe = SafePropagator(Exploding())
    start = context_with()
    with caplog.at_level(logging.WARNING):
        assert safe.extract({"traceparent": W3C}, start) is start
        assert safe.extract({"traceparent": W3C}) == Context()
        safe.inject({}, start)
    assert safe.errors == 3
    assert caplog.text.count("Exploding") == 1  # warned once, counted always
    assert safe.fields == set()


@pytest.mark.parametrize(
    "carrier",
    [
        None,
        42,
        {"traceparent": b"\xff\xfe"},
        {"traceparent": 5, "X-Amzn-Trace-Id": None},
        {"X-Amzn-Trace-Id": [XRAY, XRAY]},  # repeated header: ambiguous, ignored
        {1: "x", b"traceparent": W3C},
        {"baggage": "=;=,,%%%"},
    ],
)
def test_odd_carriers_give_no_parent_and_never_raise(carrier: Any) -> None:
    assert not parent_of(build_propagator(DEFAULT).extract(carrier)).is_valid


def test_bytes_and_list_values_are_read() -> None:
    propagator = build_propagator(DEFAULT)
    assert parent_of(propagator.extract({"x-amzn-trace-id": XRAY.encode()})).trace_id == TRACE_ID
    assert parent_of(propagator.extract({"traceparent": [W3C]})).span_id == 0xB7AD6B7169203331


def test_inject_into_an_immutable_carrier_does_not_raise(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="aurastream_obs.propagation.propagators")
    build_propagator(DEFAULT).inject((), context_with())  # tuples have no __setitem__
    # Each composed propagator is wrapped on its own: the failure is warned, not swallowed.
    assert any("inject failed; ignored" in r.getMessage() for r in caplog.records)
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    caplog.clear()
    safe = SafePropagator(TraceContextTextMapPropagator())
    safe.inject((), context_with())
    safe.inject((), context_with())
    assert safe.errors == 2  # every failure counted ...
    warned = [r for r in caplog.records if "TraceContextTextMapPropagator.inject" in r.getMessage()]
    assert len(warned) == 1  # ... but warned once


def test_traceparent_in_the_carrier_wins_over_the_lambda_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """XRayLambdaPropagator falls back to _X_AMZN_TRACE_ID only when the carrier gave no
    valid parent: a traceparent extracted by an earlier propagator stands."""
    monkeypatch.setenv("_X_AMZN_TRACE_ID", XRAY)
    propagator = build_propagator(["tracecontext", "xray-lambda"])
    extracted = parent_of(propagator.extract({"traceparent": W3C}))
    assert (extracted.trace_id, extracted.span_id) == (
        0x0AF7651916CD43DD8448EB211C80319C,
        0xB7AD6B7169203331,
    )
    # Without a traceparent the environment's parent is used (the fallback is live).
    assert parent_of(propagator.extract({})).trace_id == TRACE_ID


def test_lambda_propagator_falls_back_to_the_environment() -> None:
    propagator = XRayLambdaPropagator(environ={"_X_AMZN_TRACE_ID": XRAY})
    assert parent_of(propagator.extract({}, getter=HEADER_GETTER)).trace_id == TRACE_ID
    carrier_header = "Root=1-65a1b2c3-000000000000000000000001;Parent=0000000000000002;Sampled=1"
    from_carrier = propagator.extract({"X-Amzn-Trace-Id": carrier_header}, getter=HEADER_GETTER)
    assert parent_of(from_carrier).span_id == 2  # the carrier wins when it has a parent
    assert not parent_of(XRayLambdaPropagator(environ={}).extract({})).is_valid
    assert build_propagator(["xray-lambda"]).fields == {"X-Amzn-Trace-Id"}  # a known name


@pytest.mark.parametrize("sampled", [True, False])
def test_headers_interoperate_with_the_stock_aws_xray_propagator(sampled: bool) -> None:
    """What ours writes, the stock AwsXRayPropagator reads as the same parent, and back: the
    services on the plain SDK and ours share traces."""
    from opentelemetry.propagators.aws import AwsXRayPropagator

    ours, stock = XRayPropagator(), AwsXRayPropagator()
    for writer, reader in ((ours, stock), (stock, ours)):
        carrier: dict[str, str] = {}
        writer.inject(carrier, context_with(sampled=sampled))
        extracted = parent_of(reader.extract(carrier))
        assert (extracted.trace_id, extracted.span_id) == (TRACE_ID, SPAN_ID), (writer, carrier)
        assert extracted.trace_flags.sampled is sampled
        assert extracted.is_remote


HEX = "0123456789abcdefABCDEF"


@settings(max_examples=300)
@given(
    st.text(HEX, min_size=7, max_size=9),
    st.text(HEX, min_size=23, max_size=25),
    st.text(HEX, min_size=15, max_size=17),
    st.sampled_from(["0", "1", "?", ""]),
    st.sampled_from(["", ";Lineage=10:1234abcd:3", ";Self=x", " "]),
)
def test_the_canonical_fast_path_parses_as_the_general_parser(
    epoch: str, rest: str, parent: str, sampled: str, tail: str
) -> None:
    header = f"Root=1-{epoch}-{rest};Parent={parent};Sampled={sampled}{tail}"
    assert parse_xray_header(header) == parse_xray_header_parts(header)
