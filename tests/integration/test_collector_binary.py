"""The real collector loads every committed config, and refuses bad ones with its own message.

Needs `.build/otelcol-aurastream` (`make collector`): skipped with that reason on a laptop
without it, failed under CI=true.
"""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from aurastream_obs.artifacts.collector_configs.configs import SHAPES, sidecar_config
from aurastream_obs.artifacts.collector_configs.documents import dump_yaml
from aurastream_obs.artifacts.collector_configs.loopback import loopback_config, shape_config
from aurastream_obs.artifacts.collector_configs.otelcol import (
    BINARY,
    collector_env,
    validate_config,
    validate_with_collector,
    without_unbuilt,
)
from support.otelcol import loopback, require_collector
from support.paths import ROOT

pytestmark = pytest.mark.integration
MANIFEST = ROOT / "collector" / "build" / "manifest.yaml"


def _validate(tmp_path: Path, config: dict[str, Any]) -> list[str]:
    path = tmp_path / "config.yaml"
    path.write_text(dump_yaml(config))
    return validate_config(require_collector(), path)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.path)
def test_committed_config_validates(shape: Any) -> None:
    assert validate_config(require_collector(), ROOT / shape.path) == []


def test_validate_entry_point_checks_every_config() -> None:
    require_collector()
    assert validate_with_collector(ROOT) == []


def test_validate_entry_point_without_the_binary_says_how_to_build(tmp_path: Path) -> None:
    assert validate_with_collector(tmp_path) == [
        f"{BINARY} is not built: run `make collector` (needs Go and the Go module proxy; "
        "cached once built)"
    ]


def test_misspelt_key_fails_with_the_collectors_message(tmp_path: Path) -> None:
    config = sidecar_config()
    exporter = config["exporters"]["awscloudwatchlogs/security"]
    exporter["log_stream_nam"] = exporter.pop("log_stream_name")
    (problem,) = _validate(tmp_path, config)
    assert 'error reading configuration for "awscloudwatchlogs/security"' in problem
    assert "'awscloudwatchlogsexporter.Config' has invalid keys: log_stream_nam" in problem


def test_component_missing_from_the_distribution_fails_with_the_collectors_message(
    tmp_path: Path,
) -> None:
    # ADOT ships a kafka exporter; our build does not (no config of ours uses it).
    config = sidecar_config()
    config["exporters"]["kafka"] = {"brokers": ["127.0.0.1:9092"]}
    config["service"]["pipelines"]["traces"]["exporters"].append("kafka")
    (problem,) = _validate(tmp_path, config)
    assert re.search(
        r"'exporters' unknown type: \"kafka\" for id: \"kafka\" \(valid values: \[", problem
    )
    assert "awsemf" in problem  # the collector lists what it has


def test_wrong_type_fails_with_the_collectors_message(tmp_path: Path) -> None:
    config = copy.deepcopy(shape_config("gateway"))
    config["processors"]["tail_sampling"]["decision_wait"] = "ten seconds"
    (problem,) = _validate(tmp_path, config)
    assert "tail_sampling" in problem and "decision_wait" in problem


@pytest.mark.parametrize("key", ["lambda", "sidecar", "sidecar-gateway", "gateway", "local"])
def test_loopback_variants_validate(tmp_path: Path, key: str) -> None:
    lb = loopback(
        aws_endpoint="http://127.0.0.1:1",
        remote_write_url="http://127.0.0.1:1/api/v1/write",
        gateway_endpoint="127.0.0.1:1",
        peers=("127.0.0.1:2", "127.0.0.1:3"),
    )
    assert _validate(tmp_path, loopback_config(shape_config(key), lb)) == []


def _manifest_components() -> dict[str, set[str]]:
    manifest = yaml.safe_load(MANIFEST.read_text())
    return {
        kind: {entry["gomod"].split()[0] for entry in manifest.get(kind) or []}
        for kind in ("receivers", "processors", "exporters", "extensions", "connectors")
    }


def test_binary_contains_exactly_the_manifest_at_one_release() -> None:
    done = subprocess.run(
        [str(require_collector()), "components"],
        env=collector_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    listed = yaml.safe_load(done.stdout)
    assert listed["buildinfo"]["version"] == "0.152.0"
    for kind, modules in _manifest_components().items():
        built = {c["module"].split()[0] for c in listed.get(kind) or []}
        versions = {c["module"].split()[1] for c in listed.get(kind) or []}
        assert built == modules, kind
        assert versions <= {"v0.152.0"}, (kind, versions)


@pytest.mark.parametrize(("ci", "outcome"), [("true", "fail"), ("", "skip")])
def test_missing_binary_skips_on_a_laptop_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: str
) -> None:
    import support.otelcol

    monkeypatch.setattr(support.otelcol, "binary_path", lambda root: None)
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match="make collector"):
        require_collector()


def test_a_component_the_build_cannot_contain_is_left_to_the_static_check(tmp_path: Path) -> None:
    # awsproxy: ADOT ships it, the module proxy serves no version of it (manifest.yaml).
    config = sidecar_config()
    config["extensions"]["awsproxy"] = {"endpoint": "127.0.0.1:2000"}
    config["service"]["extensions"].append("awsproxy")
    text = dump_yaml(config)
    (problem,) = _validate(tmp_path, config)  # the binary alone refuses it
    assert 'unknown type: "awsproxy"' in problem
    stripped = without_unbuilt(text)
    assert stripped is not None and "awsproxy" not in stripped
    assert without_unbuilt(dump_yaml(sidecar_config())) is None
    root = tmp_path / "repo"
    for shape in SHAPES:
        (root / shape.path).parent.mkdir(parents=True, exist_ok=True)
        (root / shape.path).write_text(dump_yaml(shape.build()))
    (root / SHAPES[1].path).write_text(text)
    (root / BINARY).parent.mkdir(parents=True)
    (root / BINARY).symlink_to(require_collector())
    assert validate_with_collector(root) == []
