"""A tiny in-process ASGI client: one request, the full response, no sockets (`request()`,
or `await call()` inside a running loop)."""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Message = MutableMapping[str, Any]
App = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    raised: BaseException | None = None
    messages: list[Message] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name.lower()]
        return values[-1] if values else None

    def json(self) -> Any:
        return jsonlib.loads(self.body)


def make_scope(
    method: str,
    path: str,
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    client: tuple[str, int] | None = ("127.0.0.1", 50000),
) -> dict[str, Any]:
    raw = [
        (k.lower().encode() if isinstance(k, str) else k, v.encode() if isinstance(v, str) else v)
        for k, v in headers
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": client,
        "server": ("127.0.0.1", 8000),
    }


async def call(
    app: App,
    method: str,
    path: str,
    *,
    json: Any = None,
    body: bytes = b"",
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    chunks: list[bytes] | None = None,
    client: tuple[str, int] | None = ("127.0.0.1", 50000),
) -> Response:
    if json is not None:
        body = jsonlib.dumps(json).encode()
    pending: list[Message] = (
        [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]
        if chunks is not None
        else [{"type": "http.request", "body": body, "more_body": False}]
    )
    sent: list[Message] = []

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        await asyncio.sleep(3600)  # like a server: no more messages until disconnect
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    raised: BaseException | None = None
    try:
        await app(make_scope(method, path, headers, client), receive, send)
    except Exception as exc:
        raised = exc
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    status = start["status"] if start else 0
    response_headers = [
        (bytes(k).decode("latin-1").lower(), bytes(v).decode("latin-1"))
        for k, v in (start.get("headers", []) if start else [])
    ]
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Response(status, response_headers, payload, raised, sent)


def request(app: App, method: str, path: str, **kwargs: Any) -> Response:
    return asyncio.run(call(app, method, path, **kwargs))
