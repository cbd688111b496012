"""The committed configs, pointed at loopback: what the end-to-end tests and `aurastream-obs demo
--collector` run. Built from the same generator as collector/*.yaml (configs.py), then only
the addresses change: every listener moves to 127.0.0.1 on the given ports, every exporter to
the given loopback endpoint (a moto server for the AWS exporters, a Prometheus remote-write
receiver, the next collector), the loadbalancing exporter to a static list of peers, and the
collector's own metrics endpoint is off unless asked for on a given port (two collectors on
one host would fight for the default :8888).
Pipelines, processors, sampling policies and exporter settings stay exactly as committed.

A config whose exporter would need an endpoint that was not given is refused (ValueError), so
a test can never send to real AWS by forgetting one.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Final

from aurastream_obs.artifacts.collector_configs import pieces as p
from aurastream_obs.artifacts.collector_configs.components import component_type
from aurastream_obs.artifacts.collector_configs.configs import SHAPES

HOST: Final = "127.0.0.1"
AWS_EXPORTERS: Final = frozenset({"awsxray", "awsemf", "awscloudwatchlogs"})
# `lambda`, `sidecar`, `sidecar-gateway`, `gateway`, `local`: the file name without its prefix.
SHAPE_KEYS: Final[dict[str, str]] = {
    shape.path.removeprefix("collector/").removesuffix(".yaml").split("-", 1)[1]: shape.path
    for shape in SHAPES
}


@dataclass(frozen=True)
class Loopback:
    """Ports and endpoints of one collector process on loopback."""

    otlp_grpc_port: int
    otlp_http_port: int
    health_port: int | None = None  # health_check extension
    prometheus_port: int | None = None  # prometheus exporter (scrape endpoint)
    aws_endpoint: str | None = None  # awsxray, awsemf, awscloudwatchlogs (a moto server)
    remote_write_url: str | None = None  # prometheusremotewrite
    gateway_endpoint: str | None = None  # the sidecar's otlp/gateway exporter (host:port)
    peer_port: int | None = None  # the gateway's otlp/peers receiver
    peers: tuple[str, ...] = ()  # loadbalancing exporter: static resolver (host:port each)
    telemetry_port: int | None = None  # the collector's own metrics (Prometheus); None: off


def shape_config(key: str) -> p.Config:
    """The committed config of a shape (a SHAPE_KEYS key), freshly generated."""
    shape = next((s for s in SHAPES if s.path == SHAPE_KEYS.get(key)), None)
    if shape is None:
        raise ValueError(f"unknown collector shape {key!r}; known: {sorted(SHAPE_KEYS)}")
    return shape.build()


def _need(value: Any, what: str, component: str) -> Any:
    if value is None or value == ():
        raise ValueError(f"{component}: give Loopback.{what} (never send to the real endpoint)")
    return value


def _receiver(component: str, config: p.Config, lb: Loopback) -> None:
    if component == "otlp/peers":
        port = _need(lb.peer_port, "peer_port", component)
        config["protocols"] = {"grpc": {"endpoint": f"{HOST}:{port}"}}
        return
    protocols = config.get("protocols", {})
    if "grpc" in protocols:
        protocols["grpc"]["endpoint"] = f"{HOST}:{lb.otlp_grpc_port}"
    if "http" in protocols:
        protocols["http"]["endpoint"] = f"{HOST}:{lb.otlp_http_port}"


def _exporter(component: str, config: p.Config, lb: Loopback) -> None:
    kind = component_type(component)
    if kind in AWS_EXPORTERS:
        config["endpoint"] = _need(lb.aws_endpoint, "aws_endpoint", component)
    elif kind == "prometheusremotewrite":
        config["endpoint"] = _need(lb.remote_write_url, "remote_write_url", component)
    elif kind == "prometheus":
        config["endpoint"] = f"{HOST}:{_need(lb.prometheus_port, 'prometheus_port', component)}"
    elif kind == "otlp":
        config["endpoint"] = _need(lb.gateway_endpoint, "gateway_endpoint", component)
    elif kind == "loadbalancing":
        peers = _need(lb.peers, "peers", component)
        config["resolver"] = {"static": {"hostnames": list(peers)}}


def loopback_config(config: p.Config, lb: Loopback) -> p.Config:
    """A copy of `config` with every address on loopback (see the module docstring)."""
    out = copy.deepcopy(config)
    for component, receiver in out.get("receivers", {}).items():
        _receiver(str(component), receiver, lb)
    for component, exporter in out.get("exporters", {}).items():
        _exporter(str(component), exporter, lb)
    for component, extension in out.get("extensions", {}).items():
        if component_type(str(component)) == "health_check":
            port = _need(lb.health_port, "health_port", str(component))
            extension["endpoint"] = f"{HOST}:{port}"
    service = out.setdefault("service", {})
    service["telemetry"] = {"metrics": _own_metrics(lb.telemetry_port)}
    return out


def _own_metrics(port: int | None) -> p.Config:
    """The collector's own metrics on 127.0.0.1:port (`detailed`: per-policy tail-sampling
    counts), or none (the default would listen on :8888, one collector per host)."""
    if port is None:
        return {"level": "none"}
    pull = {"exporter": {"prometheus": {"host": HOST, "port": port}}}
    return {"level": "detailed", "readers": [{"pull": pull}]}
