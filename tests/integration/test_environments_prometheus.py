"""Two environments in one Prometheus (Debian's, real): the reference service in local mode
twice, `local` healthy and `staging` failing every analysis, both scraped under one job. The
rules rendered for `local` (the committed ones, evaluated every second instead of every
minute) record and alert on `local` only; a Grafana panel, its variables expanded, shows each
environment its own errors; the error budget is a number, never NaN; `kpi --prometheus
--environment` and `analytics --prometheus --environment` report on that environment only."""

from __future__ import annotations

import json
import math
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from aurastream_obs.artifacts.grafana import dashboard_document, expand
from aurastream_obs.artifacts.prometheus_rules import Profile, alert_rules, slo_rules
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.definitions import load_definitions
from support.cli import run_command
from support.local_service import JOB, local_service
from support.promstack import start_prometheus, wait_until
from support.scraped_service import FailingAnalyzer
from support.service_client import analyze

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def _traffic(urls: list[str], stop: threading.Event) -> None:
    for i in range(1_000_000):
        if stop.is_set():
            return
        for url in urls:
            analyze(url, f"boom {i}")  # always a miss: the failing analyzer answers 500
        time.sleep(0.05)


def test_rules_and_panels_keep_environments_apart(tmp_path: Path) -> None:
    defs, every_second = load_definitions(), Profile(interval="1s")
    rules = []
    for name, document in (("slo", slo_rules(defs, "local", every_second)),
                           ("alerts", alert_rules(defs, "local", every_second))):  # fmt: skip
        rules.append(tmp_path / f"{name}.rules.yaml")
        rules[-1].write_text(dump_yaml(document))
    stop = threading.Event()
    with ExitStack() as stack:
        local_url, local_port = stack.enter_context(
            local_service(tmp_path / "local", env={"AURASTREAM_ENVIRONMENT": "local"})
        )
        staging_url, staging_port = stack.enter_context(
            local_service(tmp_path / "staging", analyzer=FailingAnalyzer(),
                          env={"AURASTREAM_ENVIRONMENT": "staging"})
        )  # fmt: skip
        config = (
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"scrape_configs:\n  - job_name: {JOB}\n    static_configs:\n"
            f"      - targets: ['127.0.0.1:{local_port}', '127.0.0.1:{staging_port}']\n"
        )
        prom = stack.enter_context(start_prometheus(config, rules=rules))
        traffic = threading.Thread(target=_traffic, args=([local_url, staging_url], stop))
        traffic.start()
        stack.callback(traffic.join, 10)
        stack.callback(stop.set)

        ratio = 'slo:sli_error:ratio_rate5m{slo="availability"}'
        wait_until(lambda: bool(prom.query(ratio)), timeout=60, what=f"{ratio} recorded")
        wait_until(
            lambda: bool(prom.query('http_server_request_duration_seconds_count{'
                                    'deployment_environment_name="staging",'
                                    'http_response_status_code="500"}')),
            timeout=30, what="the staging 500s scraped",
        )  # fmt: skip
        # Two evaluations of every rule group with both environments' traffic in the TSDB.
        prom.wait_for_evaluations_after(time.time(), seconds=2)
        (recorded,) = prom.query(ratio)  # one series: the environment the rules are for
        assert recorded["metric"]["environment"] == "local"
        assert recorded["metric"]["service"] == JOB
        assert float(recorded["value"][1]) == 0.0  # staging's 100 % errors are not counted
        budget = prom.query('slo:period_error_budget_remaining:ratio{slo="availability"}')
        assert [float(b["value"][1]) for b in budget] == [1.0]
        assert not any(a["labels"].get("environment") == "staging" for a in prom.alerts())

        panel = next(
            p for p in dashboard_document(defs.dashboards[0])["panels"]
            if p["title"] == "API requests and errors"
        )  # fmt: skip
        errors = next(t["expr"] for t in panel["targets"] if t["legendFormat"] == "5xx")
        for environment, failing in (("staging", True), ("local", False)):
            values = {"$__rate_interval": "15s", "$service": JOB, "$environment": environment}
            result = prom.query(expand(errors, values))
            rate = float(result[0]["value"][1]) if result else 0.0
            assert not math.isnan(rate) and (rate > 0) == failing, (environment, result)

        for environment, availability in (("staging", 0.0), ("local", 100.0)):
            args = ["--prometheus", prom.url, "--environment", environment, "--window", "1m"]
            code, out = run_command("kpi", [*args, "--json"])
            report = json.loads(out)
            value = report["kpis"]["availability"]["value"]
            assert value == pytest.approx(availability, abs=1), environment
            assert ("availability" in report["breached"]) == (environment == "staging")
            assert code == 1  # every text is new: the cache-hit-rate SLO is breached in both

        for environment, error_rate in (("staging", 100.0), ("local", 0.0)):
            args = ["--prometheus", prom.url, "--environment", environment, "--window", "1m"]
            code, out = run_command("analytics", [*args, "--json"])
            assert code == 0, out
            report = json.loads(out)
            (customer,) = report["customers"]  # one customer, its requests in this env only
            assert customer["error_rate_percent"] == pytest.approx(error_rate), environment
            assert report["at_risk"] == (["acme-corp"] if error_rate else []), environment
            assert (report["analyses"] > 0) == (environment == "local")
