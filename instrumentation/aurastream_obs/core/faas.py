"""AWS Lambda resource attributes from the runtime's environment variables (no SDK import).

Shared by the SDK resource (`resource.build_resource`) and the Lambda mode, whose cold-start
path must not import `opentelemetry.sdk`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from opentelemetry.util.types import AttributeValue

# Incubating semconv names as literals (see resource.py); tests/unit/sdk checks them.
CLOUD_PROVIDER: Final = "cloud.provider"
CLOUD_PLATFORM: Final = "cloud.platform"
CLOUD_REGION: Final = "cloud.region"
FAAS_NAME: Final = "faas.name"
FAAS_VERSION: Final = "faas.version"
FAAS_INSTANCE: Final = "faas.instance"
FAAS_MAX_MEMORY: Final = "faas.max_memory"
AWS_LOG_GROUP_NAMES: Final = "aws.log.group.names"
_MIB: Final = 1024 * 1024  # faas.max_memory is in bytes; Lambda gives MB (semconv: x 1,048,576)


def _region(env: Mapping[str, str]) -> dict[str, AttributeValue]:
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    return {CLOUD_REGION: region} if region else {}


def lambda_attributes(env: Mapping[str, str]) -> dict[str, AttributeValue]:
    """AWS Lambda attributes from the runtime's environment variables; empty off Lambda."""
    name = env.get("AWS_LAMBDA_FUNCTION_NAME")
    if not name:
        return {}
    attributes: dict[str, AttributeValue] = {
        CLOUD_PROVIDER: "aws",
        CLOUD_PLATFORM: "aws_lambda",
        FAAS_NAME: name,
        **_region(env),
    }
    optional = (
        (FAAS_VERSION, "AWS_LAMBDA_FUNCTION_VERSION"),
        (FAAS_INSTANCE, "AWS_LAMBDA_LOG_STREAM_NAME"),
    )
    attributes.update({key: env[var] for key, var in optional if env.get(var)})
    memory = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "").strip()
    if memory.isdigit():
        attributes[FAAS_MAX_MEMORY] = int(memory) * _MIB
    if env.get("AWS_LAMBDA_LOG_GROUP_NAME"):
        attributes[AWS_LOG_GROUP_NAMES] = (env["AWS_LAMBDA_LOG_GROUP_NAME"],)
    return attributes
