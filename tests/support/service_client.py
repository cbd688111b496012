"""Requests to the reference service (`aurastream_obs.service`) over real HTTP: `analyze()`
POSTs /v1/analyze with a demo API key and returns a `Reply`, whatever its status."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

DEMO_KEY = "demo-key-acme"  # a key of CustomerDirectory.demo() (customer acme-corp)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def analyze(
    url: str,
    text: str,
    *,
    key: str = DEMO_KEY,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Reply:
    """POST {"text": text} to `url`/v1/analyze with the API key `key`."""
    request = urllib.request.Request(
        f"{url}/v1/analyze",
        data=json.dumps({"text": text}).encode(),
        headers={"content-type": "application/json", "x-api-key": key, **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(int(response.status), _lower(response.headers), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(int(error.code), _lower(error.headers), error.read())


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
