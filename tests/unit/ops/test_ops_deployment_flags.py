"""The deployment flags of the AWS-reading commands: a flag wins over its environment
variable; `traces --xray` reads the deployment's function as its X-Ray service."""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

import pytest

from aurastream_obs.commands._ops import (
    DEPLOYMENT_FLAGS,
    add_deployment_args,
    deployment_choice,
)
from aurastream_obs.ops.deployment_lookup import DeploymentChoice, resolve
from aurastream_obs.ops.traces import xray
from support.cli import run_command


@pytest.fixture(autouse=True)
def _no_deployment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, _ in DEPLOYMENT_FLAGS.values():
        monkeypatch.delenv(variable, raising=False)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_deployment_args(parser)
    return parser.parse_args(argv)


def test_flags_win_over_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURASTREAM_ENVIRONMENT", "staging")
    monkeypatch.setenv("AURASTREAM_FUNCTION_NAME", "fn-from-env")
    monkeypatch.setenv("AURASTREAM_API_ID", "envapi0001")
    choice = deployment_choice(_parse(["--function", "fn-flag", "--stage", "v1"]))
    assert choice == DeploymentChoice(
        environment="staging", api_id="envapi0001", stage="v1", function="fn-flag"
    )
    names = resolve(choice)  # no AWS needed: nothing to look up
    assert (names.function, names.table, names.api_id) == (
        "fn-flag", "aurastream-cache-staging", "envapi0001",
    )  # fmt: skip
    assert names.dimensions("api") == (("ApiId", "envapi0001"), ("Stage", "v1"))


def test_every_flag_names_its_variable() -> None:
    parser = argparse.ArgumentParser()
    add_deployment_args(parser)
    text = parser.format_help()
    for variable, _ in DEPLOYMENT_FLAGS.values():
        assert f"${variable}" in text


class RecordingSource:
    made: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, client: Any = None, **kwargs: Any) -> None:
        RecordingSource.made.append(kwargs)

    @property
    def name(self) -> str:
        return "x-ray (recorded)"

    def spans(self) -> list[Any]:
        return []


@pytest.mark.parametrize(
    ("argv", "expression"),
    [
        (["--environment", "prod"], 'service("aurastream-api-prod")'),
        (["--function", "my-fn"], 'service("my-fn")'),
        (["--service", "aurastream-api"], 'service("aurastream-api")'),
        (["--all-services"], None),
    ],
)
def test_traces_reads_the_deployments_service(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], expression: str | None
) -> None:
    monkeypatch.setattr(xray, "XRaySource", RecordingSource)
    RecordingSource.made.clear()
    code, _ = run_command("traces", ["--xray", "--json", *argv])
    assert code == 0
    (kwargs,) = RecordingSource.made
    assert kwargs["filter_expression"] == expression
