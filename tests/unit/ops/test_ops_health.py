"""Health checks: folding, timeouts, failures as results, HTTP probes against a real local
server, the service's /v1/health verdict, and the command's JSON."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest

from aurastream_obs.ops import health_probes as p
from aurastream_obs.ops.health import HealthCheck, Probe, run_checks
from support.budgets import assert_within_budget
from support.cli import run_command


def _ok() -> Probe:
    return Probe("healthy", {"x": 1})


def _boom() -> Probe:
    raise ConnectionError("refused")


def test_folding_critical_and_non_critical() -> None:
    degraded = run_checks([HealthCheck("api", _ok), HealthCheck("s3", _boom, critical=False)])
    assert degraded.status == "degraded" and degraded.exit_code == 3
    (s3,) = [c for c in degraded.checks if c.name == "s3"]
    assert s3.status == "unhealthy" and "ConnectionError: refused" in s3.detail["error"]
    unhealthy = run_checks([HealthCheck("api", _boom), HealthCheck("s3", _ok, critical=False)])
    assert unhealthy.status == "unhealthy" and unhealthy.exit_code == 1
    assert run_checks([HealthCheck("api", _ok)]).status == "healthy"


def test_checks_run_concurrently_and_a_hung_one_times_out() -> None:
    release = threading.Event()

    def slow() -> Probe:
        time.sleep(0.4)  # the scenario: a slow dependency
        return Probe("healthy")

    def hung() -> Probe:
        release.wait(10)  # the scenario: a dependency that never answers (until released)
        return Probe("healthy")

    started = time.monotonic()
    checks = [HealthCheck(f"slow{i}", slow) for i in range(4)] + [HealthCheck("hung", hung)]
    try:
        report = run_checks(checks, timeout_s=1.0)
        assert_within_budget(time.monotonic() - started, 1.0, "the checks")  # not 4 x 0.4 + 10 s
    finally:
        release.set()
    statuses = {c.name: c.status for c in report.checks}
    assert statuses["hung"] == "unhealthy" and statuses["slow0"] == "healthy"
    assert report.to_dict()["checks"]["hung"]["error"] == "timed out after 1 s"


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, bytes]]] = {}

    def do_GET(self) -> None:
        status, body = self.routes.get(self.path, (404, b"{}"))
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_http_probes(server: str) -> None:
    _Handler.routes = {
        "/v1/health": (200, json.dumps({"status": "ok", "health": "degraded"}).encode()),
        "/-/ready": (503, b"not ready"),
        "/": (200, b"{}"),
    }
    report = run_checks([
        p.api_check(server), p.prometheus_check(server), p.collector_check(server + "/"),
    ])  # fmt: skip
    statuses = {c.name: (c.status, c.critical) for c in report.checks}
    assert statuses == {
        "api": ("degraded", True),
        "prometheus": ("unhealthy", False),
        "collector": ("healthy", False),
    }
    assert report.status == "degraded"


def test_cli_json(server: str) -> None:
    _Handler.routes = {"/v1/health": (200, b'{"status": "ok", "health": "healthy"}')}
    code, out = run_command("health", ["--api-url", server, "--prometheus", server, "--json"])
    document = json.loads(out)
    assert code == 3 and document["status"] == "degraded"
    assert document["checks"]["api"]["status"] == "healthy"
    assert document["checks"]["prometheus"]["http"] == 404
    assert document["checks"]["prometheus"]["critical"] is False


def test_cli_unreachable_api_is_unhealthy() -> None:
    code, out = run_command("health", ["--api-url", "http://127.0.0.1:9", "--timeout", "2"])
    assert code == 1 and "overall: unhealthy" in out and "[FAIL] api" in out


def test_cli_needs_something_to_check() -> None:
    assert run_command("health", [])[0] == 2  # a usage error
