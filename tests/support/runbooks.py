"""For the runbook tests: the AWS resources a runbook acts on, created on the moto server
(`create_resources`), an alert for a signal (`alert`), and a snapshot of the AWS state the
runbooks may change (`state`: reserved concurrency, memory, environment, SSM flags, WAF
addresses)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from aurastream_obs.ops.alerts.alert import Alert
from support.moto import lambda_function

REGION = "eu-west-1"
FUNCTION = "aurastream-api-test"


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


def create_resources(clients: Callable[[str], Any]) -> dict[str, Any]:
    """A Lambda function (with its IAM role) and a WAF IP set, uniquely named, plus a unique
    environment name for the SSM flags: {"function", "ip_set", "env"}."""
    function = f"{FUNCTION}-{uuid.uuid4().hex[:6]}"
    lambda_function(clients, function, memory_mb=512)
    clients("lambda").update_function_configuration(
        FunctionName=function, Environment={"Variables": {"KEEP": "me"}}
    )
    ip_set = clients("wafv2").create_ip_set(
        Name=f"blocked-{uuid.uuid4().hex[:6]}", Scope="REGIONAL", IPAddressVersion="IPV4",
        Addresses=["192.0.2.1/32"],
    )["Summary"]  # fmt: skip
    return {"function": function, "ip_set": ip_set, "env": f"t{uuid.uuid4().hex[:6]}"}


def put_peak(clients: Callable[[str], Any], function: str, peak: float) -> None:
    """A `ConcurrentExecutions` (Maximum) datapoint for `function` a few minutes ago, as Lambda
    publishes it: what the concurrency step reads as the peak usage."""
    from datetime import UTC, datetime, timedelta

    clients("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[{
            "MetricName": "ConcurrentExecutions",
            "Dimensions": [{"Name": "FunctionName", "Value": function}],
            "Timestamp": datetime.now(UTC) - timedelta(minutes=5),
            "StatisticValues": {"SampleCount": 1, "Sum": peak, "Minimum": peak, "Maximum": peak},
        }],
    )  # fmt: skip


class RecordingAnalyzer:
    """A stand-in for Comprehend (name "comprehend"): answers NEUTRAL, records what it got."""

    name = "comprehend"
    languages = frozenset({"en"})
    blocking = False

    def __init__(self) -> None:
        self.texts: list[str] = []

    def analyze(self, text: str, language_code: str) -> Any:
        from aurastream_obs.service.analyzer import AnalysisResult

        self.texts.append(text)
        return AnalysisResult("NEUTRAL", 0.1, 0.1, 0.7, 0.1)


class FlaggedService:
    """The reference service reading its runbook flags from SSM (moto) with a 10 s cache whose
    clock (and the result cache's) the test moves: `tick(seconds)`; `analyze(text)` is one
    `POST /v1/analyze` through the service's request handling -> (status, payload)."""

    KEY = "runbook-test-key"

    def __init__(self, clients: Callable[[str], Any], environment: str) -> None:
        from aurastream_obs.definitions.runbook_flags import flag_path
        from aurastream_obs.service import AuraStreamService, CustomerDirectory, TTLCache
        from aurastream_obs.service.analyzer import LexiconAnalyzer
        from aurastream_obs.service.controls import RecentTexts, ServiceControls
        from aurastream_obs.service.flags import SsmFlags
        from aurastream_obs.signals import AuraStreamMetrics
        from support.log_capture import RecordingEvents

        self.now = 1000.0
        self.primary = RecordingAnalyzer()
        self.events = RecordingEvents()
        self.cache = TTLCache(ttl_seconds=3600, clock=lambda: self.now)
        flags = SsmFlags(flag_path(environment), clients("ssm"), clock=lambda: self.now)
        self.controls = ServiceControls(
            flags, fallbacks={"lexicon": LexiconAnalyzer()}, recent=RecentTexts()
        )
        self.service = AuraStreamService(
            analyzer=self.primary, cache=self.cache,
            customers=CustomerDirectory({self.KEY: "cust-runbook"}),
            metrics=AuraStreamMetrics(), events=self.events, controls=self.controls,
        )  # fmt: skip

    def tick(self, seconds: float) -> None:
        self.now += seconds

    def analyze(self, text: str) -> tuple[int, dict[str, Any]]:
        import json

        from aurastream_obs.http_server.info import RequestInfo

        info = RequestInfo(f"req-{uuid.uuid4().hex[:8]}", "203.0.113.9", "test",
                           {"x-api-key": self.KEY})  # fmt: skip
        body = json.dumps({"text": text}).encode()
        status, payload, _ = self.service.handle(info, "POST", "/v1/analyze", body)
        return status, payload
