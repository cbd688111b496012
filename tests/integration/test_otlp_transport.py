"""OtlpHttpSender against a real receiver: gzip, headers, keep-alive, retries, bounds."""

from __future__ import annotations

import gzip
import os
import threading
import time
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from aurastream_obs.core.env import check_proxy, reset_warnings
from aurastream_obs.modes.otlp.transport import (
    OtlpHttpSender,
    _parse_retry_after,
    gzip_compress,
)
from support.budgets import assert_within_budget

pytestmark = pytest.mark.integration

BODY = ExportTraceServiceRequest().SerializeToString()


def _sender(receiver: Any, timeout_s: float = 5.0, **kwargs: Any) -> OtlpHttpSender:
    return OtlpHttpSender(
        receiver.endpoint("traces"), headers={"x-key": "v"}, timeout_s=timeout_s, **kwargs
    )


def test_gzip_body_headers_and_one_kept_alive_connection(otlp_receiver: Any) -> None:
    sender = _sender(otlp_receiver)
    try:
        assert sender.send(BODY)
        first_connection = sender._conn
        assert sender.send(BODY)
        assert sender._conn is first_connection  # reused, not reopened per export
    finally:
        sender.close()
    assert len(otlp_receiver.requests("traces")) == 2
    headers = otlp_receiver.attempts[0]
    assert headers["content-encoding"] == "gzip"
    assert headers["content-type"] == "application/x-protobuf"
    assert headers["x-key"] == "v"
    assert gzip.decompress(gzip_compress(b"abc" * 100)) == b"abc" * 100


def test_uncompressed_when_configured(otlp_receiver: Any) -> None:
    sender = _sender(otlp_receiver, compression="none")
    try:
        assert sender.send(BODY)
    finally:
        sender.close()
    assert "content-encoding" not in otlp_receiver.attempts[0]


def test_a_stale_connection_is_reopened_at_once(otlp_receiver: Any) -> None:
    sender = _sender(otlp_receiver, timeout_s=2.0)
    try:
        assert sender.send(BODY)
        assert sender._conn is not None and sender._conn.sock is not None
        sender._conn.sock.close()  # as if the collector had closed the idle connection
        started = time.monotonic()
        assert sender.send(BODY)
        assert_within_budget(time.monotonic() - started, 0.0, "a resend")  # no backoff
    finally:
        sender.close()
    assert len(otlp_receiver.requests("traces")) == 2


def test_retryable_status_is_retried_honouring_retry_after(otlp_receiver: Any) -> None:
    otlp_receiver.status = 503
    otlp_receiver.retry_after = "0.2"
    threading.Timer(0.5, lambda: setattr(otlp_receiver, "status", 200)).start()
    sender = _sender(otlp_receiver, timeout_s=5.0)
    try:
        started = time.monotonic()
        assert sender.send(BODY)
        elapsed = time.monotonic() - started
    finally:
        sender.close()
    assert len(otlp_receiver.attempts) >= 3  # failures, then the success
    assert 0.4 < elapsed < 2.0  # Retry-After, not the 1 s, 2 s ... backoff
    assert len(otlp_receiver.requests("traces")) == 1


def test_non_retryable_status_fails_at_once(otlp_receiver: Any) -> None:
    otlp_receiver.status = 400
    sender = _sender(otlp_receiver)
    try:
        started = time.monotonic()
        assert not sender.send(BODY)
        assert_within_budget(time.monotonic() - started, 0.0, "a 400")  # no retry
    finally:
        sender.close()
    assert len(otlp_receiver.attempts) == 1


