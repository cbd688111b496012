"""OTLP/JSON text of one log record (`json_encode.logs_json` writes the request around it).

Records come in a few shapes: one `api_response` record has the same attribute keys, value
classes, severity and event name as the last; only the values differ. So the text of a shape
is planned once (`LogPlan`: its literal pieces, and a C encoder per value) and per record the
values are encoded and joined in between, without a Python call per field or attribute
(callgrind, the reference service's records: ≈42K instructions a record, ≈61K field by field).
Values a plan does not cover (integers beyond int64, NaN and infinities), odd names, a shape
seen for the first time and one with more than `PLAN_KEYS_MAX` attributes take
`log_json_fields`, the field-by-field writer, which tests compare plans with. A shape is planned
the second time it comes (building a plan costs about four records: one-off shapes, e.g. keys
that are data, must not take the memo), and a full memo starts again rather than refusing every
shape that comes after it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from json.encoder import encode_basestring  # C; what json.dumps(ensure_ascii=False) uses
from operator import call
from typing import TYPE_CHECKING, Any, Final

from aurastream_obs.encoding.json_values import (
    INT64_MAX,
    INT64_MIN,
    any_value,
    key_prefix,
    key_values,
)

if TYPE_CHECKING:
    from aurastream_obs.encoding.log_item import LogItem

Encoder = Callable[[Any], str]
# Exact class → (text before, encoder, text after) of an AnyValue; other classes: any_value.
# A plan checks per record that ints are int64 and floats finite (else log_json_fields).
_VALUES: Final[dict[type, tuple[str, Encoder, str]]] = {
    str: ('{"stringValue":', encode_basestring, "}"),
    bool: ('{"boolValue":', {False: "false", True: "true"}.__getitem__, "}"),
    int: ('{"intValue":"', int.__repr__, '"}'),
    float: ('{"doubleValue":', float.__repr__, "}"),
}
_ANY: Final[tuple[str, Encoder, str]] = ("", any_value, "")
# Numeric fields as an f-string writes them (`format`); an absent field's value is ignored.
_ABSENT: Final[Encoder] = "".format
_INT64: Final = range(INT64_MIN, INT64_MAX + 1)
_NO_ATTRIBUTES: Final[dict[str, Any]] = {}
_PLANS: dict[tuple[Any, ...], LogPlan] = {}  # shape (see log_json) → plan
_SEEN: set[tuple[Any, ...]] = set()  # shapes seen once, not planned yet
PLANS_MAX: Final = 1024
SEEN_MAX: Final = 4096
PLAN_KEYS_MAX: Final = 64  # a plan holds its keys and text: big shapes are written field by field


class LogPlan:
    """The text of one record shape: literal `pieces` with a slot between each two, filled in
    with `encoders` applied to the values (time, severity, body, *attribute values, dropped
    attributes, flags, trace id, span id, observed time); `ints` and `floats` index the
    AnyValues to check."""

    __slots__ = ("encoders", "floats", "ints", "pieces")

    def __init__(self, shape: tuple[Any, ...]) -> None:
        keys, classes, severity_text, event_name, *unset = shape
        no_time, no_severity, no_dropped, no_flags, no_trace, no_span, no_observed = unset
        body_class, *value_classes, _, _, trace_class, span_class, _ = classes[2:]
        pairs: list[str | Encoder] = ['"attributes":[']
        for i, (key, cls) in enumerate(zip(keys, value_classes, strict=True)):
            pairs += ("," if i else "", key_prefix(key), *_value(cls), "}")
        pairs.append("]")
        # For an int, "%032x" writes what f"{v:032x}" does, at 60 % of the cost.
        trace = "%032x".__mod__ if trace_class is int else "{:032x}".format
        span = "%016x".__mod__ if span_class is int else "{:016x}".format
        # Fields in field-number order: (set, literal text and encoders).
        fields: list[tuple[bool, list[str | Encoder]]] = [
            (not no_time, ['"timeUnixNano":"', format, '"']),
            (not no_severity, ['"severityNumber":', format]),
            (bool(severity_text), ['"severityText":' + encode_basestring(severity_text or "")]),
            (True, ['"body":', *_value(body_class)]),
            (bool(keys), pairs),
            (not no_dropped, ['"droppedAttributesCount":', format]),
            (not no_flags, ['"flags":', format]),
            (not no_trace, ['"traceId":"', trace, '"']),
            (not no_span, ['"spanId":"', span, '"']),
            (not no_observed, ['"observedTimeUnixNano":"', format, '"']),
            (bool(event_name), ['"eventName":' + encode_basestring(event_name or "")]),
        ]
        tokens: list[str | Encoder] = ["{"]
        sep = ""
        for present, run in fields:
            if present:
                tokens += (sep, *run)
                sep = ","
            else:  # its values still take a slot, written as ""
                tokens += [_ABSENT for token in run if not isinstance(token, str)]
        tokens.append("}")
        pieces = [""]
        self.encoders: tuple[Encoder, ...] = ()
        for token in tokens:
            if isinstance(token, str):
                pieces[-1] += token
            else:
                self.encoders += (token,)
                pieces += ("", "")  # the slot, then the literal text after it
        self.pieces = pieces
        any_values = range(2, 3 + len(keys))  # the body and attribute values
        self.ints = tuple(i for i in any_values if classes[i] is int)
        self.floats = tuple(i for i in any_values if classes[i] is float)


def _value(cls: type) -> tuple[str, Encoder, str]:
    return _VALUES.get(cls, _ANY)


def log_json(item: LogItem) -> str:
    """One LogRecord as its OTLP/JSON object: the plan of its shape, filled in."""
    attributes = item.attributes
    if attributes.__class__ is not dict:
        if attributes is None:
            attributes = _NO_ATTRIBUTES
        else:  # an SDK record's BoundedAttributes: a plain dict copy, as key_values takes
            copy = getattr(attributes, "copy", None)
            attributes = copy() if copy is not None else None
            if attributes.__class__ is not dict:
                return log_json_fields(item)
    time, severity, dropped = item.timestamp, item.severity_number, item.dropped_attributes
    flags, trace_id, span_id = item.flags, item.trace_id, item.span_id
    observed = item.observed_timestamp
    values = (
        time, severity, item.body, *attributes.values(), dropped, flags, trace_id, span_id,
        observed,
    )  # fmt: skip
    shape = (
        tuple(attributes), tuple(map(type, values)), item.severity_text, item.event_name,
        not time, not severity, not dropped, not flags, not trace_id, not span_id, not observed,
    )  # fmt: skip
    try:
        plan = _PLANS.get(shape)
        if plan is None:
            plan = _plan(shape)
            if plan is None:
                return log_json_fields(item)
    except TypeError:  # an unhashable severity text or event name, a key not a str
        return log_json_fields(item)  # writes what it can, raises what it cannot
    for i in plan.ints:
        if values[i] not in _INT64:  # written as a stringValue
            return log_json_fields(item)
    for i in plan.floats:
        if not math.isfinite(values[i]):  # written as "NaN", "Infinity"
            return log_json_fields(item)
    pieces = plan.pieces.copy()
    pieces[1::2] = map(call, plan.encoders, values)
    return "".join(pieces)


def _plan(shape: tuple[Any, ...]) -> LogPlan | None:
    """The shape's new plan, or None: seen for the first time, or too many attributes.
    (Several export threads may get here at once: the sets and dicts stay consistent under the
    GIL, and two plans of one shape are equal; a bound may be passed by a few entries.)"""
    if len(shape[0]) > PLAN_KEYS_MAX:
        return None
    if shape not in _SEEN:
        if len(_SEEN) >= SEEN_MAX:
            _SEEN.clear()
        _SEEN.add(shape)
        return None
    _SEEN.discard(shape)
    if len(_PLANS) >= PLANS_MAX:
        _PLANS.clear()
    plan = _PLANS[shape] = LogPlan(shape)
    return plan


def log_json_fields(item: LogItem) -> str:
    """One LogRecord as its OTLP/JSON object, written field by field."""
    parts = []
    if item.timestamp:
        parts.append(f'"timeUnixNano":"{item.timestamp}"')
    if item.severity_number:
        parts.append(f'"severityNumber":{item.severity_number}')
    if item.severity_text:
        parts.append('"severityText":' + encode_basestring(item.severity_text))
    parts.append('"body":' + any_value(item.body))
    if item.attributes:
        parts.append('"attributes":' + key_values(item.attributes))
    if item.dropped_attributes:
        parts.append(f'"droppedAttributesCount":{item.dropped_attributes}')
    if item.flags:
        parts.append(f'"flags":{item.flags}')
    if item.trace_id:
        parts.append(f'"traceId":"{item.trace_id:032x}"')
    if item.span_id:
        parts.append(f'"spanId":"{item.span_id:016x}"')
    if item.observed_timestamp:
        parts.append(f'"observedTimeUnixNano":"{item.observed_timestamp}"')
    if item.event_name:
        parts.append('"eventName":' + encode_basestring(item.event_name))
    return "{" + ",".join(parts) + "}"
