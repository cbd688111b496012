"""`aurastream-obs alerts serve`: the router behind a stdlib ThreadingHTTPServer.

    POST /sns           SNS HTTP(S) subscription (signature, topic and freshness verified)
    POST /alertmanager  Alertmanager webhook (Authorization: Bearer <token>)
    POST /notify        runbook notifications (Authorization: Bearer <token>)
    GET  /healthz       liveness + delivery counters
    GET  /metrics       the counters in Prometheus text format

Everything is bounded: at most `MAX_CONCURRENT` requests at once (more get a 503 at once),
bodies up to `MAX_BODY_BYTES` (413) with one well-formed `Content-Length` (absent: 411;
malformed, repeated or with `Transfer-Encoding`: 400), JSON depth (400, see `jsonlimits`),
socket reads by `READ_TIMEOUT_S`, and each request by the router's deadline. Every request
gets a JSON answer: an unexpected error is a 500 and one log line, never a dropped
connection or a traceback on stderr. The access log goes to logging at DEBUG without
headers (the Authorization header never reaches a log).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from aurastream_obs.ops.alerts.jsonlimits import load_json
from aurastream_obs.ops.alerts.router import MAX_BODY_BYTES, AlertRouter, Reply
from aurastream_obs.ops.alerts.sources import PayloadError

READ_TIMEOUT_S: Final = 10.0
MAX_CONCURRENT: Final = 64
_DRAIN_LIMIT_BYTES: Final = 4 * MAX_BODY_BYTES
_LENGTH: Final = re.compile(r"^[0-9]{1,10}$")
_BUSY_BODY: Final = b'{"error": "server is busy"}'
_BUSY: Final = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)
_log: Final = logging.getLogger("aurastream.alerts.http")


def _handler_class(router: AlertRouter) -> type[BaseHTTPRequestHandler]:
    class AlertHandler(BaseHTTPRequestHandler):
        server_version = "aurastream-alerts"
        sys_version = ""
        timeout = READ_TIMEOUT_S

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._reply(Reply(200, {"status": "ok", **router.counters.snapshot()}))
            elif self.path == "/metrics":
                self._send(200, router.counters.prometheus_text().encode(),
                           "text/plain; version=0.0.4")  # fmt: skip
            else:
                self._reply(Reply(404, {"error": "not found"}))

        def do_POST(self) -> None:
            try:
                self._reply(self._post())
            except Exception as exc:  # noqa: BLE001 - every request gets an answer
                _log.error("POST %s failed: %s", self.path[:50], type(exc).__name__)
                _log.debug("POST failure detail", exc_info=True)
                self.close_connection = True
                self._reply(Reply(500, {"error": "internal error"}))

        def _post(self) -> Reply:
            if self.path not in ("/sns", "/alertmanager", "/notify"):
                return Reply(404, {"error": "not found"})
            body = self._body()
            if isinstance(body, Reply):
                return body
            auth = self.headers.get("Authorization")
            if self.path == "/alertmanager":
                return router.handle_alertmanager(auth, body)
            if self.path == "/notify":
                return router.handle_notify(auth, body)
            try:
                message = load_json(body, max_bytes=MAX_BODY_BYTES)
            except PayloadError as exc:
                return Reply(400, {"error": f"body is not an SNS JSON message: {exc}"})
            if not isinstance(message, dict):
                return Reply(400, {"error": "body is not an SNS JSON message"})
            return router.handle_sns(message)

        def _body(self) -> bytes | Reply:
            lengths = self.headers.get_all("Content-Length") or []
            if self.headers.get("Transfer-Encoding") is not None or len(set(lengths)) > 1:
                self._give_up()  # never guess where a body ends
                return Reply(400, {"error": "send one Content-Length and no Transfer-Encoding"})
            if not lengths:
                self._give_up()
                return Reply(411, {"error": "Content-Length required"})
            raw = lengths[0].strip()
            if not _LENGTH.match(raw):
                self._give_up()
                return Reply(400, {"error": "Content-Length must be a decimal integer"})
            length = int(raw)
            if length > MAX_BODY_BYTES:
                self.close_connection = True
                if length <= _DRAIN_LIMIT_BYTES:
                    # Discard (not keep) a moderately oversized body so that the client, still
                    # sending, reads our 413 instead of a broken pipe.
                    remaining = length
                    while remaining > 0:
                        chunk = self.rfile.read(min(remaining, 65536))
                        if not chunk:
                            break
                        remaining -= len(chunk)
                return Reply(413, {"error": f"body over {MAX_BODY_BYTES} bytes"})
            body = self.rfile.read(length)
            if len(body) < length:
                self.close_connection = True
                return Reply(400, {"error": "body shorter than its Content-Length"})
            return body

        def _give_up(self) -> None:
            """Answer, then close: first take what already arrived of a body we will not
            read (closing a socket on unread data resets it, and the answer with it)."""
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.setblocking(False)
                self.connection.recv(65536)
            self.connection.settimeout(READ_TIMEOUT_S)

        def _reply(self, reply: Reply) -> None:
            self._send(reply.status, json.dumps(reply.body).encode(), "application/json",
                       reply.headers)  # fmt: skip

        def _send(self, status: int, data: bytes, kind: str, headers: Any = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            _log.debug("%s " + format, self.address_string(), *args)

    return AlertHandler


class _BoundedServer(ThreadingHTTPServer):
    """At most `slots` requests in progress; past that, an immediate 503."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], slots: int
    ) -> None:
        super().__init__(address, handler)
        self._slots = threading.BoundedSemaphore(slots)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(_BUSY)
                request.setblocking(False)
                request.recv(65536)  # what already arrived: closing on unread data sends RST
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver prints a traceback to stderr here; one log line instead.
        _log.warning("connection from %s ended with an error", client_address[0])
        _log.debug("connection error detail", exc_info=True)


class AlertServer:
    """A started server; `url` is its base URL; `close()` stops it (idempotent)."""

    def __init__(
        self,
        router: AlertRouter,
        host: str = "127.0.0.1",
        port: int = 9095,
        *,
        max_concurrent: int = MAX_CONCURRENT,
    ) -> None:
        self.router = router
        self.httpd = _BoundedServer((host, port), _handler_class(router), max_concurrent)
        bound_host, bound_port = self.httpd.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}"
        self._thread: threading.Thread | None = None

    def start(self) -> AlertServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def close(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.httpd.server_close()


__all__ = ["MAX_BODY_BYTES", "MAX_CONCURRENT", "AlertServer"]
