"""A counting OTLP/HTTP receiver run as its own process for the benchmark.

It decodes every request with opentelemetry-proto (like a collector would) and counts spans,
metric data points and log records, so a benchmark figure counts only with everything
delivered. GET /stats returns the counts as JSON; POST /reset zeroes them.
"""

from __future__ import annotations

import gzip
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

_lock = threading.Lock()
_counts = {
    "spans": 0,
    "server_spans": 0,
    "logs": 0,
    "metric_requests": 0,
    "requests": 0,
    "bytes": 0,
}
_SERVER = 2  # Span.SpanKind.SPAN_KIND_SERVER
_metric_names: set[str] = set()


def _count(path: str, body: bytes) -> None:
    if path == "/v1/traces":
        req: Any = ExportTraceServiceRequest.FromString(body)
        spans = [s for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans]
        n = len(spans)
        key = "spans"
        servers = sum(1 for s in spans if s.kind == _SERVER)
        with _lock:
            _counts["server_spans"] += servers
    elif path == "/v1/logs":
        req = ExportLogsServiceRequest.FromString(body)
        n = sum(len(sl.log_records) for rl in req.resource_logs for sl in rl.scope_logs)
        key = "logs"
    else:
        req = ExportMetricsServiceRequest.FromString(body)
        n = 1
        key = "metric_requests"
        with _lock:
            for rm in req.resource_metrics:
                for sm in rm.scope_metrics:
                    _metric_names.update(m.name for m in sm.metrics)
    with _lock:
        _counts[key] += n
        _counts["requests"] += 1
        _counts["bytes"] += len(body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # stdlib's name
        return None

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/reset":
            with _lock:
                for key in _counts:
                    _counts[key] = 0
                _metric_names.clear()
        else:
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            _count(self.path, body)
        self._reply(b"")

    def do_GET(self) -> None:
        with _lock:
            payload = {**_counts, "metric_names": sorted(_metric_names)}
        self._reply(json.dumps(payload).encode(), "application/json")

    def _reply(self, body: bytes, ctype: str = "application/x-protobuf") -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    sys.exit(main())