@pytest.mark.parametrize(
    ("status", "close_connections", "delay_s"),
    [(503, False, 0.0), (200, True, 0.0), (200, False, 3.0)],
    ids=["503", "connection-closed", "slow"],
)
def test_every_failure_is_bounded_by_the_timeout(
    otlp_receiver: Any, status: int, close_connections: bool, delay_s: float
) -> None:
    otlp_receiver.status = status
    otlp_receiver.close_connections = close_connections
    otlp_receiver.delay_s = delay_s
    sender = _sender(otlp_receiver, timeout_s=1.0)
    try:
        started = time.monotonic()
        assert not sender.send(BODY)
        assert_within_budget(time.monotonic() - started, 1.0, "a failing send")
    finally:
        sender.close()
    assert otlp_receiver.attempts


def test_close_aborts_a_retry_wait(otlp_receiver: Any) -> None:
    otlp_receiver.status = 503
    otlp_receiver.retry_after = "5"
    sender = _sender(otlp_receiver, timeout_s=30.0)
    results: list[bool] = []
    worker = threading.Thread(target=lambda: results.append(sender.send(BODY)))
    worker.start()
    assert otlp_receiver.wait_for(lambda: len(otlp_receiver.attempts) >= 1)
    started = time.monotonic()
    sender.close()
    worker.join(5)
    assert results == [False]
    assert_within_budget(time.monotonic() - started, 0.0, "close() during a 5 s Retry-After")
    assert not sender.send(BODY)  # closed: fails without trying
    assert len(otlp_receiver.attempts) == 1


def test_unreachable_endpoint_fails_within_the_timeout() -> None:
    sender = OtlpHttpSender("http://127.0.0.1:9/v1/traces", timeout_s=0.5)
    started = time.monotonic()
    assert not sender.send(BODY)
    assert_within_budget(time.monotonic() - started, 0.5, "a send to a closed port")
    sender.close()


def test_retry_after_forms() -> None:
    assert _parse_retry_after("3") == 3.0
    assert _parse_retry_after(" 0.5 ") == 0.5
    assert _parse_retry_after("-1") == 0.0
    assert _parse_retry_after("inf") is None
    assert _parse_retry_after(None) is None
    assert _parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert _parse_retry_after("soon") is None


def test_proxy_variables_are_honoured() -> None:
    assert check_proxy({}, "http", "collector") is None
    env = {"HTTP_PROXY": "http://proxy.internal:3128"}
    assert check_proxy(env, "http", "collector") == "http://proxy.internal:3128"
    assert check_proxy({**env, "NO_PROXY": "collector,localhost"}, "http", "collector") is None
    assert check_proxy({"https_proxy": "proxy.internal:3128"}, "https", "collector") == (
        "http://proxy.internal:3128"  # scheme-less, as curl and requests accept it
    )
    sender = OtlpHttpSender("http://elsewhere:4318/v1/traces", proxy="http://proxy.internal:3128")
    assert sender._proxy == "http://proxy.internal:3128"
    assert sender._path == "http://elsewhere:4318/v1/traces"  # absolute URI via the proxy


@pytest.mark.parametrize(
    "proxy", ["http://[::1", "http://proxy:99999", "http://prøxy:3128", "ftp://proxy:21", "http://"]
)
def test_an_unusable_proxy_warns_once_and_connects_directly(
    proxy: str, caplog: pytest.LogCaptureFixture
) -> None:
    reset_warnings()
    assert check_proxy({"HTTP_PROXY": proxy}, "http", "collector") is None
    assert check_proxy({"HTTP_PROXY": proxy}, "http", "collector") is None
    warnings = [r.getMessage() for r in caplog.records if "HTTP_PROXY" in r.getMessage()]
    assert len(warnings) == 1 and "a direct connection" in warnings[0]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_uses_its_own_connection(otlp_receiver: Any) -> None:
    sender = _sender(otlp_receiver)
    try:
        assert sender.send(BODY)
        parent_connection = sender._conn
        pid = os.fork()
        if pid == 0:  # the child: a fresh connection, never the parent's socket
            ok = sender._conn is None and sender.send(BODY)
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert sender._conn is parent_connection and sender.send(BODY)
    finally:
        sender.close()
    assert len(otlp_receiver.requests("traces")) == 3
