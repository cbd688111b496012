"""Plain-ASGI HTTP plumbing for the service: bounded body reading, JSON responses, 4xx errors."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from aurastream_obs.asgi.types import Receive, Send

MAX_BODY_BYTES: Final = 64 * 1024
MAX_TEXT_BYTES: Final = 5000  # Amazon Comprehend's DetectSentiment limit (UTF-8 bytes)
DEFAULT_LANGUAGE: Final = "en"


class HttpError(Exception):
    """A client error answered as `{"error": {"code", "message"}}`; never a 5xx."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


class ClientDisconnected(Exception):
    """The client went away while we read its body: there is nobody to answer."""


async def read_body(
    receive: Receive, headers: Mapping[str, str], limit: int = MAX_BODY_BYTES
) -> bytes:
    """The whole request body, or 413 as soon as it is known to exceed `limit` bytes."""
    declared = headers.get("content-length")
    if declared is not None:
        declared = declared.strip()
        if not (declared.isascii() and declared.isdigit()):
            raise HttpError(400, "invalid_content_length", "Content-Length must be an integer")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        kind = message.get("type")
        if kind == "http.disconnect":
            raise ClientDisconnected
        if kind != "http.request":
            continue
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:  # stop reading: never buffer more than the limit
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large(limit: int) -> HttpError:
    return HttpError(413, "payload_too_large", f"Request body exceeds {limit} bytes")


def parse_analyze_request(body: bytes, languages: frozenset[str]) -> tuple[str, str]:
    """Validate a `POST /v1/analyze` body; returns (text, language_code) or raises HttpError."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise HttpError(400, "invalid_json", "Request body must be valid JSON") from exc
    if not isinstance(payload, dict):
        raise HttpError(400, "invalid_request", "Request body must be a JSON object")
    text = payload.get("text")
    if text is None:
        raise HttpError(400, "missing_text", "Field 'text' is required")
    if not isinstance(text, str):
        raise HttpError(400, "invalid_text", "Field 'text' must be a string")
    if not text.strip():
        raise HttpError(400, "empty_text", "Field 'text' must not be empty")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # lone surrogates from JSON "\ud800" escapes
        raise HttpError(400, "invalid_text", "Field 'text' is not valid Unicode") from exc
    if size > MAX_TEXT_BYTES:
        raise HttpError(
            400, "text_too_long", f"Field 'text' exceeds {MAX_TEXT_BYTES} UTF-8 bytes ({size})"
        )
    language = payload.get("language_code", DEFAULT_LANGUAGE)
    if not isinstance(language, str):
        raise HttpError(400, "invalid_language_code", "Field 'language_code' must be a string")
    if language not in languages:
        supported = ", ".join(sorted(languages))
        raise HttpError(
            400,
            "unsupported_language",
            f"Language {language[:16]!r} is not supported (supported: {supported})",
        )
    return text, language


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


async def send_json(
    send: Send,
    status: int,
    payload: Any,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    body = json_bytes(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, error: HttpError) -> None:
    payload = {"error": {"code": error.code, "message": error.message}}
    await send_json(send, error.status, payload, error.headers)
