"""Every artifact source (`module:function` returning Iterable[Artifact]) and every validator
(`module:function` taking the repo root and returning a list of problem strings that name the
file and key). Listed as strings so that the CLI imports only what it runs."""

from __future__ import annotations

from typing import Final

ARTIFACT_SOURCES: Final[list[str]] = [
    "aurastream_obs.artifacts.collector_configs.documents:collector_artifacts",
    "aurastream_obs.artifacts.deploy_templates:deploy_artifacts",
    "aurastream_obs.artifacts.prometheus_rules:artifacts",
    "aurastream_obs.artifacts.promtool_tests:artifacts",
    "aurastream_obs.artifacts.prometheus_predictive:artifacts",
    "aurastream_obs.artifacts.promtool_predictive:artifacts",
    "aurastream_obs.artifacts.alertmanager:artifacts",
    "aurastream_obs.artifacts.cloudformation:artifacts",
    "aurastream_obs.artifacts.grafana:artifacts",
]

# The sources whose artifacts belong to one environment (`module:function(env)`): the
# Prometheus rules, for `aurastream-obs render --environment ENV --out DIR`.
ENVIRONMENT_SOURCES: Final[list[str]] = [
    "aurastream_obs.artifacts.prometheus_rules:artifacts",
    "aurastream_obs.artifacts.prometheus_predictive:artifacts",
]

VALIDATORS: Final[list[str]] = [
    "aurastream_obs.artifacts.collector_configs.validate:validate_collector",
    "aurastream_obs.artifacts.collector_configs.otelcol:validate_with_collector",
    "aurastream_obs.artifacts.validators:check_prometheus_rules",
    "aurastream_obs.artifacts.validators:check_alertmanager",
    "aurastream_obs.artifacts.validators:check_cloudformation",
    "aurastream_obs.artifacts.deploy_checks:check_deployment",
    "aurastream_obs.artifacts.validators:check_dashboards",
]
