"""Alert receivers' stand-ins: `AlertPeer`, a real HTTP server on 127.0.0.1 playing Slack, PagerDuty
or any webhook. It records every POST (path, headers, JSON body), answers from `script`, a list
of (status, headers) replies, then with `default` (so it can fail on cue: 429 with Retry-After,
500...), and can stall every answer by `delay_s` (a slow peer) or until `release()` after
`stall()` (a peer that hangs, then recovers). `wait_for(predicate)` waits on a condition
notified at each request: no polling."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class AlertPeer:
    def __init__(self, default: int = 200) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[tuple[int, dict[str, str]]] = []
        self.default = default
        self.delay_s = 0.0
        self._hung = False  # answers wait until release() or close()
        self._changed = threading.Condition()
        self._closing = threading.Event()  # releases stalled answers at close()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with peer._changed:
                    peer.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "json": json.loads(body) if body else {},
                        }
                    )
                    status, headers = peer.script.pop(0) if peer.script else (peer.default, {})
                    peer._changed.notify_all()
                if peer.delay_s:
                    peer._closing.wait(peer.delay_s)  # the scenario: a peer that is slow
                with peer._changed:  # the scenario: a peer that hangs until released
                    peer._changed.wait_for(lambda: not peer._hung or peer._closing.is_set())
                reply = b'{"status":"success"}' if status < 300 else b'{"error":"nope"}'
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    pass  # the client gave up waiting (its timeout): nobody to answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stall(self) -> None:
        """From now on every answer hangs (the request is recorded) until `release()`."""
        with self._changed:
            self._hung = True

    def release(self) -> None:
        with self._changed:
            self._hung = False
            self._changed.notify_all()

    @property
    def bodies(self) -> list[dict[str, Any]]:
        with self._changed:
            return [r["json"] for r in self.requests]

    def bodies_at(self, path: str) -> list[dict[str, Any]]:
        """The JSON bodies POSTed to `path` (e.g. "/slack")."""
        with self._changed:
            return [r["json"] for r in self.requests if r["path"] == path]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until `predicate()` holds, re-checked at every request; False after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def close(self) -> None:
        with self._changed:
            self._closing.set()
            self._changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> AlertPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
