"""Deployment templates as Artifacts: ECS Fargate (CloudFormation), AWS Lambda (SAM), EKS
manifests, the Amazon Managed Prometheus / Grafana stack and the local docker-compose stack.
Registered in artifacts/registry.py; PyYAML is imported only when rendering."""

from __future__ import annotations

from collections.abc import Iterable

from aurastream_obs.artifacts.files import Artifact


def deploy_artifacts() -> Iterable[Artifact]:
    from aurastream_obs.artifacts.deploy_templates import amp, ecs, eks, local, sam

    return [
        ecs.artifact(),
        *eks.artifacts(),
        amp.artifact(),
        *local.artifacts(),
        sam.artifact(),
    ]
