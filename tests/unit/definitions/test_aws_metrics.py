"""The metric catalog and the rule every CloudWatch query obeys: the resource it points at
publishes the metric, under exactly one of its dimension sets, with a meaningful statistic."""

from __future__ import annotations

import dataclasses

import pytest

from aurastream_obs.definitions import DefinitionError, load_definitions, validate
from aurastream_obs.definitions import sources as s
from aurastream_obs.definitions.aws_metrics import catalog, lookup
from aurastream_obs.definitions.deployment import RESOURCES, TABLE_OPERATIONS
from aurastream_obs.definitions.infrastructure_coverage import SEED_INFRASTRUCTURE
from aurastream_obs.definitions.kpi_queries import kpi_queries
from aurastream_obs.definitions.metric_check import metric_problem, metrics_of
from aurastream_obs.definitions.spec import CwExpression, CwMetric, Definitions
from support.aws_sinks import referenced_metrics


def test_every_entry_is_written_from_an_aws_page() -> None:
    for spec in catalog():
        assert spec.source.startswith("https://docs.aws.amazon.com/"), spec
        assert spec.dimension_sets and spec.statistics, spec


def test_http_and_rest_apis_publish_different_names() -> None:
    assert lookup("http-api", "AWS/ApiGateway", "5xx") is not None
    assert lookup("http-api", "AWS/ApiGateway", "5XXError") is None
    assert lookup("rest-api", "AWS/ApiGateway", "5XXError") is not None
    http = lookup("http-api", "AWS/ApiGateway", "Count")
    assert http is not None and frozenset({"ApiId", "Stage"}) in http.dimension_sets
    assert frozenset({"ApiName"}) not in http.dimension_sets


def test_a_rest_metric_on_the_http_api_is_one_clear_line() -> None:
    rest = CwMetric("AWS/ApiGateway", "5XXError", "Sum", s.api("5xx").dimensions, "", "api")
    problem = metric_problem(rest)
    assert problem is not None and "\n" not in problem
    assert problem.startswith("AWS/ApiGateway 5XXError (a REST API metric) is not a metric of "
                              "an HTTP API, which publishes 4xx, 5xx, Count")  # fmt: skip


def test_dynamodb_operation_metrics_need_the_operation() -> None:
    problem = metric_problem(s.table("ThrottledRequests"))
    assert problem == (
        "AWS/DynamoDB ThrottledRequests by TableName does not exist: "
        "it is published by Operation+TableName"
    )
    assert metric_problem(s.table("ThrottledRequests", operation="GetItem")) is None
    summed = s.table_operations("SystemErrors")
    assert [m.dimensions[-1] for _, m in summed.metrics] == [
        ("Operation", op) for op in TABLE_OPERATIONS
    ]


def test_statistics_must_mean_something() -> None:
    assert "statistic Sum means nothing" in str(
        metric_problem(s.queue("ApproximateAgeOfOldestMessage", "alert-router-dlq", "Sum"))
    )
    assert "statistic p99 means nothing" in str(metric_problem(s.function("Errors", "p99")))
    assert metric_problem(s.function("Duration", "p99")) is None
    assert metric_problem(s.api("Latency", "PR(:1000)")) is None


def test_a_metric_must_name_its_resource() -> None:
    renamed = dataclasses.replace(s.function("Errors"), dimensions=(("FunctionName", "other"),))
    assert "do not name function" in str(metric_problem(renamed))
    # Our EMF metrics: exactly a declared dimension set (never a customer id).
    customer = s.app("aurastream.usage", **{"aurastream__customer__id": "acme"})
    assert "does not exist" in str(metric_problem(customer))


def _with_alarm_source(
    defs: Definitions, name: str, source: CwMetric | CwExpression
) -> Definitions:
    alarms = tuple(
        dataclasses.replace(a, cloudwatch=source) if a.name == name else a for a in defs.alarms
    )
    return dataclasses.replace(defs, alarms=alarms)


def test_validation_rejects_a_metric_the_resource_does_not_publish() -> None:
    bad = CwMetric("AWS/ApiGateway", "5XXError", "Sum", s.api("5xx").dimensions, "", "api")
    with pytest.raises(DefinitionError) as info:
        validate(_with_alarm_source(load_definitions(), "api-5xx", bad))
    assert info.value.definition == "alarm 'api-5xx'" and info.value.field == "cloudwatch.m"
    assert "REST API metric" in str(info.value)


def test_every_definition_and_kpi_query_reads_an_existing_metric() -> None:
    defs = load_definitions()
    metrics = list(referenced_metrics(defs))
    metrics += [m for q in kpi_queries().values() for _, m in metrics_of(q)]
    assert metrics and all(m.resource in RESOURCES for m in metrics)
    assert [p for m in metrics if (p := metric_problem(m))] == []


def test_the_operators_infrastructure_metrics_are_covered() -> None:
    """Each listed metric that applies to what we deploy is read by an alarm or a widget;
    the one log field by a query; the others say why they do not apply."""
    defs = load_definitions()
    read = {(RESOURCES[m.resource].kind, m.name) for m in referenced_metrics(defs)}
    queries = [q.query for q in defs.saved_queries] + [
        p.logs.query for d in defs.dashboards for p in d.panels if p.logs
    ]
    assert len(SEED_INFRASTRUCTURE) == 26  # API Gateway 7, Lambda 7, DynamoDB 6, S3 6
    for row in SEED_INFRASTRUCTURE:
        if row.how == "metric":
            assert (row.kind, row.metric) in read, row
            assert row.kind is not None and row.metric is not None
            assert lookup(row.kind, *_namespace(row.kind), row.metric) is not None, row
        elif row.how == "log field":
            assert any("@initDuration" in q for q in queries)
        else:
            assert row.note, row
    covered = [r for r in SEED_INFRASTRUCTURE if r.how != "not deployed"]
    assert len(covered) == 18


def _namespace(kind: str) -> tuple[str]:
    return ({"http-api": "AWS/ApiGateway", "lambda": "AWS/Lambda",
             "dynamodb": "AWS/DynamoDB"}[kind],)  # fmt: skip
