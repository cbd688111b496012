"""KPI/SLO report over hand-built local telemetry: every number is known in advance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurastream_obs.ops.backends.local_files import LocalFilesBackend
from aurastream_obs.ops.kpi import BREACH_EXIT_CODE, build_kpi_report, render_kpi_table
from support.cli import run_command
from support.otlp_data import NOW_NS, counter, latency_histogram, metrics_line, write_lines

T1 = NOW_NS - 120 * 10**9
OK = {"http.request.method": "POST", "http.route": "/v1/analyze", "http.response.status_code": 200}
FAILED = {**OK, "http.response.status_code": 500}
HIT, MISS = {"aurastream.cache.hit": True}, {"aurastream.cache.hit": False}


@pytest.fixture
def telemetry(tmp_path: Path) -> Path:
    """100 requests in 10 minutes: 2 failed (500), 3 slower than 1 s; 70 % cache hits.
    The last two minutes hold 60 of them (both failures)."""
    first = metrics_line(
        latency_histogram([(OK, T1, [0.02] * 40)]),
        counter("aurastream.cache.lookups", [(HIT, T1, 30), (MISS, T1, 10)]),
    )
    second = metrics_line(
        latency_histogram([(OK, NOW_NS, [0.02] * 95 + [1.5] * 3), (FAILED, NOW_NS, [0.05] * 2)]),
        counter("aurastream.cache.lookups", [(HIT, NOW_NS, 70), (MISS, NOW_NS, 30)]),
    )
    write_lines(tmp_path / "metrics.jsonl", first, second)
    return tmp_path


def test_kpis_over_the_whole_run(telemetry: Path) -> None:
    report = build_kpi_report(LocalFilesBackend(telemetry), "1h")
    kpis = {k.name: k for k in report.kpis}
    assert report.requests == 100
    assert kpis["availability"].value == pytest.approx(98.0)
    assert kpis["availability"].target == 99.9 and kpis["availability"].ok is False
    assert kpis["error_rate"].value == pytest.approx(2.0) and kpis["error_rate"].target == 1.0
    # rank 99 of 100 falls in the (1 s, 2 s] bucket holding 3: 1 + (99 - 97) / 3 seconds.
    assert kpis["latency_p99"].value == pytest.approx(1000 * (1 + 2 / 3))
    assert kpis["latency_p99"].target == 1000.0
    # 100 requests over the 600 s the data covers (not over the 3,600 s window).
    assert kpis["throughput"].value == pytest.approx(100 / 600)
    assert kpis["throughput"].target == 1000 and kpis["throughput"].ok is True
    assert kpis["cache_hit_rate"].value == pytest.approx(70.0) and kpis["cache_hit_rate"].ok


def test_slo_budget_and_burn_rate(telemetry: Path) -> None:
    report = build_kpi_report(LocalFilesBackend(telemetry), "1h")
    slos = {s.name: s for s in report.slos}
    latency = slos["latency"]  # 3 of 100 slower than 1 s against a 1 % budget
    assert latency.error_ratio == pytest.approx(0.03)
    assert latency.burn_rate == pytest.approx(3.0)
    assert latency.budget_remaining == pytest.approx(-2.0)
    assert slos["availability"].burn_rate == pytest.approx(20.0)  # 2 % against 0.1 %
    assert slos["cache-hit-rate"].error_ratio == pytest.approx(0.3)
    assert not slos["cache-hit-rate"].breached  # 30 % misses within a 40 % budget
    assert set(report.breached) == {"availability", "latency", "error-rate"}
    assert report.exit_code == BREACH_EXIT_CODE


def test_a_shorter_window_sees_only_its_increase(telemetry: Path) -> None:
    report = build_kpi_report(LocalFilesBackend(telemetry), "1m")
    kpis = {k.name: k for k in report.kpis}
    assert report.requests == 60  # 100 at now minus 40 at now - 2 min
    assert kpis["throughput"].value == pytest.approx(1.0)
    assert kpis["cache_hit_rate"].value == pytest.approx(100 * 40 / 60)
    assert kpis["error_rate"].value == pytest.approx(100 * 2 / 60)


def test_no_traffic_is_no_data_not_a_breach(tmp_path: Path) -> None:
    write_lines(tmp_path / "metrics.jsonl", metrics_line())
    report = build_kpi_report(LocalFilesBackend(tmp_path), "1h")
    assert all(k.value is None and k.ok is None for k in report.kpis)
    assert report.exit_code == 0
    assert "no data" in render_kpi_table(report)


def test_cli_json_and_exit_code(telemetry: Path) -> None:
    code, out = run_command("kpi", ["--telemetry-dir", str(telemetry), "--json"])
    document = json.loads(out)
    assert code == BREACH_EXIT_CODE
    assert document["kpis"]["availability"]["value"] == pytest.approx(98.0)
    assert document["kpis"]["availability"]["ok"] is False
    assert document["slos"]["latency"]["burn_rate"] == pytest.approx(3.0)
    assert document["slos"]["latency"]["breached"] is True
    assert sorted(document["breached"]) == ["availability", "error-rate", "latency"]


def test_cli_table(telemetry: Path) -> None:
    code, out = run_command("kpi", ["--telemetry-dir", str(telemetry)])
    assert code == BREACH_EXIT_CODE
    assert "availability    98.00 %" in out
    assert "SLO breached: availability, latency, error-rate" in out


def test_cli_missing_directory_is_an_error(tmp_path: Path) -> None:
    code, _ = run_command("kpi", ["--telemetry-dir", str(tmp_path / "nope")])
    assert code == 4  # could not run (README "Exit codes")
