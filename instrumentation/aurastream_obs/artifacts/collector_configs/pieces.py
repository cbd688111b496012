"""Config fragments shared by the collector shapes: receivers, processors, AWS exporters.

Keys follow the component READMEs in opentelemetry-collector-contrib (exporter/awsemfexporter,
exporter/awsxrayexporter, exporter/awscloudwatchlogsexporter, processor/filterprocessor,
processor/tailsamplingprocessor, exporter/loadbalancingexporter) at the v0.156.0 line that
ADOT v0.49.0 builds on.
"""

from __future__ import annotations

import re
from typing import Any, Final

from aurastream_obs.artifacts.collector_configs.placeholders import (
    AMP_WORKSPACE_ID,
    AWS_REGION,
    ENVIRONMENT,
)
from aurastream_obs.core.conventions import (
    EMF_DIMENSIONS,
    EMF_NAMESPACE,
    LOG_ATTRIBUTE_KEYS,
    XRAY_INDEXED,
)
from aurastream_obs.core.log_categories import DEFAULT_CATEGORY, LOG_CATEGORIES, log_group_name

Config = dict[str, Any]

HEALTH_CHECK_PORT: Final = 13133
PROMETHEUS_EXPORTER_PORT: Final = 8889
OTLP_GRPC_PORT: Final = 4317
OTLP_HTTP_PORT: Final = 4318

# EMF dimension sets and X-Ray indexed keys live with the conventions: the Lambda mode's own
# EMF and X-Ray emitters use the same ones.


def otlp_receiver(host: str) -> Config:
    return {
        "protocols": {
            "grpc": {"endpoint": f"{host}:{OTLP_GRPC_PORT}"},
            "http": {"endpoint": f"{host}:{OTLP_HTTP_PORT}"},
        }
    }


def memory_limiter() -> Config:
    # Percentages follow the container's cgroup limit, so one config fits every task size.
    return {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25}


def batch() -> Config:
    return {"timeout": "1s", "send_batch_size": 1024, "send_batch_max_size": 2048}


def resourcedetection() -> Config:
    return {"detectors": ["env", "ecs", "ec2"], "timeout": "2s", "override": False}


def resource() -> Config:
    # `insert` keeps what the SDK set; fills the environment for apps that did not set it.
    return {
        "attributes": [
            {"key": "deployment.environment.name", "value": ENVIRONMENT.ref, "action": "insert"}
        ]
    }


def awsxray() -> Config:
    return {"region": AWS_REGION.ref, "indexed_attributes": list(XRAY_INDEXED)}


def _selector(metric: str) -> str:
    return f"^{re.escape(metric)}$"


def awsemf() -> Config:
    return {
        "region": AWS_REGION.ref,
        "namespace": EMF_NAMESPACE,
        "log_group_name": log_group_name("emf", ENVIRONMENT.ref),
        "log_stream_name": "otel-collector",
        # Default ZeroAndSingleDimensionRollup adds rollup sets per metric (cost multiplier).
        "dimension_rollup_option": "NoDimensionRollup",
        # Resource attributes (service.name) become labels, so they can be declared dimensions.
        "resource_to_telemetry_conversion": {"enabled": True},
        "metric_declarations": [
            {"dimensions": [list(d) for d in dims], "metric_name_selectors": [_selector(metric)]}
            for metric, dims in EMF_DIMENSIONS.items()
        ],
    }


def awscloudwatchlogs(category: str) -> Config:
    return {
        "region": AWS_REGION.ref,
        "log_group_name": log_group_name(category, ENVIRONMENT.ref),
        "log_stream_name": "otel-collector",
        "log_retention": LOG_CATEGORIES[category].retention_days,
        # The structured record (logToCWLog, raw_log false): {"body", "severity_text",
        # "trace_id", "span_id", "attributes": {...}, "scope", "resource"}. raw_log: true would
        # keep only the body, the bare message of a semantic-conventions record, and rebuilding
        # the stdout line takes the `transform` processor, which ADOT does not ship. The Logs
        # Insights queries read this shape and the line alike (definitions/log_fields.py).
        "raw_log": False,
    }


def category_filter(category: str) -> Config:
    """Keep only `category`'s records (filter drops records matching any condition).

    ADOT ships no routing connector (components.py), so each category gets its own logs
    pipeline with this filter. Records without a known category go to the default one.
    """
    attr = f'attributes["{LOG_ATTRIBUTE_KEYS["category"]}"]'  # the OTLP record's key
    if category == DEFAULT_CATEGORY:
        others = [name for name in LOG_CATEGORIES if name != DEFAULT_CATEGORY]
        conditions = [f'{attr} == "{name}"' for name in others]
    else:
        conditions = [f'{attr} != "{category}"']  # a missing attribute (nil) is dropped too
    return {"error_mode": "ignore", "logs": {"log_record": conditions}}


def sigv4auth() -> Config:
    return {"region": AWS_REGION.ref, "service": "aps"}


def amp_remote_write() -> Config:
    endpoint = (
        f"https://aps-workspaces.{AWS_REGION.ref}.amazonaws.com/workspaces/"
        f"{AMP_WORKSPACE_ID.ref}/api/v1/remote_write"
    )
    return {
        "endpoint": endpoint,
        "auth": {"authenticator": "sigv4auth"},
        **_IDENTITY_LABELS,
    }


# The resource becomes labels of every series: service_name and deployment_environment_name are
# what the rules and dashboards select a service and an environment by (core/conventions.py),
# and ADOT ships no processor that copies only those two (no `transform`). The other resource
# attributes are constant per process (the task's or pod's ids tell its series apart from
# another replica's, which the job label alone does not), so they add no series.
_IDENTITY_LABELS: Final[Config] = {"resource_to_telemetry_conversion": {"enabled": True}}


def prometheus_exporter() -> Config:
    return {"endpoint": f"0.0.0.0:{PROMETHEUS_EXPORTER_PORT}", **_IDENTITY_LABELS}


def health_check() -> Config:
    # The ADOT image's /healthcheck binary (the ECS container health check) GETs
    # 127.0.0.1:13133 (aws-otel-collector, cmd/healthcheck); EKS probes the same port.
    return {"endpoint": f"0.0.0.0:{HEALTH_CHECK_PORT}"}
