"""A real OTLP/HTTP receiver on loopback for integration tests.

Accepts POST /v1/traces, /v1/metrics, /v1/logs as application/x-protobuf (or OTLP/JSON as
application/json), gzip or deflate encoded or not, decodes them with opentelemetry-proto and
keeps the requests. Failure modes for the unhappy paths: `delay_s` (slow collector), `status`
(e.g. 503, dead collector) and `close_connections` (drops every connection without answering).
"""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from aurastream_obs.encoding.otlp_json import decode_json

_SIGNALS: dict[str, tuple[str, type[Any], type[Any]]] = {
    "/v1/traces": ("traces", ExportTraceServiceRequest, ExportTraceServiceResponse),
    "/v1/metrics": ("metrics", ExportMetricsServiceRequest, ExportMetricsServiceResponse),
    "/v1/logs": ("logs", ExportLogsServiceRequest, ExportLogsServiceResponse),
}


class OtlpReceiver:
    """Start with `start()` (or as a context manager); `endpoint(signal)` gives the URL."""

    def __init__(
        self, *, delay_s: float = 0.0, status: int = 200, close_connections: bool = False
    ) -> None:
        # Plain attributes so a test can flip them while the receiver runs.
        self.delay_s = delay_s
        self.status = status
        self.close_connections = close_connections
        self.retry_after: str | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: dict[str, list[Any]] = {"traces": [], "metrics": [], "logs": []}
        self.attempts: list[dict[str, str]] = []  # headers of every POST, answered or not
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> OtlpReceiver:
        server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OtlpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "receiver not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def endpoint(self, signal: str) -> str:
        return f"{self.base_url}/v1/{signal}"

    # --- stored data -----------------------------------------------------------------------
    def _store(self, signal: str, request: Any) -> None:
        with self._changed:
            self._requests[signal].append(request)
            self._changed.notify_all()

    def _note_attempt(self, headers: dict[str, str]) -> None:
        with self._changed:
            self.attempts.append(headers)
            self._changed.notify_all()

    def requests(self, signal: str) -> list[Any]:
        with self._lock:
            return list(self._requests[signal])

    def spans(self) -> list[Span]:
        return [
            span
            for req in self.requests("traces")
            for rs in req.resource_spans
            for ss in rs.scope_spans
            for span in ss.spans
        ]

    def span_count(self) -> int:
        return len(self.spans())

    def metrics(self) -> list[Metric]:
        return [
            metric
            for req in self.requests("metrics")
            for rm in req.resource_metrics
            for sm in rm.scope_metrics
            for metric in sm.metrics
        ]

    def metric_names(self) -> set[str]:
        return {metric.name for metric in self.metrics()}

    def data_points(self, name: str) -> list[Any]:
        """Every data point of metric `name`, whatever its type (sum, gauge, histogram...)."""
        points: list[Any] = []
        for metric in self.metrics():
            if metric.name == name:
                kind = metric.WhichOneof("data")
                points.extend(getattr(metric, kind).data_points)
        return points

    def log_records(self) -> list[LogRecord]:
        return [
            record
            for req in self.requests("logs")
            for rl in req.resource_logs
            for sl in rl.scope_logs
            for record in sl.log_records
        ]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until `predicate()` holds (re-checked on every received request)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._changed:
                self._changed.wait(min(remaining, 0.05))
        return True


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up on a slow answer (its timeout) is the scenario, not an error."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _decode_body(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


def _handler_for(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real collector

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver._note_attempt(headers)
            length = int(headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if receiver.close_connections:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if receiver.delay_s:
                time.sleep(receiver.delay_s)  # the scenario: a slow collector
            route = _SIGNALS.get(self.path)
            if route is None:
                self._reply(404, Status(code=5, message="unknown path").SerializeToString())
                return
            signal, request_type, response_type = route
            if receiver.status != 200:
                status = Status(code=14, message="receiver configured to fail")
                self._reply(receiver.status, status.SerializeToString(), receiver.retry_after)
                return
            content_type = headers.get("content-type", "")
            try:
                raw = _decode_body(body, headers.get("content-encoding", "identity"))
                if content_type.startswith("application/json"):
                    request = decode_json(signal, raw)
                elif content_type.startswith("application/x-protobuf"):
                    request = request_type.FromString(raw)
                else:
                    self._reply(415, b"")
                    return
            except Exception as exc:
                self._reply(400, Status(code=3, message=str(exc)).SerializeToString())
                return
            receiver._store(signal, request)
            self._reply(200, response_type().SerializeToString())

        def _reply(self, code: int, body: bytes, retry_after: str | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(body)))
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            self.wfile.write(body)

    return Handler
