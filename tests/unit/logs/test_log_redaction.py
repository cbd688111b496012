"""Redactor: client IPs, e-mail addresses, secrets, the analysed text; nested and bounded."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurastream_obs.logs import Redactor
from aurastream_obs.logs.processors import REDACTED, TRUNCATED, mask_ip


@pytest.mark.parametrize("key", ["ip", "ip_address", "client_ip", "source_ip", "Client-IP"])
def test_ipv4_is_reduced_to_its_24(key: str) -> None:
    assert Redactor()({key: "203.0.113.77"}) == {key: "203.0.113.0/24"}


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::/48"),
        ("[2001:db8:1:2::1]:443", "2001:db8:1::/48"),
        ("::ffff:198.51.100.23", "198.51.100.0/24"),  # IPv4-mapped: treated as IPv4
        ("198.51.100.23:8080", "198.51.100.0/24"),
        (" 10.1.2.3 ", "10.1.2.0/24"),
        ("203.0.113.9, 10.0.0.1", "203.0.113.0/24, 10.0.0.0/24"),  # X-Forwarded-For
        ("not-an-ip", REDACTED),  # fail closed
        ("300.1.1.1", REDACTED),
        ("01.2.3.4", REDACTED),
        ("1" * 5000 + ".1.1.1", REDACTED),  # no int() on a huge digit string
    ],
)
def test_ip_masking_forms(raw: str, masked: str) -> None:
    assert mask_ip(raw) == masked


def test_missing_ip_stays_none() -> None:
    assert Redactor()({"ip_address": None}) == {"ip_address": None}


def test_email_masked_in_message_and_any_nested_string() -> None:
    event = {
        "message": "signup from jane.doe+tag@example.co.uk failed",
        "data": {"contacts": ["ops@aurastream.io", 3], "note": ("cc bob@example.com",)},
    }
    out = Redactor()(event)
    assert out["message"] == "signup from [EMAIL] failed"
    assert out["data"] == {"contacts": ["[EMAIL]", 3], "note": ["cc [EMAIL]"]}


def test_email_inside_an_arbitrary_object_is_masked_too() -> None:
    class User:
        def __repr__(self) -> str:
            return "User(email='jane@example.com')"

    assert Redactor()({"user": User()}) == {"user": "User(email='[EMAIL]')"}


def test_secret_like_keys_are_redacted_at_any_depth() -> None:
    event = {
        "db_password": "hunter2",
        "request": {
            "headers": {
                "Authorization": "Bearer abc",
                "X-Api-Key": "k",
                "Cookie": "session=1",
                "Accept": "application/json",
            },
            "auth": [{"refresh_token": "r", "passwd": "p", "client_secret": {"nested": 1}}],
        },
        "apikey": "x",
    }
    out = Redactor()(event)
    assert out["db_password"] == REDACTED
    assert out["apikey"] == REDACTED
    headers = out["request"]["headers"]
    assert headers == {
        "Authorization": REDACTED,
        "X-Api-Key": REDACTED,
        "Cookie": REDACTED,
        "Accept": "application/json",
    }
    assert out["request"]["auth"] == [
        {"refresh_token": REDACTED, "passwd": REDACTED, "client_secret": REDACTED}
    ]


@pytest.mark.parametrize("key", ["text", "analysed_text", "input_text"])
def test_analysed_text_is_dropped_but_its_length_kept(key: str) -> None:
    out = Redactor()({"message": "analysed", key: "I love this product", "sentiment": "POSITIVE"})
    assert out == {"message": "analysed", "text_length": 19, "sentiment": "POSITIVE"}


def test_analysed_text_kept_when_allowed_but_emails_still_masked() -> None:
    out = Redactor(allow_analysed_text=True)({"text": "mail me at a@b.example.org"})
    assert out == {"text": "mail me at [EMAIL]"}


def test_disabled_redactor_is_the_identity() -> None:
    event = {"ip": "203.0.113.7", "password": "p", "text": "t", "message": "x@y.com"}
    assert Redactor(enabled=False)(dict(event)) == event


def test_the_callers_nested_objects_are_not_mutated() -> None:
    data: dict[str, Any] = {"token": "t", "items": [{"email": "a@b.com"}]}
    before = copy.deepcopy(data)
    out = Redactor()({"data": data})
    assert data == before
    assert out["data"]["token"] == REDACTED


def test_depth_is_bounded_and_cycles_terminate() -> None:
    cyclic: dict[str, Any] = {}
    cyclic["again"] = cyclic
    out = Redactor(max_depth=3)({"cyclic": cyclic, "deep": [[[[["x"]]]]]})
    assert out["cyclic"]["again"]["again"]["again"] == TRUNCATED
    assert out["deep"] == [[[TRUNCATED]]]


def test_hostile_input_does_not_make_email_masking_quadratic() -> None:
    # A ratio, not a time: 10x the input must cost about 10x (linear), far from the 100x a
    # quadratic scan would take. Best of 3 each, against machine noise.
    def best(n: int) -> float:
        hostile = "a" * n + "@" + "b" * n
        times = []
        for _ in range(3):
            start = time.perf_counter()
            Redactor()({"message": hostile})
            times.append(time.perf_counter() - start)
        return min(times)

    small, large = best(20_000), best(200_000)
    assert large < 30 * small, (small, large)


def _local_part_ends_in_atext(email: str) -> bool:
    # The documented scope: a local part ending in ' = / ? ` { | } is not recognised.
    return re.fullmatch(r"[\w.!#$%&*+^~-]", email.rpartition("@")[0][-1]) is not None


@given(
    prefix=st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="@"),
        max_size=20,
    ),
    email=st.emails().filter(_local_part_ends_in_atext),
)
def test_generated_emails_never_survive(prefix: str, email: str) -> None:
    out = Redactor()({"message": f"{prefix} {email} end", "data": [f"<{email}>"]})
    domain = email.rpartition("@")[2]
    for text in (out["message"], out["data"][0]):
        assert email not in text
        assert f"@{domain}" not in text
