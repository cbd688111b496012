"""promtool unit tests for the predictive rules: synthetic series over 8 days, per minute.

The daily cycle (four 6-hour blocks a day: request rate 20, 60, 100 and 40 per second; p99
0.375 s off-peak, 0.75 s at peak; 0.5 % errors) runs for 8 days, then one signal at a time
steps for an hour, with an hour back to normal in between:
- day 7, 23:00 (the cycle alone): no predictive alert fires;
- day 8, 00:00-01:00 traffic at 10 %: at 01:00 the request-rate anomaly fires, nothing else;
- 02:00-03:00 errors at 8 %: at 03:00 the error-rate anomaly fires, nothing else;
- 04:00-05:00 p99 at 1.5 s: at 05:00 the latency anomaly fires, nothing else.
A second series, `slow drift`, creeps for 8 days: errors from 0.1 % by 0.08 %/day, p99 from
0.55 s by 0.045 s/day, the request rate by 50/s a day on top of the cycle and the requests in
flight with it (mean duration 0.9 s). Each stays under its threshold, yet at 8d02h the drift
and capacity alerts fire and the anomaly alerts do not (a week's drift is inside the band).

Counters are written as `a+bxn` segments (one per block; a 3-hour staircase for the drift),
with the identity of the environment the rules are rendered for. Each alert's `value` is its
signal at that moment, known from the timeline (`_signal_now`). Each timeline is evaluated
every 10 minutes over 8 days: a few seconds of promtool each."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from aurastream_obs.artifacts.files import Artifact
from aurastream_obs.artifacts.prometheus_predictive import RULES_PATH, predictive_rules
from aurastream_obs.artifacts.prometheus_rules import iter_alerts, value_text
from aurastream_obs.artifacts.yamltext import dump_yaml
from aurastream_obs.core.conventions import PROMETHEUS_ENV, SIGNAL_LABEL, prometheus_le
from aurastream_obs.definitions import predictive as p
from aurastream_obs.definitions import promql as q
from aurastream_obs.definitions.deployment import SERVICE_NAME

TESTS_PATH: Final = "tests/promtool/aurastream-predictive.test.yaml"
DAY_MIN: Final = 1440
STEP_AT: Final = 8 * DAY_MIN  # the steps start on day 8
END: Final = STEP_AT + 300  # minutes of input
BOUNDS: Final = (0.25, 0.5, 1.0, 2.0)
_ROUTE = 'http_request_method="POST",http_route="/v1/analyze"'


@dataclass(frozen=True)
class Minute:
    """One minute of traffic: requests per second, error share, the share of requests in
    the p99's bucket and which bucket (index into BOUNDS), mean duration (s)."""

    rps: float
    errors: float = 0.005
    tail: float = 0.02
    tail_bucket: int = 1  # (0.25, 0.5]: p99 0.375 s
    mean_s: float = 0.1


def _cycle(minute: int) -> Minute:
    block = (minute % DAY_MIN) // 360
    rps = (20, 60, 100, 40)[block]
    return Minute(rps, tail_bucket=2 if block == 2 else 1)  # peak: (0.5, 1] -> p99 0.75 s


