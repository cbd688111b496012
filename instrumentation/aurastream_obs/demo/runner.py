"""`aurastream-obs demo`: the reference service in local mode, real traffic, a report from files.

Steps: clear the previous run's files; `configure(mode="local")` with a 1 s metric interval and
sampling rules that trace every request; send the service's JSON logs to
`<telemetry_dir>/service.log` (the OTLP log export is unchanged) so the terminal stays
readable; serve the service on 127.0.0.1; send the seeded traffic plan; flush; read the
files back and print the report. Exit code 0 when the telemetry is complete and consistent.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

import aurastream_obs
from aurastream_obs.core.conventions import LOGS_FILE, METRICS_FILE, TRACES_FILE
from aurastream_obs.core.exit_codes import ExitCode
from aurastream_obs.demo.client import send_plan
from aurastream_obs.demo.operations import TICKETS_FILE, operations_summary, write_demo_tickets
from aurastream_obs.demo.progress import ProgressBar
from aurastream_obs.demo.summary import (
    REPORT_FILE,
    SERVICE_LOG_FILE,
    DemoReport,
    build_report,
)
from aurastream_obs.demo.text import Endpoints, render_report
from aurastream_obs.demo.traffic import SlowTextOracle, TrafficMix, plan_traffic
from aurastream_obs.logs import JsonLogHandler
from aurastream_obs.service import (
    CustomerDirectory,
    LexiconAnalyzer,
    ServerHandle,
    TTLCache,
    create_app,
    run_in_thread,
)

if TYPE_CHECKING:
    from aurastream_obs import Telemetry
    from aurastream_obs.demo.client import ClientTally
    from aurastream_obs.demo.collector_stack import CollectorStack

SERVICE_NAME: Final = "aurastream-api"
HOST: Final = "127.0.0.1"
DEFAULT_TELEMETRY_DIR: Final = ".telemetry"
TELEMETRY_DIR_ENV: Final = "AURASTREAM_TELEMETRY_DIR"
EXPORT_INTERVAL_MS: Final = 1000
# The LexiconAnalyzer slow knob: this share of texts (picked by hash) take SLOW_SECONDS more.
# The traffic plan sends exactly 3 % slow requests (see traffic.py); p99 crosses the 1 s SLO.
SLOW_FRACTION: Final = 0.1
SLOW_SECONDS: Final = 1.2
SAMPLING_RULES_FILE: Final = "demo-sampling-rules.json"
_RUN_FILES: Final = (
    TRACES_FILE,
    METRICS_FILE,
    LOGS_FILE,
    SERVICE_LOG_FILE,
    REPORT_FILE,
    TICKETS_FILE,
)
# Head sampling keeps every trace: the report counts spans against requests.
_SAMPLE_EVERYTHING: Final = {
    "version": 2,
    "description": "aurastream-obs demo: trace every request so the report can count spans.",
    "rules": [],
    "default": {"fixed_target": 1, "rate": 1.0},
}
_EXIT_USAGE: Final = 2
_EXIT_INTERRUPTED: Final = 130


def resolve_telemetry_dir(telemetry_dir: str | None) -> str:
    """Argument > AURASTREAM_TELEMETRY_DIR > .telemetry, as an absolute path."""
    chosen = telemetry_dir or os.environ.get(TELEMETRY_DIR_ENV, "").strip()
    return os.path.abspath(chosen or DEFAULT_TELEMETRY_DIR)


def clear_previous_run(folder: str) -> list[str]:
    """Delete the files an earlier demo run left in `folder`; returns the names removed."""
    removed = []
    for name in _RUN_FILES:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            os.remove(path)
            removed.append(name)
    return removed


def redirect_service_logs(telemetry: Telemetry, stream: TextIO) -> None:
    """Write the service's JSON log lines to `stream` instead of stdout.

    The configured handler is replaced by one with the same pipeline, sinks (the OTLP log
    export) and level; `telemetry.shutdown()` then removes the new one."""
    old = telemetry.log_handler
    if old is None:
        return
    new = JsonLogHandler(
        old.pipeline, stream=stream, sinks=old.sinks, to_stream=old.to_stream, level=old.level
    )
    root = logging.getLogger()
    root.addHandler(new)
    root.removeHandler(old)
    telemetry.log_handler = new


def start_service(telemetry: Telemetry, port: int, say: Callable[[str], None]) -> ServerHandle:
    """The reference service with the demo's customers, cache and slow knob, on 127.0.0.1."""
    app = create_app(
        analyzer=LexiconAnalyzer(slow_fraction=SLOW_FRACTION, slow_seconds=SLOW_SECONDS),
        cache=TTLCache(),
        customers=CustomerDirectory.demo(),
        metrics=telemetry.metrics,
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
    )
    try:
        return run_in_thread(app, host=HOST, port=port)
    except OSError as exc:
        if port == 0:
            raise
        handle = run_in_thread(app, host=HOST, port=0)
        say(f"port {port} is not available ({exc.strerror}); serving on {handle.port} instead")
        return handle


