"""Customer health from real signals in local-mode files: synthetic customers whose usage
trend, own error rate and support tickets cover each branch of the guide's table, through
`build_analytics` and the `analytics` command (text, JSON, HTML)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aurastream_obs.ops.analytics.costs import SERVICES
from aurastream_obs.ops.analytics.figures import build_analytics
from aurastream_obs.ops.analytics.tickets import FileTicketSource
from aurastream_obs.ops.backends.local_files import LocalFilesBackend
from support.business_data import Synthetic, write_customers
from support.cli import run_command
from support.otlp_data import NOW_NS

NOW = NOW_NS / 1e9
CUSTOMERS = (
    Synthetic("steady"),
    Synthetic("dip", now=94),  # -6 %: -10
    Synthetic("falling", now=89),  # -11 %: -20
    Synthetic("flaky", now=97, failed=3),  # 3 % of 100 requests: -15
    Synthetic("failing", failed=3, throttled=3),  # 5.7 % (5xx and 429): at risk
    Synthetic("complains"),  # 3 tickets: -10
    Synthetic("angry"),  # 6 tickets: -20
    Synthetic("stopped", now=0),  # usage fell to zero: at risk
    Synthetic("sinking", now=80, failed=3, price=0.002),  # -20 %, 3.6 % errors, 3 tickets: 55
)
TICKETS = {"complains": 3, "angry": 6, "sinking": 3, "steady": 0}
EXPECTED = {"steady": 100, "dip": 90, "falling": 80, "flaky": 85, "failing": 70,
            "complains": 90, "angry": 80, "stopped": 80, "sinking": 55}  # fmt: skip


def _tickets(path: Path) -> Path:
    lines = ["id,customer_id,opened_at,subject"]
    for n, (customer, count) in enumerate(TICKETS.items()):
        lines += [f"T-{n}{i},{customer},2026-09-21T14:{i:02d}:00Z,help" for i in range(count)]
    lines.append("T-old,angry,2026-09-20T10:00:00Z,last month's")  # outside the period
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    _tickets(tmp_path / "tickets.csv")
    return write_customers(tmp_path, CUSTOMERS)


def test_every_branch_from_the_files(folder: Path) -> None:
    assert NOW == 1_790_000_000  # 2026-09-21T14:13:20Z: the tickets above are in its hour
    report = build_analytics(
        LocalFilesBackend(folder), "1h", tickets=FileTicketSource(folder / "tickets.csv")
    )
    scores = {row.customer_id: row.health.score for row in report.customers}
    assert scores == EXPECTED
    assert [row.customer_id for row in report.at_risk] == ["sinking", "failing", "stopped"]
    rows = {row.customer_id: row for row in report.customers}
    assert rows["failing"].health.error_rate_percent == pytest.approx(600 / 106)
    assert rows["sinking"].health.signals.tickets == 3
    assert rows["angry"].health.signals.tickets == 6  # last month's ticket not counted
    assert rows["dip"].health.signals.trend_percent == pytest.approx(-6.0)
    assert [f.name for f in rows["stopped"].health.factors] == ["usage", "no_usage"]
    assert report.previous_period_covered


def test_revenue_is_honest_about_its_period(folder: Path) -> None:
    report = build_analytics(LocalFilesBackend(folder), "1h")
    assert report.period.covered_days == pytest.approx(1 / 24)
    assert report.revenue.observed_usd == pytest.approx(sum(c.now * c.price for c in CUSTOMERS))
    assert report.revenue.monthly_usd is None  # one hour of data is no month
    assert "insufficient data: 1.0 hours of data" in report.revenue.note
    assert all(row.clv_usd is None for row in report.customers)
    weekly = build_analytics(LocalFilesBackend(folder), "1h", min_run_rate_days=1 / 48)
    acme = next(r for r in weekly.customers if r.customer_id == "steady")
    assert acme.run_rate.monthly_usd == pytest.approx(0.1 * 24 * 30)
    assert acme.clv_usd == pytest.approx(0.1 * 24 * 30 * 24)
    assert weekly.churn.at_risk == 3 and weekly.churn.monthly_at_risk_usd is not None


def test_cost_per_analysis_and_per_customer_cover_every_service(folder: Path) -> None:
    report = build_analytics(LocalFilesBackend(folder), "1h")
    unit = report.unit_cost
    assert unit is not None and set(unit.by_service) == set(SERVICES)
    assert all(value > 0 for value in unit.by_service.values()), unit.by_service
    assert report.cache_hit_ratio == pytest.approx(0.6)
    rows = {row.customer_id: row for row in report.customers}
    assert rows["steady"].cost_usd == pytest.approx(100 * unit.total)
    assert rows["stopped"].cost_usd == 0


def test_the_window_can_end_earlier(folder: Path) -> None:
    earlier = build_analytics(LocalFilesBackend(folder, end=NOW - 3600), "1h")
    usage = {row.customer_id: row.analyses for row in earlier.customers}
    assert usage["stopped"] == 100 and usage["sinking"] == 100  # the previous hour
    assert not earlier.previous_period_covered  # nothing before it


def test_command_text_json_and_html(folder: Path) -> None:
    page = folder / "report.html"
    code, out = run_command("analytics", [
        "--telemetry-dir", str(folder), "--tickets", str(folder / "tickets.csv"),
        "--html", str(page),
    ])  # fmt: skip
    assert code == 0
    assert "At risk (score under 70, no usage, or errors over 5 %): 3 of 9 customers" in out
    assert "  failing  score 70: error rate 5.7 % (6 of 106 requests failed; -30)" in out
    assert "MRR: insufficient data: 1.0 hours of data" in out
    assert "requests per second: peak" in out and "insufficient history" in out
    assert f"HTML report: {page}" in out
    html = page.read_text()
    assert html.count("<svg") == 4 and "<script" not in html and "src=" not in html
    assert "error rate 5.7 %" in html
    code, out = run_command("analytics", ["--telemetry-dir", str(folder), "--json",
                                          "--end", "2026-09-21T14:13:20Z"])  # fmt: skip
    document = json.loads(out)
    assert code == 0 and document["period"]["end"] == NOW
    # No ticket source: no ticket counted (sinking is at 65 without its 3 tickets).
    assert document["at_risk"] == ["sinking", "failing", "stopped"]
    assert {c["customer_id"]: c["support_tickets"] for c in document["customers"]}["angry"] is None
    assert document["revenue"]["monthly_usd"] is None
    assert document["dry_run"] is True
    assert {p["key"] for p in document["prices"]} >= {"lambda_request", "xray_trace"}
    assert all(p["source"].startswith("https://aws.amazon.com/") for p in document["prices"])


def test_command_refuses_a_bad_end(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:  # argparse: a usage error before anything runs
        run_command("analytics", ["--telemetry-dir", str(folder), "--end", "yesterday"])
    assert usage.value.code == 2
    assert "--end: 'yesterday': not ISO 8601 nor epoch seconds" in capsys.readouterr().err
