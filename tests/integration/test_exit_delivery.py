"""Telemetry recorded before a process stops is delivered: normal exit, sys.exit, an uncaught
exception, `opentelemetry-instrument`, and SIGTERM with the opt-in handler. Real processes;
the app never calls `Telemetry.shutdown()`."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aurastream_obs.telemetry_files.readers import read_logs, read_spans
from support.otlp_receiver import OtlpReceiver
from support.processes import BIN, clean_env, run_python, start_python

pytestmark = pytest.mark.integration

SPANS = 40
# A job that records SPANS spans with one log line each and a metric, and never shuts down.
JOB = f"""
    import logging, sys
    import aurastream_obs
    from opentelemetry import trace
    telemetry = aurastream_obs.configure("exit-job")
    tracer = trace.get_tracer("job")
    for i in range({SPANS}):
        with tracer.start_as_current_span(f"step-{{i}}"):
            logging.getLogger("job").warning("step %d", i)
    telemetry.metrics.record_cache_lookup(hit=True)
    ending = sys.argv[1] if len(sys.argv) > 1 else "end"
    if ending == "exit":
        sys.exit(3)
    if ending == "raise":
        raise RuntimeError("boom")
"""
ENDINGS = [("end", 0), ("exit", 3), ("raise", 1)]
# Every span sampled (the default X-Ray rules keep 1/s + 5 %).
ALWAYS_ON = {"OTEL_TRACES_SAMPLER": "always_on", "AURASTREAM_PROMETHEUS_PORT": "0"}


@pytest.mark.parametrize(("ending", "status"), ENDINGS)
def test_local_mode_job_without_shutdown_writes_everything(
    tmp_path: Path, ending: str, status: int
) -> None:
    result = run_python(JOB, ALWAYS_ON, cwd=tmp_path, args=(ending,))
    assert result.returncode == status, result.stderr
    folder = tmp_path / ".telemetry"
    assert sorted(s.name for s in read_spans(folder / "traces.jsonl")) == sorted(
        f"step-{i}" for i in range(SPANS)
    )
    assert len(read_logs(folder / "logs.jsonl")) == SPANS
    assert "aurastream.cache.lookups" in (folder / "metrics.jsonl").read_text()


@pytest.mark.parametrize(("ending", "status"), ENDINGS)
def test_otlp_mode_job_without_shutdown_sends_everything(
    tmp_path: Path, otlp_receiver: OtlpReceiver, ending: str, status: int
) -> None:
    env = {**ALWAYS_ON, "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url}
    result = run_python(JOB, env, cwd=tmp_path, args=(ending,))
    assert result.returncode == status, result.stderr
    assert otlp_receiver.span_count() == SPANS
    assert len(otlp_receiver.log_records()) == SPANS
    assert "aurastream.cache.lookups" in otlp_receiver.metric_names()
    assert "dropping" not in result.stderr


APP = """
    import logging
    from opentelemetry import trace
    tracer = trace.get_tracer("app")
    for i in range(25):
        with tracer.start_as_current_span(f"auto-{i}"):
            logging.getLogger("app").warning("auto %d", i)
"""


@pytest.mark.parametrize("mode", ["local", "otlp"])
def test_opentelemetry_instrument_run_delivers_at_exit(
    tmp_path: Path, otlp_receiver: OtlpReceiver, mode: str
) -> None:
    instrument = BIN / "opentelemetry-instrument"
    if not instrument.exists():
        pytest.fail("opentelemetry-instrument is not installed in the venv")
    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent(APP))
    env = {**ALWAYS_ON, "OTEL_SERVICE_NAME": "auto-app"}
    if mode == "otlp":
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp_receiver.base_url
    result = subprocess.run(
        [str(instrument), sys.executable, str(app)],
        cwd=tmp_path,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    if mode == "otlp":
        names = sorted(span.name for span in otlp_receiver.spans())
        records = len(otlp_receiver.log_records())
    else:
        names = sorted(s.name for s in read_spans(tmp_path / ".telemetry" / "traces.jsonl"))
        records = len(read_logs(tmp_path / ".telemetry" / "logs.jsonl"))
    assert names == sorted(f"auto-{i}" for i in range(25))
    assert records == 25


# A worker that records, says READY and waits to be stopped.
WORKER = """
    import logging, signal, sys, time
    PREVIOUS = sys.argv[1] if len(sys.argv) > 1 else "default"
    if PREVIOUS == "handler":  # the app's own handler, installed before configure()
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(7))
    import aurastream_obs
    from opentelemetry import trace
    aurastream_obs.configure("worker")
    tracer = trace.get_tracer("worker")
    for i in range(30):
        with tracer.start_as_current_span(f"work-{i}"):
            logging.getLogger("worker").warning("work %d", i)
    print("READY", flush=True)
    time.sleep(60)  # the scenario: an idle worker, stopped by the signal (bounded if not)
