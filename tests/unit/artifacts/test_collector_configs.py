"""What the configs promise: sampling intent, EMF dimensions, per-category logs, placeholders."""

from __future__ import annotations

from typing import Any

import yaml

from aurastream_obs.artifacts.collector_configs.configs import (
    SHAPES,
    gateway_config,
    lambda_config,
    sidecar_config,
    sidecar_gateway_config,
)
from aurastream_obs.artifacts.collector_configs.placeholders import PLACEHOLDERS
from aurastream_obs.core.conventions import (
    CUSTOMER_ID,
    SECURITY_EVENT,
    SECURITY_EVENTS,
    SERVICE_NAME,
)
from aurastream_obs.core.log_categories import LOG_CATEGORIES, log_group_name
from aurastream_obs.modes.awslambda.emf import dimension_sets
from support.paths import ROOT


def _policies() -> dict[str, dict[str, Any]]:
    sampling = gateway_config()["processors"]["tail_sampling"]
    return {p["name"]: p for p in sampling["policies"]}


def test_tail_sampling_keeps_errors_and_slow_traces() -> None:
    policies = _policies()
    assert policies["errors"]["status_code"] == {"status_codes": ["ERROR"]}
    assert policies["slow"]["latency"] == {"threshold_ms": 1000}


def test_tail_sampling_is_probabilistic_by_route() -> None:
    policies = _policies()
    for name, key in (
        ("analyze-by-route-50pct", "http.route"),
        ("analyze-by-path-50pct", "url.path"),
    ):
        subs = policies[name]["and"]["and_sub_policy"]
        assert subs[0]["string_attribute"] == {"key": key, "values": ["/v1/analyze"]}
        assert subs[1]["probabilistic"]["sampling_percentage"] == 50
    rest = policies["rest-10pct"]["and"]["and_sub_policy"]
    assert all(s["string_attribute"]["invert_match"] for s in rest[:2])
    assert rest[2]["probabilistic"]["sampling_percentage"] == 10
    # Same salt everywhere: the two 50 % policies select the same traces (no 75 % overlap).
    salts = {s["probabilistic"]["hash_salt"] for p in policies.values() if p["type"] == "and"
             for s in p["and"]["and_sub_policy"] if s["type"] == "probabilistic"}  # fmt: skip
    assert len(salts) == 1


def test_gateway_load_balances_by_trace_id_into_the_sampling_pipeline() -> None:
    config = gateway_config()
    assert config["exporters"]["loadbalancing"]["routing_key"] == "traceID"
    pipelines = config["service"]["pipelines"]
    assert pipelines["traces/ingest"]["exporters"] == ["loadbalancing"]
    assert "tail_sampling" in pipelines["traces/sample"]["processors"]
    peer_port = config["exporters"]["loadbalancing"]["resolver"]["dns"]["port"]
    assert config["receivers"]["otlp/peers"]["protocols"]["grpc"]["endpoint"].endswith(peer_port)


def test_emf_namespace_rollup_and_no_customer_dimension() -> None:
    for config in (sidecar_config(), lambda_config()):
        emf = config["exporters"]["awsemf"]
        assert emf["namespace"] == "AuraStream/Application"
        assert emf["dimension_rollup_option"] == "NoDimensionRollup"
        dims = [d for decl in emf["metric_declarations"] for d in decl["dimensions"]]
        assert all(CUSTOMER_ID not in d for d in dims)
        assert ["service.name", "http.route", "http.response.status_code"] in dims


def test_both_cloudwatch_shapes_give_the_security_counter_the_same_dimensions() -> None:
    """awsemf stores a metric no `metric_declarations` entry selects as a plain log event, never
    a metric; Lambda's collectorless encoder declares the same sets (EMF_DIMENSIONS). The
    committed configs (what deploys) carry the security events' declaration."""
    expected = [[SERVICE_NAME, SECURITY_EVENT]]
    assert dimension_sets(SECURITY_EVENTS.name, frozenset({SECURITY_EVENT})) == expected
    for path in sorted((ROOT / "collector").glob("*.yaml")):
        emf = yaml.safe_load(path.read_text())["exporters"].get("awsemf")
        if emf is None:
            continue
        declared = {d["metric_name_selectors"][0]: d["dimensions"]
                    for d in emf["metric_declarations"]}  # fmt: skip
        assert declared[r"^aurastream\.security\.events$"] == expected, path.name


def test_one_log_group_and_pipeline_per_category() -> None:
    config = sidecar_config()
    for name, category in LOG_CATEGORIES.items():
        exporter = config["exporters"][f"awscloudwatchlogs/{name}"]
        assert exporter["log_group_name"] == log_group_name(
            name, "${env:AURASTREAM_ENVIRONMENT:-dev}"
        )
        assert exporter["log_retention"] == category.retention_days
        pipeline = config["service"]["pipelines"][f"logs/{name}"]
        assert pipeline["processors"][:2] == ["memory_limiter", f"filter/{name}"]
    assert config["exporters"]["awscloudwatchlogs/security"]["log_retention"] >= 2557


def test_lambda_config_has_no_processors_and_uses_sigv4_for_amp() -> None:
    config = lambda_config()
    assert "processors" not in config
    assert all("processors" not in p for p in config["service"]["pipelines"].values())
    assert config["exporters"]["prometheusremotewrite"]["auth"] == {"authenticator": "sigv4auth"}


def test_sidecar_gateway_variant_forwards_traces_only() -> None:
    pipelines = sidecar_gateway_config()["service"]["pipelines"]
    assert pipelines["traces"]["exporters"] == ["otlp/gateway"]
    assert pipelines["metrics"] == sidecar_config()["service"]["pipelines"]["metrics"]


def test_every_placeholder_is_in_the_readme_table_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text()
    for placeholder in PLACEHOLDERS.values():
        row = next((r for r in readme.splitlines() if r.startswith(f"| `{placeholder.name}`")), "")
        assert f"`{placeholder.default}`" in row, placeholder.name


def test_shapes_have_distinct_paths_under_collector() -> None:
    paths = [shape.path for shape in SHAPES]
    assert len(set(paths)) == len(paths) and all(p.startswith("collector/") for p in paths)
