"""Serve an ASGI app with uvicorn: blocking (`serve`) or in a background thread (`run_in_thread`).

uvicorn's own logging is turned off (`log_config=None`, no access log): the middleware's JSON
`api_request`/`api_response` events are the only request logs.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Final

from aurastream_obs.asgi.types import ASGIApp

_STARTUP_TIMEOUT_S: Final = 10.0


def _config(app: ASGIApp, host: str, port: int) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="auto",
    )


def serve(host: str, port: int, app: ASGIApp) -> None:
    """Run until interrupted (SIGINT/SIGTERM handled by uvicorn)."""
    import uvicorn

    uvicorn.Server(_config(app, host, port)).run()


class ServerHandle:
    """A uvicorn server running in a daemon thread; `port` is the bound port."""

    def __init__(self, server: Any, thread: threading.Thread, sock: socket.socket) -> None:
        self._server = server
        self._thread = thread
        self._socket = sock
        self.host: str = sock.getsockname()[0]
        self.port: int = sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown (in-flight requests finish), then join the thread."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
    """Start serving `app` and return once it accepts connections. `port=0` picks a free port."""
    import uvicorn

    # Bind ourselves so port 0 resolves to a known port before uvicorn starts.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Protocol IPPROTO_TCP (not 0): asyncio only sets TCP_NODELAY on accepted sockets whose
    # listener says TCP, and without it every keep-alive response waits ~40 ms on delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(_config(app, host, sock.getsockname()[1]))
    # uvicorn installs no signal handlers outside the main thread.
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="aurastream-uvicorn", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"uvicorn did not start on {host}:{port}")
        time.sleep(0.01)
    return ServerHandle(server, thread, sock)
