"""An X-Ray sampling API stand-in: `POST /GetSamplingRules` and `POST /SamplingTargets` answered
as X-Ray does through the collector's awsproxy or the X-Ray daemon (the API's JSON shapes),
from the rules and targets a test sets; every statistics document received is kept.

`transport` answers in-process, as `HttpTransport` would (unit tests); `start()` serves the
same answers over real HTTP on loopback (integration tests). Failure modes, flipped while it
runs: `status` (e.g. 500) and `garbage` (200 with a body that is not JSON).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aurastream_obs.sdk.xray_sampling_client import SamplingApiError


def api_rule(
    name: str, priority: int, reservoir: int = 0, rate: float = 0.0, **patterns: Any
) -> dict[str, Any]:
    """A SamplingRule as GetSamplingRules returns it (`patterns`: URLPath="/v1/*", ...)."""
    return {
        "RuleName": name,
        "RuleARN": f"arn:aws:xray:us-east-1:123456789012:sampling-rule/{name}",
        "ResourceARN": "*",
        "Priority": priority,
        "FixedRate": rate,
        "ReservoirSize": reservoir,
        "ServiceName": "*",
        "ServiceType": "*",
        "Host": "*",
        "HTTPMethod": "*",
        "URLPath": "*",
        "Version": 1,
        "Attributes": {},
        **patterns,
    }


class XRaySamplingStandIn:
    def __init__(self, rules: list[dict[str, Any]] | None = None) -> None:
        # Plain attributes a test changes while the stand-in runs.
        self.rules: list[dict[str, Any]] = rules or [api_rule("Default", 10000, 1, 0.05)]
        self.targets: dict[str, dict[str, Any]] = {}  # RuleName -> the rest of its target
        self.last_rule_modification = 0.0
        self.page_size: int | None = None  # paginate GetSamplingRules with NextToken
        self.status = 200
        self.garbage = False
        self.statistics: list[dict[str, Any]] = []  # every SamplingStatisticsDocument
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (path, request body)
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    # --- the API ---------------------------------------------------------------------------
    def answer(self, path: str, body: bytes) -> tuple[int, bytes]:
        request = json.loads(body or b"{}")
        with self._changed:
            self.calls.append((path, request))
            if path == "/SamplingTargets" and self.status == 200:
                self.statistics += request["SamplingStatisticsDocuments"]
            self._changed.notify_all()
        if self.status != 200:
            return self.status, b'{"message":"stand-in failure"}'
        if self.garbage:
            return 200, b"<html>not the X-Ray API</html>"
        if path == "/GetSamplingRules":
            return 200, json.dumps(self._rules_page(request.get("NextToken"))).encode()
        if path == "/SamplingTargets":
            return 200, json.dumps(self._targets(request)).encode()
        return 404, b'{"message":"unknown path"}'

    def _rules_page(self, token: str | None) -> dict[str, Any]:
        start = int(token or 0)
        end = len(self.rules) if self.page_size is None else start + self.page_size
        page: dict[str, Any] = {
            "SamplingRuleRecords": [
                {"CreatedAt": 1.7e9, "ModifiedAt": 1.7e9, "SamplingRule": rule}
                for rule in self.rules[start:end]
            ]
        }
        if end < len(self.rules):
            page["NextToken"] = str(end)
        return page

    def _targets(self, request: dict[str, Any]) -> dict[str, Any]:
        reported = {doc["RuleName"] for doc in request["SamplingStatisticsDocuments"]}
        return {
            "LastRuleModification": self.last_rule_modification,
            "SamplingTargetDocuments": [
                {"RuleName": name, **target}
                for name, target in self.targets.items()
                if name in reported
            ],
            "UnprocessedStatistics": [],
        }

    def transport(self, path: str, body: bytes) -> bytes:
        """In-process calls, failing as `HttpTransport` does on an error status."""
        status, data = self.answer(path, body)
        if status != 200:
            raise SamplingApiError(f"{path}: HTTP {status}")
        return data

    def count(self, path: str) -> int:
        with self._changed:
            return sum(1 for called, _ in self.calls if called == path)

    def wait_for(self, path: str, count: int, timeout_s: float = 10.0) -> bool:
        """Wait until `path` was called `count` times in all."""
        with self._changed:
            return self._changed.wait_for(lambda: self.count(path) >= count, timeout_s)

    # --- over HTTP -------------------------------------------------------------------------
    def start(self) -> XRaySamplingStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, data = stand_in.answer(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> XRaySamplingStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
