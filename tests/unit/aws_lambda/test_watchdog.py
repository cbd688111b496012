"""The timeout watchdog: a handler that runs into its deadline still gets its telemetry out
before the deadline (measured against a fake `get_remaining_time_in_millis`)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from opentelemetry import trace

from aurastream_obs.aws_lambda import instrument_handler
from aurastream_obs.bootstrap import Telemetry
from aurastream_obs.core.settings import resolve_settings
from aurastream_obs.modes.awslambda import build_pipelines

TIMEOUT_MS = 700
MARGIN_MS = 200


class FakeContext:
    """Lambda's context with a deadline on the monotonic clock."""

    aws_request_id = "11111111-2222-3333-4444-555555555555"
    function_name = "aurastream-watchdog"

    def __init__(self, timeout_ms: int) -> None:
        self.deadline = time.monotonic() + timeout_ms / 1000.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class StampedStream:
    """stdout stand-in that notes when each write happened."""

    def __init__(self) -> None:
        self.writes: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        self.writes.append((time.monotonic(), text))
        return len(text)

    def flush(self) -> None:
        pass


def test_watchdog_flushes_every_signal_before_the_deadline() -> None:
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(0.1)
    received: list[tuple[float, bytes]] = []
    stop = threading.Event()

    def receive() -> None:
        while not stop.is_set():
            try:
                received.append((time.monotonic(), daemon.recv(70_000)))
            except TimeoutError:
                continue

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    env = {
        "AWS_LAMBDA_FUNCTION_NAME": "aurastream-watchdog",
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
    }
    stream = StampedStream()
    settings = resolve_settings(mode="lambda", env=env)
    telemetry = Telemetry(settings=settings)
    pipelines = build_pipelines(settings, telemetry.drops, stream=stream)
    telemetry.tracer_provider = pipelines.tracer_provider  # type: ignore[assignment]
    telemetry.meter_provider = pipelines.meter_provider  # type: ignore[assignment]
    telemetry.log_handler = pipelines.log_handler
    assert telemetry.tracer_provider is not None and telemetry.meter_provider is not None
    tracer = telemetry.tracer_provider.get_tracer("test")
    counter = telemetry.meter_provider.get_meter("test").create_counter("aurastream.usage")

    @instrument_handler(telemetry=telemetry, margin_ms=MARGIN_MS, env=env)
    def slow(event: Any, context: Any) -> str:
        with tracer.start_as_current_span("work"):
            counter.add(3)
            assert trace.get_current_span().get_span_context().is_valid
        time.sleep((TIMEOUT_MS + 150) / 1000.0)  # past the deadline: Lambda would kill here
        return "late"

    context = FakeContext(TIMEOUT_MS)
    assert telemetry.log_handler is not None
    lambda_logger = logging.getLogger("aurastream_obs.lambda")  # not installed: attach here
    lambda_logger.addHandler(telemetry.log_handler)
    try:
        assert slow({"action": "slow"}, context) == "late"
        time.sleep(0.2)
    finally:
        stop.set()
        receiver.join(2)
        daemon.close()
        lambda_logger.removeHandler(telemetry.log_handler)
    deadline = context.deadline
    before = [data for at, data in received if at < deadline]
    assert before, f"no segment before the deadline ({len(received)} after it)"
    segments = b"".join(before)
    assert b'"name":"work"' in segments or b'"work"' in segments
    assert b"timeout_imminent" in segments  # the invocation span, ended by the watchdog
    emf_before = [text for at, text in stream.writes if at < deadline and '"_aws"' in text]
    assert any('"aurastream.usage":3' in text for text in emf_before), stream.writes
    logs_before = [
        text for at, text in stream.writes if at < deadline and "about to time out" in text
    ]
    assert logs_before, "the timeout error log was not written before the deadline"
