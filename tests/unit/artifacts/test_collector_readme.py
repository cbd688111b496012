"""The README's "Collector placeholders" table is the one placeholders.py renders, test values
included (the documented test environment `aurastream-obs validate` and the e2e tests use)."""

from __future__ import annotations

from aurastream_obs.artifacts.collector_configs.otelcol import AWS_SAFETY_ENV, collector_env
from aurastream_obs.artifacts.collector_configs.placeholders import (
    PLACEHOLDERS,
    documented_test_env,
    readme_table,
)
from support.paths import ROOT


def test_readme_carries_the_placeholder_table_with_test_values() -> None:
    assert readme_table() in (ROOT / "README.md").read_text()


def test_collector_env_is_the_documented_test_environment_and_nothing_else() -> None:
    env = collector_env()
    assert set(env) == {"PATH", *PLACEHOLDERS, *AWS_SAFETY_ENV}
    assert {k: env[k] for k in PLACEHOLDERS} == documented_test_env()
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"  # never the instance metadata service
    assert collector_env({"AWS_REGION": "eu-west-1"})["AWS_REGION"] == "eu-west-1"
