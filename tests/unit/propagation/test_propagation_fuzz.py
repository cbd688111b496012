"""Fuzzing X-Amzn-Trace-Id and traceparent: extract never raises; malformed means a new trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.context import Context
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    TraceFlags,
    get_current_span,
    set_span_in_context,
)

from aurastream_obs.propagation.propagators import build_propagator

PROPAGATOR = build_propagator(("tracecontext", "baggage", "xray"))
HEX = "0123456789abcdef"
NOT_HEX = st.characters(blacklist_characters=HEX + HEX.upper())
FUZZ = settings(max_examples=300, deadline=None)


def parent(context: Context) -> SpanContext:
    return get_current_span(context).get_span_context()


def extract(name: str, value: Any) -> SpanContext:
    return parent(PROPAGATOR.extract({name: value}))


# --- arbitrary input -----------------------------------------------------------------------


def check_xray(header: str) -> None:
    extracted = extract("X-Amzn-Trace-Id", header)
    if extracted.is_valid:  # only possible when the header literally carries these ids
        tid = f"{extracted.trace_id:032x}"
        assert f"1-{tid[:8]}-{tid[8:]}" in header.lower()
        assert f"{extracted.span_id:016x}" in header.lower()


def check_traceparent(header: str) -> None:
    extracted = extract("traceparent", header)
    if extracted.is_valid:
        assert f"{extracted.trace_id:032x}-{extracted.span_id:016x}" in header


XRAY_LIKE = st.from_regex(
    r"((Root|Parent|Sampled|Lineage|Self|root| Root)[ =]{1,2}[0-9a-fA-Fx_+:?\- ]{0,40};?){0,5}",
    fullmatch=True,
)
TRACEPARENT_LIKE = st.from_regex(
    r"[ \t]?[0-9a-fA-F]{2}-[0-9a-fA-F_x+]{30,33}-[0-9a-fA-F]{15,17}-[0-9a-fA-F]{1,3}(-.{0,4})?",
    fullmatch=True,
)


@FUZZ
@given(st.one_of(st.text(), XRAY_LIKE))
def test_any_xray_header_never_raises_and_a_parent_comes_from_the_header(header: str) -> None:
    check_xray(header)


@FUZZ
@given(st.one_of(st.text(), TRACEPARENT_LIKE))
def test_any_traceparent_never_raises_and_a_parent_comes_from_the_header(header: str) -> None:
    check_traceparent(header)


HEADER_NAMES = st.sampled_from(
    ["traceparent", "TRACEPARENT", "tracestate", "baggage", "X-Amzn-Trace-Id", "x-amzn-trace-id"]
)
VALUES = st.one_of(
    st.text(), st.binary(), st.integers(), st.none(), st.lists(st.one_of(st.text(), st.binary()))
)


@FUZZ
@given(st.dictionaries(st.one_of(HEADER_NAMES, st.text(), st.integers()), VALUES, max_size=6))
def test_arbitrary_carriers_never_raise_and_a_parent_found_is_passed_on(
    carrier: dict[Any, Any],
) -> None:
    found = parent(PROPAGATOR.extract(carrier))
    out: dict[str, str] = {}
    PROPAGATOR.inject(out, set_span_in_context(NonRecordingSpan(found)))
    passed_on = parent(PROPAGATOR.extract(out))
    assert (passed_on.trace_id, passed_on.span_id) == (found.trace_id, found.span_id)


# --- structured near-valid X-Amzn-Trace-Id ------------------------------------------------

ids = st.tuples(st.integers(1, (1 << 128) - 1), st.integers(1, (1 << 64) - 1), st.booleans())


def xray_parts(trace_id: int, span_id: int, sampled: bool) -> dict[str, str]:
    tid = f"{trace_id:032x}"
    return {
        "Root": f"1-{tid[:8]}-{tid[8:]}",
        "Parent": f"{span_id:016x}",
        "Sampled": str(int(sampled)),
    }


def join(parts: dict[str, str] | list[tuple[str, str]]) -> str:
    items = parts.items() if isinstance(parts, dict) else parts
    return ";".join(f"{k}={v}" for k, v in items)


Mutation = Callable[[st.DataObject, dict[str, str]], str]


def _replace_char(data: st.DataObject, parts: dict[str, str]) -> str:
    key = data.draw(st.sampled_from(["Root", "Parent"]))
    value = parts[key]
    positions = [i for i, c in enumerate(value) if c != "-"]
    i = data.draw(st.sampled_from(positions))
    parts[key] = value[:i] + data.draw(NOT_HEX) + value[i + 1 :]
    return join(parts)


def _resize(data: st.DataObject, parts: dict[str, str]) -> str:
    key = data.draw(st.sampled_from(["Root", "Parent"]))
    if data.draw(st.booleans()):
        parts[key] = parts[key][:-1]
    else:
        parts[key] += data.draw(st.sampled_from(HEX))
    return join(parts)


def _prefix(data: st.DataObject, parts: dict[str, str]) -> str:
    trick = data.draw(st.sampled_from(["0x", "+", "-", "_"]))
    if data.draw(st.booleans()):
        parts["Parent"] = trick + parts["Parent"][len(trick) :]
    else:
        parts["Root"] = "1-" + trick + parts["Root"][2 + len(trick) :]
    return join(parts)


def _drop(data: st.DataObject, parts: dict[str, str]) -> str:
    del parts[data.draw(st.sampled_from(["Root", "Parent"]))]
    return join(parts)


def _bad_sampled(data: st.DataObject, parts: dict[str, str]) -> str:
    parts["Sampled"] = data.draw(
        st.text(max_size=3).filter(lambda s: ";" not in s and s.strip(" \t") not in ("0", "1"))
    )
    return join(parts)


def _bad_version(data: st.DataObject, parts: dict[str, str]) -> str:
    parts["Root"] = data.draw(st.sampled_from(["0", "2", "a", "", "11"])) + parts["Root"][1:]
    return join(parts)


def _repeat(data: st.DataObject, parts: dict[str, str]) -> str:
    key = data.draw(st.sampled_from(["Root", "Parent", "Sampled"]))
    return join([*parts.items(), (key, parts[key])])


def _bare_part(data: st.DataObject, parts: dict[str, str]) -> str:
    junk = data.draw(
        st.text(min_size=1).filter(lambda s: "=" not in s and ";" not in s and s.strip(" \t"))
    )
    return join(parts) + ";" + junk


def _zero(data: st.DataObject, parts: dict[str, str]) -> str:
    if data.draw(st.booleans()):
        parts["Parent"] = "0" * 16
    else:
        parts["Root"] = "1-00000000-" + "0" * 24
    return join(parts)


BREAKING: list[Mutation] = [
    _replace_char,
    _resize,
    _prefix,
    _drop,
    _bad_sampled,
    _bad_version,
    _repeat,
    _bare_part,
    _zero,
]


def _shuffle_and_pad(data: st.DataObject, parts: dict[str, str]) -> str:
    items = data.draw(st.permutations(list(parts.items())))
    extras = data.draw(
        st.lists(
            st.sampled_from(
                ["Self=1-67891234-12456789abcdef012345678", "Foo=bar", "Lineage=1:abcdef12:0"]
            ),
            max_size=2,
        )
    )
    space = st.text(alphabet=" \t", max_size=2)
    rendered = [
        f"{data.draw(space)}{k}{data.draw(space)}={data.draw(space)}{v}{data.draw(space)}"
        for k, v in items
    ]
    rendered += extras
    return ";".join(rendered) + data.draw(st.sampled_from(["", ";", ";;"]))


def _upper_hex(data: st.DataObject, parts: dict[str, str]) -> str:
    return join({k: v.upper() for k, v in parts.items()})


@FUZZ
@given(ids, st.data())
def test_near_valid_xray_headers(ids_: tuple[int, int, bool], data: st.DataObject) -> None:
    trace_id, span_id, sampled = ids_
    parts = xray_parts(trace_id, span_id, sampled)
    breaking = data.draw(st.booleans())
    mutation = data.draw(st.sampled_from(BREAKING if breaking else [_shuffle_and_pad, _upper_hex]))
    header = mutation(data, parts)
    extracted = extract("X-Amzn-Trace-Id", header)
    if breaking:
        assert not extracted.is_valid, header
    else:
        assert (extracted.trace_id, extracted.span_id) == (trace_id, span_id), header
        assert extracted.trace_flags.sampled is sampled


# --- structured near-valid traceparent ----------------------------------------------------


def traceparent(version: str, trace_id: str, span_id: str, flags: str, suffix: str = "") -> str:
    return f"{version}-{trace_id}-{span_id}-{flags}{suffix}"


@FUZZ
@given(ids, st.data())
def test_near_valid_traceparent(ids_: tuple[int, int, bool], data: st.DataObject) -> None:
    trace_id, span_id, sampled = ids_
    fields = {
        "version": "00",
        "trace_id": f"{trace_id:032x}",
        "span_id": f"{span_id:016x}",
        "flags": "01" if sampled else "00",
    }
    kind = data.draw(
        st.sampled_from(
            [
                "ok",
                "whitespace",
                "future_version",
                "char",
                "resize",
                "upper",
                "ff",
                "suffix00",
                "zero",
            ]
        )
    )
    suffix = ""
    if kind == "whitespace":
        pad = st.text(alphabet=" \t", max_size=3)
        header = data.draw(pad) + traceparent(**fields) + data.draw(pad)
    else:
        if kind == "future_version":
            fields["version"] = data.draw(st.sampled_from(["01", "02", "cc", "fe"]))
            suffix = data.draw(st.sampled_from(["", "-", "-extra"]))
        elif kind in ("char", "resize", "upper"):
            key = data.draw(st.sampled_from(["trace_id", "span_id"]))
            value = fields[key]
            if kind == "char":
                i = data.draw(st.integers(0, len(value) - 1))
                fields[key] = value[:i] + data.draw(NOT_HEX) + value[i + 1 :]
            elif kind == "resize":
                fields[key] = value[:-1] if data.draw(st.booleans()) else value + "a"
            else:
                fields[key] = value.upper() if value.upper() != value else "A" + value[1:]
        elif kind == "ff":
            fields["version"] = "ff"
        elif kind == "suffix00":
            suffix = "-" + data.draw(st.text(max_size=4))
        elif kind == "zero":
            key = data.draw(st.sampled_from(["trace_id", "span_id"]))
            fields[key] = "0" * len(fields[key])
        header = traceparent(**fields, suffix=suffix)
    extracted = extract("traceparent", header)
    if kind in ("ok", "whitespace", "future_version"):
        assert (extracted.trace_id, extracted.span_id) == (trace_id, span_id), header
        assert extracted.trace_flags.sampled is sampled
    else:
        assert not extracted.is_valid, header


# --- round trip ----------------------------------------------------------------------------


@FUZZ
@given(ids)
def test_inject_then_extract_round_trips_through_each_header(ids_: tuple[int, int, bool]) -> None:
    trace_id, span_id, sampled = ids_
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    context = set_span_in_context(NonRecordingSpan(SpanContext(trace_id, span_id, False, flags)))
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier, context)
    for name in ("traceparent", "X-Amzn-Trace-Id"):
        extracted = extract(name, carrier[name])
        assert (extracted.trace_id, extracted.span_id) == (trace_id, span_id)
        assert extracted.trace_flags.sampled is sampled
