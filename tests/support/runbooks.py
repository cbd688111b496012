"""For the runbook tests: the AWS resources a runbook acts on, created on the moto server
(`create_resources`), an alert for a signal (`alert`), and a snapshot of the AWS state the
runbooks may change (`state`: reserved concurrency, memory, environment, SSM flags, WAF
addresses)."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from aurastream_obs.ops.alerts.alert import Alert

REGION = "eu-west-1"
FUNCTION = "aurastream-sync-handler"


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


def _function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 'ok'\n")
    return buffer.getvalue()


def create_resources(clients: Callable[[str], Any]) -> dict[str, Any]:
    """A Lambda function (with its IAM role) and a WAF IP set, uniquely named, plus a unique
    environment name for the SSM flags: {"function", "ip_set", "env"}."""
    iam = clients("iam")
    role_name = f"role-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function = f"{FUNCTION}-{uuid.uuid4().hex[:6]}"
    clients("lambda").create_function(
        FunctionName=function, Runtime="python3.11", Role=role, Handler="handler.handler",
        Code={"ZipFile": _function_zip()}, MemorySize=512,
        Environment={"Variables": {"KEEP": "me"}},
    )  # fmt: skip
    ip_set = clients("wafv2").create_ip_set(
        Name=f"blocked-{uuid.uuid4().hex[:6]}", Scope="REGIONAL", IPAddressVersion="IPV4",
        Addresses=["192.0.2.1/32"],
    )["Summary"]  # fmt: skip
    return {"function": function, "ip_set": ip_set, "env": f"t{uuid.uuid4().hex[:6]}"}
