"""Shared bits of the deploy templates: names, images, the collector config texts."""

from __future__ import annotations

from typing import Any, Final

from aurastream_obs.artifacts.collector_configs.components import ADOT_COLLECTOR, COLLECTOR_CONTRIB
from aurastream_obs.artifacts.collector_configs.configs import SHAPES
from aurastream_obs.artifacts.collector_configs.documents import dump_yaml
from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.core.conventions import CLOUDFORMATION_ENV
from aurastream_obs.definitions.deployment import SERVICE_NAME
from aurastream_obs.definitions.runbook_flags import FLAG_NAMES, flag_parameter, flag_path

SOURCE: Final = "aurastream_obs.artifacts.deploy_templates"
ADOT_IMAGE: Final = ADOT_COLLECTOR.image
CONTRIB_IMAGE: Final = COLLECTOR_CONTRIB.image
APP_NAME: Final = SERVICE_NAME  # definitions/deployment.py: the one spelling
APP_PORT: Final = 8080
COLLECTOR_NAME: Final = "aws-otel-collector"
HEALTH_PATH: Final = "/v1/health"

# What the app container needs to send OTLP to the collector next to it.
APP_OTLP_ENV: Final = {
    "AURASTREAM_TELEMETRY_MODE": "otlp",
    "OTEL_SERVICE_NAME": APP_NAME,
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
}


def collector_body(path: str) -> str:
    """The collector config of one shape, without the generated header (embedded elsewhere)."""
    shape = next(s for s in SHAPES if s.path == path)
    return dump_yaml(shape.build())


def compact_collector_json(path: str) -> str:
    """JSON is YAML: the compact form fits an SSM parameter's size limit more easily."""
    import json

    shape = next(s for s in SHAPES if s.path == path)
    return json.dumps(shape.build(), separators=(",", ":"))


def yaml_artifact(path: str, document: Any, intro: str = "") -> Artifact:
    return Artifact.text_file(path, intro + dump_yaml(document), source=SOURCE)


def yaml_stream_artifact(path: str, documents: list[Any], intro: str = "") -> Artifact:
    import yaml

    body = yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False, width=100)
    return Artifact.text_file(path, intro + str(body), source=SOURCE)


def flags_env(environment: str = CLOUDFORMATION_ENV) -> dict[str, Any]:
    """Where the service reads the runbook flags (`service/flags.py`): the path the runbooks
    write (`definitions/runbook_flags.py`); without it, flags written are never read."""
    path = flag_path(environment)
    value: Any = {"Fn::Sub": path} if environment == CLOUDFORMATION_ENV else path
    return {"AURASTREAM_FLAGS_SSM_PATH": value}


def flags_read_statement() -> dict[str, Any]:
    """Least privilege for that read: ssm:GetParameters (the one call `SsmFlags` makes) on
    exactly the flag parameters of the stack's environment."""
    arns = [
        {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
                    + flag_parameter(CLOUDFORMATION_ENV, flag)}
        for flag in FLAG_NAMES
    ]  # fmt: skip
    return {"Sid": "RunbookFlags", "Effect": "Allow", "Action": ["ssm:GetParameters"],
            "Resource": arns}  # fmt: skip
