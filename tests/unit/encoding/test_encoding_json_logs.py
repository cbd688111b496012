"""Log records written from the plan of their shape (encoding/json_logs.py) are the bytes the
field-by-field writer writes, and a batch is the line of the protobuf + json_format route, for
generated records: every value type, fields set or not, values a plan leaves to the field
writer (NaN, infinities, integers beyond int64), several resources and scopes."""

from __future__ import annotations

import enum
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from aurastream_obs.encoding import json_logs
from aurastream_obs.encoding.json_encode import logs_json
from aurastream_obs.encoding.json_logs import log_json, log_json_fields
from aurastream_obs.encoding.log_item import LogItem
from aurastream_obs.encoding.otlp_json import request_to_json
from aurastream_obs.encoding.proto import encode_logs


class Text(str):
    pass


class Level(enum.IntEnum):
    HIGH = 3


RESOURCES = [
    Resource.create({"service.name": "svc", "n": 3}),
    Resource.create({"service.name": "other"}, "https://schema/1"),
]
SCOPES = [
    InstrumentationScope("aurastream.events"),
    InstrumentationScope("lib", "1.2", "https://schema/2", {"k": True}),
    None,
]
# A small pool, so that shapes repeat across examples and plans are reused with new values.
KEYS = ["event.name", "aurastream.request.id", "http.response.status_code", "é ü", 'q"', "5%s%%"]
SCALARS = st.one_of(
    st.text(max_size=6),
    st.booleans(),
    st.integers(),  # beyond int64 too
    st.floats(allow_nan=True, allow_infinity=True),
)
VALUES = st.one_of(
    SCALARS,
    st.sampled_from(["api_response", "", "\x00\n\u2028", "😀", Text("sub"), Level.HIGH, None]),
    st.binary(max_size=4),
    st.lists(SCALARS, max_size=3).map(tuple),
    st.lists(SCALARS, max_size=3),
    # (json_format omits an empty key: "" is the proto3 default; our writers keep it.)
    st.dictionaries(st.one_of(st.text(min_size=1, max_size=3), st.integers()), SCALARS, max_size=2),
)
ITEMS = st.builds(
    LogItem,
    timestamp=st.one_of(st.none(), st.just(0), st.integers(1, (1 << 64) - 1)),
    observed_timestamp=st.one_of(st.just(0), st.integers(1, (1 << 64) - 1)),
    severity_number=st.sampled_from([0, 9, 17]),
    severity_text=st.sampled_from([None, "", "INFO", "WARN%"]),
    body=VALUES,
    attributes=st.one_of(st.none(), st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5)),
    trace_id=st.one_of(st.just(0), st.integers(1, (1 << 128) - 1)),
    span_id=st.one_of(st.just(0), st.integers(1, (1 << 64) - 1)),
    flags=st.sampled_from([0, 1]),
    resource=st.sampled_from(RESOURCES),
    scope=st.sampled_from(SCOPES),
    event_name=st.sampled_from([None, "", "api_response", "é%"]),
    dropped_attributes=st.sampled_from([0, 2]),
)


def _json_format_line(items: list[LogItem]) -> str:
    return request_to_json(ExportLogsServiceRequest.FromString(encode_logs(items)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ITEMS, min_size=1, max_size=6))
def test_planned_records_are_the_field_writer_and_json_format_bytes(items: list[LogItem]) -> None:
    for item in items:
        # Field by field the first time, planned the second, from the memo the third.
        for _ in range(3):
            assert log_json(item) == log_json_fields(item)
    assert logs_json(items) == _json_format_line(items)


def _item(attributes: Any, body: Any = "api_response", **fields: Any) -> LogItem:
    values: dict[str, Any] = {
        "timestamp": 1_700_000_000_000_000_000, "observed_timestamp": 1_700_000_000_000_000_001,
        "severity_number": 9, "severity_text": "INFO", "body": body, "attributes": attributes,
        "trace_id": 0x5759E988BD862E3FE1BE46A994272793, "span_id": 0xABC, "flags": 1,
        "resource": RESOURCES[0], "scope": SCOPES[0], "event_name": "api_response",
    }  # fmt: skip
    values.update(fields)
    return LogItem(**values)


def _no_field_writer(item: LogItem) -> str:
    raise AssertionError("written field by field")


