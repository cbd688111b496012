"""`aurastream-obs demo --collector`: the same seeded traffic through the sidecar and gateway
configs in our collector (and Prometheus by remote write) gives the report a run without
--collector gives: every figure that does not depend on timing is equal."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.demo.collector_stack import SAMPLED_TRACES_FILE
from support.otelcol import require_collector
from support.paths import ROOT
from support.processes import clean_env
from support.tools import require_tool

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
REQUESTS = 120
# Timing (latency quantiles, elapsed) and ids differ between any two runs; nothing else may.
TIMING = ("telemetry_dir", "correlated_trace_id", "latency_s", "elapsed_s")


def _demo(folder: Path, *extra: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "aurastream-obs"
    args = ["demo", "--requests", str(REQUESTS), "--concurrency", "1", "--port", "0"]
    env = clean_env({"AURASTREAM_PROMETHEUS_PORT": "0"})
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    return subprocess.run(
        [str(script), *args, "--telemetry-dir", str(folder), *extra],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip


def _figures(report: dict[str, Any]) -> dict[str, Any]:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in TIMING}
        return value

    return dict(strip(report))


def test_demo_through_the_collector_reports_the_same_figures(tmp_path: Path) -> None:
    require_collector()
    require_tool("prometheus")
    through = _demo(tmp_path / "collector", "--collector")
    assert through.returncode == 0, through.stdout[-3000:] + through.stderr[-3000:]
    direct = _demo(tmp_path / "direct")
    assert direct.returncode == 0, direct.stdout[-3000:] + direct.stderr[-3000:]
    report = json.loads((tmp_path / "collector" / "demo-report.json").read_text())
    baseline = json.loads((tmp_path / "direct" / "demo-report.json").read_text())
    assert _figures(report) == _figures(baseline)
    assert report["ok"] and report["requests"] == REQUESTS
    # Prometheus got the same request count by remote write.
    match = re.search(r"\(remote write\): (\d+) requests", through.stdout)
    assert match and int(match.group(1)) == report["requests"], through.stdout[-2000:]
    # The gateway wrote what tail sampling kept: fewer traces than the sidecar saw.
    kept = re.search(r"tail sampling kept (\d+) of (\d+) traces", through.stdout)
    assert kept and 0 < int(kept.group(1)) < int(kept.group(2)) == REQUESTS, through.stdout
    sampled = (tmp_path / "collector" / SAMPLED_TRACES_FILE).read_text().splitlines()
    assert sampled and all(json.loads(line)["resourceSpans"] for line in sampled)


def test_demo_collector_without_the_binary_says_how_to_build_it(tmp_path: Path) -> None:
    done = _demo(tmp_path / "telemetry", "--collector", cwd=tmp_path)  # no .build/ here
    assert done.returncode == 4  # could not run (README "Exit codes")
    assert "demo --collector: .build/otelcol-aurastream is not built: run `make collector`" in (
        done.stderr
    )
