"""The standard OTEL_* exporter variables, against real receivers: every protocol
(http/protobuf, http/json to an HTTP receiver that decodes both, grpc to a grpcio server),
per-signal protocols and headers, OTEL_*_EXPORTER=otlp/console/none, and the SDK variables we
do not use warned about by name."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.bootstrap import Telemetry, build_telemetry
from aurastream_obs.core.env import reset_warnings
from aurastream_obs.core.settings import resolve_settings
from support.grpc_receiver import GrpcReceiver
from support.otlp_receiver import OtlpReceiver
from support.processes import BlackHolePeer

pytestmark = pytest.mark.integration
MARGIN_S = 0.5


@pytest.fixture
def grpc_receiver() -> Iterator[GrpcReceiver]:
    with GrpcReceiver() as receiver:
        yield receiver


def _record(telemetry: Telemetry, name: str = "work") -> None:
    assert telemetry.tracer_provider is not None
    with telemetry.tracer_provider.get_tracer("vars").start_as_current_span(name):
        if telemetry.log_handler is not None:
            record = logging.LogRecord("vars", logging.WARNING, __file__, 1, "hello", (), None)
            telemetry.log_handler.handle(record)
    telemetry.metrics.record_cache_lookup(hit=True)


def _otlp(env: dict[str, str]) -> Telemetry:
    base = {"OTEL_TRACES_SAMPLER": "always_on", "AURASTREAM_LOG_STDOUT": "false"}
    return build_telemetry(resolve_settings("vars", "otlp", env={**base, **env}))


def _delivered(receiver: OtlpReceiver) -> tuple[list[str], int, set[str]]:
    return (
        [s.name for s in receiver.spans()],
        len(receiver.log_records()),
        receiver.metric_names(),
    )


@pytest.mark.parametrize("protocol", ["http/protobuf", "http/json"])
def test_http_protocols_deliver_all_three_signals(
    otlp_receiver: OtlpReceiver, protocol: str
) -> None:
    telemetry = _otlp(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url,
            "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        }
    )
    _record(telemetry)
    assert telemetry.force_flush(10_000)
    telemetry.shutdown(5_000)
    spans, logs, metrics = _delivered(otlp_receiver)
    assert spans == ["work"] and logs == 1 and "aurastream.cache.lookups" in metrics
    content_types = {a.get("content-type") for a in otlp_receiver.attempts}
    expected = "application/json" if protocol == "http/json" else "application/x-protobuf"
    assert content_types == {expected}


def test_grpc_delivers_all_three_signals(grpc_receiver: GrpcReceiver) -> None:
    telemetry = _otlp(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": grpc_receiver.base_url,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_HEADERS": "X-Tenant=aurastream",
        }
    )
    _record(telemetry)
    assert telemetry.force_flush(10_000)
    telemetry.shutdown(5_000)
    spans, logs, metrics = _delivered(grpc_receiver)
    assert spans == ["work"] and logs == 1 and "aurastream.cache.lookups" in metrics
    assert all(m.get("x-tenant") == "aurastream" for m in grpc_receiver.metadata)


def test_each_signal_its_own_protocol_endpoint_and_headers(
    otlp_receiver: OtlpReceiver, grpc_receiver: GrpcReceiver
) -> None:
    telemetry = _otlp(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url,
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": grpc_receiver.base_url,
            "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL": "http/json",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-all=1",
            "OTEL_EXPORTER_OTLP_LOGS_HEADERS": "x-logs=1",
        }
    )
    _record(telemetry)
    assert telemetry.force_flush(10_000)
    telemetry.shutdown(5_000)
    assert [s.name for s in grpc_receiver.spans()] == ["work"]
    assert otlp_receiver.spans() == []  # traces went over gRPC only
    assert len(otlp_receiver.log_records()) == 1
    by_type = {a["content-type"]: a for a in otlp_receiver.attempts}
    assert by_type["application/json"].get("x-logs") == "1"  # logs: their own headers
    assert "x-logs" not in by_type["application/x-protobuf"]
    assert by_type["application/x-protobuf"].get("x-all") == "1"  # metrics: the generic ones


def test_grpc_to_a_silent_peer_keeps_the_budget_and_counts() -> None:
    with BlackHolePeer() as peer:
        telemetry = _otlp(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": peer.url, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
        )
        for i in range(50):
            _record(telemetry, f"span-{i}")
        start = time.monotonic()
        assert not telemetry.force_flush(1000)
        flush_s = time.monotonic() - start
        start = time.monotonic()
        telemetry.shutdown(1000)
        shutdown_s = time.monotonic() - start
    assert flush_s <= 1.0 + MARGIN_S and shutdown_s <= 1.0 + MARGIN_S
    assert telemetry.drops.total("traces") == 50 and telemetry.drops.total("logs") == 50


@pytest.mark.parametrize("mode", ["otlp", "local"])
def test_exporter_none_turns_a_signal_off_and_console_prints_it(
    mode: str, otlp_receiver: OtlpReceiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.base_url,
        "AURASTREAM_TELEMETRY_DIR": str(tmp_path),
        "AURASTREAM_PROMETHEUS_PORT": "0",
        "OTEL_TRACES_SAMPLER": "always_on",
        "AURASTREAM_LOG_STDOUT": "false",
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "otlp,zipkin",  # zipkin: not supported, warned and skipped
    }
    telemetry = build_telemetry(resolve_settings("vars", mode, env=env))
    _record(telemetry)
    telemetry.shutdown(5_000)
    printed = capsys.readouterr().out
    assert '"name": "work"' in printed  # the SDK's ConsoleSpanExporter JSON
    if mode == "otlp":
        assert otlp_receiver.spans() == [] and otlp_receiver.metrics() == []
        assert len(otlp_receiver.log_records()) == 1
    else:
        assert not (tmp_path / "traces.jsonl").exists()
        assert not (tmp_path / "metrics.jsonl").exists()
        assert (tmp_path / "logs.jsonl").exists()


def test_sdk_variables_we_do_not_use_are_named_in_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reset_warnings()
    env = {
        "OTEL_BSP_MAX_QUEUE_SIZE": "10",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "thrift",
        "OTEL_TRACES_EXPORTER": "jaeger",
    }
    with caplog.at_level(logging.WARNING, logger="aurastream_obs"):
        settings = resolve_settings(env=env)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "OTEL_BSP_MAX_QUEUE_SIZE='10'" in text and "AURASTREAM_MAX_QUEUE_SIZE" in text
    assert "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE='delta'" in text
    assert "OTEL_EXPORTER_OTLP_PROTOCOL='thrift'" in text
    assert "OTEL_TRACES_EXPORTER='jaeger'" in text
    assert settings.otlp_target("traces").protocol == "http/protobuf"
    assert settings.exporters_of("traces") == ("otlp",)


def test_console_log_exporter_is_the_json_line_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        "AURASTREAM_TELEMETRY_DIR": str(tmp_path),
        "AURASTREAM_PROMETHEUS_PORT": "0",
        "OTEL_LOGS_EXPORTER": "console",
    }
    telemetry = build_telemetry(resolve_settings("vars", "local", env=env))
    assert telemetry.log_handler is not None
    telemetry.log_handler.handle(logging.LogRecord("v", logging.INFO, "f", 1, "line", (), None))
    telemetry.shutdown(2_000)
    lines: list[Any] = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x]
    assert [x["message"] for x in lines] == ["line"]
    assert not (tmp_path / "logs.jsonl").exists()  # not exported: printed
