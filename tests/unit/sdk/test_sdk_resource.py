"""build_resource: service identity, OTEL_RESOURCE_ATTRIBUTES precedence, AWS detection."""

from __future__ import annotations

import importlib
import logging
import socket
import threading
import time
import urllib.request
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource, ResourceDetector

from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.core.version import __version__
from aurastream_obs.sdk import resource as res
from aurastream_obs.sdk.resource import build_resource
from support.budgets import assert_within_budget

LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "aurastream-analyze",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_REGION": "eu-west-1",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2024/01/01/[$LATEST]abcdef",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/aurastream-analyze",
}
FARGATE_ID = "cd189a933e5849daa93386466019ab50-2495160603"
ECS_ENV = {
    "ECS_CONTAINER_METADATA_URI_V4": f"http://169.254.170.2/v4/{FARGATE_ID}",
    "AWS_REGION": "us-east-1",
    "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
}


def build(env: dict[str, str], **kw: Any) -> dict[str, Any]:
    return dict(build_resource(resolve_settings(env=env), **kw).attributes)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network call attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_defaults_identify_the_service_and_distro(no_network: None) -> None:
    attributes = build({})
    assert attributes["service.name"] == "aurastream-api"
    assert attributes["service.namespace"] == "aurastream"
    assert attributes["service.version"] == __version__
    assert attributes["deployment.environment.name"] == "dev"
    assert "deployment.environment" not in attributes  # deprecated semconv name: never emitted
    assert attributes["telemetry.distro.name"] == "aurastream_obs"
    assert attributes["telemetry.distro.version"] == __version__
    assert attributes["telemetry.sdk.language"] == "python"
    assert not any(key.startswith(("cloud.", "faas.")) for key in attributes)


def test_lambda_attributes_from_env(no_network: None) -> None:
    attributes = build(LAMBDA_ENV)
    assert {k: v for k, v in attributes.items() if k.startswith(("cloud.", "faas.", "aws."))} == {
        "cloud.provider": "aws",
        "cloud.platform": "aws_lambda",
        "cloud.region": "eu-west-1",
        "faas.name": "aurastream-analyze",
        "faas.version": "$LATEST",
        "faas.max_memory": 512 * 1024 * 1024,  # bytes, not MB
        "faas.instance": "2024/01/01/[$LATEST]abcdef",
        "aws.log.group.names": ("/aws/lambda/aurastream-analyze",),
    }


def test_lambda_with_partial_env_skips_what_is_missing() -> None:
    env = {"AWS_LAMBDA_FUNCTION_NAME": "f", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}
    attributes = build(env)
    assert attributes["faas.name"] == "f"
    assert "faas.max_memory" not in attributes
    assert "cloud.region" not in attributes


def test_lambda_wins_over_ecs_variables() -> None:
    assert build({**ECS_ENV, **LAMBDA_ENV})["cloud.platform"] == "aws_lambda"


def test_ecs_attributes_from_env_without_network(no_network: None) -> None:
    attributes = build(ECS_ENV)
    assert attributes["cloud.provider"] == "aws"
    assert attributes["cloud.platform"] == "aws_ecs"
    assert attributes["cloud.region"] == "us-east-1"
    assert attributes["container.id"] == FARGATE_ID
    assert attributes["aws.ecs.launchtype"] == "fargate"


@pytest.mark.parametrize(
    ("uri", "container_id"),
    [
        ("http://169.254.170.2/v3/" + "a" * 64, "a" * 64),
        ("http://169.254.170.2/v4/" + "b" * 64 + "/", "b" * 64),
        ("http://169.254.170.2/v4/not-an-id", None),
        ("http://169.254.170.2/v2/metadata", None),
    ],
)
def test_ecs_container_id_only_when_derivable(
    uri: str, container_id: str | None, no_network: None
) -> None:
    attributes = build({"ECS_CONTAINER_METADATA_URI": uri})
    assert attributes["cloud.platform"] == "aws_ecs"
    assert attributes.get("container.id") == container_id
    assert "cloud.region" not in attributes


def test_resource_attributes_env_merges_below_explicit_settings() -> None:
    env = {
        "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs,service.version=9.9,"
        "service.namespace=other,team=nlp,deployment.environment.name=prod,cloud.region=override"
    }
    attributes = build({**env, **LAMBDA_ENV})
    assert attributes["service.name"] == "from-attrs"  # OTEL_SERVICE_NAME unset: as in the SDK
    assert attributes["service.version"] == "9.9"
    assert attributes["service.namespace"] == "other"
    assert attributes["team"] == "nlp"
    assert attributes["deployment.environment.name"] == "prod"
    assert "deployment.environment" not in attributes
    assert attributes["cloud.region"] == "override"  # the user's word over detection

    explicit = {
        **env,
        "OTEL_SERVICE_NAME": "explicit",
        "AURASTREAM_SERVICE_VERSION": "1.2.3",
        "AURASTREAM_ENVIRONMENT": "staging",
    }
    attributes = build(explicit)
    assert attributes["service.name"] == "explicit"
    assert attributes["service.version"] == "1.2.3"
    assert attributes["deployment.environment.name"] == "staging"
    assert "deployment.environment" not in attributes


