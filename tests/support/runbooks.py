"""Shared by the runbook tests: an alert for a signal and a snapshot of the AWS state the
runbooks may change (reserved concurrency, memory, environment, SSM flags, WAF addresses)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aurastream_obs.ops.alerts.alert import Alert


def alert(signal: str, **labels: str) -> Alert:
    return Alert(f"aurastream-prod-{signal}-critical", "critical", "firing", "boom",
                 "alertmanager", labels={"signal": signal, **labels})  # fmt: skip


def state(clients: Callable[[str], Any], aws: dict[str, Any]) -> dict[str, Any]:
    lam, fn = clients("lambda"), aws["function"]
    config = lam.get_function_configuration(FunctionName=fn)
    params = clients("ssm").get_parameters_by_path(Path=f"/aurastream/{aws['env']}/")
    ip_set = clients("wafv2").get_ip_set(Name=aws["ip_set"]["Name"], Scope="REGIONAL",
                                         Id=aws["ip_set"]["Id"])["IPSet"]  # fmt: skip
    return {
        "concurrency": lam.get_function_concurrency(FunctionName=fn).get(
            "ReservedConcurrentExecutions"
        ),
        "memory": config["MemorySize"],
        "env": config.get("Environment", {}).get("Variables", {}),
        "params": {p["Name"]: p["Value"] for p in params["Parameters"]},
        "addresses": sorted(ip_set["Addresses"]),
    }
