"""The ASGI lifespan protocol with a telemetry flush at shutdown.

A server stopped by SIGTERM (uvicorn, hypercorn) finishes its in-flight requests, runs the
lifespan shutdown, and — uvicorn 0.29 and later — raises the signal again once its own
handlers are removed, so the process dies by it and `atexit` hooks never run. The lifespan
shutdown is therefore where the last requests' spans, logs and metrics must be sent:
`on_stop` runs (in a worker thread, bounded by the telemetry's shutdown budget) before
`lifespan.shutdown.complete` reaches the server.

The wrapped app keeps its own lifespan handling; an app that does not speak the protocol
(it raises on the lifespan scope before starting) is served here instead, so the flush
still happens and the server does not log "lifespan unsupported".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aurastream_obs.asgi.types import ASGIApp, Message, Receive, Scope, Send

_log = logging.getLogger("aurastream_obs")
_SHUTDOWN_DONE = frozenset({"lifespan.shutdown.complete", "lifespan.shutdown.failed"})


async def _run_on_stop(on_stop: Callable[[], object]) -> None:
    try:
        await asyncio.to_thread(on_stop)
    except Exception:  # noqa: BLE001 - a failed flush must not fail the server's shutdown
        _log.debug("telemetry flush at lifespan shutdown failed", exc_info=True)


async def serve_lifespan(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, on_stop: Callable[[], object]
) -> None:
    startup_seen = False  # the app received lifespan.startup
    started = False  # the app answered it
    flushed = False

    async def receive_wrapper() -> Message:
        nonlocal startup_seen
        message = await receive()
        if message.get("type") == "lifespan.startup":
            startup_seen = True
        return message

    async def send_wrapper(message: Message) -> None:
        nonlocal started, flushed
        kind = message.get("type")
        if kind in ("lifespan.startup.complete", "lifespan.startup.failed"):
            started = True
        elif kind in _SHUTDOWN_DONE and not flushed:
            flushed = True
            await _run_on_stop(on_stop)
        await send(message)

    try:
        await app(scope, receive_wrapper, send_wrapper)
    except Exception:
        if started:
            raise  # the app speaks lifespan and failed in it: the server reports that
        # The app does not speak lifespan: speak it here, for the flush at shutdown.
        await _serve_without_app(receive, send, on_stop, startup_pending=startup_seen)


async def _serve_without_app(
    receive: Receive, send: Send, on_stop: Callable[[], object], *, startup_pending: bool
) -> None:
    if startup_pending:
        await send({"type": "lifespan.startup.complete"})
    while True:
        message = await receive()
        kind = message.get("type")
        if kind == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif kind == "lifespan.shutdown":
            await _run_on_stop(on_stop)
            await send({"type": "lifespan.shutdown.complete"})
            return
