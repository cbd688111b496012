"""loopback_config: the committed configs with only their addresses changed, never an exporter
left pointing at a real endpoint; and the demo's swap of AWS exporters for files."""

from __future__ import annotations

import json
import re

import pytest

from aurastream_obs.artifacts.collector_configs.components import component_type
from aurastream_obs.artifacts.collector_configs.loopback import (
    AWS_EXPORTERS,
    SHAPE_KEYS,
    Loopback,
    loopback_config,
    shape_config,
)
from aurastream_obs.demo.collector_stack import demo_gateway_config, demo_sidecar_config

EVERYTHING = Loopback(
    otlp_grpc_port=1001, otlp_http_port=1002, health_port=1003, prometheus_port=1004,
    aws_endpoint="http://127.0.0.1:1005", remote_write_url="http://127.0.0.1:1006/api/v1/write",
    gateway_endpoint="127.0.0.1:1007", peer_port=1008, peers=("127.0.0.1:1009", "127.0.0.1:1010"),
)  # fmt: skip


def _strip_addresses(config: object) -> object:
    """The config with every endpoint/hostname value blanked (what loopback may change)."""
    text = json.dumps(config)
    for key in ("endpoint", "hostname", "port"):
        text = _blank(text, key)
    return json.loads(text)


def _blank(text: str, key: str) -> str:
    return re.sub(rf'"{key}": "[^"]*"', f'"{key}": ""', text)


@pytest.mark.parametrize("key", sorted(SHAPE_KEYS))
def test_only_addresses_change(key: str) -> None:
    committed = shape_config(key)
    variant = loopback_config(committed, EVERYTHING)
    text = json.dumps(variant)
    assert "svc.cluster.local" not in text and "amazonaws.com" not in text
    assert "0.0.0.0" not in text
    assert ("processors" in variant) == ("processors" in committed)
    assert variant["service"]["pipelines"] == committed["service"]["pipelines"]
    assert variant["service"]["telemetry"] == {"metrics": {"level": "none"}}
    for section in ("processors", "receivers"):
        assert _strip_addresses(variant.get(section)) == _strip_addresses(committed.get(section))


def test_gateway_load_balances_over_the_given_peers() -> None:
    variant = loopback_config(shape_config("gateway"), EVERYTHING)
    exporter = variant["exporters"]["loadbalancing"]
    assert exporter["resolver"] == {"static": {"hostnames": list(EVERYTHING.peers)}}
    assert exporter["routing_key"] == "traceID"
    assert variant["receivers"]["otlp/peers"]["protocols"]["grpc"]["endpoint"] == "127.0.0.1:1008"


@pytest.mark.parametrize(
    ("key", "missing"),
    [("sidecar", "aws_endpoint"), ("lambda", "remote_write_url"), ("gateway", "peers"),
     ("sidecar-gateway", "gateway_endpoint")],
)  # fmt: skip
def test_an_exporter_without_a_loopback_endpoint_is_refused(key: str, missing: str) -> None:
    lb = Loopback(**{**vars(EVERYTHING), missing: () if missing == "peers" else None})
    with pytest.raises(ValueError, match=f"Loopback.{missing}"):
        loopback_config(shape_config(key), lb)


def test_own_metrics_on_request() -> None:
    lb = Loopback(**{**vars(EVERYTHING), "telemetry_port": 1011})
    telemetry = loopback_config(shape_config("gateway"), lb)["service"]["telemetry"]
    pull = telemetry["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]
    assert pull == {"host": "127.0.0.1", "port": 1011}


def test_demo_configs_write_files_instead_of_aws() -> None:
    sidecar = demo_sidecar_config("/demo", EVERYTHING)
    gateway = demo_gateway_config("/demo", EVERYTHING)
    for config in (sidecar, gateway):
        assert not [e for e in config["exporters"] if component_type(e) in AWS_EXPORTERS]
    pipelines = sidecar["service"]["pipelines"]
    assert pipelines["traces"]["exporters"] == ["otlp/gateway", "file/traces"]
    assert "file/metrics" in pipelines["metrics"]["exporters"]
    assert "prometheusremotewrite" in pipelines["metrics"]["exporters"]
    logs = [p for name, p in pipelines.items() if name.startswith("logs/")]
    assert logs and all(p["exporters"] == ["file/logs"] for p in logs)
    assert sidecar["exporters"]["file/logs"] == {"path": "/demo/logs.jsonl"}
    sample = gateway["service"]["pipelines"]["traces/sample"]
    assert sample["exporters"] == ["file/traces"]
    assert gateway["exporters"]["file/traces"] == {"path": "/demo/traces-sampled.jsonl"}
    assert (
        gateway["processors"]["tail_sampling"]
        == shape_config("gateway")["processors"]["tail_sampling"]
    )
