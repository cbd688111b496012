"""The predictive rules' promtool tests (a daily cycle fires nothing; a step change and a slow
drift fire) can fail: a rule without its band fires on the daily cycle, a drift forecast
without a horizon misses the drift. That the committed rules pass them is checked with the
other rules (test_rules_tools.py, `aurastream-obs validate`). Skips without promtool on a
laptop, fails under CI=true."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

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


@pytest.mark.parametrize(
    ("broken", "replacement", "fails"),
    [
        # No band: the daily cycle's zero deviation counts as an anomaly.
        ("> aurastream:request_rate:band", ">= 0", "aurastream-local-request-rate-anomaly-warning"),
        # A forecast 0 s ahead is today's value: the slow drift is under the threshold yet.
        ("[3d], 604800) > 1", "[3d], 0) > 1", "aurastream-local-latency-drift-warning"),
    ],
)  # fmt: skip
def test_the_tests_fail_when_a_rule_is_broken(
    tmp_path: Path, broken: str, replacement: str, fails: str
) -> None:
    promtool = require_tool("promtool")
    rules = _copy(tmp_path)
    text = rules.read_text()
    assert broken in text
    rules.write_text(text.replace(broken, replacement))
    done = _run(promtool, tmp_path)
    assert done.returncode != 0
    assert fails in done.stdout + done.stderr
