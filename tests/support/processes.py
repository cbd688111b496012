"""Other processes: run Python in a fresh process (OTel globals are set-once per process), wait
for another process's state, free ports, and a misbehaving peer (`BlackHolePeer`)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without OTEL_*/AURASTREAM_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AURASTREAM_"))}
    env.update(extra or {})
    return env


def run_python(
    code: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 90,
    args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run `code` (dedented) with this interpreter in a clean environment plus `env`."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=clean_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_python(
    code: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[str]:
    """Start `code` in the background (stdout and stderr piped, text mode)."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=clean_env(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    """A TCP port nothing listens on (right now): a dead collector's address."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2
) -> None:
    """Poll `check` until true; AssertionError naming `what` after `timeout` seconds.

    For state that only another process holds (a server's HTTP API, a child's readiness): it
    cannot notify this one, so polling is the only way. State in this process is waited for
    with an Event or a Condition (e.g. `OtlpReceiver.wait_for`), never with this.
    """
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, ValueError, urllib.error.URLError):
            if check():
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def last_json_line(stdout: str, prefix: str) -> Any:
    """The JSON after `prefix` on the last stdout line that starts with it."""
    import json

    line = next(x for x in reversed(stdout.splitlines()) if x.startswith(prefix))
    return json.loads(line[len(prefix) :])


class BlackHolePeer:
    """A TCP server that accepts connections, reads what is sent and never answers.

    The worst collector there is: connects fine, then every request waits for its timeout.
    """

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        self._listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            self.connections += 1
            self._accepted.append(conn)
            threading.Thread(target=self._swallow, args=(conn,), daemon=True).start()

    @staticmethod
    def _swallow(conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self._accepted:
            conn.close()
        self._listener.close()

    def __enter__(self) -> BlackHolePeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
