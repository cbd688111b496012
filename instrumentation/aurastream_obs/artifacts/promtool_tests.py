"""promtool unit tests for the rendered alert rules: every alert fires on a bad scenario and stays
silent on a healthy one. Scenarios are per-minute counter increments written by hand (what a bad
hour looks like); the expected alerts come from the rendered rules, and a rule without a
scenario fails the render so a new alert cannot ship untested.

Every series carries the identity of the environment the rules are rendered for; the healthy
test adds another environment and another service failing hard, which must page nobody here.
promtool_idle.py adds the idle hours: no NaN, no burn, the budget whole."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.artifacts.prometheus_rules import (
    ALERT_RULES_PATH,
    SLO_RULES_PATH,
    alert_rules,
    iter_alerts,
    scope,
    value_text,
)
from aurastream_obs.artifacts.promtool_idle import idle_tests
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.core.conventions import PROMETHEUS_ENV, SIGNAL_LABEL, prometheus_le
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions import promql as q
from aurastream_obs.definitions.sources import go_le

TESTS_PATH = "tests/promtool/aurastream-alerts.test.yaml"
MINUTES = 150
EVAL_TIME = "140m"  # past every `for` (max 30m) and the longest page window (6h partially)

_ROUTE = 'http_request_method="POST",http_route="/v1/analyze"'
_BOUNDS: Final = (0.25, 1.0, 2.0, 5.0)
# How stores spell the same bucket bounds: the Python client's text format (and Prometheus 3 on
# scrape) writes `le="1.0"`, the collector's prometheusremotewrite translator and Prometheus'
# OTLP ingestion write `le="1"` (Go's FormatFloat 'f', -1). Every scenario is fed in both.
LE_SPELLINGS: Final[Mapping[str, tuple[str, ...]]] = {
    "scraped": (*(prometheus_le(b) for b in _BOUNDS), "+Inf"),
    "remote-write": (*(go_le(b) for b in _BOUNDS), "+Inf"),
}


# Failed authentications per minute: a few typos (5 per 5 minutes) are healthy.
_FAILED_AUTH = 'aurastream_security_event="failed_authentication"'
_AUTH_FAILURES = 1


def _bucket(le: str) -> str:
    return f'{q.HTTP_BUCKET}{{{_ROUTE},http_response_status_code="200",le="{le}"}}'


def _scenario(
    spelling: str, *, le_counts: tuple[int, ...] = (600,) * 5, **changes: int
) -> dict[str, int]:
    """Per-minute increments; healthy: 10 rps, all under 0.25 s, 80 % cache hits.
    `le_counts` are the cumulative bucket increments for 0.25, 1, 2, 5 s and +Inf."""
    keys = {
        "errors": f'{q.HTTP_COUNT}{{{_ROUTE},http_response_status_code="500"}}',
        "ok": f'{q.HTTP_COUNT}{{{_ROUTE},http_response_status_code="200"}}',
        "hits": f'{q.CACHE_LOOKUPS}{{aurastream_cache_hit="true"}}',
        "misses": f'{q.CACHE_LOOKUPS}{{aurastream_cache_hit="false"}}',
        "auth_failures": f"{q.SECURITY_EVENTS}{{{_FAILED_AUTH}}}",
    }
    healthy = {"errors": 0, "ok": 600, "hits": 480, "misses": 120, "auth_failures": _AUTH_FAILURES}
    series = {keys[k]: v for k, v in {**healthy, **changes}.items()}
    buckets = {_bucket(le): n for le, n in zip(LE_SPELLINGS[spelling], le_counts, strict=True)}
    return {**series, **buckets}


CHANGES: Final[Mapping[str, Mapping[str, Any]]] = {
    "healthy": {},
    # 60 of 660 requests fail (9 %): every error budget and error threshold is exceeded.
    "server-errors": {"errors": 60},
    # Half the requests take 2-5 s: p99 ~ 4.9 s, latency SLO error ratio 50 %.
    "slow": {"le_counts": (0, 300, 300, 600, 600)},
    # 20 % cache hits.
    "cache-misses": {"hits": 120, "misses": 480},
    # 1,200 rps.
    "overload": {"ok": 72000, "le_counts": (72000,) * 5},
    # 30 failed authentications a minute (150 per 5 minutes): credential stuffing.
    "credential-stuffing": {"auth_failures": 30},
    # The traffic before the idle hour (promtool_idle.py): 1 failure in 2,000, under every burn.
    "trickle": {"errors": 1, "ok": 1999, "le_counts": (2000,) * 5},
}


def _scenarios(spelling: str) -> dict[str, dict[str, int]]:
    return {name: _scenario(spelling, **changes) for name, changes in CHANGES.items()}


def _measured(signal: str, scenario: str) -> float:
    """The value each alert's expression computes on a scenario (constant increments, so every
    window holds the same ratios): what its `value` annotation must show."""
    changes = CHANGES[scenario]
    n = {"errors": 0, "ok": 600, "hits": 480, "misses": 120, "auth_failures": _AUTH_FAILURES}
    n.update({k: v for k, v in changes.items() if k != "le_counts"})
    le: tuple[int, ...] = changes.get("le_counts", (600,) * 5)
    total = n["errors"] + n["ok"]
    if signal == "latency-p99":  # histogram_quantile: linear inside the bucket holding rank
        rank = 0.99 * le[-1]
        i = next(i for i, count in enumerate(le) if count >= rank)
        lower, low_count = (_BOUNDS[i - 1], le[i - 1]) if i else (0.0, 0)
        return lower + (_BOUNDS[i] - lower) * (rank - low_count) / (le[i] - low_count)
    return {
        "availability-budget-burn": n["errors"] / total,
        "error-rate-budget-burn": n["errors"] / total,
        "latency-budget-burn": 1 - le[1] / total,
        "error-rate": 100 * n["errors"] / total,
        "availability": 100 - 100 * n["errors"] / total,
        "cache-hit-rate": 100 * n["hits"] / (n["hits"] + n["misses"]),
        "throughput": total / 60,
        "failed-authentication": 5 * n["auth_failures"],  # increase over 5m
    }[signal]


def _slo_ratio(slo: str, scenario: str) -> float:
    """An SLO's error ratio on a scenario (its burn-rate signal's value; cache hits by their
    threshold alert's percentage, having no burn-rate alert)."""
    if slo == "cache-hit-rate":
        return 1 - _measured("cache-hit-rate", scenario) / 100
    return _measured(f"{slo}-budget-burn", scenario)


