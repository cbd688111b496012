"""One collector config per deployment shape, built as plain dicts (rendered to YAML).

lambda           ADOT Lambda layer: otlp -> awsxray, awsemf, AMP remote write. No
                 processors (the layer ships none) and no logs pipeline (Lambda stdout
                 already lands in CloudWatch Logs).
sidecar          ECS/EKS sidecar: full pipelines, logs split per category.
sidecar-gateway  the same sidecar, but traces go to the gateway tier instead of X-Ray.
gateway          second tier: loadbalancing by trace id -> tail_sampling -> awsxray.
local            collector-contrib for docker compose: otlp -> prometheus + debug.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from aurastream_obs.artifacts.collector_configs import pieces as p
from aurastream_obs.artifacts.collector_configs.components import (
    ADOT_COLLECTOR,
    ADOT_LAMBDA,
    COLLECTOR_CONTRIB,
    Distribution,
)
from aurastream_obs.artifacts.collector_configs.placeholders import GATEWAY_ENDPOINT, GATEWAY_PEERS
from aurastream_obs.core.conventions import HTTP_ROUTE
from aurastream_obs.core.log_categories import LOG_CATEGORIES

ANALYZE_ROUTE: Final = "/v1/analyze"
URL_PATH: Final = "url.path"
SLOW_TRACE_MS: Final = 1000
GATEWAY_PEER_PORT: Final = 4417
SIDECAR_PROCESSORS: Final = ("memory_limiter", "resourcedetection", "resource", "batch")


def lambda_config() -> p.Config:
    return {
        "extensions": {"sigv4auth": p.sigv4auth()},
        # The layer's extension listens on localhost only; the function is the only client.
        "receivers": {"otlp": p.otlp_receiver("localhost")},
        "exporters": {
            "awsxray": p.awsxray(),
            "awsemf": p.awsemf(),
            "prometheusremotewrite": p.amp_remote_write(),
        },
        "service": {
            "extensions": ["sigv4auth"],
            "pipelines": {
                "traces": {"receivers": ["otlp"], "exporters": ["awsxray"]},
                "metrics": {
                    "receivers": ["otlp"],
                    "exporters": ["awsemf", "prometheusremotewrite"],
                },
            },
        },
    }


def _sidecar(traces_exporter: str, traces_config: p.Config) -> p.Config:
    categories = list(LOG_CATEGORIES)
    processors: p.Config = {
        "memory_limiter": p.memory_limiter(),
        "resourcedetection": p.resourcedetection(),
        "resource": p.resource(),
        "batch": p.batch(),
    }
    processors.update({f"filter/{name}": p.category_filter(name) for name in categories})
    pipelines: p.Config = {
        "traces": {
            "receivers": ["otlp"],
            "processors": list(SIDECAR_PROCESSORS),
            "exporters": [traces_exporter],
        },
        "metrics": {
            "receivers": ["otlp"],
            "processors": list(SIDECAR_PROCESSORS),
            "exporters": ["awsemf", "prometheusremotewrite", "prometheus"],
        },
    }
    for name in categories:
        pipelines[f"logs/{name}"] = {
            "receivers": ["otlp"],
            "processors": ["memory_limiter", f"filter/{name}", *SIDECAR_PROCESSORS[1:]],
            "exporters": [f"awscloudwatchlogs/{name}"],
        }
    exporters: p.Config = {
        traces_exporter: traces_config,
        "awsemf": p.awsemf(),
        "prometheusremotewrite": p.amp_remote_write(),
        "prometheus": p.prometheus_exporter(),
    }
    exporters.update(
        {f"awscloudwatchlogs/{name}": p.awscloudwatchlogs(name) for name in categories}
    )
    return {
        "extensions": {"health_check": p.health_check(), "sigv4auth": p.sigv4auth()},
        # Loopback only: the app shares the task's / pod's network namespace.
        "receivers": {"otlp": p.otlp_receiver("127.0.0.1")},
        "processors": processors,
        "exporters": exporters,
        "service": {"extensions": ["health_check", "sigv4auth"], "pipelines": pipelines},
    }


def sidecar_config() -> p.Config:
    return _sidecar("awsxray", p.awsxray())


def sidecar_gateway_config() -> p.Config:
    # In-cluster plaintext gRPC; put the gateway behind a mesh / mTLS where policy requires.
    gateway = {"endpoint": GATEWAY_ENDPOINT.ref, "tls": {"insecure": True}}
    return _sidecar("otlp/gateway", gateway)


def _route_is_analyze(key: str, *, invert: bool = False) -> p.Config:
    matcher: p.Config = {"key": key, "values": [ANALYZE_ROUTE]}
    if invert:
        matcher["invert_match"] = True
    return {"name": f"{key}-{'not-' if invert else ''}analyze", "type": "string_attribute",
            "string_attribute": matcher}  # fmt: skip


def _probabilistic(percent: int) -> p.Config:
    # One salt for every probabilistic policy: the by-route and by-path 50 % policies pick the
    # SAME traces, so a trace carrying both attributes is kept at 50 %, not 75 %.
    rule = {"sampling_percentage": percent, "hash_salt": "aurastream"}
    return {"name": f"keep-{percent}pct", "type": "probabilistic", "probabilistic": rule}


def tail_sampling() -> p.Config:
    """The seed's intent: all errors, all slow (> 1 s), 50 % of /v1/analyze, 10 % of the rest.

    Top-level policies are ORed (a trace is kept if any policy samples it). "x % of route R"
    needs an `and` policy: string_attribute(R) AND probabilistic(x). The route may be in
    `http.route` (server spans) or only in `url.path` (client/Lambda spans), hence two
    analyze policies. "The rest" inverts both matches inside an `and`: there an inverted
    match is a plain not-sampled vote, whereas a top-level invert_match would veto every
    other policy (tailsamplingprocessor README, "invert_match").
    """
    and_policy = "and"
    return {
        "decision_wait": "10s",
        "num_traces": 100000,
        "expected_new_traces_per_sec": 500,
        "policies": [
            {"name": "errors", "type": "status_code",
             "status_code": {"status_codes": ["ERROR"]}},
            # latency = last span end - first span start of the trace, in ms (>= threshold).
            {"name": "slow", "type": "latency", "latency": {"threshold_ms": SLOW_TRACE_MS}},
            {"name": "analyze-by-route-50pct", "type": and_policy, and_policy: {
                "and_sub_policy": [_route_is_analyze(HTTP_ROUTE), _probabilistic(50)]}},
            {"name": "analyze-by-path-50pct", "type": and_policy, and_policy: {
                "and_sub_policy": [_route_is_analyze(URL_PATH), _probabilistic(50)]}},
            {"name": "rest-10pct", "type": and_policy, and_policy: {"and_sub_policy": [
                _route_is_analyze(HTTP_ROUTE, invert=True),
                _route_is_analyze(URL_PATH, invert=True),
                _probabilistic(10)]}},
        ],
    }  # fmt: skip


def gateway_config() -> p.Config:
    """Two pipelines in one config, so every replica plays both roles behind one Service.

    traces/ingest: sidecars -> (any replica) -> loadbalancing exporter, which hashes the
    trace id and forwards to the replica owning it (peers found via a headless Service DNS
    name). traces/sample: peers -> tail_sampling -> X-Ray. Tail sampling needs every span of a
    trace on one replica; without the loadbalancing hop a multi-replica tier would decide on
    fragments. A separate load-balancer Deployment is the alternative when the two roles
    must scale independently.
    """
    return {
        "extensions": {"health_check": p.health_check()},
        "receivers": {
            "otlp": p.otlp_receiver("0.0.0.0"),
            "otlp/peers": {"protocols": {"grpc": {"endpoint": f"0.0.0.0:{GATEWAY_PEER_PORT}"}}},
        },
        "processors": {
            "memory_limiter": p.memory_limiter(),
            "tail_sampling": tail_sampling(),
            "batch": p.batch(),
        },
        "exporters": {
            "loadbalancing": {
                "routing_key": "traceID",
                "protocol": {"otlp": {"timeout": "2s", "tls": {"insecure": True}}},
                "resolver": {
                    "dns": {"hostname": GATEWAY_PEERS.ref, "port": str(GATEWAY_PEER_PORT)}
                },
            },
            "awsxray": p.awsxray(),
        },
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "traces/ingest": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "batch"],
                    "exporters": ["loadbalancing"],
                },
                "traces/sample": {
                    "receivers": ["otlp/peers"],
                    "processors": ["memory_limiter", "tail_sampling", "batch"],
                    "exporters": ["awsxray"],
                },
            },
        },
    }


def local_config() -> p.Config:
    signals = ("traces", "metrics", "logs")
    return {
        "extensions": {"health_check": p.health_check()},
        "receivers": {"otlp": p.otlp_receiver("0.0.0.0")},
        "processors": {"memory_limiter": p.memory_limiter(), "batch": p.batch()},
        "exporters": {
            "prometheus": p.prometheus_exporter(),
            "debug": {"verbosity": "basic"},
        },
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                signal: {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "batch"],
                    "exporters": ["prometheus", "debug"] if signal == "metrics" else ["debug"],
                }
                for signal in signals
            },
        },
    }


@dataclass(frozen=True)
class Shape:
    path: str
    build: Callable[[], p.Config]
    distribution: Distribution
    summary: str


SHAPES: Final[tuple[Shape, ...]] = (
    Shape("collector/adot-lambda.yaml", lambda_config, ADOT_LAMBDA,
          "ADOT Lambda layer extension: otlp -> X-Ray, EMF, AMP remote write"),
    Shape("collector/adot-sidecar.yaml", sidecar_config, ADOT_COLLECTOR,
          "ECS/EKS sidecar: X-Ray, EMF, CloudWatch Logs per category, Prometheus, AMP"),
    Shape("collector/adot-sidecar-gateway.yaml", sidecar_gateway_config, ADOT_COLLECTOR,
          "EKS sidecar in front of the gateway tier: traces -> gateway, rest as the sidecar"),
    Shape("collector/adot-gateway.yaml", gateway_config, ADOT_COLLECTOR,
          "gateway tier: loadbalancing by trace id -> tail_sampling -> X-Ray"),
    Shape("collector/otel-local.yaml", local_config, COLLECTOR_CONTRIB,
          "docker compose: otlp -> prometheus exporter + debug"),
)  # fmt: skip
