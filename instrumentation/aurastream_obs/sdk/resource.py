"""The OTel Resource: who emits (service, version, environment) and where it runs (AWS).

Precedence, lowest first: detected platform attributes < built-in defaults
(``service.namespace=aurastream``) < ``OTEL_RESOURCE_ATTRIBUTES`` < settings given explicitly
(an argument, or their own variable: OTEL_SERVICE_NAME, AURASTREAM_SERVICE_VERSION,
AURASTREAM_ENVIRONMENT; a setting still at its default counts as not given, so
``OTEL_RESOURCE_ATTRIBUTES=service.name=x`` works as in the OTel SDK) < ``telemetry.*`` facts.

Detection never blocks a cold start: Lambda and ECS are read from environment variables only
(no call to the ECS task metadata endpoint); EC2 only when ``settings.detect_ec2``, through the
AWS extension's detector on a daemon thread waited on for at most ``ec2_timeout_s``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from opentelemetry.sdk.resources import Resource, ResourceDetector
from opentelemetry.semconv.attributes.deployment_attributes import DEPLOYMENT_ENVIRONMENT_NAME
from opentelemetry.semconv.attributes.service_attributes import (
    SERVICE_NAME,
    SERVICE_NAMESPACE,
    SERVICE_VERSION,
)
from opentelemetry.semconv.attributes.telemetry_attributes import (
    TELEMETRY_DISTRO_NAME,
    TELEMETRY_DISTRO_VERSION,
    TELEMETRY_SDK_LANGUAGE,
    TELEMETRY_SDK_NAME,
    TELEMETRY_SDK_VERSION,
)
from opentelemetry.util.types import AttributeValue

from aurastream_obs.core.faas import (  # re-exported: SDK-free, shared with the Lambda mode
    AWS_LOG_GROUP_NAMES,  # noqa: F401  (re-exported)
    CLOUD_PLATFORM,
    CLOUD_PROVIDER,
    CLOUD_REGION,  # noqa: F401  (re-exported)
    FAAS_INSTANCE,  # noqa: F401  (re-exported)
    FAAS_MAX_MEMORY,  # noqa: F401  (re-exported)
    FAAS_NAME,  # noqa: F401  (re-exported)
    FAAS_VERSION,  # noqa: F401  (re-exported)
    _region,
    lambda_attributes,
)
from aurastream_obs.core.version import __version__

if TYPE_CHECKING:
    from aurastream_obs.core.settings import Settings

_log = logging.getLogger(__name__)

# Incubating semconv names as literals: opentelemetry.semconv._incubating is a private module
# whose names may move, and importing its cloud/faas/container modules costs ~2 ms of cold start.
# tests/unit/sdk checks every literal against the installed semconv package.
AWS_ECS_LAUNCHTYPE: Final = "aws.ecs.launchtype"
CONTAINER_ID: Final = "container.id"
DEPLOYMENT_ENVIRONMENT: Final = "deployment.environment"  # deprecated name: never emitted

SERVICE_NAMESPACE_VALUE: Final = "aurastream"
DISTRO_NAME: Final = "aurastream_obs"
# Container id as the ECS agent names it: a Docker id, or Fargate's "<task id>-<number>".
_ECS_CONTAINER_ID = re.compile(r"[0-9a-f]{64}|[0-9a-f]{32}-[0-9]+")
_ECS_LAUNCH_TYPES: Final = {"AWS_ECS_FARGATE": "fargate", "AWS_ECS_EC2": "ec2"}


def build_resource(
    settings: Settings,
    *,
    ec2_detector: ResourceDetector | None = None,
    ec2_timeout_s: float = 1.0,
) -> Resource:
    """The process's Resource, from `settings` (the platform variables it captured); never
    raises, never blocks past the EC2 bound."""
    env = settings.platform_env
    attributes: dict[str, AttributeValue] = {}
    platform = lambda_attributes(env)
    if not platform:
        if settings.detect_ec2:  # ECS on EC2 gets host attributes too; ECS's own ones win
            attributes.update(_ec2_attributes(ec2_detector, ec2_timeout_s))
        platform = ecs_attributes(env)
    attributes.update(platform)
    attributes[SERVICE_NAMESPACE] = SERVICE_NAMESPACE_VALUE
    attributes.update(settings.resource_attributes)
    # The identity was resolved once, in the settings (OTEL_RESOURCE_ATTRIBUTES included), so
    # that every signal says the same; only the current semconv name of the environment.
    attributes.pop(DEPLOYMENT_ENVIRONMENT, None)
    attributes[SERVICE_NAME] = settings.service_name
    attributes[SERVICE_VERSION] = settings.service_version or __version__
    attributes[DEPLOYMENT_ENVIRONMENT_NAME] = settings.environment
    attributes.update(_telemetry_attributes())
    return Resource(attributes)


def _telemetry_attributes() -> dict[str, AttributeValue]:
    from opentelemetry.sdk.version import __version__ as sdk_version

    return {
        TELEMETRY_SDK_LANGUAGE: "python",
        TELEMETRY_SDK_NAME: "opentelemetry",
        TELEMETRY_SDK_VERSION: sdk_version,
        TELEMETRY_DISTRO_NAME: DISTRO_NAME,
        TELEMETRY_DISTRO_VERSION: __version__,
    }


def ecs_attributes(env: Mapping[str, str]) -> dict[str, AttributeValue]:
    """Amazon ECS attributes from environment variables only; empty off ECS.

    The task metadata endpoint would give ARNs and log groups, but it is an HTTP call on the
    start-up path; the collector's resourcedetection processor can add those instead.
    """
    uri = env.get("ECS_CONTAINER_METADATA_URI_V4") or env.get("ECS_CONTAINER_METADATA_URI")
    if not uri:
        return {}
    attributes: dict[str, AttributeValue] = {
        CLOUD_PROVIDER: "aws",
        CLOUD_PLATFORM: "aws_ecs",
        **_region(env),
    }
    last_segment = uri.rstrip("/").rpartition("/")[2]
    if _ECS_CONTAINER_ID.fullmatch(last_segment):
        attributes[CONTAINER_ID] = last_segment
    launch_type = _ECS_LAUNCH_TYPES.get(env.get("AWS_EXECUTION_ENV", ""))
    if launch_type:
        attributes[AWS_ECS_LAUNCHTYPE] = launch_type
    return attributes


def _ec2_attributes(
    detector: ResourceDetector | None, timeout_s: float
) -> Mapping[str, AttributeValue]:
    """Run the EC2 detector (IMDS over HTTP) on a daemon thread, waiting at most `timeout_s`."""
    if detector is None:
        from opentelemetry.sdk.extension.aws.resource.ec2 import AwsEc2ResourceDetector

        detector = AwsEc2ResourceDetector()
    found: list[Resource] = []

    def detect() -> None:
        try:
            found.append(detector.detect())
        except Exception:  # noqa: BLE001  (resource detection must never fail start-up)
            _log.warning("EC2 resource detection failed", exc_info=True)

    worker = threading.Thread(target=detect, name="aurastream-ec2-detect", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not found:
        _log.warning("EC2 resource detection gave nothing within %.1f s; skipped", timeout_s)
        return {}
    return found[0].attributes
