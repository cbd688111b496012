"""API keys → customers, and what one analysis costs each customer.

Keys come from `AURASTREAM_API_KEYS` (`key1=customer_a,key2=customer_b`) and/or the JSON file
named by `AURASTREAM_API_KEYS_FILE`. With neither, the directory is empty and every request is
refused with 401 (fail closed, with a startup warning). The built-in demo keys exist only
through `CustomerDirectory.demo()`, which the demo calls explicitly: a production deployment
can never accept them by accident.

Only the sha256 of each key is kept in memory, and logs carry a 12-hex prefix of it
(`key_fingerprint`), never the key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aurastream_obs.core.env import env_float, env_str
from aurastream_obs.service import config

_log = logging.getLogger("aurastream_obs")

DEFAULT_PRICE_USD: Final = 0.001
API_KEY_HEADER: Final = "x-api-key"
_MAX_KEY_CHARS: Final = 256


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    price_per_analysis: float = DEFAULT_PRICE_USD


# Demo only (see module docstring). Prices differ so the revenue dashboards have some shape.
DEMO_API_KEYS: Final[Mapping[str, Customer]] = {
    "demo-key-acme": Customer("acme-corp", 0.001),
    "demo-key-globex": Customer("globex", 0.0015),
    "demo-key-initech": Customer("initech", 0.002),
}


def _digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def key_fingerprint(api_key: str) -> str:
    """Short sha256 prefix of a key: enough to correlate attempts, useless to an attacker."""
    return _digest(api_key)[:12]


class CustomerDirectory:
    """Resolves an `x-api-key` to its Customer."""

    def __init__(
        self,
        keys: Mapping[str, Customer | str] | None = None,
        *,
        default_price: float = DEFAULT_PRICE_USD,
    ) -> None:
        # Looking up by digest also keeps the comparison free of key-dependent timing.
        self._by_digest: dict[str, Customer] = {}
        for key, value in (keys or {}).items():
            customer = Customer(value, default_price) if isinstance(value, str) else value
            self._by_digest[_digest(key)] = customer

    @classmethod
    def demo(cls) -> CustomerDirectory:
        """The demo's three customers. Never used unless called explicitly."""
        return cls(DEMO_API_KEYS)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CustomerDirectory:
        env = os.environ if env is None else env
        price = env_float(env, config.PRICE, DEFAULT_PRICE_USD)
        keys: dict[str, Customer | str] = {}
        path = env_str(env, config.API_KEYS_FILE)
        if path:
            keys.update(_read_keys_file(Path(path), price))
        keys.update(parse_api_keys(env_str(env, config.API_KEYS)))
        directory = cls(keys, default_price=price)
        if not directory:
            _log.warning(
                "no API keys configured (%s, %s): every request will get 401",
                config.API_KEYS.name,
                config.API_KEYS_FILE.name,
            )
        return directory

    def authenticate(self, api_key: str | None) -> Customer | None:
        if not api_key or len(api_key) > _MAX_KEY_CHARS:
            return None
        return self._by_digest.get(_digest(api_key))

    def customer_id_for(self, headers: Mapping[str, str]) -> str | None:
        """The middleware's customer resolver: headers (lower-case names) → customer id."""
        customer = self.authenticate(headers.get(API_KEY_HEADER))
        return customer.customer_id if customer is not None else None

    def __len__(self) -> int:
        return len(self._by_digest)


def parse_api_keys(raw: str | None) -> dict[str, Customer | str]:
    """`key1=customer_a,key2=customer_b`; split at the last `=` (keys may end in base64 `=`)."""
    keys: dict[str, Customer | str] = {}
    for pair in (raw or "").split(","):
        key, sep, customer = pair.strip().rpartition("=")
        if sep and key.strip() and customer.strip():
            keys[key.strip()] = customer.strip()
        elif pair.strip():
            _log.warning("ignoring a malformed entry in %s", config.API_KEYS.name)
    return keys


def _read_keys_file(path: Path, default_price: float) -> dict[str, Customer | str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _log.warning(
            "cannot read %s=%s (%s); no keys loaded from it",
            config.API_KEYS_FILE.name,
            path,
            type(exc).__name__,
        )
        return {}
    if not isinstance(data, dict):
        _log.warning(
            "%s must hold a JSON object; no keys loaded from it", config.API_KEYS_FILE.name
        )
        return {}
    keys: dict[str, Customer | str] = {}
    for key, value in data.items():
        if isinstance(value, str) and value:
            keys[key] = value
        elif isinstance(value, dict) and isinstance(value.get("customer_id"), str):
            price = value.get("price_per_analysis", default_price)
            if isinstance(price, int | float) and not isinstance(price, bool) and price >= 0:
                keys[key] = Customer(value["customer_id"], float(price))
            else:
                keys[key] = Customer(value["customer_id"], default_price)
        else:
            _log.warning("ignoring a malformed entry in %s", config.API_KEYS_FILE.name)
    return keys
