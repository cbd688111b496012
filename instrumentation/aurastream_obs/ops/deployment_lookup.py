"""Which deployment the operations tools read.

Names come from the definitions (`definitions/deployment.py`: every name is a pattern over the
environment), overridden by a CloudFormation stack's outputs (`--stack`: the application
stack exports ApiId, FunctionName, TableName, Stage, Environment), overridden in turn by
explicit names (`--function`, `--table`, `--api-id`, `--stage`). The HTTP API id is the one
name no environment determines: without `--api-id` or a stack it is looked up by the API's
name (`aurastream-api-<env>`, set by the SAM template) with ApiGatewayV2 GetApis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aurastream_obs.definitions.deployment import (
    API_NAME,
    DEFAULT_ENVIRONMENT,
    ENV,
    DeployedNames,
    names,
)

ClientFactory = Callable[[str], Any]


class DeploymentLookupError(RuntimeError):
    """The deployment could not be resolved (one line, with what to pass instead)."""


@dataclass(frozen=True)
class DeploymentChoice:
    """What the command line (and environment variables) said; None: not said."""

    environment: str | None = None
    stack: str | None = None
    api_id: str | None = None
    stage: str | None = None
    function: str | None = None
    table: str | None = None


def stack_outputs(client: Any, stack: str) -> dict[str, str]:
    try:
        described = client.describe_stacks(StackName=stack)["Stacks"]
    except Exception as error:  # botocore ClientError: one clear line
        raise DeploymentLookupError(f"stack {stack}: {error}") from error
    outputs = described[0].get("Outputs", []) if described else []
    return {o["OutputKey"]: o["OutputValue"] for o in outputs}


def find_api_id(client: Any, name: str) -> str:
    """The id of the HTTP API named `name` (GetApis, paginated)."""
    found: list[str] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = client.get_apis(**kwargs)
        found += [
            a["ApiId"]
            for a in page.get("Items", [])
            if a.get("Name") == name and a.get("ProtocolType", "HTTP") == "HTTP"
        ]
        token = page.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    if not found:
        raise DeploymentLookupError(
            f"no HTTP API named {name} in this account and region: pass --api-id or --stack "
            "(or set AURASTREAM_API_ID / AURASTREAM_STACK)"
        )
    if len(found) > 1:
        raise DeploymentLookupError(
            f"{len(found)} HTTP APIs are named {name} ({', '.join(sorted(found))}): pass --api-id"
        )
    return found[0]


def resolve(
    choice: DeploymentChoice, clients: ClientFactory | None = None, *, need_api_id: bool = False
) -> DeployedNames:
    """The deployment's names; AWS is asked only for a stack's outputs or the API id."""
    outputs: dict[str, str] = {}
    if choice.stack:
        if clients is None:
            raise DeploymentLookupError("--stack needs AWS access")
        outputs = stack_outputs(clients("cloudformation"), choice.stack)
    environment = choice.environment or outputs.get("Environment") or DEFAULT_ENVIRONMENT
    api_id = choice.api_id or outputs.get("ApiId")
    if need_api_id and not api_id:
        if clients is None:
            raise DeploymentLookupError("the HTTP API id is unknown: pass --api-id or --stack")
        api_id = find_api_id(clients("apigatewayv2"), API_NAME.replace(ENV, environment))
    return names(
        environment,
        function=choice.function or outputs.get("FunctionName"),
        table=choice.table or outputs.get("TableName"),
        api_id=api_id,
        stage=choice.stage or outputs.get("Stage"),
    )


def boto3_clients() -> ClientFactory:
    import boto3

    factory: ClientFactory = boto3.client
    return factory
