"""Bounded everything: JSON depth and size, malformed framing headers, concurrent requests and
the two memories (delivered alerts, SNS MessageIds) — each refused with a JSON 4xx/503 on a
connection that is answered, never a traceback."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
from collections.abc import Callable

import pytest

from aurastream_obs.ops.alerts.jsonlimits import MAX_DEPTH, load_json
from aurastream_obs.ops.alerts.ledger import Deadline, ExpiringStore, OnceLedger
from aurastream_obs.ops.alerts.server import AlertServer
from aurastream_obs.ops.alerts.sources import PayloadError
from support.alert_router import TOKEN, RouterHarness, am_payload, bearer, post
from support.budgets import assert_within_budget
from support.sns import Signer, alarm_message, notification


def raw(url: str, head: str, body: bytes = b"", *, shut_write: bool = False) -> tuple[int, dict]:
    """Send exactly `head` + `body` on a socket; (status, JSON body) of the answer."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as sock:
        sock.sendall(head.encode("utf-8") + b"\r\n\r\n" + body)
        if shut_write:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    assert response, "the connection was dropped without an answer"
    status_line, _, rest = response.partition(b"\r\n")
    payload = rest.partition(b"\r\n\r\n")[2]
    return int(status_line.split()[1]), json.loads(payload)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ("Content-Length: ²", 400),  # '²'.isdigit() is True in Python: not a length
        ("Content-Length: ٣", 400),  # an Arabic-Indic digit
        ("Content-Length: -1", 400),
        ("Content-Length: 1e3", 400),
        ("Content-Length: 99999999999", 400),
        ("Content-Length: 2\r\nContent-Length: 3", 400),
        ("Transfer-Encoding: chunked", 400),
        ("Content-Length: 2\r\nTransfer-Encoding: chunked", 400),
        ("X-Nothing: 1", 411),
    ],
)
def test_malformed_framing_is_a_json_4xx(
    make_harness: Callable[..., RouterHarness],
    capfd: pytest.CaptureFixture[str],
    headers: str,
    status: int,
) -> None:
    harness = make_harness()
    got, body = raw(harness.server.url, f"POST /sns HTTP/1.1\r\nHost: x\r\n{headers}", b"{}")
    assert got == status and "error" in body
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_shorter_than_its_length_is_a_400(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness()
    head = "POST /sns HTTP/1.1\r\nHost: x\r\nContent-Length: 100"
    assert raw(harness.server.url, head, b"{}", shut_write=True)[0] == 400


@pytest.mark.parametrize(
    ("path", "depth"), [("/sns", 100_000), ("/alertmanager", 100_000), ("/notify", 30_000)]
)  # /notify takes 64 KiB at most
def test_100k_deep_json_is_a_400_in_no_time(
    make_harness: Callable[..., RouterHarness],
    capfd: pytest.CaptureFixture[str],
    path: str,
    depth: int,
) -> None:
    harness = make_harness()
    started = time.monotonic()
    status, body = post(harness.server.url + path, b"[" * depth + b"]" * depth, bearer())
    assert_within_budget(time.monotonic() - started, 0.5, "refusing a 100k-deep body")
    assert status == 400 and "nested deeper than 32 levels" in body["error"]
    assert "Traceback" not in capfd.readouterr().err
    assert harness.slack.requests == []


def test_deep_json_inside_a_signed_sns_message_is_a_400(
    make_harness: Callable[..., RouterHarness], signer: Signer
) -> None:
    harness = make_harness()
    message = notification(alarm_message())
    message["Message"] = "{" + '"a":{' * 5000 + "}" * 5001
    status, body = post(harness.server.url + "/sns", signer.sign(message))
    assert status == 400 and "nested deeper" in body["error"]


def test_json_limits() -> None:
    assert load_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, max_bytes=1000) is not None
    with pytest.raises(PayloadError, match="nested deeper"):
        load_json(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), max_bytes=1000)
    with pytest.raises(PayloadError, match="over 10 bytes"):
        load_json(b'{"a": "0123456789"}', max_bytes=10)
    with pytest.raises(PayloadError, match="not valid JSON"):
        load_json(b"1" * 5000, max_bytes=10_000)  # over Python's integer digit limit
    with pytest.raises(PayloadError, match="not valid JSON"):
        load_json(b"\xff\xfe", max_bytes=10)


