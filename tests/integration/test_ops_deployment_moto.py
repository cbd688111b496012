"""The operations tools point at a deployment: names from the environment (the definitions'
patterns), a CloudFormation stack's outputs, explicit flags and their environment variables,
in that order of precedence; the HTTP API id looked up by the API's name. Against moto."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from aurastream_obs.commands._ops import DEPLOYMENT_FLAGS
from aurastream_obs.ops.deployment_lookup import (
    DeploymentChoice,
    DeploymentLookupError,
    find_api_id,
    resolve,
)
from support.cli import run_command
from support.moto import Clients, lambda_function

pytestmark = pytest.mark.integration


def _http_api(clients: Clients, name: str) -> str:
    api_id: str = clients("apigatewayv2").create_api(Name=name, ProtocolType="HTTP")["ApiId"]
    return api_id


def _put(clients: Clients, namespace: str, name: str, dims: dict[str, str], value: float) -> None:
    clients("cloudwatch").put_metric_data(Namespace=namespace, MetricData=[{
        "MetricName": name, "Value": value,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
        "Timestamp": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
    }])  # fmt: skip


def _stack(clients: Clients, name: str, outputs: dict[str, str]) -> None:
    template = {
        "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {k: {"Value": v} for k, v in outputs.items()},
    }
    clients("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))


def test_names_come_from_the_environment_then_the_stack_then_the_flags(clients: Clients) -> None:
    api = _http_api(clients, "aurastream-api-lookup1")
    names = resolve(DeploymentChoice(environment="lookup1"), clients, need_api_id=True)
    assert (names.function, names.table, names.api_id, names.stage) == (
        "aurastream-api-lookup1", "aurastream-cache-lookup1", api, "$default",
    )  # fmt: skip
    _stack(clients, "app-lookup2", {"Environment": "lookup2", "ApiId": "stack00001",
                                    "FunctionName": "fn-from-stack", "TableName": "tbl",
                                    "Stage": "prod"})  # fmt: skip
    names = resolve(DeploymentChoice(stack="app-lookup2", function="fn-flag"), clients)
    assert (names.environment, names.function, names.table, names.api_id, names.stage) == (
        "lookup2", "fn-flag", "tbl", "stack00001", "prod",
    )  # fmt: skip
    assert names.log_group("business") == "/aurastream/lookup2/business"


def test_an_unknown_api_is_one_clear_error(clients: Clients) -> None:
    with pytest.raises(DeploymentLookupError) as info:
        find_api_id(clients("apigatewayv2"), "aurastream-api-nowhere")
    assert str(info.value).startswith("no HTTP API named aurastream-api-nowhere in this account")
    _http_api(clients, "aurastream-api-twice")
    _http_api(clients, "aurastream-api-twice")
    with pytest.raises(DeploymentLookupError, match="2 HTTP APIs are named"):
        find_api_id(clients("apigatewayv2"), "aurastream-api-twice")


def test_kpi_reads_the_deployment_named_by_flags_and_variables(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kpi --cloudwatch` reads the HTTP API's `Count`/`5xx` by ApiId and Stage and the
    environment's function: another deployment's metrics are not mixed in."""
    api = _http_api(clients, "aurastream-api-kpiflags")
    ours = {"ApiId": api, "Stage": "$default"}
    _put(clients, "AWS/ApiGateway", "Count", ours, 1000)
    _put(clients, "AWS/ApiGateway", "5xx", ours, 30)
    _put(clients, "AWS/ApiGateway", "5xx", {"ApiId": "other00001", "Stage": "$default"}, 900)
    _put(clients, "AWS/Lambda", "Invocations", {"FunctionName": "aurastream-api-kpiflags"}, 100)
    _put(clients, "AWS/Lambda", "Errors", {"FunctionName": "aurastream-api-kpiflags"}, 1)
    for variable, _ in DEPLOYMENT_FLAGS.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AURASTREAM_ENVIRONMENT", "kpiflags")
    code, out = run_command("kpi", ["--cloudwatch", "--json"])
    report = json.loads(out)
    assert report["requests"] == 1000
    assert report["kpis"]["availability"]["value"] == pytest.approx(97.0)
    assert report["kpis"]["error_rate"]["value"] == pytest.approx(1.0)
    assert code == 1  # 3 % of 5xx breaches the 99.9 % availability SLO
    # The flag wins over the variable: another environment, whose API does not exist.
    code, _ = run_command("kpi", ["--cloudwatch", "--environment", "elsewhere"])
    assert code == 4  # could not run: no such API


def test_kpi_without_an_api_says_so(
    clients: Clients, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AURASTREAM_API_ID", raising=False)
    monkeypatch.delenv("AURASTREAM_STACK", raising=False)
    code, out = run_command("kpi", ["--cloudwatch", "--environment", "noapi"])
    assert code == 4 and out == ""
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no HTTP API named aurastream-api-noapi" in err


def test_health_checks_the_deployment_of_an_environment(clients: Clients) -> None:
    lambda_function(clients, "aurastream-api-healthenv")
    clients("dynamodb").create_table(
        TableName="aurastream-cache-healthenv", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "text_hash", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "text_hash", "AttributeType": "S"}],
    )  # fmt: skip
    code, out = run_command("health", ["--environment", "healthenv", "--json"])
    checks: dict[str, Any] = json.loads(out)["checks"]
    assert code == 0, checks
    assert checks["lambda"]["function"] == "aurastream-api-healthenv"
    assert checks["dynamodb"]["table"] == "aurastream-cache-healthenv"
    code, out = run_command("health", ["--environment", "absentenv", "--json"])
    assert code == 1 and json.loads(out)["checks"]["lambda"]["status"] == "unhealthy"
