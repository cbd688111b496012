"""The local second backend with Docker: the reference service, otel collector-contrib,
Prometheus (scraping the collector, loading the rendered rules), Alertmanager and Grafana
provisioned from grafana/. Without Docker, tests/integration/test_local_prometheus.py runs the
same Prometheus + Alertmanager binaries against the service directly."""

from __future__ import annotations

from typing import Any, Final

from aurastream_obs.artifacts.collector_configs.pieces import (
    OTLP_HTTP_PORT,
    PROMETHEUS_EXPORTER_PORT,
)
from aurastream_obs.artifacts.deploy_templates.common import (
    APP_NAME,
    APP_PORT,
    CONTRIB_IMAGE,
    yaml_artifact,
)
from aurastream_obs.artifacts.files import Artifact

PROMETHEUS_IMAGE: Final = "prom/prometheus:v2.53.0"
ALERTMANAGER_IMAGE: Final = "prom/alertmanager:v0.27.0"
# Grafana 12: the dashboards use schemaVersion 42.
GRAFANA_IMAGE: Final = "grafana/grafana:12.2.0"
PYTHON_IMAGE: Final = "python:3.11-slim"
COLLECTOR: Final = "otel-collector"
SERVE: Final = (
    "pip install -q /src && python -c 'import aurastream_obs as o; "
    "from aurastream_obs.service import create_app, serve; "
    f'o.configure(); serve("0.0.0.0", {APP_PORT}, create_app())\''
)
INTRO: Final = "# docker compose -f deploy/local/docker-compose.yaml up  (from the repo root)\n"


def compose() -> dict[str, Any]:
    return {
        "name": "aurastream-local",
        "services": {
            APP_NAME: {
                "image": PYTHON_IMAGE,
                "command": ["sh", "-c", SERVE],
                "working_dir": "/src",
                "volumes": ["../..:/src:ro"],
                "environment": {
                    "AURASTREAM_TELEMETRY_MODE": "otlp",
                    "OTEL_SERVICE_NAME": APP_NAME,
                    "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{COLLECTOR}:{OTLP_HTTP_PORT}",
                    "AURASTREAM_ENVIRONMENT": "local",
                },
                "ports": [f"{APP_PORT}:{APP_PORT}"],
                "depends_on": [COLLECTOR],
            },
            COLLECTOR: {
                "image": CONTRIB_IMAGE,
                "command": ["--config=/etc/otelcol/config.yaml"],
                "volumes": ["../../collector/otel-local.yaml:/etc/otelcol/config.yaml:ro"],
                "ports": ["4317:4317", "4318:4318", f"{PROMETHEUS_EXPORTER_PORT}:8889"],
            },
            "prometheus": {
                "image": PROMETHEUS_IMAGE,
                "command": ["--config.file=/etc/prometheus/prometheus.yml",
                            "--web.enable-lifecycle"],
                "volumes": ["./prometheus.yml:/etc/prometheus/prometheus.yml:ro",
                            "./rules:/etc/prometheus/rules:ro"],
                "ports": ["9090:9090"],
                "depends_on": [COLLECTOR, "alertmanager"],
            },
            "alertmanager": {
                "image": ALERTMANAGER_IMAGE,
                "command": ["--config.file=/etc/alertmanager/alertmanager.yml"],
                # Secrets stay out of the repo: create ./secrets/slack-webhook-url,
                # ./secrets/slack-security-webhook-url (the #aurastream-security channel's own
                # webhook) and ./secrets/pagerduty-routing-key (git-ignored) before
                # `docker compose up`.
                "volumes": ["./alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro",
                            "./secrets:/etc/alertmanager/secrets:ro"],
                "ports": ["9093:9093"],
            },
            "grafana": {
                "image": GRAFANA_IMAGE,
                "environment": {"GF_AUTH_ANONYMOUS_ENABLED": "true",
                                "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer"},
                "volumes": ["../../grafana/provisioning:/etc/grafana/provisioning:ro",
                            "../../grafana/dashboards:/var/lib/grafana/dashboards:ro"],
                "ports": ["3000:3000"],
                "depends_on": ["prometheus"],
            },
        },
    }  # fmt: skip


def prometheus_config() -> dict[str, Any]:
    return {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": ["rules/*.yaml"],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["alertmanager:9093"]}]}]},
        "scrape_configs": [
            {"job_name": COLLECTOR,
             "static_configs": [{"targets": [f"{COLLECTOR}:{PROMETHEUS_EXPORTER_PORT}"]}]},
            {"job_name": "prometheus", "static_configs": [{"targets": ["localhost:9090"]}]},
        ],
    }  # fmt: skip


def artifacts() -> list[Artifact]:
    return [
        yaml_artifact("deploy/local/docker-compose.yaml", compose(), INTRO),
        yaml_artifact("deploy/local/prometheus.yml", prometheus_config()),
    ]
