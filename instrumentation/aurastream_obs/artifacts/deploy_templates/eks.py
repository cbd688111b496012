"""EKS manifests: the app with the collector as a native sidecar, and the gateway tier.

The collector runs as a native sidecar (an initContainer with restartPolicy Always, Kubernetes
>= 1.29): it starts - and passes its startupProbe - before the app container, the EKS
counterpart of ECS `dependsOn: HEALTHY`. Pods assume IAM roles via IRSA (ServiceAccount
annotation); the role ARNs are placeholders to patch (kustomize) — no account ids in files.
"""

from __future__ import annotations

from typing import Any, Final

from aurastream_obs.artifacts.collector_configs.configs import GATEWAY_PEER_PORT
from aurastream_obs.artifacts.collector_configs.pieces import (
    HEALTH_CHECK_PORT,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
)
from aurastream_obs.artifacts.collector_configs.placeholders import GATEWAY_ENDPOINT, GATEWAY_PEERS
from aurastream_obs.artifacts.deploy_templates.common import (
    ADOT_IMAGE,
    APP_NAME,
    APP_OTLP_ENV,
    APP_PORT,
    COLLECTOR_NAME,
    HEALTH_PATH,
    collector_body,
    flags_env,
    yaml_stream_artifact,
)
from aurastream_obs.artifacts.files import Artifact

EMF_NAMESPACE: Final = "aurastream"
GATEWAY_NAMESPACE: Final = "observability"
GATEWAY_NAME: Final = "aurastream-otel-gateway"
IRSA_ANNOTATION: Final = "eks.amazonaws.com/role-arn"
CONFIG_DIR: Final = "/etc/otelcol"
INTRO: Final = (
    "# Replace ACCOUNT_ID in the IRSA role ARN (kustomize patch); env placeholders of the\n"
    "# collector config: README.md, section Deploying. The app's role reads the runbook flags:\n"
    "# ssm:GetParameters on /aurastream/<env>/{circuit-breaker,analyzer-failover,cache-warm}.\n"
    "# Written for environment dev: for another, patch every AURASTREAM_ENVIRONMENT value and\n"
    "# AURASTREAM_FLAGS_SSM_PATH (/aurastream/<env>), or its lines go to dev's log groups.\n"
)

Doc = dict[str, Any]


def _meta(name: str, namespace: str, **extra: Any) -> Doc:
    return {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/name": name},
            **extra}  # fmt: skip


def _service_account(name: str, namespace: str, role: str) -> Doc:
    arn = f"arn:aws:iam::ACCOUNT_ID:role/{role}"
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": _meta(name, namespace, annotations={IRSA_ANNOTATION: arn})}  # fmt: skip


def _config_map(name: str, namespace: str, collector_path: str) -> Doc:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(name, namespace),
            "data": {"config.yaml": collector_body(collector_path)}}  # fmt: skip


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> Doc:
    return {"requests": {"cpu": cpu, "memory": memory},
            "limits": {"cpu": cpu_limit, "memory": memory_limit}}  # fmt: skip


def _http_probe(path: str, port: int, period: int = 10, failures: int = 3) -> Doc:
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": period,
            "failureThreshold": failures}  # fmt: skip


def _env(pairs: dict[str, str]) -> list[Doc]:
    return [{"name": k, "value": v} for k, v in pairs.items()]


def _collector_container(env: dict[str, str], *, sidecar: bool) -> Doc:
    container: Doc = {
        "name": COLLECTOR_NAME,
        "image": ADOT_IMAGE,
        "args": [f"--config={CONFIG_DIR}/config.yaml"],
        "env": _env(env),
        "ports": [{"name": "otlp-grpc", "containerPort": OTLP_GRPC_PORT},
                  {"name": "otlp-http", "containerPort": OTLP_HTTP_PORT},
                  {"name": "health", "containerPort": HEALTH_CHECK_PORT}],
        "resources": _resources("100m", "256Mi", "500m", "512Mi"),
        "startupProbe": _http_probe("/", HEALTH_CHECK_PORT, period=2, failures=30),
        "livenessProbe": _http_probe("/", HEALTH_CHECK_PORT),
        "readinessProbe": _http_probe("/", HEALTH_CHECK_PORT, period=5),
        "volumeMounts": [{"name": "otel-config", "mountPath": CONFIG_DIR, "readOnly": True}],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True},
    }  # fmt: skip
    if sidecar:
        container["restartPolicy"] = "Always"
    return container