def test_configure_argument_counts_as_explicit() -> None:
    env = {"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs,deployment.environment=qa"}
    settings = resolve_settings(service_name="from-argument", env=env)
    attributes = build_resource(settings).attributes
    assert attributes["service.name"] == "from-argument"
    assert attributes["deployment.environment.name"] == "qa"  # the old name read, never written
    assert "deployment.environment" not in attributes


def test_the_identity_is_the_same_in_every_signal(tmp_path: Any) -> None:
    """OTEL_RESOURCE_ATTRIBUTES' service and environment reach the JSON log line too."""
    import io
    import json
    import logging

    from aurastream_obs.bootstrap import build_telemetry

    env = {
        "OTEL_RESOURCE_ATTRIBUTES": "service.name=x,deployment.environment.name=prod",
        "AURASTREAM_TELEMETRY_DIR": str(tmp_path),
        "AURASTREAM_PROMETHEUS_PORT": "0",
    }
    telemetry = build_telemetry(resolve_settings(env=env))
    assert telemetry.tracer_provider is not None and telemetry.log_handler is not None
    resource = telemetry.tracer_provider.resource.attributes
    stream = io.StringIO()
    telemetry.log_handler._stream = stream
    telemetry.log_handler.handle(logging.LogRecord("t", logging.INFO, "f", 1, "hello", (), None))
    telemetry.log_handler.flush()  # lines to a non-terminal are batched
    line = json.loads(stream.getvalue())
    telemetry.shutdown(1000)
    assert (resource["service.name"], resource["deployment.environment.name"]) == ("x", "prod")
    assert (line["service"], line["environment"]) == ("x", "prod")


def test_telemetry_facts_cannot_be_overridden() -> None:
    attributes = build({"OTEL_RESOURCE_ATTRIBUTES": "telemetry.distro.name=fake"})
    assert attributes["telemetry.distro.name"] == "aurastream_obs"


class FakeEc2(ResourceDetector):  # type: ignore[misc]
    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        super().__init__()
        self.calls = 0
        self.delay = delay
        self.fail = fail
        self.release = threading.Event()

    def detect(self) -> Resource:
        self.calls += 1
        if self.delay:
            self.release.wait(self.delay)
        if self.fail:
            raise OSError("no IMDS")
        return Resource({"cloud.provider": "aws", "cloud.platform": "aws_ec2", "host.id": "i-0abc"})


def test_ec2_only_when_asked(no_network: None) -> None:
    detector = FakeEc2()
    assert "host.id" not in build({}, ec2_detector=detector)
    assert detector.calls == 0
    attributes = build({"AURASTREAM_DETECT_EC2": "true"}, ec2_detector=detector)
    assert (attributes["host.id"], attributes["cloud.platform"]) == ("i-0abc", "aws_ec2")
    assert detector.calls == 1


def test_ec2_host_attributes_under_ecs_keep_the_ecs_platform() -> None:
    attributes = build({**ECS_ENV, "AURASTREAM_DETECT_EC2": "1"}, ec2_detector=FakeEc2())
    assert (attributes["host.id"], attributes["cloud.platform"]) == ("i-0abc", "aws_ecs")


def test_ec2_never_on_lambda() -> None:
    detector = FakeEc2()
    build({**LAMBDA_ENV, "AURASTREAM_DETECT_EC2": "true"}, ec2_detector=detector)
    assert detector.calls == 0


def test_slow_ec2_detection_is_bounded(caplog: pytest.LogCaptureFixture) -> None:
    detector = FakeEc2(delay=10.0)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        attributes = build(
            {"AURASTREAM_DETECT_EC2": "true"}, ec2_detector=detector, ec2_timeout_s=0.2
        )
    detector.release.set()
    assert_within_budget(time.monotonic() - started, 0.2, "EC2 detection")
    assert "host.id" not in attributes
    assert "within 0.2 s" in caplog.text


def test_failing_ec2_detection_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        attributes = build({"AURASTREAM_DETECT_EC2": "true"}, ec2_detector=FakeEc2(fail=True))
    assert attributes["service.name"] == "aurastream-api"
    assert "EC2 resource detection failed" in caplog.text


def test_literal_attribute_names_match_semantic_conventions() -> None:
    incubating = "opentelemetry.semconv._incubating.attributes."
    modules = {
        name: importlib.import_module(incubating + name)
        for name in (
            "cloud_attributes",
            "faas_attributes",
            "aws_attributes",
            "container_attributes",
            "deployment_attributes",
        )
    }
    expected = {
        "CLOUD_PROVIDER": "cloud_attributes",
        "CLOUD_PLATFORM": "cloud_attributes",
        "CLOUD_REGION": "cloud_attributes",
        "FAAS_NAME": "faas_attributes",
        "FAAS_VERSION": "faas_attributes",
        "FAAS_INSTANCE": "faas_attributes",
        "FAAS_MAX_MEMORY": "faas_attributes",
        "AWS_LOG_GROUP_NAMES": "aws_attributes",
        "AWS_ECS_LAUNCHTYPE": "aws_attributes",
        "CONTAINER_ID": "container_attributes",
        "DEPLOYMENT_ENVIRONMENT": "deployment_attributes",
    }
    for constant, module in expected.items():
        assert getattr(res, constant) == getattr(modules[module], constant), constant
    platform_values = {v.value for v in modules["cloud_attributes"].CloudPlatformValues}
    assert {"aws_lambda", "aws_ecs"} <= platform_values