# Which scenario must fire each alert, by its `signal` label.
SCENARIOS: Final = ("server-errors", "slow", "cache-misses", "overload", "credential-stuffing")
FIRES_ON: Final[Mapping[str, str]] = {
    "availability-budget-burn": "server-errors",
    "error-rate-budget-burn": "server-errors",
    "latency-budget-burn": "slow",
    "error-rate": "server-errors",
    "availability": "server-errors",
    "latency-p99": "slow",
    "cache-hit-rate": "cache-misses",
    "throughput": "overload",
    "failed-authentication": "credential-stuffing",
}


def _series(increments: Mapping[str, int], to: q.Scope) -> list[dict[str, str]]:
    return [
        {"series": q.scoped(s, to), "values": f"0+{n}x{MINUTES}"} for s, n in increments.items()
    ]


def _elsewhere(spelling: str, here: q.Scope) -> list[dict[str, str]]:
    """The server-errors, slow and credential-stuffing hours at once, in another environment
    and in another service of this one: rules rendered for `here` must not see them."""
    worst = _scenario(spelling, errors=600, le_counts=(0, 0, 0, 1200, 1200), auth_failures=60)
    return [
        *_series(worst, q.Scope(here.service, f"{here.environment}-other")),
        *_series(worst, q.Scope(f"{here.service}-other", here.environment)),
    ]


def _expected(rule: Mapping[str, Any], scenario: str, units: Mapping[str, str]) -> dict[str, Any]:
    labels = dict(rule["labels"])  # the recorded SLI series carry the same service/environment
    unit = None if "slo" in labels else units[labels[SIGNAL_LABEL]]  # burn rates show a ratio
    measured = _measured(labels[SIGNAL_LABEL], scenario)
    annotations = dict(rule["annotations"], value=value_text(unit, measured))
    return {"exp_labels": labels, "exp_annotations": annotations}


def promtool_tests(env: str = PROMETHEUS_ENV) -> dict[str, Any]:
    defs = load_definitions()
    rules = list(iter_alerts(alert_rules(defs, env)))
    here = scope(defs, env)
    units = {alarm.name: alarm.unit for alarm in defs.alarms}
    tests: list[dict[str, Any]] = []
    for spelling, les in LE_SPELLINGS.items():
        scenarios = _scenarios(spelling)
        where = f"le as {spelling} ({', '.join(les[:2])}, ...)"
        healthy_tests = [
            {"eval_time": EVAL_TIME, "alertname": r["alert"], "exp_alerts": []} for r in rules
        ]
        tests.append(
            {"name": f"healthy, {where}, another environment and service failing: no alert "
             "fires", "interval": "1m",
             "input_series": [*_series(scenarios["healthy"], here), *_elsewhere(spelling, here)],
             "alert_rule_test": healthy_tests}
        )  # fmt: skip
        for scenario in SCENARIOS:
            firing = [r for r in rules if FIRES_ON.get(r["labels"][SIGNAL_LABEL]) == scenario]
            tests.append(
                {
                    "name": f"{scenario}, {where}: {len(firing)} alerts fire",
                    "interval": "1m",
                    "input_series": _series(scenarios[scenario], here),
                    "alert_rule_test": [
                        {
                            "eval_time": EVAL_TIME,
                            "alertname": r["alert"],
                            "exp_alerts": [_expected(r, scenario, units)],
                        }
                        for r in firing
                    ],
                }
            )
    if missing := [r["alert"] for r in rules if r["labels"][SIGNAL_LABEL] not in FIRES_ON]:
        raise ValueError(f"{TESTS_PATH}: no promtool scenario fires {missing}")
    ratios = {slo.name: _slo_ratio(slo.name, "trickle") for slo in defs.slos}
    trickle = _scenario("scraped", **CHANGES["trickle"])
    tests += idle_tests(defs, env, [r["alert"] for r in rules], trickle, ratios)
    return {
        "rule_files": [f"../../{SLO_RULES_PATH}", f"../../{ALERT_RULES_PATH}"],
        "evaluation_interval": "1m",
        "tests": tests,
    }


def artifacts() -> list[Artifact]:
    body = dump_yaml(promtool_tests())
    return [Artifact.text_file(TESTS_PATH, body, source="aurastream_obs.artifacts.promtool_tests")]