def prometheus_endpoint(telemetry: Telemetry) -> tuple[str | None, str]:
    """The /metrics URL actually served (None if none) and a line saying so."""
    port = telemetry.prometheus_port
    if port is None:
        wanted = telemetry.settings.prometheus_port
        if wanted == 0:
            return None, "not served (AURASTREAM_PROMETHEUS_PORT=0)"
        return None, f"not served (port {wanted} was not available, see the warning above)"
    host = telemetry.settings.prometheus_host
    host = f"[{host}]" if ":" in host else host
    url = f"http://{host}:{port}/metrics"
    return url, url


def _drain_prometheus(url: str | None) -> None:
    """Scrape /metrics once and discard it. `force_flush()` also collects the Prometheus
    reader, which queues a snapshot that the next scrape emits next to the current one
    (duplicate metric families); with --serve the user's first scrape must be clean."""
    if url is None:
        return
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
    except OSError:
        pass  # the report says where /metrics is; a failed drain only risks one odd scrape


def _read_report(folder: str, tally: ClientTally) -> DemoReport:
    try:
        return build_report(folder, tally)
    except ValueError:
        # With --serve the metric reader keeps appending: we may have read half a line.
        time.sleep(0.2)
        return build_report(folder, tally)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """In the main thread, let SIGTERM end `--serve` as cleanly as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve_banner(handle: ServerHandle, prometheus: str, folder: str) -> str:
    body = '{"text": "The battery lasts all day and the screen is gorgeous."}'
    lines = [
        "",
        "Serving until Ctrl-C:",
        f"  API         {handle.url}/v1/analyze (POST)  {handle.url}/v1/health",
        f"  Prometheus  {prometheus}",
        f"  Telemetry   {folder} (metrics every {EXPORT_INTERVAL_MS / 1000:g} s), "
        f"service log {os.path.join(folder, SERVICE_LOG_FILE)}",
        "  Try:",
        f"    curl -s {handle.url}/v1/analyze -H 'x-api-key: demo-key-acme' "
        f"-H 'content-type: application/json' -d '{body}'",
        f"  ({SLOW_FRACTION:.0%} of new texts take {SLOW_SECONDS:g} s longer: "
        "the demo's slow knob)",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class DemoOptions:
    requests: int
    concurrency: int
    serve: bool
    port: int
    seed: int
    folder: str


def run_demo(  # noqa: PLR0917 - the positional signature cli.py's `demo` was written against
    requests: int,
    concurrency: int,
    serve: bool,
    port: int,
    telemetry_dir: str | None,
    seed: int,
    *,
    collector: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the demo; 0 when the telemetry is complete and consistent, 1 when not.
    `collector`: through the collector path (demo/collector_stack.py), not into files."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    if requests < 1 or concurrency < 1 or not 0 <= port <= 65535:
        print("demo: --requests and --concurrency must be >= 1, --port 0..65535", file=err)
        return _EXIT_USAGE
    if collector:
        from aurastream_obs.demo.collector_stack import missing_prerequisites

        if serve:
            print("demo --collector: --serve is not supported with --collector", file=err)
            return _EXIT_USAGE
        if problem := missing_prerequisites(Path.cwd()):  # could not run (README "Exit codes")
            print(f"demo --collector: {problem}", file=err)
            return int(ExitCode.UNAVAILABLE)
    folder = resolve_telemetry_dir(telemetry_dir)
    os.makedirs(folder, exist_ok=True)
    removed = clear_previous_run(folder)
    if removed:
        say(f"Cleared the previous run's files in {folder}: {', '.join(removed)}")
    rules_path = os.path.join(folder, SAMPLING_RULES_FILE)
    with open(rules_path, "w", encoding="utf-8") as handle:
        json.dump(_SAMPLE_EVERYTHING, handle, indent=2)
    if os.environ.get("OTEL_TRACES_SAMPLER", "").strip():
        say("note: OTEL_TRACES_SAMPLER is set and overrides the demo's trace-everything rules")

    with ExitStack() as resources:
        stack = _start_collector_path(folder, say, resources) if collector else None
        telemetry = aurastream_obs.configure(
            SERVICE_NAME,
            export_interval_ms=EXPORT_INTERVAL_MS,
            sampling_rules_path=rules_path,
            **_export_options(folder, stack),
        )
        expected = "local" if stack is None else "otlp"
        if telemetry.mode != expected or (
            stack is None and os.path.abspath(telemetry.settings.telemetry_dir) != folder
        ):
            print("demo: telemetry was already configured differently in this process", file=err)
            return _EXIT_USAGE
        with open(os.path.join(folder, SERVICE_LOG_FILE), "a", encoding="utf-8") as service_log:
            try:
                redirect_service_logs(telemetry, service_log)
                options = DemoOptions(requests, concurrency, serve, port, seed, folder)
                return _run(telemetry, options, say, err, stack)
            except KeyboardInterrupt:
                say("\ninterrupted")
                return _EXIT_INTERRUPTED
            finally:
                telemetry.shutdown()
                if telemetry.log_handler is not None:
                    # logging.shutdown() flushes every live handler at exit: not into a closed
                    # file.
                    telemetry.log_handler.to_stream = False


def _start_collector_path(
    folder: str, say: Callable[[str], None], resources: ExitStack
) -> CollectorStack:
    from aurastream_obs.demo.collector_stack import start_collector_stack

    stack = resources.enter_context(start_collector_stack(Path.cwd(), folder))
    say(
        f"Collector path: sidecar {stack.otlp_endpoint} -> gateway (tail sampling) and "
        f"Prometheus {stack.prometheus_url} (remote write); configs and logs in {folder}"
    )
    return stack


def _export_options(folder: str, stack: CollectorStack | None) -> dict[str, Any]:
    """configure() options: files in `folder` (local mode), or OTLP to the sidecar."""
    if stack is None:
        return {"mode": "local", "telemetry_dir": folder}
    base = stack.otlp_endpoint
    return {
        "mode": "otlp",
        "traces_endpoint": f"{base}/v1/traces",
        "metrics_endpoint": f"{base}/v1/metrics",
        "logs_endpoint": f"{base}/v1/logs",
        "prometheus_port": 0,
    }


def _run(
    telemetry: Telemetry,
    options: DemoOptions,
    say: Callable[[str], None],
    err: TextIO,
    stack: CollectorStack | None = None,
) -> int:
    folder, serve = options.folder, options.serve
    prometheus, prometheus_note = prometheus_endpoint(telemetry)
    if stack is not None:
        prometheus, prometheus_note = None, f"{stack.prometheus_url} (remote write, see below)"
    handle = start_service(telemetry, options.port, say)
    try:
        say(
            f"AuraStream service on {handle.url} ({telemetry.mode} mode; JSON logs -> "
            f"{os.path.join(folder, SERVICE_LOG_FILE)}); Prometheus: {prometheus_note}"
        )
        plan = plan_traffic(options.requests, options.seed, SlowTextOracle(SLOW_FRACTION))
        say(
            f"Sending {len(plan)} requests (seed {options.seed}) over {options.concurrency} "
            "keep-alive connections: analyses, cache repeats, slow texts, client errors, "
            "health checks"
        )
        # Two halves with a metric export in between: the business view compares them (the
        # churned customer calls only in the first; its last calls are in that export).
        half = math.ceil(len(plan) * TrafficMix().churn_at)
        started = time.time()
        with ProgressBar(len(plan), "traffic", stream=err) as bar:
            first = send_plan(plan[:half], handle.host, handle.port, options.concurrency,
                              bar.advance)  # fmt: skip
            telemetry.force_flush()
            # The first half fills whole seconds (periods are whole seconds), so the previous
            # period is as covered by data as this one.
            boundary = started + math.ceil(time.time() - started)
            time.sleep(max(0.0, boundary - time.time()))
            second = send_plan(plan[half:], handle.host, handle.port, options.concurrency,
                               bar.advance)  # fmt: skip
            tally = first.plus(second)
        halves = (started, boundary, time.time())
        # The stand-in helpdesk's tickets, opened in the second half (the business view's
        # "this period").
        write_demo_tickets(folder, (boundary + halves[2]) / 2)
        if serve:
            time.sleep(0.3)  # let the last responses' spans and logs end server-side
        else:
            handle.stop()  # graceful: every request's telemetry is recorded
        if not telemetry.force_flush():
            say("warning: the telemetry flush did not complete in time")
        if serve:
            _drain_prometheus(prometheus)
        else:
            telemetry.shutdown()  # the files are final before we read them
        collector_lines = stack.drain() if stack is not None else []
        report = _read_report(folder, tally)
        say("")
        say(
            render_report(
                report, Endpoints(handle.url, prometheus, prometheus_note, still_serving=serve)
            )
        )
        with open(os.path.join(folder, REPORT_FILE), "w", encoding="utf-8") as handle_out:
            json.dump(report.to_dict(), handle_out, indent=2)
        say("")
        say(operations_summary(folder, halves=halves))
        for line in collector_lines:
            say(line)
        if serve:
            say(_serve_banner(handle, prometheus_note, folder))
            with _sigterm_as_interrupt():
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    say("\nstopping")
        return 0 if report.ok else 1
    finally:
        handle.stop()
