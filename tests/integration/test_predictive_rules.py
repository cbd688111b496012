"""The predictive rules' promtool tests (a daily cycle fires nothing; a step change and a slow
drift fire) can fail: a rule without its band fires on the daily cycle, a drift forecast
without a horizon misses the drift. That the committed rules pass them is checked with the
other rules (test_rules_tools.py, `aurastream-obs validate`). Skips without promtool on a
laptop, fails under CI=true."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from aurastream_obs.artifacts.prometheus_predictive import RULES_PATH
from aurastream_obs.artifacts.promtool_predictive import TESTS_PATH
from support.paths import ROOT
from support.tools import require_tool

pytestmark = pytest.mark.integration


def _run(promtool: str, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, "test", "rules", Path(TESTS_PATH).name], cwd=(root / TESTS_PATH).parent,
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def _copy(tmp_path: Path) -> Path:
    for path in (RULES_PATH, TESTS_PATH):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    return tmp_path / RULES_PATH


def _mutate(rules: Path, signal: str, pattern: str, replacement: str) -> None:
    """Rewrite one alert's expression (the YAML is parsed: the dump may wrap long lines)."""
    document = yaml.safe_load(rules.read_text())
    (alert,) = (r for g in document["groups"] for r in g["rules"]
                if r.get("labels", {}).get("signal") == signal)  # fmt: skip
    changed = re.sub(pattern, replacement, alert["expr"])
    assert changed != alert["expr"], alert["expr"]
    alert["expr"] = changed
    rules.write_text(yaml.safe_dump(document, sort_keys=False))


@pytest.mark.parametrize(
    ("signal", "pattern", "replacement"),
    [
        # No band: the daily cycle's zero deviation counts as an anomaly.
        ("request-rate-anomaly", r"> aurastream:request_rate:band(\{[^}]*\})?", ">= 0"),
        # A forecast 0 s ahead is today's value: the slow drift is under the threshold yet.
        ("latency-drift", r"(\[3d\],\s*)604800", r"\g<1>0"),
    ],
)  # fmt: skip
def test_the_tests_fail_when_a_rule_is_broken(
    tmp_path: Path, signal: str, pattern: str, replacement: str
) -> None:
    promtool = require_tool("promtool")
    _mutate(_copy(tmp_path), signal, pattern, replacement)
    done = _run(promtool, tmp_path)
    assert done.returncode != 0
    assert f"aurastream-local-{signal}-warning" in done.stdout + done.stderr
