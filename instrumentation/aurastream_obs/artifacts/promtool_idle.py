"""promtool tests of idle windows: what the SLO rules and the budget and burn panels show when
nobody calls the service. An idle window has no SLI ratio (no sample, never 0/0 = NaN): it
burns no budget, so the burn panel shows 0 and the budget what traffic spent; a period without
any traffic has its whole budget. No alert fires.

Two timelines, per minute: traffic for 90 minutes then an idle hour and a quarter (counters
flat, as an exporter keeps them), and counters that never move."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from aurastream_obs.artifacts.grafana import expand
from aurastream_obs.artifacts.prometheus_rules import scope, slo_selector
from aurastream_obs.core.conventions import SLO_BUDGET_REMAINING, sli_error_ratio
from aurastream_obs.definitions import Definitions
from aurastream_obs.definitions import promql as q
from aurastream_obs.definitions.dashboards import BURN_WINDOWS, burn_target

ACTIVE: Final = 90  # minutes of traffic
IDLE: Final = 75  # then minutes without a request: past the 1h window
EVAL_TIME: Final = f"{ACTIVE + IDLE}m"


def _series(increments: Mapping[str, int], to: q.Scope, active: int) -> list[dict[str, str]]:
    """Each counter grows `active` minutes, then stays flat until the end."""
    total = ACTIVE + IDLE
    return [
        {"series": q.scoped(name, to),
         "values": f"0+{n}x{active} {n * active}+0x{total - active}" if active else f"0+0x{total}"}
        for name, n in increments.items()
    ]  # fmt: skip


# promtool compares values exactly: both sides are rounded to 1e-6 (`round` in PromQL is
# floor(v * (1 / to) + 0.5) / (1 / to); a NaN stays NaN and still fails).
_TO: Final = 1e-6


def _round(expr: str) -> str:
    return f"round({expr}, {_TO:g})"


def _sample(series: str, value: float) -> dict[str, Any]:
    inverse = 1.0 / _TO  # as Prometheus computes it (promql/functions.go, funcRound)
    return {"labels": series, "value": math.floor(value * inverse + 0.5) / inverse}


def _checks(defs: Definitions, env: str, ratios: Mapping[str, float]) -> list[dict[str, Any]]:
    """The 5m SLI has no sample; each SLO's budget is what the traffic spent (all of it left
    without traffic: `ratios` empty); the dashboard's burn panel shows 0 over the idle 1h and
    the traffic's burn over 6h."""
    checks: list[dict[str, Any]] = []
    for slo in defs.slos:
        sel = slo_selector(defs, env, slo.name)
        left = 1 - ratios.get(slo.name, 0.0) / slo.error_budget
        checks += [
            {"expr": f"{sli_error_ratio('5m')}{sel}", "eval_time": EVAL_TIME, "exp_samples": []},
            {"expr": _round(f"{SLO_BUDGET_REMAINING}{sel}"), "eval_time": EVAL_TIME,
             "exp_samples": [_sample(sel, left)]},
        ]  # fmt: skip
    values = {"$service": defs.service, "$environment": env}
    for window in BURN_WINDOWS:  # the panel's own expression, as Grafana sends it
        burns = {
            slo.name: 0.0 if window == "1h" else ratios.get(slo.name, 0.0) / slo.error_budget
            for slo in defs.slos
        }
        checks.append({
            "expr": _round(expand(burn_target(window).expr, values)), "eval_time": EVAL_TIME,
            "exp_samples": [_sample(slo_selector(defs, env, name), burn)
                            for name, burn in burns.items()],
        })  # fmt: skip
    return checks


def idle_tests(
    defs: Definitions,
    env: str,
    alerts: Sequence[str],
    increments: Mapping[str, int],
    ratios: Mapping[str, float],
) -> list[dict[str, Any]]:
    """The two idle timelines for the rules rendered for `env`: `increments` are one healthy
    minute of every counter, `ratios` the SLI error ratio per SLO they give."""
    here = scope(defs, env)
    silent = [{"eval_time": EVAL_TIME, "alertname": name, "exp_alerts": []} for name in alerts]
    return [
        {"name": f"{ACTIVE} minutes of traffic, then idle for {IDLE}: no NaN, no burn, "
         "the budget the traffic left, no alert", "interval": "1m",
         "input_series": _series(increments, here, ACTIVE),
         "promql_expr_test": _checks(defs, env, ratios), "alert_rule_test": silent},
        {"name": "never any traffic: the whole budget, no burn, no alert", "interval": "1m",
         "input_series": _series(increments, here, 0),
         "promql_expr_test": _checks(defs, env, {}), "alert_rule_test": silent},
    ]  # fmt: skip
