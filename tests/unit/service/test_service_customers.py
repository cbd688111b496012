"""API keys → customers: env and file formats, demo keys only on request, fingerprints."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from aurastream_obs.service import Customer, CustomerDirectory, key_fingerprint
from aurastream_obs.service.customers import DEMO_API_KEYS


def test_env_mapping_and_default_price() -> None:
    directory = CustomerDirectory.from_env(
        {
            "AURASTREAM_API_KEYS": "key1=customer_a, key2=customer_b,abc==c3",
            "AURASTREAM_PRICE_PER_ANALYSIS": "0.005",
        }
    )
    assert len(directory) == 3
    assert directory.authenticate("key1") == Customer("customer_a", 0.005)
    assert directory.authenticate("abc=") == Customer("c3", 0.005)  # base64-padded key
    assert directory.authenticate("key3") is None
    assert directory.authenticate(None) is None
    assert directory.customer_id_for({"x-api-key": "key2"}) == "customer_b"


def test_json_file_with_prices(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(
        json.dumps(
            {
                "k-a": "alpha",
                "k-b": {"customer_id": "beta", "price_per_analysis": 0.01},
                "k-bad": 42,
            }
        )
    )
    directory = CustomerDirectory.from_env({"AURASTREAM_API_KEYS_FILE": str(path)})
    assert directory.authenticate("k-a") == Customer("alpha", 0.001)
    assert directory.authenticate("k-b") == Customer("beta", 0.01)
    assert directory.authenticate("k-bad") is None


def test_unreadable_file_fails_closed(tmp_path: Path) -> None:
    bad = tmp_path / "keys.json"
    bad.write_text("{not json")
    assert len(CustomerDirectory.from_env({"AURASTREAM_API_KEYS_FILE": str(bad)})) == 0
    missing = tmp_path / "absent.json"
    assert len(CustomerDirectory.from_env({"AURASTREAM_API_KEYS_FILE": str(missing)})) == 0


def test_demo_keys_only_when_requested() -> None:
    assert len(CustomerDirectory.from_env({})) == 0
    for key in DEMO_API_KEYS:
        assert CustomerDirectory.from_env({}).authenticate(key) is None
    demo = CustomerDirectory.demo()
    assert demo.authenticate("demo-key-acme") == Customer("acme-corp", 0.001)


def test_fingerprint_is_a_short_hash_not_the_key() -> None:
    fp = key_fingerprint("super-secret-key")
    assert fp == hashlib.sha256(b"super-secret-key").hexdigest()[:12]
    assert "secret" not in fp


def test_keys_are_not_kept_in_clear() -> None:
    directory = CustomerDirectory({"plain-key-xyz": "c"})
    assert "plain-key-xyz" not in repr(vars(directory))
