"""The analytics' parts on their own: the capacity forecast, the cost model and its prices,
the ticket sources, the S3 rules, and a missing AWS capability named in one line."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest

from aurastream_obs.ops.analytics import costs as k
from aurastream_obs.ops.analytics import forecast as f
from aurastream_obs.ops.analytics import storage as s
from aurastream_obs.ops.analytics.prices import DEFAULT_PRICES, PRICE_LIST, load_prices
from aurastream_obs.ops.analytics.recommend import Recommendation, missing_capability
from aurastream_obs.ops.analytics.tickets import (
    FileTicketSource,
    TicketSourceError,
    load_ticket_source,
)

DAY = 86400.0
UTC = dt.UTC


def _series(days: float, value: Any, step: float = 3600) -> tuple[list[float], list[float]]:
    times = [i * step for i in range(int(days * DAY / step) + 1)]
    return times, [value(t) for t in times]


def _cycle(t: float) -> float:
    return 300 + 200 * math.sin(2 * math.pi * t / DAY)


def test_forecast_of_a_growing_peak() -> None:
    times, values = _series(10, lambda t: _cycle(t) + 40 * t / DAY)
    fc = f.forecast("requests per second", 1000, times, values)
    assert fc.slope_per_day == pytest.approx(40, rel=0.02)
    assert fc.current_peak == pytest.approx(500 + 40 * 9.25)  # the last whole day's peak
    assert fc.days_until_limit == pytest.approx((1000 - 870) / 40, rel=0.05)
    assert fc.status.startswith("reaches 1,000 in ")


def test_a_daily_cycle_is_not_growth() -> None:
    fc = f.forecast("rps", 1000, *_series(10, _cycle))
    assert fc.slope_per_day == pytest.approx(0, abs=0.5)
    assert fc.days_until_limit is None and fc.status == "not growing: no date"


def test_short_history_and_over_the_limit() -> None:
    short = f.forecast("rps", 1000, *_series(1.5, _cycle))
    assert short.slope_per_day is None and short.status.startswith("insufficient history")
    over = f.forecast("rps", 100, *_series(10, _cycle))
    assert over.status == "at or over the limit now"
    assert f.forecast("rps", 1000, [], []).status == "no data"


def test_cost_of_one_analysis_by_service() -> None:
    inputs = k.CostInputs(
        analyses=1_000_000, window_days=30, miss_ratio=0.4, median_latency_s=0.1,
        requests_per_second=10.0, customers=3,
    )  # fmt: skip
    unit = k.per_analysis(inputs)
    assert unit is not None
    cost = unit.by_service
    assert cost["api_gateway"] == pytest.approx(1.00 / 1e6)
    assert cost["lambda"] == pytest.approx(0.20 / 1e6 + 0.0000166667 * 0.1 * 0.5)
    assert cost["dynamodb"] == pytest.approx(0.5 * 0.125 / 1e6 + 0.4 * 0.625 / 1e6)
    assert cost["comprehend"] == pytest.approx(0.4 * 3 * 0.0001)  # 3-unit minimum
    assert cost["xray"] == pytest.approx((1 + 0.05 * 9) / 10 * 5.00 / 1e6)
    logs_gb = 1200 / 1e9
    assert cost["cloudwatch_logs"] == pytest.approx(logs_gb * 0.50 + logs_gb * 0.15 * 0.03)
    assert cost["s3"] == pytest.approx(logs_gb * 0.15 * 0.023)
    assert cost["cloudwatch_metrics"] == pytest.approx(
        k.monthly_metric_cost(3, DEFAULT_PRICES) / 1e6
    )
    assert k.monthly_metric_cost(3, DEFAULT_PRICES) == k.monthly_metric_cost(3000, DEFAULT_PRICES)
    per = k.per_customer({"a": 10, "b": 0}, unit)
    assert per["a"].total == pytest.approx(10 * unit.total) and per["b"].total == 0
    assert k.per_analysis(k.CostInputs(0, 1, None, None, None)) is None


def test_prices_carry_source_and_date_and_can_be_overridden(tmp_path: Path) -> None:
    assert all(p.source.startswith("https://aws.amazon.com/") and p.as_of for p in PRICE_LIST)
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"comprehend_unit": 0.00005}))
    table = load_prices(path)
    assert table["comprehend_unit"] == 0.00005 and table["lambda_request"] == 0.20 / 1e6
    path.write_text(json.dumps({"comprehend": 1}))
    with pytest.raises(ValueError, match=r"unknown keys \[.comprehend.\]"):
        load_prices(path)


def test_ticket_files_csv_and_json(tmp_path: Path) -> None:
    start, end = dt.datetime(2026, 12, 1, tzinfo=UTC), dt.datetime(2026, 12, 2, tzinfo=UTC)
    csv_file = tmp_path / "t.csv"
    csv_file.write_text("customer_id,opened_at,status\nacme,2026-12-01T10:00:00Z,open\n"
                        "acme,2026-12-01 23:59:59,closed\nglobex,2026-12-02,open\n")  # fmt: skip
    assert FileTicketSource(csv_file).count_by_customer(start, end) == {"acme": 2}
    json_file = tmp_path / "t.json"
    json_file.write_text(json.dumps({"tickets": [
        {"customer_id": "initech", "opened_at": "2026-12-01T05:00:00+02:00"}]}))  # fmt: skip
    assert load_ticket_source(str(json_file)).count_by_customer(start, end) == {"initech": 1}
    csv_file.write_text("customer_id,opened_at\nacme,\n")
    with pytest.raises(TicketSourceError, match="ticket 1 has no opened_at"):
        FileTicketSource(csv_file).tickets()
    csv_file.write_text("customer_id,opened_at\nacme,soon\n")
    with pytest.raises(TicketSourceError, match="opened_at 'soon' is not ISO 8601"):
        FileTicketSource(csv_file).tickets()


class Helpdesk:
    name = "helpdesk stand-in"

    def count_by_customer(self, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
        return {"acme": 7}


def helpdesk() -> Helpdesk:
    return Helpdesk()


def not_a_source() -> dict[str, int]:
    return {}


def test_a_ticket_source_plugs_in_by_name() -> None:
    source = load_ticket_source(f"{__name__}:helpdesk")
    assert source.name == "helpdesk stand-in"
    with pytest.raises(TicketSourceError, match="dict has no name/count_by_customer"):
        load_ticket_source(f"{__name__}:not_a_source")
    with pytest.raises(TicketSourceError, match="no_such_module"):
        load_ticket_source("no_such_module:factory")


def _obj(key: str, days: float, size: int = 10_000, cls: str = "STANDARD") -> s.StoredObject:
    now = dt.datetime(2026, 12, 7, tzinfo=UTC)
    return s.StoredObject(key, size, now - dt.timedelta(days=days), cls)


def test_s3_rules() -> None:
    now = dt.datetime(2026, 12, 7, tzinfo=UTC)
    objects = [_obj("logs/new.jsonl", 0.5), _obj("logs/a.jsonl", 40),
               _obj("logs/b.jsonl.gz", 40), _obj("logs/old.jsonl", 200),
               _obj("logs/cold.jsonl", 200, cls="GLACIER")]  # fmt: skip
    recs = {rec.kind: rec for rec in s.storage_recommendations("bkt", objects, [], now)}
    assert set(recs) == {"s3_lifecycle", "s3_compression", "s3_archive"}
    assert recs["s3_compression"].current == "2 objects uncompressed (0.000 GB)"  # a and old
    assert recs["s3_archive"].current.startswith("1 object over 90 days")  # old
    assert all((rec.saving_usd_month or 0) > 0 for rec in recs.values())
    tiered = s.storage_recommendations("bkt", objects, [s.TIERING_RULE], now)
    assert "s3_lifecycle" not in {rec.kind for rec in tiered}
    assert s.storage_recommendations("bkt", [_obj("x.jsonl", 0.1)], [s.TIERING_RULE], now) == []


def _client_error(code: str, operation: str) -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": "<html>404 Not Found</html>"}},
                       operation)  # fmt: skip


def test_a_missing_capability_is_one_line_naming_the_operation() -> None:
    line = missing_capability(_client_error("404", "GetProvisionedConcurrencyConfig"), "lambda")
    assert line == (
        "lambda:GetProvisionedConcurrencyConfig is not available at this endpoint (answered "
        "404: the operation is not implemented there)"
    )
    assert "\n" not in line
    assert missing_capability(_client_error("AccessDeniedException", "GetX"), "lambda") is None
    assert missing_capability(ValueError("x"), "lambda") is None
    rec = Recommendation("lambda_memory", "fn", 1024, 256, "r", error=line)
    assert rec.state == "FAILED"
    assert Recommendation("s3_lifecycle", "b", None, None, "", error=line).state == "unavailable"