def _volume(config_map: str) -> Doc:
    return {"name": "otel-config", "configMap": {"name": config_map}}


def app_manifests() -> list[Doc]:
    config_map = "aurastream-otel-sidecar"
    collector_env = {
        "AURASTREAM_ENVIRONMENT": "dev",
        GATEWAY_ENDPOINT.name: GATEWAY_ENDPOINT.default,
    }
    app = {
        "name": APP_NAME,
        "image": "aurastream-api:latest",
        "ports": [{"name": "http", "containerPort": APP_PORT}],
        "env": _env({**APP_OTLP_ENV, "AURASTREAM_ENVIRONMENT": "dev", **flags_env("dev")}),
        "resources": _resources("250m", "256Mi", "1", "512Mi"),
        "livenessProbe": _http_probe(HEALTH_PATH, APP_PORT),
        "readinessProbe": _http_probe(HEALTH_PATH, APP_PORT, period=5),
    }
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(APP_NAME, EMF_NAMESPACE),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": APP_NAME}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": APP_NAME}},
                "spec": {
                    "serviceAccountName": APP_NAME,
                    "initContainers": [_collector_container(collector_env, sidecar=True)],
                    "containers": [app],
                    "volumes": [_volume(config_map)],
                },
            },
        },
    }  # fmt: skip
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": EMF_NAMESPACE}},
        _service_account(APP_NAME, EMF_NAMESPACE, "aurastream-otel-sidecar"),
        _config_map(config_map, EMF_NAMESPACE, "collector/adot-sidecar-gateway.yaml"),
        deployment,
    ]


def gateway_manifests() -> list[Doc]:
    labels = {"app.kubernetes.io/name": GATEWAY_NAME}
    peers = GATEWAY_PEERS.default.split(".", 1)[0]
    container = _collector_container({"AURASTREAM_ENVIRONMENT": "dev"}, sidecar=False)
    container["ports"].append({"name": "peers", "containerPort": GATEWAY_PEER_PORT})
    container["resources"] = _resources("500m", "1Gi", "2", "2Gi")  # tail_sampling buffers
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": _meta(GATEWAY_NAME, GATEWAY_NAMESPACE),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": GATEWAY_NAME,
                    "containers": [container],
                    "volumes": [_volume(GATEWAY_NAME)],
                },
            },
        },
    }  # fmt: skip
    service = {
        "apiVersion": "v1", "kind": "Service", "metadata": _meta(GATEWAY_NAME, GATEWAY_NAMESPACE),
        "spec": {"selector": labels, "ports": [
            {"name": "otlp-grpc", "port": OTLP_GRPC_PORT, "targetPort": OTLP_GRPC_PORT},
            {"name": "otlp-http", "port": OTLP_HTTP_PORT, "targetPort": OTLP_HTTP_PORT}]},
    }  # fmt: skip
    # Headless: DNS returns every ready replica, which the loadbalancing exporter hashes over.
    headless = {
        "apiVersion": "v1", "kind": "Service", "metadata": _meta(peers, GATEWAY_NAMESPACE),
        "spec": {"clusterIP": "None", "selector": labels,
                 "ports": [{"name": "peers", "port": GATEWAY_PEER_PORT,
                            "targetPort": GATEWAY_PEER_PORT}]},
    }  # fmt: skip
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": GATEWAY_NAMESPACE}},
        _service_account(GATEWAY_NAME, GATEWAY_NAMESPACE, "aurastream-otel-gateway"),
        _config_map(GATEWAY_NAME, GATEWAY_NAMESPACE, "collector/adot-gateway.yaml"),
        deployment,
        service,
        headless,
    ]


def artifacts() -> list[Artifact]:
    return [
        yaml_stream_artifact("deploy/eks/aurastream-app.yaml", app_manifests(), INTRO),
        yaml_stream_artifact("deploy/eks/aurastream-gateway.yaml", gateway_manifests(), INTRO),
    ]
