"""What each collector distribution ships, as data with the version and the source file.

A config that names a component its distribution does not ship fails at collector start-up
("unknown type"); the validator catches that before deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["receivers", "processors", "exporters", "extensions", "connectors"]
KINDS: Final[tuple[Kind, ...]] = (
    "receivers",
    "processors",
    "exporters",
    "extensions",
    "connectors",
)


@dataclass(frozen=True)
class Distribution:
    """A collector build: its name, version, where the list comes from and its components."""

    key: str
    title: str
    image: str
    source: str
    receivers: frozenset[str]
    processors: frozenset[str]
    exporters: frozenset[str]
    extensions: frozenset[str]
    connectors: frozenset[str] = frozenset()

    def ships(self, kind: Kind) -> frozenset[str]:
        return frozenset(getattr(self, kind))


# aws-otel-collector v0.49.0 (built on collector-contrib v0.156.0). Source:
# github.com/aws-observability/aws-otel-collector pkg/defaultcomponents/defaults.go (the
# Components() factory lists). No connectors: ADOT registers none, so there is no routing
# connector; per-category log routing uses one pipeline per category with a filter processor.
ADOT_COLLECTOR: Final = Distribution(
    key="adot-collector",
    title="ADOT collector v0.49.0",
    image="public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0",
    source="aws-observability/aws-otel-collector@v0.49.0 pkg/defaultcomponents/defaults.go",
    receivers=frozenset(
        {"otlp", "awsxray", "awsecscontainermetrics", "awscontainerinsight", "statsd",
         "prometheus", "kafka", "jaeger", "zipkin", "filelog"}
    ),
    processors=frozenset(
        {"batch", "memory_limiter", "attributes", "resource", "span", "filter",
         "metricstransform", "resourcedetection", "metricsgeneration", "cumulativetodelta",
         "deltatorate", "probabilistic_sampler", "groupbytrace", "tail_sampling",
         "k8sattributes"}
    ),
    exporters=frozenset(
        {"awsemf", "awsxray", "awscloudwatchlogs", "prometheusremotewrite", "prometheus",
         "otlp", "otlphttp", "debug", "file", "kafka", "loadbalancing"}
    ),
    extensions=frozenset(
        {"awsproxy", "ecs_observer", "health_check", "pprof", "sigv4auth", "zpages",
         "file_storage"}
    ),
)  # fmt: skip

# ADOT Lambda layer v0.43.0. Source: github.com/aws-observability/aws-otel-lambda
# adot/collector/lambdacomponents/default.go: otlp receiver only, NO processors (the factory
# map has no Processors entry), a handful of exporters and sigv4auth.
ADOT_LAMBDA: Final = Distribution(
    key="adot-lambda",
    title="ADOT Lambda layer v0.43.0",
    image="Lambda layer aws-otel-python-<arch>-ver-<version> (AWS-published)",
    source="aws-observability/aws-otel-lambda@v0.43.0 adot/collector/lambdacomponents/default.go",
    receivers=frozenset({"otlp"}),
    processors=frozenset(),
    exporters=frozenset(
        {"awsxray", "awsemf", "prometheusremotewrite", "debug", "otlp", "otlphttp"}
    ),
    extensions=frozenset({"sigv4auth"}),
)

# otelcol-contrib for the docker-compose stack: a subset of its manifest (what a reviewer
# would reasonably use locally), not the full list. Source: github.com/open-telemetry/
# opentelemetry-collector-releases distributions/otelcol-contrib/manifest.yaml (v0.156.0).
COLLECTOR_CONTRIB: Final = Distribution(
    key="otelcol-contrib",
    title="OpenTelemetry collector-contrib v0.156.0",
    image="otel/opentelemetry-collector-contrib:0.156.0",
    source="open-telemetry/opentelemetry-collector-releases "
    "distributions/otelcol-contrib/manifest.yaml",
    receivers=frozenset({"otlp", "prometheus", "hostmetrics", "filelog", "zipkin", "jaeger"}),
    processors=frozenset(
        {"batch", "memory_limiter", "attributes", "resource", "filter", "transform",
         "resourcedetection", "tail_sampling", "probabilistic_sampler", "k8sattributes"}
    ),
    exporters=frozenset(
        {"otlp", "otlphttp", "debug", "prometheus", "prometheusremotewrite", "file",
         "loadbalancing", "awsemf", "awsxray", "awscloudwatchlogs"}
    ),
    extensions=frozenset({"health_check", "pprof", "zpages", "sigv4auth", "file_storage"}),
    connectors=frozenset({"spanmetrics", "routing", "count", "forward"}),
)  # fmt: skip

DISTRIBUTIONS: Final[dict[str, Distribution]] = {
    d.key: d for d in (ADOT_COLLECTOR, ADOT_LAMBDA, COLLECTOR_CONTRIB)
}

# Collector aliases, normalised before looking a type up: `prometheus_remote_write` is the
# same factory as `prometheusremotewrite` in later contrib releases (v0.161.0), and from the
# v0.15x core the OTLP exporters are registered as `otlp_grpc`/`otlp_http` with `otlp`/`otlphttp`
# kept as aliases (`.build/otelcol-aurastream components` lists them, v0.152.0).
ALIASES: Final[dict[str, str]] = {
    "prometheus_remote_write": "prometheusremotewrite",
    "otlp_grpc": "otlp",
    "otlp_http": "otlphttp",
}

# Which signals an exporter accepts; a pipeline of another signal fails at start-up.
EXPORTER_SIGNALS: Final[dict[str, frozenset[str]]] = {
    "awsxray": frozenset({"traces"}),
    "awsemf": frozenset({"metrics"}),
    "awscloudwatchlogs": frozenset({"logs"}),
    "prometheus": frozenset({"metrics"}),
    "prometheusremotewrite": frozenset({"metrics"}),
    "loadbalancing": frozenset({"traces", "logs"}),
}


def component_type(component_id: str) -> str:
    """`awsemf/app` -> `awsemf` (an id is `type[/name]`), aliases normalised."""
    kind = component_id.split("/", 1)[0]
    return ALIASES.get(kind, kind)