"""


def _stop_worker(env: dict[str, str], tmp_path: Path, previous: str) -> int:
    code = WORKER.replace('sys.argv[1] if len(sys.argv) > 1 else "default"', repr(previous))
    proc = start_python(code, env, cwd=tmp_path)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_sigterm_with_the_opt_in_handler_delivers_then_dies_by_the_signal(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    env = {
        **ALWAYS_ON,
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url,
        "AURASTREAM_FLUSH_ON_SIGTERM": "true",
    }
    status = _stop_worker(env, tmp_path, "default")
    assert status == -signal.SIGTERM  # the exit status still says "killed by SIGTERM"
    assert otlp_receiver.span_count() == 30
    assert len(otlp_receiver.log_records()) == 30


def test_sigterm_handler_chains_to_the_apps_own_handler(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    env = {
        **ALWAYS_ON,
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url,
        "AURASTREAM_FLUSH_ON_SIGTERM": "true",
    }
    status = _stop_worker(env, tmp_path, "handler")
    assert status == 7  # the app's handler ran after ours: sys.exit(7)
    assert otlp_receiver.span_count() == 30


def test_sigterm_without_the_opt_in_keeps_the_default_action(
    tmp_path: Path, otlp_receiver: OtlpReceiver
) -> None:
    # Documented behaviour: without a handler the default action kills the process at once
    # (as with the plain SDK); the opt-in above is the answer for such scripts.
    env = {**ALWAYS_ON, "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url}
    status = _stop_worker(env, tmp_path, "default")
    assert status == -signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the test process untouched


def test_configure_off_the_main_thread_warns_instead_of_installing(tmp_path: Path) -> None:
    code = """
        import signal, threading
        import aurastream_obs
        thread = threading.Thread(target=aurastream_obs.configure)
        thread.start(); thread.join()
        print("HANDLER", signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
    """
    result = run_python(code, {**ALWAYS_ON, "AURASTREAM_FLUSH_ON_SIGTERM": "true"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "HANDLER True" in result.stdout
    # Logged through the JSON handler configure() just installed.
    assert "needs configure() on the main thread" in result.stdout


def test_an_uninstalled_propagator_is_skipped_not_fatal(tmp_path: Path) -> None:
    # opentelemetry.propagate reads OTEL_PROPAGATORS at import and raises for a name that is
    # not installed: in a fresh process, configure() and the middleware must still work.
    code = """
        import aurastream_obs
        from aurastream_obs.asgi import TelemetryMiddleware
        aurastream_obs.configure("propagators")
        from opentelemetry import propagate, trace  # imported by configure(), safely
        carrier = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
        ctx = propagate.extract(carrier)
        print("PARENT", format(trace.get_current_span(ctx).get_span_context().trace_id, "032x"))
    """
    env = {**ALWAYS_ON, "OTEL_PROPAGATORS": "b3,tracecontext,nonexistent"}
    result = run_python(code, env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "PARENT 0af7651916cd43dd8448eb211c80319c" in result.stdout
    output = result.stdout + result.stderr
    assert "OTEL_PROPAGATORS='b3'" in output and "OTEL_PROPAGATORS='nonexistent'" in output
