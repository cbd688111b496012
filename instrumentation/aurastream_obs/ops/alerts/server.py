"""`aurastream-obs alerts serve`: the router behind a stdlib ThreadingHTTPServer.

    POST /sns           SNS HTTP(S) subscription (signature verified)
    POST /alertmanager  Alertmanager webhook (Authorization: Bearer <token>)
    GET  /healthz       liveness + delivery counters

Bodies are bounded (`MAX_BODY_BYTES`) and read with a socket timeout; the access log goes to
logging at DEBUG without headers (the Authorization header never reaches a log).
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final

from aurastream_obs.ops.alerts.router import AlertRouter, Reply

MAX_BODY_BYTES: Final = 1024 * 1024  # SNS messages are at most 256 KiB; JSON escaping grows them
READ_TIMEOUT_S: Final = 10.0
_DRAIN_LIMIT_BYTES: Final = 4 * MAX_BODY_BYTES
_log: Final = logging.getLogger("aurastream.alerts.http")


def _handler_class(router: AlertRouter) -> type[BaseHTTPRequestHandler]:
    class AlertHandler(BaseHTTPRequestHandler):
        server_version = "aurastream-alerts"
        sys_version = ""
        timeout = READ_TIMEOUT_S

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._reply(Reply(200, {"status": "ok", **router.counters.snapshot()}))
            else:
                self._reply(Reply(404, {"error": "not found"}))

        def do_POST(self) -> None:
            if self.path not in ("/sns", "/alertmanager"):
                self._reply(Reply(404, {"error": "not found"}))
                return
            body = self._body()
            if body is None:
                return
            if self.path == "/alertmanager":
                self._reply(router.handle_alertmanager(self.headers.get("Authorization"), body))
                return
            try:
                message = json.loads(body)
            except ValueError:
                message = None
            if not isinstance(message, dict):
                self._reply(Reply(400, {"error": "body is not an SNS JSON message"}))
                return
            self._reply(router.handle_sns(message))

        def _body(self) -> bytes | None:
            raw = self.headers.get("Content-Length")
            if raw is None or not raw.isdigit():
                self._reply(Reply(411, {"error": "Content-Length required"}))
                return None
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
                self._reply(Reply(413, {"error": f"body over {MAX_BODY_BYTES} bytes"}))
                return None
            return self.rfile.read(length)

        def _reply(self, reply: Reply) -> None:
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            _log.debug("%s " + format, self.address_string(), *args)

    return AlertHandler


class AlertServer:
    """A started server; `url` is its base URL; `close()` stops it (idempotent)."""

    def __init__(self, router: AlertRouter, host: str = "127.0.0.1", port: int = 9095) -> None:
        self.router = router
        self.httpd = ThreadingHTTPServer((host, port), _handler_class(router))
        self.httpd.daemon_threads = True
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
