"""What a Logs Insights query sees of an event, for the queries we ship (moto's Logs Insights
runs only `fields`/`sort`/`limit` over @-fields: it cannot run them).

- `flatten(doc)`: a JSON event's fields as Logs Insights discovers them: nested objects in dot
  notation, array items by index (CloudWatch Logs User Guide, "Fields in JSON logs").
- `normalised(query, fields)`: the values the rendered query's own `parse` commands and
  `coalesce(...) as alias` definitions give one event (definitions/log_fields.both_shapes
  writes them): {alias: value}. It reads the rendered text, so what is tested is what ships.
- `exporter_json(record)`: a decoded OTLP LogRecord as the awscloudwatchlogs exporter writes it
  with raw_log false (exporter.go, logToCWLog), for tests without the collector; the e2e test
  reads the real exporter's events from moto.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_PARSE = re.compile(r"^parse `(?P<field>[^`]+)` /(?P<regex>.*)/$")
_DEFINITION = re.compile(r"coalesce\((?P<line>[\w.@]+), (?P<other>`[^`]+`|\w+)\) as (?P<alias>\w+)")


def flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(doc, Mapping):
        out: dict[str, Any] = {}
        for key, value in doc.items():
            out |= flatten(value, f"{prefix}{key}.")
        return out
    if isinstance(doc, list):
        out = {}
        for n, value in enumerate(doc):
            out |= flatten(value, f"{prefix}{n}.")
        return out
    return {prefix[:-1]: doc}


def normalised(query: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(fields)
    for command in query.split("\n| "):
        if parsed := _PARSE.match(command):
            source = values.get(parsed["field"])
            python_regex = parsed["regex"].replace("(?<", "(?P<")
            match = re.search(python_regex, source) if isinstance(source, str) else None
            if match:
                values |= match.groupdict()
    out = {}
    for definition in _DEFINITION.finditer(query):
        other = definition["other"].strip("`")
        line = values.get(definition["line"])
        out[definition["alias"]] = line if line is not None else values.get(other)
    return out


def comparable(values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Values as Logs Insights compares them: numbers as numbers (parse yields text)."""

    def number(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?[0-9.]+(e[-+]?[0-9]+)?", value):
            return float(value)
        return float(value) if isinstance(value, int | float) else value

    return tuple(sorted((k, number(v)) for k, v in values.items()))


def exporter_json(record: Any) -> dict[str, Any]:
    """A decoded `opentelemetry.proto.logs.v1.LogRecord` as cwLogBody (omitempty fields)."""
    body: dict[str, Any] = {"body": _raw(record.body)}
    if record.severity_number:
        body["severity_number"] = int(record.severity_number)
    if record.severity_text:
        body["severity_text"] = record.severity_text
    if record.flags:
        body["flags"] = record.flags
    if record.trace_id:
        body["trace_id"] = record.trace_id.hex()
    if record.span_id:
        body["span_id"] = record.span_id.hex()
    if record.attributes:
        body["attributes"] = {kv.key: _raw(kv.value) for kv in record.attributes}
    return body


def _raw(value: Any) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_raw(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _raw(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, which)


def shipped_queries() -> Iterable[tuple[str, str, tuple[str, ...]]]:
    """(name, shipped text, categories) of every Logs Insights query over category groups:
    the saved queries, the dashboards' log widgets, the analytics' queries."""
    from aurastream_obs.definitions import load_definitions
    from aurastream_obs.ops.backends.logs_insights import QUERY, REQUESTS_QUERY

    defs = load_definitions()
    for saved in defs.saved_queries:
        if saved.categories:
            yield f"saved query {saved.name}", saved.text, saved.categories
    for dashboard in defs.dashboards:
        for panel in dashboard.panels:
            if panel.logs is not None and panel.logs.categories:
                yield f"widget {panel.title}", panel.logs.text, panel.logs.categories
    yield "analytics customers", QUERY, ("business",)
    yield "analytics requests", REQUESTS_QUERY, ("application",)
