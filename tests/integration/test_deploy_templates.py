"""Deploy templates: every CloudFormation template passes cfn-lint with no errors; Kubernetes
manifests parse and every container has requests/limits and probes; the embedded collector
configs pass the collector validator; the local Prometheus config passes promtool."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from aurastream_obs.artifacts import validators
from aurastream_obs.artifacts.collector_configs.components import ADOT_COLLECTOR
from aurastream_obs.artifacts.collector_configs.validate import check_config
from support.paths import ROOT
from support.tools import require_tool

DEPLOY = ROOT / "deploy"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}


def _cfn_templates() -> list[Path]:
    found = []
    for path in sorted(DEPLOY.rglob("*")):
        if path.suffix in {".yaml", ".yml", ".json"} and path.is_file():
            head = path.read_text()[:4000]
            if "AWSTemplateFormatVersion" in head or "AWS::Serverless" in head:
                found.append(path)
    return found


def _cfn_lint() -> str:
    # The one `aurastream-obs validate` runs: beside this Python (the venv's, dev extra) first.
    return validators.cfn_lint() or require_tool("cfn-lint")


def test_every_cloudformation_template_passes_cfn_lint() -> None:
    templates = _cfn_templates()
    rel = {t.relative_to(ROOT).as_posix() for t in templates}
    assert {
        "deploy/ecs/aurastream-ecs.yaml",
        "deploy/amp/aurastream-amp.yaml",
        "deploy/sam/aurastream-lambda.yaml",  # SAM: cfn-lint applies the transform
    } <= rel
    result = subprocess.run(
        [_cfn_lint(), *map(str, templates)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Exit code bits: 2 errors, 4 warnings, 8 informational; 1 is a crash / bad usage.
    assert result.returncode != 1 and not result.returncode & 2, result.stdout + result.stderr


def test_validate_lints_with_the_venvs_cfn_lint_whatever_comes_first_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older cfn-lint first on PATH (a pyenv shim) is not the one validate runs."""
    beside = Path(sys.executable).with_name("cfn-lint")
    if not beside.exists():
        require_tool("cfn-lint")
        pytest.skip("no cfn-lint beside this Python (pip install -e '.[dev]')")
    shim = tmp_path / "cfn-lint"
    shim.write_text("#!/bin/sh\necho 'E0000 an older cfn-lint from PATH'\nexit 2\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ.get('PATH', '')}")
    assert validators.cfn_lint() == str(beside)
    assert validators.check_cloudformation(ROOT) == []


def _ecs() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "ecs" / "aurastream-ecs.yaml").read_text()))


def test_ecs_sidecar_wiring() -> None:
    resources = _ecs()["Resources"]
    containers = {
        c["Name"]: c for c in resources["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    }
    collector, app = containers["aws-otel-collector"], containers["aurastream-api"]
    assert collector["Image"].startswith("public.ecr.aws/aws-observability/aws-otel-collector:")
    assert collector["HealthCheck"]["Command"] == ["/healthcheck"]
    assert collector["Secrets"] == [
        {"Name": "AOT_CONFIG_CONTENT", "ValueFrom": {"Ref": "CollectorConfigParameter"}}
    ]
    assert app["DependsOn"] == [{"ContainerName": "aws-otel-collector", "Condition": "HEALTHY"}]
    # The SSM value is the sidecar config (compact JSON is YAML) and passes the validator.
    value = resources["CollectorConfigParameter"]["Properties"]["Value"]
    assert check_config("ssm:AOT_CONFIG_CONTENT", value, ADOT_COLLECTOR) == []


def test_ecs_task_role_is_least_privilege() -> None:
    role = _ecs()["Resources"]["TaskRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {a for s in statements for a in s["Action"]}
    assert actions == {
        "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
        "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries",
        "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams",
        "aps:RemoteWrite",
        "ssm:GetParameters",  # the app's runbook flags, exactly those parameters
    }  # fmt: skip
    for statement in statements:
        if statement["Resource"] == "*":  # X-Ray has no resource-level permissions
            assert all(a.startswith("xray:") for a in statement["Action"]), statement
        assert not any("*" in a for a in statement["Action"])
    logs = next(s for s in statements if s["Sid"] == "LogsPerCategory")
    names = [r["Fn::Sub"] for r in logs["Resource"]]
    assert any("/aurastream/${Environment}/security:" in n for n in names)


def _manifests() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted((DEPLOY / "eks").glob("*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append((path.name, doc))
    return docs


def test_kubernetes_manifests_parse_and_are_complete() -> None:
    docs = _manifests()
    assert docs, "no manifests under deploy/eks"
    kinds = {doc["kind"] for _, doc in docs}
    assert {"Deployment", "ConfigMap", "ServiceAccount", "Service"} <= kinds
    for name, doc in docs:
        assert doc.get("apiVersion") and doc["metadata"].get("name"), name
        if doc["kind"] == "ServiceAccount":
            assert "eks.amazonaws.com/role-arn" in doc["metadata"]["annotations"]
        if doc["kind"] not in WORKLOADS:
            continue
        spec = doc["spec"]["template"]["spec"]
        sidecars = [c for c in spec.get("initContainers", []) if c.get("restartPolicy") == "Always"]
        for container in [*spec["containers"], *sidecars]:
            where = f"{name}: {doc['metadata']['name']}/{container['name']}"
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][part]), where
            assert "livenessProbe" in container and "readinessProbe" in container, where


def test_kubernetes_collector_configs_validate_and_services_select_pods() -> None:
    docs = _manifests()
    pod_labels = [
        d["spec"]["template"]["metadata"]["labels"] for _, d in docs if d["kind"] in WORKLOADS
    ]
    for name, doc in docs:
        if doc["kind"] == "ConfigMap":
            config = doc["data"]["config.yaml"]
            assert check_config(f"{name}:{doc['metadata']['name']}", config, ADOT_COLLECTOR) == []
        if doc["kind"] == "Service":
            selector = doc["spec"]["selector"].items()
            assert any(selector <= labels.items() for labels in pod_labels), name


def test_local_stack_files() -> None:
    compose = yaml.safe_load((DEPLOY / "local" / "docker-compose.yaml").read_text())
    services = compose["services"]
    assert {"aurastream-api", "otel-collector", "prometheus", "alertmanager", "grafana"} <= set(
        services
    )
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):  # relative to deploy/local, as compose resolves it
                assert (DEPLOY / "local" / source).resolve().is_relative_to(ROOT), volume
    assert (ROOT / "collector" / "otel-local.yaml").exists()


def test_local_prometheus_config_passes_promtool() -> None:
    promtool = require_tool("promtool")
    result = subprocess.run(
        # Not --syntax-only: the rule files it globs (`aurastream-obs render`) are checked too.
        [promtool, "check", "config", str(DEPLOY / "local" / "prometheus.yml")],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", ["deploy/local/prometheus.yml"])
def test_local_prometheus_scrapes_the_collector(path: str) -> None:
    config = yaml.safe_load((ROOT / path).read_text())
    targets = [t for job in config["scrape_configs"] for s in job["static_configs"]
               for t in s["targets"]]  # fmt: skip
    assert "otel-collector:8889" in targets
    assert config["rule_files"] == ["rules/*.yaml"]