def test_one_shape_with_new_values_uses_its_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    shape = {"status": 200, "ms": 1.5, "hit": False, "id": "r1", "data": [1, "a"]}
    first = _item(shape)
    expected = log_json_fields(first)
    second = _item({"status": -7, "ms": -0.0, "hit": True, "id": 'é"\n', "data": [{"k": None}]})
    expected_second = log_json_fields(second)
    assert log_json(first) == expected  # seen once: written field by field, not planned yet
    monkeypatch.setattr(json_logs, "log_json_fields", _no_field_writer)
    assert log_json(first) == expected
    assert log_json(second) == expected_second
    assert '"value":{"doubleValue":-0.0}' in expected_second


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("big", 1 << 63, '{"stringValue":"9223372036854775808"}'),
        ("small", -(1 << 63) - 1, '{"stringValue":"-9223372036854775809"}'),
        ("nan", math.nan, '{"doubleValue":"NaN"}'),
        ("inf", -math.inf, '{"doubleValue":"-Infinity"}'),
    ],
)
def test_values_a_plan_leaves_out_take_the_field_writer(name: str, value: Any, text: str) -> None:
    usual = _item({"v": 1 if isinstance(value, int) else 1.0})
    log_json(usual)
    log_json(usual)  # the shape is planned (at its second record)
    assert any(shape[0] == ("v",) for shape in json_logs._PLANS)
    item = _item({"v": value})
    assert log_json(item) == log_json_fields(item)
    assert f'"attributes":[{{"key":"v","value":{text}}}]' in log_json(item)


def _fresh_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_logs, "_PLANS", {})
    monkeypatch.setattr(json_logs, "_SEEN", set())


def test_a_shape_is_planned_the_second_time_it_comes(monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_memo(monkeypatch)
    item = _item({"a": 1})
    assert log_json(item) == log_json_fields(item)
    assert json_logs._PLANS == {}  # one-off shapes (keys that are data) take no plan
    assert log_json(item) == log_json_fields(item)
    assert [shape[0] for shape in json_logs._PLANS] == [("a",)]
    assert not json_logs._SEEN


def test_a_full_memo_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_memo(monkeypatch)
    monkeypatch.setattr(json_logs, "PLANS_MAX", 2)
    items = [_item({name: 1}) for name in ("a", "b", "c")]
    for item in items:
        for _ in range(2):
            assert log_json(item) == log_json_fields(item)
    # A shape that comes after the memo filled up is planned, not refused for good.
    assert [shape[0] for shape in json_logs._PLANS] == [("c",)]
    monkeypatch.setattr(json_logs, "log_json_fields", _no_field_writer)
    log_json(items[2])


def test_the_seen_once_set_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_memo(monkeypatch)
    monkeypatch.setattr(json_logs, "SEEN_MAX", 10)
    for n in range(25):
        item = _item({f"key-{n}": n})
        assert log_json(item) == log_json_fields(item)
        assert len(json_logs._SEEN) <= 10
    assert json_logs._PLANS == {}


def test_a_shape_with_many_attributes_is_written_field_by_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fresh_memo(monkeypatch)
    item = _item({f"k{n}": n for n in range(json_logs.PLAN_KEYS_MAX + 1)})
    for _ in range(3):
        assert log_json(item) == log_json_fields(item)
    assert json_logs._PLANS == {}
    assert not json_logs._SEEN


def test_sdk_attributes_and_odd_names_match_the_field_writer() -> None:
    bounded = BoundedAttributes(attributes={"a": 1, "b": "x"}, immutable=True)
    for item in (
        _item(bounded),
        _item({"a": 1}, severity_text=[]),  # unhashable but empty: omitted by both
        _item({}, body=None, severity_text=None, event_name=None, timestamp=None),
    ):
        assert log_json(item) == log_json_fields(item)
    with pytest.raises(TypeError):
        log_json(_item({1: "not a str key"}))
    with pytest.raises(TypeError):
        log_json_fields(_item({1: "not a str key"}))


def test_resource_and_scope_text_is_kept_per_object() -> None:
    first = _item({"a": 1})
    assert logs_json([first]) == _json_format_line([first])
    # Another object with the same content groups with it; another content has its own group.
    twin = _item({"a": 2}, resource=Resource.create({"service.name": "svc", "n": 3}))
    other = _item({"a": 3}, resource=RESOURCES[1])
    items = [first, twin, other]
    line = logs_json(items)
    assert line == _json_format_line(items)
    assert line.count('"resource"') == 2
