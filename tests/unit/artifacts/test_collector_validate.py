"""The validator: committed configs are clean; each classic mistake gives ONE clear error."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from aurastream_obs.artifacts.collector_configs.components import ADOT_COLLECTOR, ADOT_LAMBDA
from aurastream_obs.artifacts.collector_configs.configs import lambda_config, sidecar_config
from aurastream_obs.artifacts.collector_configs.documents import dump_yaml
from aurastream_obs.artifacts.collector_configs.validate import check_config, validate_collector
from support.paths import ROOT

SIDECAR = "collector/adot-sidecar.yaml"
LAMBDA = "collector/adot-lambda.yaml"


def _check(doc: dict[str, Any], name: str = SIDECAR, dist: Any = ADOT_COLLECTOR) -> list[str]:
    return check_config(name, dump_yaml(doc), dist)


def test_committed_configs_validate() -> None:
    # Runs inside `make test`: the files in collector/ pass every check.
    assert validate_collector(ROOT) == []


def test_fresh_configs_validate() -> None:
    assert _check(sidecar_config()) == []
    assert _check(lambda_config(), LAMBDA, ADOT_LAMBDA) == []


def test_unknown_component() -> None:
    doc = sidecar_config()
    doc["exporters"]["datadog"] = {"api": {"key": "x"}}
    doc["service"]["pipelines"]["traces"]["exporters"].append("datadog")
    problems = _check(doc)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{SIDECAR}: exporters.datadog: 'datadog' is not shipped")
    assert "ADOT collector v0.49.0" in problems[0]


def test_undefined_component_in_pipeline() -> None:
    doc = sidecar_config()
    doc["service"]["pipelines"]["metrics"]["exporters"].append("awsemf/business")
    problems = _check(doc)
    assert problems == [
        f"{SIDECAR}: service.pipelines.metrics.exporters: "
        "'awsemf/business' is not defined under exporters"
    ]


def test_processor_in_lambda_config() -> None:
    doc = lambda_config()
    doc["processors"] = {"batch": {}}
    doc["service"]["pipelines"]["traces"]["processors"] = ["batch"]
    problems = _check(doc, LAMBDA, ADOT_LAMBDA)
    assert problems == [
        f"{LAMBDA}: processors: ADOT Lambda layer v0.43.0 ships no processors; remove batch"
    ]


def test_processor_referenced_but_not_defined_in_lambda_config() -> None:
    doc = lambda_config()
    doc["service"]["pipelines"]["metrics"]["processors"] = ["memory_limiter"]
    problems = _check(doc, LAMBDA, ADOT_LAMBDA)
    assert len(problems) == 1 and "ships no processors" in problems[0], problems


@pytest.mark.parametrize("where", ["dimensions", "label_matchers"])
def test_per_customer_emf_dimension(where: str) -> None:
    doc = sidecar_config()
    declaration = doc["exporters"]["awsemf"]["metric_declarations"][0]
    if where == "dimensions":
        declaration["dimensions"].append(["service.name", "aurastream.customer.id"])
        key = "dimensions[3]"
    else:
        declaration["label_matchers"] = [
            {"label_names": ["aurastream.customer.id"], "regex": "c-.*"}
        ]
        key = "label_matchers[0]"
    problems = _check(doc)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{SIDECAR}: exporters.awsemf.metric_declarations[0].{key}: ")
    assert "aurastream.customer.id" in problems[0]


def test_memory_limiter_first_and_batch_present() -> None:
    doc = sidecar_config()
    doc["service"]["pipelines"]["traces"]["processors"] = ["batch", "memory_limiter"]
    doc["service"]["pipelines"]["metrics"]["processors"] = ["memory_limiter", "resource"]
    assert _check(doc) == [
        f"{SIDECAR}: service.pipelines.traces.processors: memory_limiter must come first",
        f"{SIDECAR}: service.pipelines.metrics.processors: batch is missing",
    ]


def test_required_exporter_key() -> None:
    doc = sidecar_config()
    del doc["exporters"]["awscloudwatchlogs/audit"]["log_group_name"]
    assert _check(doc) == [
        f"{SIDECAR}: exporters.awscloudwatchlogs/audit.log_group_name: required key is missing"
    ]


def test_exporter_in_wrong_signal_pipeline() -> None:
    doc = sidecar_config()
    doc["service"]["pipelines"]["metrics"]["exporters"].append("awsxray")
    assert _check(doc) == [
        f"{SIDECAR}: service.pipelines.metrics.exporters: 'awsxray' does not export metrics"
    ]


def test_undocumented_placeholder_and_wrong_default() -> None:
    doc = copy.deepcopy(sidecar_config())
    doc["exporters"]["awsxray"]["endpoint"] = "${env:XRAY_ENDPOINT}"
    doc["exporters"]["awsemf"]["region"] = "${env:AWS_REGION:-eu-west-1}"
    problems = _check(doc)
    assert len(problems) == 2, problems
    assert "${env:XRAY_ENDPOINT} is not documented" in problems[0]
    assert "default 'eu-west-1' differs from the documented 'us-east-1'" in problems[1]


def test_account_id_and_bare_reference_rejected() -> None:
    doc = sidecar_config()
    doc["exporters"]["awsxray"]["role_arn"] = "arn:aws:iam::123456789012:role/x"
    doc["exporters"]["awsemf"]["log_stream_name"] = "${HOSTNAME}"
    problems = _check(doc)
    assert len(problems) == 2, problems
    assert "account id" in problems[0] and "${HOSTNAME}" in problems[1]


def test_yaml_that_does_not_parse() -> None:
    problems = check_config(SIDECAR, "receivers: [otlp\n", ADOT_COLLECTOR)
    assert len(problems) == 1 and problems[0].startswith(f"{SIDECAR}: YAML does not parse")


def test_stray_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "collector").mkdir()
    (tmp_path / "collector" / "adot-extra.yaml").write_text("{}\n")
    problems = validate_collector(tmp_path)
    assert any("adot-extra.yaml: not a known shape" in p for p in problems)
    assert any(p.startswith(f"{SIDECAR}: missing") for p in problems)


def test_rendered_yaml_round_trips() -> None:
    assert yaml.safe_load(dump_yaml(sidecar_config())) == sidecar_config()
