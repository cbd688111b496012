"""What a Lambda function emitted during one invocation, decoded, and the checks every Lambda
e2e test makes on it. Shared by the real runtime (support/lambda_rie.py: AWS's emulator and
runtime client) and the hand-written one (support/lambda_harness.py).

`Emitted` holds the raw output (stdout lines, X-Ray daemon datagrams) and decodes it: segment
documents (`documents`, every nested subsegment with `spans()`), JSON log lines (`logs`) and
EMF documents (`emf`). `assert_within_limits` checks what AWS would refuse (datagrams over
64 KB, EMF documents against AWS's published schema and limits, zero values);
`root_segment` finds the invocation's one root; `coldstarts` sums the EMF cold-start count.
`xray_daemon()` is the daemon stand-in (a non-blocking UDP socket on 127.0.0.1) and
`drain(daemon)` what it holds. `EVENTS`: the sample events of tests/data/lambda_events;
`http_api_event(...)` one of them made into a request to the reference service.
"""

from __future__ import annotations

import copy
import json
import socket
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from support.paths import EMF_SCHEMA, lambda_events

EVENTS = lambda_events()
# The published schema uses draft-07 `$id` fragments (no $schema key): validate as draft 7.
EMF_VALIDATOR = jsonschema.Draft7Validator(json.loads(EMF_SCHEMA.read_text()))
XRAY_HEADER = {"format": "json", "version": 1}
COLDSTARTS = "aurastream.lambda.coldstarts"


def xray_daemon() -> socket.socket:
    """A UDP socket on 127.0.0.1 standing in for the X-Ray daemon (non-blocking)."""
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.setblocking(False)
    return daemon


def drain(daemon: socket.socket) -> list[bytes]:
    """Every datagram queued on the socket now (loopback UDP is queued by sendto() itself)."""
    found = []
    while True:
        try:
            found.append(daemon.recv(70_000))
        except BlockingIOError:
            return found


@dataclass
class Emitted:
    stdout: list[str] = field(default_factory=list)
    datagrams: list[bytes] = field(default_factory=list)

    @property
    def documents(self) -> list[dict[str, Any]]:
        """The X-Ray segment documents, one per datagram (header line checked)."""
        docs = []
        for data in self.datagrams:
            header, _, body = data.partition(b"\n")
            assert json.loads(header) == XRAY_HEADER, data[:200]
            docs.append(json.loads(body))
        return docs

    def spans(self) -> list[dict[str, Any]]:
        """Every (sub)segment, nested ones included."""
        found: list[dict[str, Any]] = []
        stack = list(self.documents)
        while stack:
            doc = stack.pop()
            found.append(doc)
            stack.extend(doc.get("subsegments", []))
        return found

    @property
    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout if line.startswith("{")]

    @property
    def emf(self) -> list[dict[str, Any]]:
        return [doc for doc in self.json_lines if "_aws" in doc]

    @property
    def logs(self) -> list[dict[str, Any]]:
        return [doc for doc in self.json_lines if "_aws" not in doc]


def http_api_event(
    body: Any = None,
    *,
    method: str = "POST",
    path: str = "/v1/analyze",
    key: str | None = "demo-key-1",
    raw: str | None = None,
    traceparent: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (v2) event for the reference service, without the sample's
    trace headers (each invocation starts its own trace unless `traceparent` is given)."""
    event = copy.deepcopy(EVENTS["http_api_v2"])
    for name in ("traceparent", "x-amzn-trace-id", "x-api-key"):
        event["headers"].pop(name)
    if key is not None:
        event["headers"]["x-api-key"] = key
    if traceparent is not None:
        event["headers"]["traceparent"] = traceparent
    event["requestContext"]["http"].update(method=method, path=path)
    # Routes as deploy/sam declares them; anything else reaches the function by `$default`.
    route = f"{method} {path}"
    event["rawPath"] = path
    event["routeKey"] = route if route in ("POST /v1/analyze", "GET /v1/health") else "$default"
    event["body"] = raw if raw is not None else (None if body is None else json.dumps(body))
    return event


def assert_within_limits(out: Emitted) -> None:
    """Segments were sent; every datagram and EMF document is within AWS's limits (and the
    EMF schema); no metric value is a zero."""
    assert out.datagrams, f"no segment sent; stdout: {out.stdout}"
    for data in out.datagrams:
        assert len(data) <= 64_000
    for doc in out.emf:
        EMF_VALIDATOR.validate(doc)
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            assert len(directive["Metrics"]) <= 100
            for metric in directive["Metrics"]:
                value = doc[metric["Name"]]
                assert not isinstance(value, list) or 0 < len(value) <= 100
                assert value != 0, "a zero was emitted"


def root_segment(out: Emitted) -> dict[str, Any]:
    """The invocation's one root (sub)segment: the one carrying the faas_trigger annotation."""
    roots = [d for d in out.documents if "faas_trigger" in d.get("annotations", {})]
    assert len(roots) == 1, out.documents
    return roots[0]


def coldstarts(out: Emitted) -> float:
    """The cold starts the invocation's EMF documents count."""
    return sum(doc.get(COLDSTARTS, 0) for doc in out.emf)