def _drift(minute: int) -> Minute:
    days = (minute // 180) * 180 / DAY_MIN  # a 3-hour staircase
    base = _cycle(minute)
    # p99 in (0.5, 1]: 0.5 + 0.5 (f - 0.01) / f for a tail share f; aim 0.55 + 0.045 / day.
    p99 = 0.55 + 0.045 * days
    tail = 0.01 / (1 - (p99 - 0.5) / 0.5)
    return Minute(base.rps + 50 * days, 0.001 + 0.0008 * days, tail, 2, 0.9)


Change = Callable[[Minute], Minute]
STEPS: Final[tuple[tuple[int, Change, str], ...]] = (  # (start minute, change, what fires)
    (STEP_AT, lambda m: Minute(m.rps / 10, tail_bucket=m.tail_bucket), "request-rate-anomaly"),
    (STEP_AT + 120, lambda m: Minute(m.rps, 0.08, tail_bucket=m.tail_bucket),
     "error-rate-anomaly"),
    (STEP_AT + 240, lambda m: Minute(m.rps, tail_bucket=3), "latency-anomaly"),
)  # fmt: skip


def _steps(minute: int) -> Minute:
    base = _cycle(minute)
    for start, change, _ in STEPS:
        if start <= minute < start + 60:
            return change(base)
    return base


Checks = list[tuple[str, frozenset[str]]]
# Per timeline: its shape, and (eval time, the signals firing then; every other one silent).
TIMELINES: Final[Mapping[str, tuple[Callable[[int], Minute], Checks]]] = {
    "daily cycle, then one step an hour": (_steps, [
        ("7d23h", frozenset()),
        *((f"8d{(start - STEP_AT) // 60 + 1}h", frozenset({fires})) for start, _, fires in STEPS),
    ]),
    "slow drift": (_drift, [
        ("8d2h", frozenset({"error-rate-drift", "latency-drift", "capacity-requests",
                            "capacity-concurrency"})),
    ]),
}  # fmt: skip


def _increments(minute: Minute) -> dict[str, float]:
    n = minute.rps * 60
    below = n * (1 - minute.tail)
    out = {
        f'{q.HTTP_COUNT}{{{_ROUTE},http_response_status_code="200"}}': n * (1 - minute.errors),
        f'{q.HTTP_COUNT}{{{_ROUTE},http_response_status_code="500"}}': n * minute.errors,
        f"{q.HTTP_SUM}{{{_ROUTE}}}": n * minute.mean_s,
    }
    for i, bound in enumerate((*BOUNDS, float("inf"))):
        le = "+Inf" if bound == float("inf") else prometheus_le(bound)
        inside = below if i < minute.tail_bucket else n
        out[f'{q.HTTP_BUCKET}{{{_ROUTE},le="{le}"}}'] = inside
    return out


def _round(value: float) -> str:
    return f"{round(value, 6):.10g}"


def _p99(minute: Minute) -> float:
    """histogram_quantile(0.99) of one minute: linear inside the tail's bucket."""
    bounds = (0.0, *BOUNDS)
    lower, upper = bounds[minute.tail_bucket], bounds[minute.tail_bucket + 1]
    below = 1 - minute.tail  # the share in the buckets under the tail's
    return lower + (upper - lower) * (0.99 - below) / minute.tail


def _signal_now(shape: Callable[[int], Minute], at: str, signal: str) -> float:
    """The 5-minute signal an alert measures at `at` (`8d2h`): the timelines hold each minute
    of the last 5 equal, so it is that minute's rate, ratio or quantile."""
    days, _, hours = at.partition("d")
    now = shape(int(days) * DAY_MIN + int(hours.rstrip("h") or 0) * 60 - 1)
    return {
        "request-rate": now.rps, "error-rate": now.errors, "latency": _p99(now),
        "capacity-requests": now.rps, "capacity-concurrency": now.rps * now.mean_s,
    }[signal.removesuffix("-anomaly").removesuffix("-drift")]  # fmt: skip


_UNITS: Final = {
    **{a.name: a.unit for a in p.ANOMALIES},
    **{f"capacity-{c.name}": c.unit for c in p.CAPACITY},
}


def _expected(rule: dict[str, Any], shape: Callable[[int], Minute], at: str) -> dict[str, Any]:
    signal = rule["labels"][SIGNAL_LABEL]
    unit = _UNITS[signal.removesuffix("-anomaly").removesuffix("-drift")]
    value = value_text(unit, _signal_now(shape, at, signal))
    return {"exp_labels": rule["labels"], "exp_annotations": {**rule["annotations"],
                                                              "value": value}}  # fmt: skip


def input_series(shape: Callable[[int], Minute], env: str = PROMETHEUS_ENV) -> list[dict[str, str]]:
    """Each counter as `a+bxn` segments over END minutes (runs of equal increments), with the
    identity of the environment the rules are for."""
    per_minute = [_increments(shape(m)) for m in range(END)]
    out = []
    for name in per_minute[0]:
        segments, total, start = [], 0.0, 0
        for m in range(1, END + 1):
            if m == END or per_minute[m][name] != per_minute[start][name]:
                step = per_minute[start][name]
                segments.append(f"{_round(total)}+{_round(step)}x{m - start - 1}")
                total += step * (m - start)
                start = m
        out.append({"series": q.scoped(name, q.Scope(SERVICE_NAME, env)),
                    "values": " ".join(segments)})  # fmt: skip
    return out


def promtool_tests(env: str = PROMETHEUS_ENV) -> dict[str, Any]:
    rules = list(iter_alerts(predictive_rules(env=env)))
    tests: list[dict[str, Any]] = []
    fired: set[str] = set()
    for name, (shape, checks) in TIMELINES.items():
        cases = []
        for at, fires in checks:
            fired |= fires
            cases += [
                {"eval_time": at, "alertname": r["alert"],
                 "exp_alerts": [_expected(r, shape, at)]
                 if r["labels"][SIGNAL_LABEL] in fires else []}
                for r in rules
            ]  # fmt: skip
        tests.append({"name": name, "interval": "1m", "input_series": input_series(shape, env),
                      "alert_rule_test": cases})  # fmt: skip
    if untested := {r["labels"][SIGNAL_LABEL] for r in rules} - fired:
        raise ValueError(f"{TESTS_PATH}: no scenario fires {sorted(untested)}")
    # Every 10 minutes, not the rules' 5: the windows are 15 minutes or more, and an 8-day
    # timeline costs half the promtool time. The groups in the order they feed each other:
    # promtool otherwise orders them at random (a Go map), and a group evaluated before the
    # one it reads sees only samples 10 minutes old, past the 5-minute lookback: nothing.
    groups = [g["name"] for g in predictive_rules(env=env)["groups"]]
    return {"rule_files": [f"../../{RULES_PATH}"], "evaluation_interval": "10m",
            "group_eval_order": groups, "tests": tests}  # fmt: skip


def artifacts() -> list[Artifact]:
    return [Artifact.text_file(TESTS_PATH, dump_yaml(promtool_tests()),
                               source="aurastream_obs.artifacts.promtool_predictive")]  # fmt: skip
