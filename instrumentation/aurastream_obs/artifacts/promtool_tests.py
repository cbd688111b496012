"""promtool unit tests for the rendered alert rules: every alert fires on a bad scenario and stays
silent on a healthy one. Scenarios are per-minute counter increments written by hand (what a bad
hour looks like); the expected alerts come from the rendered rules, and a rule without a
scenario fails the render so a new alert cannot ship untested."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.artifacts.prometheus_rules import (
    ALERT_RULES_PATH,
    SLO_RULES_PATH,
    alert_rules,
    iter_alerts,
)
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.core.conventions import SIGNAL_LABEL, SLO_LABEL
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions import promql as q

TESTS_PATH = "tests/promtool/aurastream-alerts.test.yaml"
MINUTES = 150
EVAL_TIME = "140m"  # past every `for` (max 30m) and the longest page window (6h partially)

_ROUTE = 'http_request_method="POST",http_route="/v1/analyze"'

# Per-minute increments per series. Healthy: 10 rps, all under 0.25 s, 80 % cache hits.
_HEALTHY: Final[Mapping[str, int]] = {
    f'{q.HTTP_COUNT}{{{_ROUTE},http_response_status_code="200"}}': 600,
    f'{q.HTTP_COUNT}{{{_ROUTE},http_response_status_code="500"}}': 0,
    **{
        f'{q.HTTP_BUCKET}{{{_ROUTE},http_response_status_code="200",le="{le}"}}': 600
        for le in ("0.25", "1.0", "2.0", "5.0", "+Inf")
    },
    f'{q.CACHE_LOOKUPS}{{aurastream_cache_hit="true"}}': 480,
    f'{q.CACHE_LOOKUPS}{{aurastream_cache_hit="false"}}': 120,
}


def _with(**changes: int) -> dict[str, int]:
    keys = {
        "errors": f'{q.HTTP_COUNT}{{{_ROUTE},http_response_status_code="500"}}',
        "ok": f'{q.HTTP_COUNT}{{{_ROUTE},http_response_status_code="200"}}',
        "hits": f'{q.CACHE_LOOKUPS}{{aurastream_cache_hit="true"}}',
        "misses": f'{q.CACHE_LOOKUPS}{{aurastream_cache_hit="false"}}',
    }
    keys |= {
        f"le_{le.replace('.', '_').replace('+', '')}": (
            f'{q.HTTP_BUCKET}{{{_ROUTE},http_response_status_code="200",le="{le}"}}'
        )
        for le in ("0.25", "1.0", "2.0", "5.0", "+Inf")
    }
    return {**_HEALTHY, **{keys[k]: v for k, v in changes.items()}}


SCENARIOS: Final[Mapping[str, Mapping[str, int]]] = {
    # 60 of 660 requests fail (9 %): every error budget and error threshold is exceeded.
    "server-errors": _with(errors=60),
    # Half the requests take 2-5 s: p99 ~ 4.9 s, latency SLO error ratio 50 %.
    "slow": _with(le_0_25=0, le_1_0=300, le_2_0=300),
    # 20 % cache hits.
    "cache-misses": _with(hits=120, misses=480),
    # 1,200 rps.
    "overload": _with(
        ok=72000, le_0_25=72000, le_1_0=72000, le_2_0=72000, le_5_0=72000, le_Inf=72000
    ),
}

# Which scenario must fire each alert, by its `signal` label.
FIRES_ON: Final[Mapping[str, str]] = {
    "availability-budget-burn": "server-errors",
    "error-rate-budget-burn": "server-errors",
    "latency-budget-burn": "slow",
    "error-rate": "server-errors",
    "availability": "server-errors",
    "latency-p99": "slow",
    "cache-hit-rate": "cache-misses",
    "throughput": "overload",
}


def _series(increments: Mapping[str, int]) -> list[dict[str, str]]:
    return [{"series": s, "values": f"0+{n}x{MINUTES}"} for s, n in increments.items()]


def _expected(rule: Mapping[str, Any], service: str) -> dict[str, Any]:
    labels = dict(rule["labels"])
    if SLO_LABEL in labels:  # the recorded SLI series carry service and slo
        labels["service"] = service
    return {"exp_labels": labels, "exp_annotations": dict(rule["annotations"])}


def promtool_tests() -> dict[str, Any]:
    defs = load_definitions()
    rules = list(iter_alerts(alert_rules(defs)))
    healthy_tests = [
        {"eval_time": EVAL_TIME, "alertname": r["alert"], "exp_alerts": []} for r in rules
    ]
    tests: list[dict[str, Any]] = [
        {"name": "healthy: no alert fires", "interval": "1m",
         "input_series": _series(_HEALTHY), "alert_rule_test": healthy_tests},
    ]  # fmt: skip
    for scenario, increments in SCENARIOS.items():
        firing = [r for r in rules if FIRES_ON.get(r["labels"][SIGNAL_LABEL]) == scenario]
        tests.append(
            {
                "name": f"{scenario}: {len(firing)} alerts fire",
                "interval": "1m",
                "input_series": _series(increments),
                "alert_rule_test": [
                    {
                        "eval_time": EVAL_TIME,
                        "alertname": r["alert"],
                        "exp_alerts": [_expected(r, defs.service)],
                    }
                    for r in firing
                ],
            }
        )
    if missing := [r["alert"] for r in rules if r["labels"][SIGNAL_LABEL] not in FIRES_ON]:
        raise ValueError(f"{TESTS_PATH}: no promtool scenario fires {missing}")
    return {
        "rule_files": [f"../../{SLO_RULES_PATH}", f"../../{ALERT_RULES_PATH}"],
        "evaluation_interval": "1m",
        "tests": tests,
    }


def artifacts() -> list[Artifact]:
    body = dump_yaml(promtool_tests())
    return [Artifact.text_file(TESTS_PATH, body, source="aurastream_obs.artifacts.promtool_tests")]
