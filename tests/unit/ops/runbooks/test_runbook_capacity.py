"""Concurrency changes never cut capacity under the peak: the step reads the function's peak
`ConcurrentExecutions` from CloudWatch (moto) before reserving, raises the reservation to peak
+ 20 %, and refuses (changing nothing) when that is over the limit or unreadable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aurastream_obs.ops.runbooks import Executor, Limits, RunbookSettings, plan_for
from aurastream_obs.ops.runbooks.capacity import plan_concurrency
from support.runbooks import alert, put_peak, state


def run(clients: Callable[[str], Any], aws: dict[str, Any], concurrency: int) -> Any:
    settings = RunbookSettings(environment=aws["env"], function_name=aws["function"],
                               concurrency=concurrency)  # fmt: skip
    return Executor(clients=clients).run(plan_for(alert("error-rate"), settings), execute=True)[0]


def test_a_reservation_below_the_peak_is_raised_above_it(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    """The seed reserved 100 on a function without a reservation that peaks at 150: a ceiling
    that throttles a third of its calls during the incident."""
    put_peak(clients, aws["function"], 150)
    result = run(clients, aws, 100)
    assert result.outcome == "succeeded", result.detail
    assert state(clients, aws)["concurrency"] == 180  # 150 + 20 %
    assert "unreserved -> 180 (requested 100, raised above peak 150" in result.detail


def test_a_peak_that_needs_more_than_the_limit_is_refused_and_nothing_changes(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    put_peak(clients, aws["function"], 190)  # needs 228 > 200
    before = state(clients, aws)
    result = run(clients, aws, 100)
    assert result.outcome == "refused"
    assert "needs at least 228 reserved, over the limit of 200" in result.detail
    assert state(clients, aws)["concurrency"] is None and before["concurrency"] is None


def test_an_idle_function_gets_what_was_asked(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    result = run(clients, aws, 100)  # no datapoint: nothing ran in the last hour
    assert (result.outcome, state(clients, aws)["concurrency"]) == ("succeeded", 100)


def test_an_existing_higher_reservation_is_never_lowered(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    clients("lambda").put_function_concurrency(FunctionName=aws["function"],
                                               ReservedConcurrentExecutions=190)  # fmt: skip
    put_peak(clients, aws["function"], 20)
    result = run(clients, aws, 100)
    assert result.outcome == "unchanged" and state(clients, aws)["concurrency"] == 190


def test_an_unreadable_peak_refuses(clients: Callable[[str], Any], aws: dict[str, Any]) -> None:
    def no_cloudwatch(service: str) -> Any:
        if service == "cloudwatch":
            raise ConnectionError("CloudWatch unreachable")
        return clients(service)

    settings = RunbookSettings(environment=aws["env"], function_name=aws["function"])
    plan = plan_for(alert("error-rate"), settings)
    result = Executor(clients=no_cloudwatch).run(plan, execute=True)[0]
    assert result.outcome == "refused" and "cannot read peak usage" in result.detail
    assert state(clients, aws)["concurrency"] is None


@pytest.mark.parametrize(
    ("requested", "current", "peak", "decision", "value"),
    [
        (100, None, 0, "set", 100),
        (100, None, 150, "set", 180),
        (100, 120, 150, "set", 180),
        (100, 200, 150, "unchanged", 200),
        (100, None, 170, "refuse", None),  # 204 > 200
        (250, None, 0, "refuse", None),
    ],
)
def test_plan_concurrency(
    requested: int, current: int | None, peak: int, decision: str, value: int | None
) -> None:
    limits = Limits()
    got = plan_concurrency(
        requested, current, peak, limit=limits.max_concurrency, headroom=limits.peak_headroom,
        window_s=limits.peak_window_s,
    )  # fmt: skip
    assert (got.decision, got.value) == (decision, value), got.detail
