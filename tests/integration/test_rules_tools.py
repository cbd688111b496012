"""The committed rules, Alertmanager config and CloudFormation templates pass the real tools:
promtool check/test rules, amtool check-config, cfn-lint. Skips without a tool on a laptop,
fails under CI=true."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aurastream_obs.artifacts import validators
from aurastream_obs.artifacts.prometheus_rules import ALERT_RULES_PATH, SLO_RULES_PATH
from aurastream_obs.artifacts.promtool_tests import TESTS_PATH
from support.paths import ROOT
from support.tools import require_tool

pytestmark = pytest.mark.integration


def test_promtool_check_and_test_rules() -> None:
    require_tool("promtool")
    assert validators.check_prometheus_rules(ROOT) == []


def test_promtool_tests_fail_when_an_alert_is_broken(tmp_path: Path) -> None:
    """The unit tests can fail: raise the page threshold and the server-errors scenario breaks."""
    promtool = require_tool("promtool")
    for path in (SLO_RULES_PATH, ALERT_RULES_PATH, TESTS_PATH):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    alerts = tmp_path / ALERT_RULES_PATH
    # Both page rows of the availability SLO (14.4x and 6x of a 0.1 % budget).
    alerts.write_text(alerts.read_text().replace("> 0.0144", "> 0.5").replace("> 0.006", "> 0.5"))
    done = subprocess.run(
        [promtool, "test", "rules", Path(TESTS_PATH).name],
        cwd=(tmp_path / TESTS_PATH).parent, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "aurastream-local-availability-budget-burn-critical" in done.stdout + done.stderr


def test_amtool_check_config() -> None:
    require_tool("amtool")
    assert validators.check_alertmanager(ROOT) == []


def test_cfn_lint_templates() -> None:
    if shutil.which("cfn-lint") is None and not (Path(sys.executable).parent / "cfn-lint").exists():
        require_tool("cfn-lint")
    assert validators.check_cloudformation(ROOT) == []


def test_dashboard_queries_parse() -> None:
    require_tool("promtool")
    assert validators.check_dashboards(ROOT) == []
