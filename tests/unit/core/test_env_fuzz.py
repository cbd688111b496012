"""Every documented environment variable, one bad value at a time: `configure()`'s build step
never raises, the export threads stay alive, and a value that cannot be used is named in one
warning with its fallback. The corpus below is the regression record (it began with the ~20
single values that used to raise or kill a thread: ports above 65535, `http://[::1`, 1e20 ms
intervals, CR/LF in headers, a non-ASCII endpoint, an uninstalled propagator, a bad proxy)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from aurastream_obs.bootstrap import Telemetry, build_telemetry
from aurastream_obs.core.env import reset_warnings
from aurastream_obs.core.settings import ALL_ENV_VARS, resolve_settings
from support.otlp_receiver import OtlpReceiver

# Values that must never break anything, whatever the variable.
ANY_VALUE = ["", "   ", "garbage", "-1", "ünïcødé", "x" * 5000, "%zz", "=,=,", "a\r\nb=c", "1e20"]

INT = ["-1", "1e20", "100000000000000000000", "nan", "garbage", "0x10", "99999999999"]
BOOL = ["maybe", "2", "yes please"]
URL = [
    "http://[::1",
    "http://127.0.0.1:99999",
    "ftp://collector:4318",
    "http://ünï.example:4318",
    "collector:4318",
    "http://a b:4318",
    "http://",
]
# (variable, invalid values, mode whose pipeline reads it)
INVALID: list[tuple[str, list[str], str]] = [
    ("AURASTREAM_PROMETHEUS_PORT", [*INT, "65536", "99999"], "local"),
    ("AURASTREAM_CARDINALITY_LIMIT", [*INT, "0"], "local"),
    ("AURASTREAM_MAX_QUEUE_SIZE", [*INT, "0"], "local"),
    ("AURASTREAM_SHUTDOWN_TIMEOUT", INT, "local"),
    ("OTEL_METRIC_EXPORT_INTERVAL", [*INT, "0"], "local"),
    ("OTEL_BSP_SCHEDULE_DELAY", [*INT, "0"], "local"),
    ("OTEL_EXPORTER_OTLP_TIMEOUT", [*INT, "0"], "otlp"),
    ("AURASTREAM_LOG_STDOUT", BOOL, "otlp"),
    ("AURASTREAM_LOG_REDACTION", BOOL, "local"),
    ("AURASTREAM_LOG_ANALYSED_TEXT", BOOL, "local"),
    ("AURASTREAM_DETECT_EC2", BOOL, "local"),
    ("AURASTREAM_FLUSH_ON_SIGTERM", BOOL, "local"),
    ("AURASTREAM_SDK_PATH", ["fast", "stock!"], "local"),
    ("AURASTREAM_TRACE_AWS_CLIENTS", BOOL, "local"),
    ("AURASTREAM_LOG_BUFFER", BOOL, "lambda"),
    ("AURASTREAM_LOG_SAMPLE_RATE", ["-0.1", "1.5", "nan", "often"], "lambda"),
    ("AURASTREAM_LOG_BUFFER_MAX_BYTES", [*INT, "100"], "lambda"),
    ("OTEL_SDK_DISABLED", BOOL, "local"),
    ("AURASTREAM_TELEMETRY_MODE", ["garbage", "OTLPX"], "local"),
    ("AURASTREAM_LOG_LEVEL", ["LOUD", "42x"], "local"),
    ("OTEL_EXPORTER_OTLP_COMPRESSION", ["brotli"], "otlp"),
    ("OTEL_METRICS_EXEMPLAR_FILTER", ["sometimes"], "local"),
    ("AURASTREAM_LAMBDA_SAMPLED0", ["garbage"], "lambda"),
    ("OTEL_TRACES_SAMPLER", ["garbage"], "local"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", URL, "otlp"),
    ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", URL, "otlp"),
    ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", URL, "otlp"),
    ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", URL, "otlp"),
    ("OTEL_EXPORTER_OTLP_HEADERS", ["a=b\r\nc", "bad key=v", "k=ü", "k=v\x00"], "otlp"),
    ("OTEL_EXPORTER_OTLP_CERTIFICATE", ["/nonexistent/ca.pem"], "otlp"),
    ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", ["/nonexistent/key.pem"], "otlp"),
    ("AWS_XRAY_DAEMON_ADDRESS", ["garbage", "host:99999", "host:-1", "::1", ":2000"], "lambda"),
    ("AURASTREAM_SAMPLING_RULES", ["/nonexistent/rules.json"], "local"),
    ("AURASTREAM_SAMPLING_RULES", ["/nonexistent/rules.json"], "lambda"),
    ("AURASTREAM_SAMPLING_ENDPOINT", URL, "local"),
    ("AURASTREAM_SAMPLING_POLL_INTERVAL", [*INT, "0", "9", "86401"], "local"),
    ("HTTP_PROXY", ["http://[::1", "http://proxy:99999", "http://prøxy:3128"], "otlp"),
]
ASSUMED_ENV = {"AURASTREAM_PROMETHEUS_PORT": "0"}  # no port clashes between cases


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in the test's folder: a fuzzed relative AURASTREAM_TELEMETRY_DIR ("%zz", "-1")
    creates its files there, never in the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as started:
        yield started


@pytest.fixture(scope="module")
def daemon() -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def _env(mode: str, tmp_path: Path, receiver: OtlpReceiver, daemon: str) -> dict[str, str]:
    base = {
        **ASSUMED_ENV,
        "AURASTREAM_TELEMETRY_MODE": mode,
        "AURASTREAM_TELEMETRY_DIR": str(tmp_path / "telemetry"),
        "OTEL_TRACES_SAMPLER": "always_on",
    }
    if mode == "otlp":
        base["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.base_url
    if mode == "lambda":
        base.update({"AWS_LAMBDA_FUNCTION_NAME": "fuzz", "AWS_XRAY_DAEMON_ADDRESS": daemon})
    return base


def _exercise(telemetry: Telemetry) -> None:
    """Record one span, one log line and one metric point, flush, check threads, stop."""
    if telemetry.tracer_provider is not None:
        with telemetry.tracer_provider.get_tracer("fuzz").start_as_current_span("fuzz"):
            if telemetry.log_handler is not None:
                record = logging.LogRecord("fuzz", logging.WARNING, __file__, 1, "m", (), None)
                telemetry.log_handler.handle(record)
    telemetry.metrics.record_cache_lookup(hit=True)
    telemetry.force_flush(timeout_millis=100)
    assert all(worker.alive for worker in telemetry.workers)
    assert all(reader.alive for reader in telemetry.metric_readers)
    telemetry.shutdown(timeout_millis=100)


def _build(env: dict[str, str]) -> Telemetry:
    return build_telemetry(resolve_settings(env=env))


@pytest.mark.parametrize("variable", sorted({v.name for v in ALL_ENV_VARS} | {"HTTP_PROXY"}))
def test_any_value_of_any_variable_never_raises(
    variable: str, tmp_path: Path, receiver: OtlpReceiver, daemon: str
) -> None:
    for mode in ("local", "otlp", "lambda"):
        for value in ANY_VALUE:
            env = {**_env(mode, tmp_path, receiver, daemon), variable: value}
            _exercise(_build(env))


@pytest.mark.parametrize(
    ("variable", "value", "mode"),
    [(var, value, mode) for var, values, mode in INVALID for value in values],
)
def test_an_invalid_value_warns_naming_the_variable_and_the_fallback(  # noqa: PLR0917
    variable: str,
    value: str,
    mode: str,
    tmp_path: Path,
    receiver: OtlpReceiver,
    daemon: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reset_warnings()
    env = {**_env(mode, tmp_path, receiver, daemon), variable: value}
    if variable == "AURASTREAM_SAMPLING_RULES":
        del env["OTEL_TRACES_SAMPLER"]  # the rules sampler reads the file
    with caplog.at_level(logging.WARNING, logger="aurastream_obs"):
        telemetry = _build(env)
        _exercise(telemetry)
    named = [r.getMessage() for r in caplog.records if variable in r.getMessage()]
    assert len(named) == 1, (variable, value, [r.getMessage() for r in caplog.records])
    assert "using" in named[0] or "ignoring" in named[0]


def test_the_documented_variables_are_all_in_the_corpus() -> None:
    covered = {var for var, _, _ in INVALID}
    free_text = {  # any string is a valid value: only ANY_VALUE applies
        "AURASTREAM_TELEMETRY_DIR",
        "AURASTREAM_PROMETHEUS_HOST",
        "AURASTREAM_ENVIRONMENT",
        "AURASTREAM_SERVICE_VERSION",
        "AURASTREAM_XRAY_ANNOTATIONS",
        "AURASTREAM_EMF_NAMESPACE",
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
        "OTEL_PROPAGATORS",  # tested in a fresh process below (the API reads it at import)
        "OTEL_TRACES_SAMPLER_ARG",
        "AWS_LAMBDA_FUNCTION_NAME",
    }
    assert {v.name for v in ALL_ENV_VARS} <= covered | free_text
