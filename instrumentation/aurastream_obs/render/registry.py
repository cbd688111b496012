"""Every artifact source (`module:function` returning Iterable[Artifact]) and every validator
(`module:function` taking the repo root and returning a list of problem strings that name the
file and key). Listed as strings so that the CLI imports only what it runs."""

from __future__ import annotations

from typing import Final

ARTIFACT_SOURCES: Final[list[str]] = [
    "aurastream_obs.collector.render:collector_artifacts",
    "aurastream_obs.deploy:deploy_artifacts",
    "aurastream_obs.render.prometheus_rules:artifacts",
    "aurastream_obs.render.promtool_tests:artifacts",
    "aurastream_obs.render.alertmanager:artifacts",
    "aurastream_obs.render.cloudformation:artifacts",
    "aurastream_obs.render.grafana:artifacts",
]

VALIDATORS: Final[list[str]] = [
    "aurastream_obs.collector.validate:validate_collector",
    "aurastream_obs.render.validators:check_prometheus_rules",
    "aurastream_obs.render.validators:check_alertmanager",
    "aurastream_obs.render.validators:check_cloudformation",
    "aurastream_obs.render.validators:check_dashboards",
]