def test_oversized_bodies_are_413(make_harness: Callable[..., RouterHarness]) -> None:
    harness = make_harness()
    big = b"x" * (1024 * 1024 + 1)
    assert post(harness.server.url + "/alertmanager", big, bearer())[0] == 413
    too_many = am_payload(alerts=[am_payload()["alerts"][0]] * 201)
    status, body = post(harness.server.url + "/alertmanager", too_many, bearer())
    assert status == 400 and "bounded 'alerts' list" in body["error"]


def test_concurrent_requests_are_bounded(make_harness: Callable[..., RouterHarness]) -> None:
    harness = make_harness()
    server = AlertServer(harness.router, port=0, max_concurrent=3).start()
    parts = urllib.parse.urlsplit(server.url)
    idle = [socket.create_connection((parts.hostname, parts.port), timeout=15) for _ in range(3)]
    try:
        for sock in idle:  # three slow clients: a request line and then nothing
            sock.sendall(b"POST /sns HTTP/1.1\r\n")
        started = time.monotonic()
        status, body = raw(server.url, "GET /healthz HTTP/1.1\r\nHost: x")
        assert_within_budget(time.monotonic() - started, 0.0, "the busy answer")
        assert (status, body) == (503, {"error": "server is busy"})
    finally:
        for sock in idle:
            sock.close()
        server.close()


def test_expiring_store_is_bounded_in_size_and_time() -> None:
    now = [0.0]
    store: ExpiringStore[str, str] = ExpiringStore(ttl_s=10, max_entries=3, clock=lambda: now[0])
    for key in "abcd":
        store.put(key, key.upper())
    assert (len(store), store.evicted, store.get("a"), store.get("d")) == (3, 1, None, "D")
    now[0] = 9.0
    store.put("b", "B2")  # rewritten: lives 10 s from now
    now[0] = 10.5  # c and d expired; b (written at 9) has not
    assert (store.get("c"), store.get("b"), len(store)) == (None, "B2", 1)


def test_once_ledger_remembers_delivered_versions_and_forgets_failures() -> None:
    now = [0.0]
    ledger = OnceLedger(300, max_entries=10, clock=lambda: now[0])
    deadline = Deadline(1.0)
    claim = ledger.claim([(("slack", "f1"), "firing")], deadline)
    assert claim is not None and claim.fresh
    busy = ledger.claim([(("slack", "f1"), "firing")], Deadline(0.05))
    assert busy is None  # in flight elsewhere, and this deadline is too short to wait
    ledger.settle(claim, delivered=False)
    retry = ledger.claim([(("slack", "f1"), "firing")], deadline)
    assert retry is not None and retry.fresh  # a failure is forgotten: the retry delivers
    ledger.settle(retry, delivered=True)
    again = ledger.claim([(("slack", "f1"), "firing"), (("slack", "f1b"), "firing")], deadline)
    assert again is not None and [k for k, _ in again.done] == [("slack", "f1")]
    ledger.settle(again, delivered=True)
    resolved = ledger.claim([(("slack", "f1"), "resolved")], deadline)
    assert resolved is not None and resolved.fresh  # another status is news
    ledger.settle(resolved, delivered=True)
    now[0] = 301.0  # the window has passed: a repeat is sent again
    late = ledger.claim([(("slack", "f1"), "resolved")], deadline)
    assert late is not None and late.fresh


def test_the_token_is_still_required_on_notify(
    make_harness: Callable[..., RouterHarness],
) -> None:
    harness = make_harness()
    assert post(harness.server.url + "/notify", {"message": "hi"}, bearer("nope"))[0] == 401
    assert post(harness.server.url + "/notify", {"message": "hi"}, bearer(TOKEN))[0] == 200
