"""The service's runbook controls: flags read from SSM with a TTL (the last values kept when
SSM fails), the breaker's 503 through the ASGI app, and the bounded recent-texts store."""

from __future__ import annotations

from typing import Any

from aurastream_obs.service import CustomerDirectory, LexiconAnalyzer, TTLCache, create_app
from aurastream_obs.service.controls import RecentTexts, ServiceControls
from aurastream_obs.service.flags import Flags, SsmFlags, StaticFlags, parse_flags
from support.asgi_client import request


class FakeSsm:
    """`get_parameters` answering `values` (name -> value), or raising while `down`."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.calls = 0
        self.down = False

    def get_parameters(self, Names: list[str]) -> dict[str, Any]:
        self.calls += 1
        if self.down:
            raise ConnectionError("SSM unreachable")
        return {"Parameters": [{"Name": n, "Value": self.values[n]} for n in Names
                               if n in self.values]}  # fmt: skip


def test_ssm_flags_are_cached_for_the_ttl_and_kept_when_ssm_fails() -> None:
    ssm, now = FakeSsm(), [0.0]
    flags = SsmFlags("/aurastream/prod", ssm, ttl_s=10, clock=lambda: now[0])
    ssm.values["/aurastream/prod/circuit-breaker"] = "open"
    assert flags.current().circuit_open and ssm.calls == 1
    ssm.values["/aurastream/prod/circuit-breaker"] = "closed"
    now[0] = 9.9
    assert flags.current().circuit_open and ssm.calls == 1  # cached
    now[0] = 10.0
    assert not flags.current().circuit_open and ssm.calls == 2
    ssm.values["/aurastream/prod/analyzer-failover"] = "lexicon"
    ssm.down = True
    now[0] = 25.0
    assert flags.current() == Flags()  # SSM down: the last values, not an error
    assert ssm.calls == 3
    now[0] = 26.0
    flags.current()
    assert ssm.calls == 3  # and not hammered: retried after the TTL


def test_flag_values() -> None:
    assert parse_flags({"circuit-breaker": " OPEN "}).circuit_open
    assert not parse_flags({"circuit-breaker": "half-open"}).circuit_open
    assert parse_flags({"analyzer-failover": "comprehend"}).failover == "comprehend"
    assert parse_flags({"analyzer-failover": "off"}).failover is None
    assert parse_flags({"analyzer-failover": "gpt"}).failover is None
    assert parse_flags({"cache-warm": "2025-01-02T10:00:00+00:00"}).warm_request


def test_the_breaker_answers_503_with_retry_after_through_the_app(telemetry: Any) -> None:
    flags = StaticFlags()
    app = create_app(
        analyzer=LexiconAnalyzer(), cache=TTLCache(), customers=CustomerDirectory({"k": "c"}),
        tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider,
        controls=ServiceControls(flags),
    )  # fmt: skip

    def analyze(text: str) -> Any:
        return request(
            app, "POST", "/v1/analyze", json={"text": text}, headers=[("x-api-key", "k")]
        )

    assert analyze("known text").status == 200
    flags.set(circuit_open=True)
    shed = analyze("new text")
    assert (shed.status, shed.header("retry-after")) == (503, "30")
    assert shed.json()["error"]["code"] == "circuit_open"
    assert analyze("known text").json()["cached"] is True
    codes = {p.attributes["http.response.status_code"]: p.count
             for p in telemetry.points("http.server.request.duration")}  # fmt: skip
    assert codes.get(503) == 1  # a shed request counts against availability


def test_recent_texts_keep_the_most_requested_within_their_bound() -> None:
    recent = RecentTexts(max_entries=3)
    for key, times in (("a", 1), ("b", 3), ("c", 2)):
        for _ in range(times):
            recent.record(key, f"text {key}", "en")
    assert [k for k, _, _ in recent.popular(2)] == ["b", "c"]
    recent.record("d", "text d", "en")  # "a" was requested least recently: evicted
    assert len(recent) == 3 and {k for k, _, _ in recent.popular(10)} == {"b", "c", "d"}
