"""One EMF document per flush: CloudWatch extracts every metric with its dimensions, exactly.

`extract` reads a document as CloudWatch does, strictly by AWS's specification ("Specification:
Embedded metric format", CloudWatch user guide): the published JSON schema; `_aws` holds only
`Timestamp` and `CloudWatchMetrics`; per directive ≤ 100 metrics and ≤ 30 keys per dimension
set; every dimension key a top-level member with a string value ≤ 1024 characters; every
metric a top-level member, a number or an array of ≤ 100 numbers. What it extracts must equal
what the points say (each declared dimension set of each point, with its values), value for
value, and each point's own properties (attributes that are no dimension, the invocation's ids)
must sit in the document that carries its values.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurastream_obs.core.conventions import SERVICE_NAME
from aurastream_obs.logs.invocation import CURRENT, Invocation
from aurastream_obs.modes.awslambda.emf import (
    EmfEncoder,
    EmfStdoutExporter,
    cloudwatch_unit,
    dimension_sets,
)
from aurastream_obs.modes.awslambda.metrics import MetricPoint
from support.paths import EMF_SCHEMA

VALIDATOR = jsonschema.Draft7Validator(json.loads(EMF_SCHEMA.read_text()))
NAMESPACE = "AuraStream/Application"
Datum = tuple[str, str, str, tuple[tuple[str, str], ...], tuple[float, ...]]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def extract(doc: dict[str, Any]) -> list[Datum]:
    """(namespace, metric, unit, dimensions, values) for every metric and dimension set."""
    VALIDATOR.validate(doc)
    assert set(doc["_aws"]) == {"Timestamp", "CloudWatchMetrics"}
    found: list[Datum] = []
    names = [m["Name"] for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
    assert len(names) == len(set(names)), f"a metric declared twice: {names}"
    for directive in doc["_aws"]["CloudWatchMetrics"]:
        assert 0 < len(directive["Metrics"]) <= 100
        for dims in directive["Dimensions"]:
            assert len(dims) <= 30
            for key in dims:
                assert isinstance(doc.get(key), str), (key, doc.get(key))
                assert len(doc[key]) <= 1024
        for metric in directive["Metrics"]:
            value = doc[metric["Name"]]
            values = tuple(value) if isinstance(value, list) else (value,)
            assert 0 < len(values) <= 100 and all(_number(v) for v in values), value
            for dims in directive["Dimensions"]:
                found.append(
                    (
                        directive["Namespace"],
                        metric["Name"],
                        metric.get("Unit", "None"),
                        tuple(sorted((k, doc[k]) for k in dims)),
                        values,
                    )
                )
    return found


def _render(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)[:1024]


def expected(points: list[MetricPoint], service: str = "svc") -> Counter[Datum]:
    """What CloudWatch must get from `points`: per declared dimension set, the values (a long
    histogram in chunks of 100, the specification's limit per member)."""
    want: Counter[Datum] = Counter()
    for point in points:
        attrs = {**point.attributes, SERVICE_NAME: service}
        values = point.values if point.kind == "histogram" else (point.value,)
        chunks = [tuple(values[i : i + 100]) for i in range(0, len(values), 100)]
        for dims in dimension_sets(point.name, frozenset(point.attributes)):
            dimensions = tuple(sorted((k, _render(attrs[k]) if k != SERVICE_NAME else service)
                                      for k in dims))  # fmt: skip
            for chunk in chunks:
                want[(NAMESPACE, point.name, cloudwatch_unit(point.unit), dimensions, chunk)] += 1
    return want


def extracted(docs: list[dict[str, Any]]) -> Counter[Datum]:
    return Counter(datum for doc in docs for datum in extract(doc))


def rendered(points: list[MetricPoint]) -> dict[int, dict[str, Any]]:
    """Each point's attributes as its own documents carried them before one document per
    flush: strings where a dimension of any metric of its attribute set, else as recorded."""
    dimension_keys: dict[frozenset[tuple[str, Any]], set[str]] = {}
    for point in points:
        keys = dimension_keys.setdefault(frozenset(point.attributes.items()), set())
        for dims in dimension_sets(point.name, frozenset(point.attributes)):
            keys.update(dims)
    out = {}
    for point in points:
        keys = dimension_keys[frozenset(point.attributes.items())]
        out[id(point)] = {k: _render(v) if k in keys else v for k, v in point.attributes.items()}
    return out


@pytest.fixture
def invocation() -> Iterator[None]:
    token = CURRENT.set(Invocation("req-1", False, "fn", correlation_id="corr-9"))
    yield
    CURRENT.reset(token)


def _point(name: str, unit: str, kind: str, attrs: dict[str, Any], value: Any) -> MetricPoint:
    if kind == "histogram":
        return MetricPoint(name, unit, "histogram", attrs, values=tuple(value))
    return MetricPoint(name, unit, kind, attrs, value=float(value))  # type: ignore[arg-type]


INVOCATION = [  # what one analyze invocation records (signals/instruments.py)
    _point("aurastream.cache.lookups", "{lookup}", "sum", {"aurastream.cache.hit": False}, 1),
    _point("aurastream.sentiment.analyses", "{analysis}", "sum",
           {"sentiment": "POSITIVE", "aurastream.analyzer": "lexicon"}, 1),
    _point("aurastream.sentiment.confidence", "1", "histogram", {"sentiment": "POSITIVE"}, [0.93]),
    _point("aurastream.sentiment.duration", "s", "histogram",
           {"sentiment": "POSITIVE", "aurastream.analyzer": "lexicon"}, [0.0012]),
    _point("aurastream.lambda.coldstarts", "{invocation}", "sum", {}, 1),
]  # fmt: skip


def test_one_invocation_is_one_document_with_every_metric_and_dimension(invocation: None) -> None:
    encoder = EmfEncoder("svc", NAMESPACE, {"cloud.region": "eu-west-1"})
    (doc,) = encoder.documents(INVOCATION)
    assert extracted([doc]) == expected(INVOCATION)
    assert len(doc["_aws"]["CloudWatchMetrics"]) == 4  # one directive per distinct layout
    # Properties: the invocation's ids, the region, the attribute that is no dimension.
    assert doc["function_request_id"] == "req-1" and doc["correlation_id"] == "corr-9"
    assert doc["cloud.region"] == "eu-west-1"
    assert doc["aurastream.analyzer"] == "lexicon"
    assert doc["aurastream.cache.hit"] == "false"  # a dimension value is a string


def test_the_exporter_writes_that_document_as_one_line(invocation: None) -> None:
    class Out:
        def __init__(self) -> None:
            self.writes: list[str] = []

        def write(self, text: str) -> None:
            self.writes.append(text)

        def flush(self) -> None:
            pass

    out = Out()
    assert EmfStdoutExporter(EmfEncoder("svc", NAMESPACE), stream=out).export(INVOCATION)  # type: ignore[arg-type]
    (text,) = out.writes
    assert text.endswith("\n") and text.count("\n") == 1
    assert extracted([json.loads(text)]) == expected(INVOCATION)


def test_conflicting_values_split_the_flush_without_misattributing_properties() -> None:
    points = [
        _point("aurastream.cache.lookups", "{lookup}", "sum", {"aurastream.cache.hit": True}, 2),
        _point("aurastream.cache.lookups", "{lookup}", "sum", {"aurastream.cache.hit": False}, 1),
        _point("aurastream.revenue", "USD", "sum", {"aurastream.customer.id": "c1"}, 0.5),
        _point("aurastream.revenue", "USD", "sum", {"aurastream.customer.id": "c2"}, 0.7),
        _point("aurastream.usage", "{unit}", "sum", {"aurastream.customer.id": "c1"}, 3),
        _point("aurastream.sentiment.analyses", "{analysis}", "sum", {"sentiment": "MIXED"}, 1),
    ]
    docs = EmfEncoder("svc", NAMESPACE).documents(points)
    assert extracted(docs) == expected(points)
    by_metric: dict[tuple[str, float], dict[str, Any]] = {}
    for doc in docs:
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                by_metric[(metric["Name"], doc[metric["Name"]])] = doc
    # Each customer's values with that customer; c1's usage with c1's revenue.
    assert by_metric[("aurastream.revenue", 0.5)]["aurastream.customer.id"] == "c1"
    assert by_metric[("aurastream.revenue", 0.7)]["aurastream.customer.id"] == "c2"
    assert by_metric[("aurastream.usage", 3.0)] is by_metric[("aurastream.revenue", 0.5)]
    # Recorded without a customer: never in a document that names one (two exist here).
    analyses = by_metric[("aurastream.sentiment.analyses", 1.0)]
    assert "aurastream.customer.id" not in analyses
    assert "aurastream.cache.hit" not in analyses  # a hit and a miss: neither is its context
    assert len(docs) == 5


def test_long_histograms_and_many_metrics_stay_within_the_limits() -> None:
    points = [
        _point("aurastream.sentiment.duration", "s", "histogram", {}, [i / 8 for i in range(250)]),
        _point("aurastream.cache.lookups", "{lookup}", "sum", {"aurastream.cache.hit": True}, 4),
        *(_point(f"custom.m{i}", "{x}", "sum", {"k": "v"}, i + 1) for i in range(150)),
    ]  # fmt: skip
    docs = EmfEncoder("svc", NAMESPACE).documents(points)
    assert extracted(docs) == expected(points)
    assert all(sum(len(d["Metrics"]) for d in doc["_aws"]["CloudWatchMetrics"]) <= 100
               for doc in docs)  # fmt: skip


KEYS = st.sampled_from(
    ["aurastream.cache.hit", "sentiment", "aurastream.customer.id", "aurastream.analyzer", "k"]
)
# No two values equal as Python compares them (False == 0): a series key cannot hold both.
VALUES = st.sampled_from([True, False, "a", "b", "POSITIVE", 7, "7"])
NAMES = st.sampled_from(
    ["aurastream.cache.lookups", "aurastream.sentiment.analyses", "aurastream.revenue",
     "aurastream.sentiment.duration", "http.server.request.duration", "custom.x", "custom.y"]
)  # fmt: skip
POINTS = st.lists(
    st.tuples(NAMES, st.dictionaries(KEYS, VALUES, max_size=3), st.booleans(),
              st.integers(1, 130)),
    max_size=12,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(POINTS)
def test_any_flush_extracts_exactly_and_keeps_each_points_context(spec: list[Any]) -> None:
    points, seen = [], set()
    counter = iter(range(1, 1_000_000))
    for name, attrs, histogram, size in spec:
        if (name, tuple(sorted(attrs.items(), key=str))) in seen:
            continue  # one series per metric and attribute set (as a collection gives)
        seen.add((name, tuple(sorted(attrs.items(), key=str))))
        if histogram:  # unique values: each one names the point it came from
            points.append(
                _point(name, "s", "histogram", attrs, [next(counter) for _ in range(size)])
            )
        else:
            points.append(_point(name, "{x}", "sum", attrs, next(counter)))
    encoder = EmfEncoder("svc", NAMESPACE)
    docs = encoder.documents(points, timestamp_ms=1)
    assert extracted(docs) == expected(points)
    # What the exporter writes: the same documents, byte for byte (twice: memoised the 2nd time)
    encode = json.JSONEncoder(separators=(",", ":"), default=str).encode
    for _ in range(2):
        assert encoder.lines(points, encode, timestamp_ms=1) == [encode(doc) for doc in docs]
    owner = {v: p for p in points for v in (p.values if p.kind == "histogram" else (p.value,))}
    members = rendered(points)
    values: dict[str, set[str]] = {}
    for point in points:
        for key, value in members[id(point)].items():
            values.setdefault(key, set()).add(f"{type(value).__name__}:{value!r}")
    disputed = {key for key, found in values.items() if len(found) > 1}
    for doc in docs:
        carried = [doc[m["Name"]] for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]]
        sources = [owner[v[0] if isinstance(v, list) else v] for v in carried]
        dimension_keys = {k for d in doc["_aws"]["CloudWatchMetrics"] for s in d["Dimensions"]
                          for k in s}  # fmt: skip
        for source in sources:  # its own attributes: a dimension's string, else as recorded
            for key, value in source.attributes.items():
                want = _render(value) if key in dimension_keys else value
                assert type(doc[key]) is type(want) and doc[key] == want, (key, doc[key])
        for key in disputed & set(doc):  # a disputed key: every point of the document had it
            assert all(key in source.attributes for source in sources), (key, doc)


def test_a_memoised_plan_takes_each_flushs_values_and_ids() -> None:
    """The plan is memoised per shape; the values and the invocation's ids never are."""
    encoder = EmfEncoder("svc", NAMESPACE)
    encode = json.JSONEncoder(separators=(",", ":"), default=str).encode
    for n in (1, 2, 3):
        points = [
            _point(
                "aurastream.cache.lookups", "{lookup}", "sum", {"aurastream.cache.hit": True}, n
            ),
            _point("aurastream.sentiment.duration", "s", "histogram", {}, [n / 10] * n),
        ]
        token = CURRENT.set(Invocation(f"req-{n}", n == 1, "fn", correlation_id=f"corr-{n}"))
        try:
            (line,) = encoder.lines(points, encode, timestamp_ms=n)
            (doc,) = encoder.documents(points, timestamp_ms=n)
        finally:
            CURRENT.reset(token)
        assert json.loads(line) == doc
        assert doc["aurastream.cache.lookups"] == n
        assert doc["aurastream.sentiment.duration"] == [n / 10] * n
        assert (doc["function_request_id"], doc["correlation_id"]) == (f"req-{n}", f"corr-{n}")
        assert doc["_aws"]["Timestamp"] == n
        assert extracted([doc]) == expected(points)


def test_a_full_plan_memo_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shapes that come after the memo filled up (customer ids as attributes, say) are
    memoised too, not planned anew at every flush; the documents stay the same."""
    from aurastream_obs.modes.awslambda import emf

    monkeypatch.setattr(emf, "_PLAN_MEMO_MAX", 2)
    encoder = EmfEncoder("svc", NAMESPACE)
    encode = json.JSONEncoder(separators=(",", ":"), default=str).encode
    shapes = [
        [_point("aurastream.cache.lookups", "{lookup}", "sum", {"aurastream.cache.hit": hit}, 1)]
        for hit in (True, False, "maybe")
    ]
    for points in shapes:
        (line,) = encoder.lines(points, encode, timestamp_ms=1)
        assert extracted([json.loads(line)]) == expected(points)
    assert len(encoder._plans) == 1  # full at two: started again with the third shape
    (planned,) = encoder._plans.values()
    assert encoder._plan(shapes[2], {}) is planned
