"""Runbooks against a real moto server (Lambda, SSM, WAFv2) and botocore's Stubber for the
WAF optimistic-lock conflict, which moto cannot produce between our read and our write."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from aurastream_obs.ops.runbooks import Executor, Limits, RunbookRefused, RunbookSettings, plan_for
from support.runbooks import alert, state


def settings(aws: dict[str, Any], **kw: Any) -> RunbookSettings:
    return RunbookSettings(
        environment=aws["env"], function_name=aws["function"], ip_set_name=aws["ip_set"]["Name"],
        ip_set_id=aws["ip_set"]["Id"], **kw,
    )  # fmt: skip


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "category", None) == "audit"]


@pytest.mark.parametrize(
    ("signal", "labels"),
    [("error-rate", {}), ("latency-p99", {}), ("availability", {}),
     ("security-incident", {"suspicious_ips": "198.51.100.7, 203.0.113.0/28"})],
)  # fmt: skip
def test_dry_run_changes_nothing_but_audits_the_plan(
    clients: Callable[[str], Any], aws: dict[str, Any], caplog: pytest.LogCaptureFixture,
    signal: str, labels: dict[str, str],
) -> None:  # fmt: skip
    caplog.set_level(logging.INFO)
    before = state(clients, aws)
    plan = plan_for(alert(signal, **labels), settings(aws))
    results = Executor(clients=clients).run(plan, execute=False)
    assert state(clients, aws) == before
    assert [r.outcome for r in results] == ["planned"] * len(plan.actions)
    lines = audit_lines(caplog)
    assert [r.action for r in lines] == [a.kind for a in plan.actions]  # type: ignore[attr-defined]
    assert {r.mode for r in lines} == {"dry-run"}  # type: ignore[attr-defined]


def test_high_error_rate_executes_within_limits(
    clients: Callable[[str], Any], aws: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    plan = plan_for(alert("error-rate"), settings(aws, concurrency=150))
    results = Executor(clients=clients).run(plan, execute=True)
    after = state(clients, aws)
    assert after["concurrency"] == 150
    assert after["params"] == {f"/aurastream/{aws['env']}/circuit-breaker": "open"}
    assert [r.outcome for r in results] == ["succeeded", "succeeded", "skipped"]  # no router
    again = Executor(clients=clients).run(plan, execute=True)
    assert [r.outcome for r in again[:2]] == ["unchanged"] * 2  # never lowers, never repeats
    outcomes = [(r.action, r.outcome, r.mode) for r in audit_lines(caplog)]  # type: ignore[attr-defined]
    assert ("lambda.raise_concurrency", "succeeded", "execute") in outcomes


def test_high_latency_warms_a_cold_cache_and_raises_memory(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    warmed: list[int] = []
    executor = Executor(clients=clients, warm_cache=lambda: warmed.append(1) or 42)
    plan = plan_for(alert("latency-p99"), settings(aws, cache_hit_rate=lambda: 0.3))
    results = executor.run(plan, execute=True)
    assert [r.action.kind for r in results] == ["cache.warm", "lambda.raise_memory", "notify"]
    assert warmed == [1] and state(clients, aws)["memory"] == 1024
    warm_plan = plan_for(alert("latency-p99"), settings(aws, cache_hit_rate=lambda: 0.9))
    assert "cache.warm" not in [a.kind for a in warm_plan.actions]


def test_service_down_restarts_keeping_the_environment(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    Executor(clients=clients).run(plan_for(alert("availability"), settings(aws)), execute=True)
    env = state(clients, aws)["env"]
    assert env["KEEP"] == "me" and "AURASTREAM_RESTARTED_AT" in env


def test_service_down_fails_over_when_aws_is_unhealthy(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    plan = plan_for(alert("availability"), settings(aws, aws_healthy=lambda: False))
    Executor(clients=clients).run(plan, execute=True)
    assert state(clients, aws)["params"] == {
        f"/aurastream/{aws['env']}/analyzer-failover": "lexicon"
    }


def test_security_incident_blocks_ips_in_the_waf_ip_set(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    a = alert("security-incident", suspicious_ips="198.51.100.7 203.0.113.0/28")
    Executor(clients=clients).run(plan_for(a, settings(aws)), execute=True)
    assert state(clients, aws)["addresses"] == ["192.0.2.1/32", "198.51.100.7/32", "203.0.113.0/28"]


@pytest.mark.parametrize(
    ("kw", "labels", "message"),
    [({"concurrency": 5000}, {}, "concurrency 5000 outside 1..200"),
     ({"memory_mb": 10240}, {}, "memory 10240 MB outside 128..3008"),
     ({}, {"suspicious_ips": "10.1.2.3"}, "internal range"),
     ({}, {"suspicious_ips": "0.0.0.0/0"}, "wider than /16"),
     ({}, {"suspicious_ips": " ".join(f"198.51.100.{i}" for i in range(60))}, "over the limit")],
)  # fmt: skip
def test_over_the_hard_limit_is_refused_and_nothing_runs(
    clients: Callable[[str], Any], aws: dict[str, Any], caplog: pytest.LogCaptureFixture,
    *, kw: dict[str, Any], labels: dict[str, str], message: str,
) -> None:  # fmt: skip
    caplog.set_level(logging.INFO)
    signal = (
        "security-incident" if labels else ("error-rate" if "concurrency" in kw else "latency-p99")
    )
    before = state(clients, aws)
    plan = plan_for(alert(signal, **labels), settings(aws, **kw))
    with pytest.raises(RunbookRefused, match=message):
        Executor(clients=clients).run(plan, execute=True)
    assert state(clients, aws) == before
    assert "refused" in [r.outcome for r in audit_lines(caplog)]  # type: ignore[attr-defined]


def test_limits_are_configurable_but_hard(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    plan = plan_for(alert("error-rate"), settings(aws, concurrency=150))
    with pytest.raises(RunbookRefused):
        Executor(clients=clients, limits=Limits(max_concurrency=100)).run(plan, execute=False)


def test_waf_lock_conflict_is_retried_once_with_stubber() -> None:
    import boto3
    from botocore.stub import Stubber

    waf = boto3.client("wafv2", region_name="eu-west-1", aws_access_key_id="x",
                       aws_secret_access_key="x")  # fmt: skip
    ident = {"Name": "blocked", "Scope": "REGIONAL", "Id": "a" * 36}
    arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/blocked/x"
    got = {"IPSet": {"Name": "blocked", "Id": "a" * 36, "ARN": arn, "IPAddressVersion": "IPV4",
                     "Addresses": []}, "LockToken": "t1"}  # fmt: skip
    with Stubber(waf) as stub:
        stub.add_response("get_ip_set", got, ident)
        stub.add_client_error("update_ip_set", "WAFOptimisticLockException")
        stub.add_response("get_ip_set", dict(got, LockToken="t2"), ident)
        expected = {**ident, "Addresses": ["198.51.100.7/32"], "LockToken": "t2"}
        stub.add_response("update_ip_set", {"NextLockToken": "t3"}, expected)
        a = alert("security-incident", suspicious_ips="198.51.100.7")
        plan = plan_for(a, RunbookSettings(ip_set_name="blocked", ip_set_id="a" * 36))
        results = Executor(clients=lambda _: waf).run(plan, execute=True)
        stub.assert_no_pending_responses()
    assert results[0].outcome == "succeeded"
