"""configure() in a fresh process: globals installed once, the three files written, and the
`opentelemetry-instrument` entry points. (A dead or failing collector, the budgets of flush and
shutdown and the counted drops: test_collector_failures.py.)

Each case runs in a subprocess because the OpenTelemetry globals are set-once per process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aurastream_obs.encoding.otlp_json import iter_json_lines
from support.processes import BIN, clean_env, free_port, run_python


def test_local_mode_installs_once_and_writes_all_three_signals(tmp_path: Path) -> None:
    code = """
        import json, logging, time, urllib.request
        import aurastream_obs
        from opentelemetry import trace, metrics
        from opentelemetry.sdk.trace import TracerProvider
        t1 = aurastream_obs.configure("proc-test")
        t2 = aurastream_obs.configure("ignored-second-call")
        assert t1 is t2, "configure() must be idempotent"
        assert isinstance(trace.get_tracer_provider(), TracerProvider)
        with trace.get_tracer("t").start_as_current_span("work") as span:
            trace_id = span.get_span_context().trace_id
            logging.getLogger("app").info("inside span", extra={"email": "x@example.com"})
            t1.metrics.record_sentiment_analysis("POSITIVE", 0.9, 0.01)
        body = urllib.request.urlopen(
            f"http://127.0.0.1:{t1.prometheus_port}/metrics", timeout=5).read().decode()
        print("PROM", json.dumps("aurastream_sentiment_analyses_total" in body))
        print("TRACE", format(trace_id, "032x"), int(time.time()))
        t1.shutdown(timeout_millis=5000)
    """
    result = run_python(code, {"AURASTREAM_PROMETHEUS_PORT": str(free_port())}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    log = json.loads(next(line for line in lines if '"inside span"' in line))
    trace_line = next(line for line in lines if line.startswith("TRACE"))
    _, trace_hex, now = trace_line.split()
    assert "PROM true" in lines
    # X-Ray compatible: the first 32 bits are the epoch seconds of the trace start.
    assert abs(int(trace_hex[:8], 16) - int(now)) < 60
    assert log["trace_id"] == trace_hex
    assert log["xray_trace_id"] == f"1-{trace_hex[:8]}-{trace_hex[8:]}"
    assert log["service"] == "proc-test" and log["category"] == "application"
    assert "x@example.com" not in json.dumps(log)

    folder = tmp_path / ".telemetry"
    spans = [
        s
        for req in iter_json_lines(folder / "traces.jsonl", "traces")
        for rs in req.resource_spans
        for ss in rs.scope_spans
        for s in ss.spans
    ]
    assert [s.name for s in spans] == ["work"]
    assert spans[0].trace_id.hex() == trace_hex
    logs = [
        r
        for req in iter_json_lines(folder / "logs.jsonl", "logs")
        for rl in req.resource_logs
        for sl in rl.scope_logs
        for r in sl.log_records
    ]
    assert any(r.trace_id.hex() == trace_hex for r in logs)
    metric_names = {
        m.name
        for req in iter_json_lines(folder / "metrics.jsonl", "metrics")
        for rm in req.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    assert {"aurastream.sentiment.analyses", "aurastream.sentiment.duration"} <= metric_names


def test_opentelemetry_instrument_uses_our_configuration(tmp_path: Path) -> None:
    instrument = BIN / "opentelemetry-instrument"
    if not instrument.exists():
        pytest.fail("opentelemetry-instrument is not installed in the venv")
    app = tmp_path / "app.py"
    app.write_text(
        textwrap.dedent(
            """
            import logging
            from opentelemetry import trace
            with trace.get_tracer("app").start_as_current_span("auto") as span:
                logging.getLogger("app").warning("from auto-instrumented app")
                attrs = trace.get_tracer_provider().resource.attributes
                print("DISTRO", attrs.get("telemetry.distro.name"), attrs.get("service.namespace"))
            """
        )
    )
    result = subprocess.run(
        [str(instrument), sys.executable, str(app)],
        cwd=tmp_path,
        env=clean_env({"OTEL_SERVICE_NAME": "auto-app", "AURASTREAM_PROMETHEUS_PORT": "0"}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "DISTRO aurastream_obs aurastream" in result.stdout
    log = json.loads(next(x for x in result.stdout.splitlines() if "from auto-instrumented" in x))
    assert log["service"] == "auto-app" and len(log["trace_id"]) == 32
