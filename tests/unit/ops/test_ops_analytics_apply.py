"""`analytics --apply` for provisioned concurrency, with botocore's Stubber: moto 5 has no
provisioned-concurrency API (Get/PutProvisionedConcurrencyConfig). The stubs check the exact
parameters of every call, so an unexpected call (an apply in recommend-only mode, a put above
the cap) fails the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.ops.analytics import recommend as r
from aurastream_obs.ops.analytics.figures import build_analytics
from aurastream_obs.ops.backends.local_files import LocalFilesBackend
from support.otlp_data import NOW_NS, latency_histogram, metrics_line, write_lines

OK = {"http.request.method": "POST", "http.route": "/v1/analyze", "http.response.status_code": 200}
FN = {"FunctionName": "fn"}
LIVE = {"FunctionName": "fn", "Qualifier": "live"}


@pytest.fixture
def slow(tmp_path: Path) -> LocalFilesBackend:
    """Every request took 1.5 s: p99 over 1000 ms, so the seed AutoScaler wants x1.5."""
    write_lines(
        tmp_path / "metrics.jsonl", metrics_line(latency_histogram([(OK, NOW_NS, [1.5] * 50)]))
    )
    return LocalFilesBackend(tmp_path)


@pytest.fixture
def stubbed() -> Iterator[tuple[Callable[[str], Any], Any, Any]]:
    """(clients factory, Lambda stubber, Logs stubber); every queued response must be used."""
    import boto3
    from botocore.stub import Stubber

    made = {s: boto3.client(s, region_name="eu-west-1", aws_access_key_id="x",
                            aws_secret_access_key="x") for s in ("lambda", "logs")}  # fmt: skip
    lam, logs = Stubber(made["lambda"]), Stubber(made["logs"])
    with lam, logs:
        yield made.__getitem__, lam, logs
        lam.assert_no_pending_responses()
        logs.assert_no_pending_responses()


def _reads(lam: Any, logs: Any) -> None:
    """The reads before the provisioned-concurrency lookup: memory config and a Logs
    Insights answer with no REPORT lines (so no memory recommendation)."""
    from botocore.stub import ANY

    lam.add_response("get_function_configuration", {"FunctionName": "fn", "MemorySize": 1024}, FN)
    logs.add_response("start_query", {"queryId": "q1"},
                      {"logGroupName": "/aws/lambda/fn", "startTime": ANY, "endTime": ANY,
                       "queryString": ANY})  # fmt: skip
    logs.add_response("get_query_results", {"status": "Complete", "results": []}, {"queryId": "q1"})


def test_apply_puts_provisioned_concurrency_on_live_clamped_to_the_cap(
    slow: LocalFilesBackend, stubbed: tuple[Callable[[str], Any], Any, Any]
) -> None:
    clients, lam, logs = stubbed
    _reads(lam, logs)
    lam.add_response("get_provisioned_concurrency_config",
                     {"RequestedProvisionedConcurrentExecutions": 90}, LIVE)  # fmt: skip
    # 90 x 1.5 = 135 is clamped to the cap of 100 before anything is applied.
    lam.add_response("put_provisioned_concurrency_config",
                     {"RequestedProvisionedConcurrentExecutions": 100, "Status": "IN_PROGRESS"},
                     {**LIVE, "ProvisionedConcurrentExecutions": 100})  # fmt: skip
    report = build_analytics(slow, "1h", function="fn", apply=True, clients=clients)
    (rec,) = report.recommendations
    assert (rec.kind, rec.target, rec.current, rec.recommended, rec.applied) == (
        "provisioned_concurrency", "fn", 90, r.MAX_PROVISIONED, True,
    )  # fmt: skip
    assert r.MAX_PROVISIONED == 100


def test_without_apply_nothing_is_put(
    slow: LocalFilesBackend, stubbed: tuple[Callable[[str], Any], Any, Any]
) -> None:
    clients, lam, logs = stubbed
    _reads(lam, logs)
    lam.add_response("get_provisioned_concurrency_config",
                     {"RequestedProvisionedConcurrentExecutions": 20}, LIVE)  # fmt: skip
    report = build_analytics(slow, "1h", function="fn", clients=clients)  # no put is queued
    (rec,) = report.recommendations
    assert (rec.current, rec.recommended, rec.applied) == (20, 30, False)


def test_apply_refuses_a_recommendation_above_the_cap() -> None:
    """A recommendation built elsewhere (or tampered with) is re-checked at apply time."""
    import boto3
    from botocore.stub import Stubber

    lam = boto3.client("lambda", region_name="eu-west-1", aws_access_key_id="x",
                       aws_secret_access_key="x")  # fmt: skip
    rec = r.Recommendation("provisioned_concurrency", "fn", 90, 101, "too many")
    with Stubber(lam) as stub, pytest.raises(ValueError, match=r"101 outside \[0, 100\]"):
        r.apply_recommendation(rec, clients=lambda service: lam)  # a put would be unstubbed
    stub.assert_no_pending_responses()


def test_no_provisioned_concurrency_configured_counts_as_zero(
    slow: LocalFilesBackend, stubbed: tuple[Callable[[str], Any], Any, Any]
) -> None:
    clients, lam, logs = stubbed
    _reads(lam, logs)
    lam.add_client_error("get_provisioned_concurrency_config",
                         "ProvisionedConcurrencyConfigNotFoundException", http_status_code=404,
                         expected_params=LIVE)  # fmt: skip
    (rec,) = build_analytics(slow, "1h", function="fn", clients=clients).recommendations
    assert (rec.current, rec.recommended) == (0, r.MIN_PROVISIONED)


def test_any_other_lookup_error_propagates_and_nothing_is_applied(
    slow: LocalFilesBackend, stubbed: tuple[Callable[[str], Any], Any, Any]
) -> None:
    from botocore.exceptions import ClientError

    clients, lam, logs = stubbed
    _reads(lam, logs)
    lam.add_client_error("get_provisioned_concurrency_config", "AccessDeniedException",
                         "not authorized", http_status_code=403, expected_params=LIVE)  # fmt: skip
    with pytest.raises(ClientError) as raised:
        build_analytics(slow, "1h", function="fn", apply=True, clients=clients)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
