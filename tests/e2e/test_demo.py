"""`aurastream-obs demo` end to end: a real process, real HTTP, and the files it leaves behind.

The report's numbers are checked against the telemetry files parsed here independently (plain
`json`, not the demo's own reader), and against the load generator's count.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.processes import clean_env, free_port

pytestmark = pytest.mark.e2e

REQUESTS = 120


@dataclass(frozen=True)
class DemoRun:
    folder: Path
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    prometheus_port: int


def _command() -> list[str]:
    script = Path(sys.executable).parent / "aurastream-obs"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "aurastream_obs.cli"]


def _env(prometheus_port: int) -> dict[str, str]:
    env = clean_env({"AURASTREAM_PROMETHEUS_PORT": str(prometheus_port)})
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)  # local mode, even when run on Lambda
    return env


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    folder = tmp_path_factory.mktemp("demo-telemetry")
    # A previous run's leftovers: the demo must clear them, or they would pollute the report.
    (folder / "traces.jsonl").write_text("stale, not even JSON\n", encoding="utf-8")
    (folder / "logs.jsonl").write_text("stale\n", encoding="utf-8")
    port = free_port()
    args = ["demo", "--requests", str(REQUESTS), "--concurrency", "4", "--port", "0"]
    args += ["--telemetry-dir", str(folder)]
    start = time.monotonic()
    done = subprocess.run(
        [*_command(), *args],
        env=_env(port),
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    return DemoRun(
        folder, done.returncode, done.stdout, done.stderr, time.monotonic() - start, port
    )


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _value(any_value: dict[str, Any]) -> Any:
    (kind, value) = next(iter(any_value.items()))
    return int(value) if kind == "intValue" else value


def _attrs(item: dict[str, Any]) -> dict[str, Any]:
    return {a["key"]: _value(a["value"]) for a in item.get("attributes", [])}


def _spans(folder: Path) -> list[dict[str, Any]]:
    return [
        span
        for request in _lines(folder / "traces.jsonl")
        for rs in request["resourceSpans"]
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
    ]


def _server_spans(folder: Path) -> list[dict[str, Any]]:
    return [s for s in _spans(folder) if s.get("kind") == 2]


def _latest_sum(folder: Path, metric: str) -> dict[str, float]:
    """Latest cumulative value per attribute set (as a JSON key) of a counter."""
    latest: dict[str, tuple[int, float]] = {}
    for request in _lines(folder / "metrics.jsonl"):
        for rm in request["resourceMetrics"]:
            for sm in rm["scopeMetrics"]:
                for m in sm["metrics"]:
                    if m["name"] != metric:
                        continue
                    for point in m["sum"]["dataPoints"]:
                        key = json.dumps(_attrs(point), sort_keys=True)
                        when = int(point["timeUnixNano"])
                        value = float(point.get("asInt", point.get("asDouble", 0)))
                        if key not in latest or when >= latest[key][0]:
                            latest[key] = (when, value)
    return {key: value for key, (_, value) in latest.items()}


def _report_number(run: DemoRun, pattern: str) -> tuple[str, ...]:
    match = re.search(pattern, run.stdout, re.MULTILINE)
    assert match is not None, f"{pattern!r} not in the demo output:\n{run.stdout}"
    return match.groups()


def test_demo_succeeds_quickly_and_says_so(run: DemoRun) -> None:
    assert run.returncode == 0, run.stdout + run.stderr
    assert "\nResult: OK\n" in run.stdout
    assert "Cleared the previous run's files" in run.stdout
    assert run.wall_s < 60
    # The progress bar went to stderr (not a TTY here: whole lines, no carriage returns).
    assert f"{REQUESTS}/{REQUESTS} 100%" in run.stderr and "\r" not in run.stderr


def test_request_count_agrees_with_spans_and_client(run: DemoRun) -> None:
    requests, spans, answered = _report_number(
        run,
        r"^\s+requests\s+(\d+)\s+\(SERVER spans in traces.jsonl: (\d+); client answered: (\d+)\)",
    )
    server_spans = _server_spans(run.folder)
    assert int(requests) == int(spans) == int(answered) == len(server_spans) == REQUESTS
    (sent,) = _report_number(run, r"sent (\d+) of \d+ planned requests")
    assert int(sent) == REQUESTS


def test_error_counts_agree_with_span_status_codes(run: DemoRun) -> None:
    statuses = [_attrs(s)["http.response.status_code"] for s in _server_spans(run.folder)]
    (client_errors,) = _report_number(run, r"^\s+4xx \(client\)\s+(\d+)")
    (server_errors,) = _report_number(run, r"^\s+5xx \(server\)\s+(\d+)")
    assert int(client_errors) == sum(1 for s in statuses if 400 <= s < 500) > 0
    assert int(server_errors) == sum(1 for s in statuses if s >= 500) == 0


def test_exact_p99_is_the_nearest_rank_span_duration(run: DemoRun) -> None:
    durations = sorted(
        (int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])) / 1e9
        for s in _server_spans(run.folder)
    )
    p99 = durations[math.ceil(0.99 * len(durations)) - 1]
    (printed,) = _report_number(run, r"^\s+server spans\s+\S+ ms\s+\S+ ms\s+(\d+\.\d\d) s")
    assert float(printed) == pytest.approx(p99, abs=0.006)
    assert p99 > 1.0  # the planned slow analyses push p99 over the 1 s SLO threshold


def test_cache_hit_rate_agrees_with_the_counter(run: DemoRun) -> None:
    lookups = _latest_sum(run.folder, "aurastream.cache.lookups")
    hits = sum(v for k, v in lookups.items() if json.loads(k)["aurastream.cache.hit"] is True)
    total = sum(lookups.values())
    rate, printed_hits, printed_total = _report_number(
        run, r"hit rate (\d+\.\d) % \((\d+) hits of (\d+) lookups"
    )
    assert (int(printed_hits), int(printed_total)) == (hits, total)
    assert float(rate) == pytest.approx(100 * hits / total, abs=0.05)
    assert 0.4 < hits / total < 0.8


def test_the_correlated_log_line_has_its_trace_in_the_files(run: DemoRun) -> None:
    json_lines = [line.strip() for line in run.stdout.splitlines() if line.strip().startswith("{")]
    assert len(json_lines) == 1, "service logs leaked to the terminal"
    event = json.loads(json_lines[0])
    assert event["message"] == "api_response" and event["response_time"] > 1000
    trace_id = event["trace_id"]
    trace = [s for s in _spans(run.folder) if s["traceId"] == trace_id]
    assert {s["name"] for s in trace} >= {"POST /v1/analyze", "sentiment.analyze"}
    service_log = (run.folder / "service.log").read_text(encoding="utf-8").splitlines()
    assert json_lines[0] in service_log
    otlp_logs = [
        record
        for request in _lines(run.folder / "logs.jsonl")
        for rl in request["resourceLogs"]
        for sl in rl["scopeLogs"]
        for record in sl["logRecords"]
    ]
    # The exported record is the same event in the semantic-conventions shape: the message as
    # body, event_type as the event name, the response time under its attribute key.
    exported = [r for r in otlp_logs if r.get("traceId") == trace_id
                and r.get("eventName") == "api_response"]  # fmt: skip
    assert len(exported) == 1
    assert exported[0]["body"]["stringValue"] == event["message"]
    attributes = {a["key"]: a["value"] for a in exported[0]["attributes"]}
    assert attributes["aurastream.response_time_ms"]["doubleValue"] == event["response_time"]


def test_prometheus_endpoint_and_json_report(run: DemoRun) -> None:
    assert f"http://127.0.0.1:{run.prometheus_port}/metrics" in run.stdout
    report = json.loads((run.folder / "demo-report.json").read_text(encoding="utf-8"))
    assert report["ok"] is True
    assert report["requests"] == report["server_spans"] == REQUESTS
    assert report["client"]["answered"] == REQUESTS


def test_demo_ends_with_kpis_bottlenecks_and_a_waterfall(run: DemoRun) -> None:
    tail = run.stdout.split("\nResult: OK\n", 1)[1]
    assert f"requests: {REQUESTS}" in tail  # the KPI report read the same files
    assert "SLO breached: latency" in tail  # the demo's slow texts push p99 over 1 s
    slowest = re.search(
        r"^\s+[\d.]+ ms  POST /v1/analyze  trace ([0-9a-f]{32})$", tail, re.MULTILINE
    )
    assert slowest is not None, tail
    waterfall = run.folder / "waterfall.html"
    assert f"Waterfall of the 5 slowest traces: {waterfall}" in tail
    page = waterfall.read_text()
    assert "<svg" in page and slowest.group(1) in page


def test_demo_closes_with_the_business_view(run: DemoRun) -> None:
    """initech stops calling half-way (the demo's traffic plan): at risk from its usage alone,
    read back from the run's own files; the forecast and the cost per customer follow."""
    tail = run.stdout.split("\nResult: OK\n", 1)[1]
    view = tail[tail.index("Business view (aurastream-obs analytics --telemetry-dir") :]
    lines = view.splitlines()
    at_risk = [line for line in lines if line.startswith("  at risk: ")]
    assert [line.split()[2] for line in at_risk] == ["initech"], view
    assert "no usage in this period" in at_risk[0]
    assert any(line.startswith("  forecast: requests per second peak ") for line in lines)
    assert "insufficient history" in view  # seconds of data are no trend
    costs = next(line for line in lines if line.startswith("  cost per customer: "))
    assert "acme-corp $" in costs and "globex $" in costs and "per analysis $" in costs
    assert "MRR: insufficient data" in view
    page = run.folder / "analytics.html"
    assert lines[-1] == f"Business report with charts: {page}"
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") == 4 and "<script" not in html and "initech" in html


def test_bad_arguments_exit_non_zero(tmp_path: Path) -> None:
    done = subprocess.run(
        [*_command(), "demo", "--requests", "0", "--telemetry-dir", str(tmp_path)],
        env=_env(0),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--requests" in done.stderr
    assert not (tmp_path / "traces.jsonl").exists()
