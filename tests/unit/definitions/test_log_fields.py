"""Logs Insights queries over a category's group read both shapes it holds: the stdout JSON
line and the sidecar collector's record (definitions/log_fields.py). The rendering, the one
mapping it uses, and every shipped query run over both shapes of the same real events (the
SDK's line and OTLP record, the record written as the exporter's JSON); the real collector's
events are checked the same way in tests/e2e/test_collector_aws.py."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from opentelemetry.sdk.trace import TracerProvider

from aurastream_obs.core.conventions import LOG_ATTRIBUTE_KEYS, LOG_EXCEPTION_KEYS
from aurastream_obs.definitions.log_fields import (
    KEYWORDS,
    LINE_ONLY,
    RECORD_FIELDS,
    STRUCTURED_FIELDS,
    both_shapes,
    references,
)
from aurastream_obs.definitions.spec import LogsQuery, SavedQuery
from aurastream_obs.logs import events
from support.logs_insights import (
    comparable,
    exporter_json,
    flatten,
    normalised,
    shipped_queries,
)
from support.sdk_telemetry import events_exported


def test_the_mapping_is_the_otlp_attribute_table_plus_the_exporters_record_fields() -> None:
    for line, key in LOG_ATTRIBUTE_KEYS.items():
        assert STRUCTURED_FIELDS[line] == f"attributes.{key}"
    for key, attribute in LOG_EXCEPTION_KEYS.items():
        assert STRUCTURED_FIELDS[f"exception.{key}"] == f"attributes.{attribute}"
    assert STRUCTURED_FIELDS["event_type"] == "attributes.event.name"
    assert set(STRUCTURED_FIELDS) == {
        *LOG_ATTRIBUTE_KEYS, *(f"exception.{k}" for k in LOG_EXCEPTION_KEYS), *RECORD_FIELDS
    }  # fmt: skip
    assert not KEYWORDS & set(STRUCTURED_FIELDS)  # no field is read as a query word
    assert not set(LINE_ONLY) & set(STRUCTURED_FIELDS)


def test_a_query_is_rewritten_around_its_strings_and_regular_expressions() -> None:
    query = (
        'filter event_type = "level" and message like /customer_id/\n'
        "| stats count(*) as n by customer_id, bin(5m)\n"
        "| sort n desc"
    )
    assert both_shapes(query) == (
        "fields coalesce(event_type, `attributes.event.name`) as log_event_type, "
        "coalesce(message, `body`) as log_message, "
        "coalesce(customer_id, `attributes.aurastream.customer.id`) as log_customer_id\n"
        '| filter log_event_type = "level" and log_message like /customer_id/\n'
        "| stats count(*) as n by log_customer_id as customer_id, bin(5m)\n"
        "| sort n desc"
    )


def test_a_leading_fields_command_carries_the_definitions_in_place() -> None:
    query = 'fields @timestamp, request_id\n| filter event_type = "api_response"'
    assert both_shapes(query) == (
        "fields @timestamp, coalesce(request_id, `attributes.aurastream.request.id`)"
        " as log_request_id, coalesce(event_type, `attributes.event.name`) as log_event_type\n"
        '| filter log_event_type = "api_response"'
    )
    # An alias inside an expression of that command: the definitions go first, on their own.
    assert both_shapes("fields abs(response_time) as t").startswith(
        "fields coalesce(response_time, `attributes.aurastream.response_time_ms`)"
        " as log_response_time\n| fields abs(log_response_time) as t"
    )


def test_presence_is_either_shape_and_nested_data_is_parsed_from_the_attribute() -> None:
    query = "filter ispresent(customer_id)\n| stats sum(data.revenue_usd) as revenue"
    assert both_shapes(query) == (
        'parse `attributes.aurastream.event.data` /"revenue_usd":"?'
        '(?<jsonDataRevenueUsd>[^",}]*)/\n'
        "| fields coalesce(data.revenue_usd, jsonDataRevenueUsd) as log_data_revenue_usd\n"
        "| filter (ispresent(customer_id) or ispresent(`attributes.aurastream.customer.id`))\n"
        "| stats sum(log_data_revenue_usd) as revenue"
    )
    assert [r.line for r in references(query)] == ["customer_id", "data.revenue_usd"]


def test_a_field_only_the_line_has_is_refused() -> None:
    with pytest.raises(ValueError, match="'timestamp' is in the JSON line only: use @timestamp"):
        both_shapes("fields timestamp, message")


def test_queries_over_other_groups_only_ship_as_written() -> None:
    cold = "fields @timestamp, @initDuration\n| filter ispresent(@initDuration)"
    assert both_shapes(cold) == cold  # no line field
    lambda_only = 'filter event_type = "x"'
    assert SavedQuery("q", lambda_only, (), ("function",)).text == lambda_only
    assert LogsQuery(lambda_only, ("application",)).text == both_shapes(lambda_only)


@pytest.fixture
def both(capsys: pytest.CaptureFixture[str]) -> dict[str, list[dict[str, object]]]:
    """Real events, each as its stdout line and as the exporter's JSON of its OTLP record
    (flattened as Logs Insights sees them), by category."""
    with (
        events_exported("shapes") as wire,
        TracerProvider().get_tracer("t").start_as_current_span("request"),
    ):
        events.api_response(request_id="r1", status_code=503, response_time_ms=1500.5,
                            cache_hit=False, customer_id="acme")  # fmt: skip
        events.api_response(request_id="r2", status_code=200, response_time_ms=12.0,
                            cache_hit=True)  # fmt: skip
        events.business_event("analysis", customer_id="acme",
                              data={"revenue_usd": 0.0125, "characters": 42})  # fmt: skip
        events.security_event("failed_authentication", ip_address="203.0.113.9")
        events.error(request_id="r1", error_type="Boom", error_message="down")
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    records = [exporter_json(record) for _scope, record in wire.records()]
    assert len(lines) == len(records) == 5
    shapes: dict[str, list[dict[str, object]]] = {"line": [], "record": []}
    for line, record in zip(lines, records, strict=True):
        assert record["attributes"]["aurastream.log.category"] == line["category"]  # type: ignore[index]
        shapes["line"].append(flatten(line))
        shapes["record"].append(flatten(record))
    return shapes


def _in(events: list[dict[str, object]], categories: tuple[str, ...]) -> list[dict[str, object]]:
    category = ("category", "attributes.aurastream.log.category")
    return [e for e in events if any(e.get(c) in categories for c in category)]


def test_every_shipped_query_reads_the_same_values_from_both_shapes(
    both: dict[str, list[dict[str, object]]],
) -> None:
    for name, text, categories in shipped_queries():
        defined = set(normalised(text, {}))  # the aliases the query defines
        line, record = (
            [normalised(text, e) for e in _in(both[shape], categories)]
            for shape in ("line", "record")
        )
        assert Counter(map(comparable, line)) == Counter(map(comparable, record)), name
        # Each field the query reads has a value in some event of its groups, in each shape.
        for shape in (line, record):
            assert {k for e in shape for k, v in e.items() if v is not None} == defined, name


def test_the_analytics_figures_come_out_of_the_collectors_record(
    both: dict[str, list[dict[str, object]]],
) -> None:
    from aurastream_obs.ops.backends.logs_insights import QUERY, REQUESTS_QUERY

    (business,) = [normalised(QUERY, e) for e in both["record"]
                   if e.get("attributes.event.name") == "business_analysis"]  # fmt: skip
    assert business["log_customer_id"] == "acme"
    assert float(business["log_data_revenue_usd"]) == 0.0125
    answered = [normalised(REQUESTS_QUERY, e) for e in both["record"]
                if e.get("attributes.event.name") == "api_response"]  # fmt: skip
    assert sorted((a["log_customer_id"], a["log_status_code"]) for a in answered
                  if a["log_customer_id"]) == [("acme", 503)]  # fmt: skip


def _reads_line_fields_outside_definitions(query: str) -> list[str]:
    """Line fields a rendered query reads other than in its definitions and `ispresent` pairs."""
    body = [c for c in query.split("\n| ") if not c.startswith(("fields ", "parse "))]
    body_text = re.sub(r"\(ispresent\(\w+\) or ispresent\([^)]*\)\)", "", "\n| ".join(body))
    return [r.line for r in references(body_text)]


def test_every_renderer_ships_the_both_shapes_text() -> None:
    from aurastream_obs.artifacts.cloudformation import dashboard_body
    from aurastream_obs.artifacts.cloudformation_logs import logs_template
    from aurastream_obs.artifacts.grafana import dashboard_document
    from aurastream_obs.definitions import load_definitions

    defs = load_definitions()
    saved = [
        r["Properties"]["QueryString"]
        for r in logs_template(defs)["Resources"].values()
        if r["Type"] == "AWS::Logs::QueryDefinition"
    ]
    widgets = [
        w["properties"]["query"].partition(" | fields ")[2]
        for d in defs.dashboards
        for w in json.loads(dashboard_body(d))["widgets"]
        if w["type"] == "log" and "/aurastream/" in w["properties"]["query"]
    ]
    grafana = [
        t["expression"]
        for d in defs.dashboards
        for p in dashboard_document(d)["panels"]
        for t in p.get("targets", [])
        if "expression" in t and any("/aurastream/" in g["name"] for g in t.get("logGroups", []))
    ]
    for query in (*saved, *("fields " + w for w in widgets), *grafana):
        assert "coalesce(" in query, query
        assert _reads_line_fields_outside_definitions(query) == [], query
    assert len(saved) == len([q for q in defs.saved_queries if q.categories])
    assert widgets and grafana  # (Grafana draws a panel with a PromQL query from Prometheus)
