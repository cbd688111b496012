"""The runbook flags are read where they are deployed: every template that runs the service
points it at the path the runbooks write (`AURASTREAM_FLAGS_SSM_PATH`), and its role may read
exactly the parameters `SsmFlags` asks for (ssm:GetParameters), nothing more. Without both,
flags written by a runbook would never change the deployed service."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from aurastream_obs.definitions.runbook_flags import FLAG_NAMES, flag_parameter, flag_path
from support.cloudwatch_alarms import Resolver
from support.paths import ROOT

PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"}


def _template(path: str) -> Any:
    return yaml.safe_load((ROOT / path).read_text())


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _ssm_reads(statements: list[Any], resolve: Resolver) -> set[str]:
    """The parameter ARNs the role may GetParameters (conditional statements resolved as
    `then` and `else` alike: both shapes need the flags)."""
    arns: set[str] = set()
    for statement in statements:
        for candidate in statement.get("Fn::If", [None, statement, statement])[1:]:
            if isinstance(candidate, dict) and candidate.get("Action") == ["ssm:GetParameters"]:
                arns.update(resolve(candidate["Resource"]))
    return arns


def _expected(environment: str) -> set[str]:
    prefix = "arn:aws:ssm:eu-west-1:123456789012:parameter"
    return {prefix + flag_parameter(environment, flag) for flag in FLAG_NAMES}


@pytest.mark.parametrize("environment", ["prod", "eu-staging"])
def test_sam_function_reads_its_environments_flags(environment: str) -> None:
    template = _template("deploy/sam/aurastream-lambda.yaml")
    resolve = Resolver({**PSEUDO, "Environment": environment})
    function = template["Resources"]["Function"]["Properties"]
    shapes = function["Environment"]["Variables"]["Fn::If"][1:]  # ADOT and collectorless
    assert len(shapes) == 2
    for variables in shapes:
        assert resolve(variables["AURASTREAM_FLAGS_SSM_PATH"]) == flag_path(environment)
    role = template["Resources"][function["Role"]["Fn::GetAtt"][0]]
    assert _ssm_reads(_statements(role), resolve) == _expected(environment)


def test_ecs_app_reads_its_environments_flags() -> None:
    template = _template("deploy/ecs/aurastream-ecs.yaml")
    resolve = Resolver({**PSEUDO, "Environment": "prod"})
    task = next(r for r in template["Resources"].values()
                if r["Type"] == "AWS::ECS::TaskDefinition")["Properties"]  # fmt: skip
    app = next(c for c in task["ContainerDefinitions"] if c["Name"] == "aurastream-api")
    env = {e["Name"]: resolve(e["Value"]) for e in app["Environment"]}
    assert env["AURASTREAM_FLAGS_SSM_PATH"] == flag_path("prod")
    role = template["Resources"][task["TaskRoleArn"]["Fn::GetAtt"][0]]
    assert _ssm_reads(_statements(role), resolve) == _expected("prod")


def test_eks_app_reads_its_environments_flags() -> None:
    documents = list(yaml.safe_load_all((ROOT / "deploy/eks/aurastream-app.yaml").read_text()))
    deployment = next(d for d in documents if d and d["kind"] == "Deployment")
    app = next(c for c in deployment["spec"]["template"]["spec"]["containers"]
               if c["name"] == "aurastream-api")  # fmt: skip
    env = {e["name"]: e.get("value") for e in app["env"]}
    assert env["AURASTREAM_FLAGS_SSM_PATH"] == flag_path(env["AURASTREAM_ENVIRONMENT"])
