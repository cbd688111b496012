"""EMF documents: the published schema and every limit of the specification."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest

from aurastream_obs.modes.awslambda.emf import EmfEncoder, EmfStdoutExporter, cloudwatch_unit
from aurastream_obs.modes.awslambda.metrics import LambdaMeterProvider, MetricPoint
from support.paths import EMF_SCHEMA

SCHEMA = json.loads(EMF_SCHEMA.read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)


def validate(doc: dict) -> None:
    VALIDATOR.validate(doc)
    for directive in doc["_aws"]["CloudWatchMetrics"]:
        assert len(directive["Metrics"]) <= 100
        assert all(len(s) <= 30 for s in directive["Dimensions"])
        for metric in directive["Metrics"]:
            value = doc[metric["Name"]]
            assert isinstance(value, int | float) or len(value) <= 100
        for dims in directive["Dimensions"]:
            assert all(isinstance(doc[k], str) and len(doc[k]) <= 1024 for k in dims)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [("s", "Seconds"), ("ms", "Milliseconds"), ("1", "None"), ("{request}", "Count"),
     ("By", "Bytes"), ("USD", "None"), ("weird", "None")],
)  # fmt: skip
def test_units(unit: str, expected: str) -> None:
    assert cloudwatch_unit(unit) == expected


def test_histogram_over_100_values_is_split_and_values_are_kept() -> None:
    values = tuple(float(i) for i in range(250))
    point = MetricPoint("aurastream.sentiment.duration", "s", "histogram", {}, values=values)
    docs = list(EmfEncoder("svc").documents([point]))
    assert len(docs) == 3
    for doc in docs:
        validate(doc)
    assert [v for d in docs for v in d["aurastream.sentiment.duration"]] == list(values)


def test_more_than_100_metrics_and_30_dimensions() -> None:
    attrs = {f"k{i}": "v" for i in range(40)}
    points = [MetricPoint(f"custom.m{i}", "{x}", "sum", attrs, value=1.0) for i in range(150)]
    docs = list(EmfEncoder("svc").documents(points))
    assert len(docs) == 2
    for doc in docs:
        validate(doc)
    names = {m["Name"] for d in docs for x in d["_aws"]["CloudWatchMetrics"] for m in x["Metrics"]}
    assert len(names) == 150


def test_customer_id_is_a_property_and_long_values_are_cut() -> None:
    attrs = {"aurastream.customer.id": "cust-9", "aurastream.activity.type": "x" * 2000}
    point = MetricPoint("aurastream.customer.activity", "{event}", "sum", attrs, value=2.0)
    (doc,) = EmfEncoder("svc").documents([point])
    validate(doc)
    assert doc["aurastream.customer.id"] == "cust-9"
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [
        ["service.name", "aurastream.activity.type"]
    ]


def test_provider_emits_one_flush_and_no_zeros() -> None:
    out = io.StringIO()
    provider = LambdaMeterProvider(EmfStdoutExporter(EmfEncoder("svc"), stream=out).export)
    meter = provider.get_meter("t")
    counter = meter.create_counter("aurastream.lambda.coldstarts", unit="{invocation}")
    hist = meter.create_histogram("http.server.request.duration", unit="s")
    counter.add(1)
    hist.record(0.2, {"http.route": "/v1/analyze", "http.response.status_code": 200})
    provider.force_flush()
    first = [json.loads(line) for line in out.getvalue().splitlines()]
    for doc in first:
        validate(doc)
    assert {k for d in first for k in d} >= {"aurastream.lambda.coldstarts"}
    out.truncate(0)
    out.seek(0)
    provider.force_flush()
    assert out.getvalue() == ""  # nothing recorded since: no document, no zero
