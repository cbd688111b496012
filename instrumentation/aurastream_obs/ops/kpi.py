"""The KPI/SLO report: the seed's PerformanceMonitor KPIs against their
targets, plus error budget and burn rate per SLO, from any `MetricsBackend`.

Targets are read from the definitions, never restated: availability, error rate and cache hit
rate from the SLO objectives, p99 latency from the latency-p99 alarm's warning threshold,
throughput from the throughput alarm's critical threshold (a capacity, not a goal)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

from aurastream_obs.core.conventions import window_seconds
from aurastream_obs.core.exit_codes import ExitCode
from aurastream_obs.definitions import Definitions, load_definitions
from aurastream_obs.ops.backends.base import MetricsBackend

BREACH_EXIT_CODE: Final = int(ExitCode.PROBLEM)  # a breached SLO is a problem found
Direction = Literal["min", "max"]  # the value must stay at or above / at or below the target


@dataclass(frozen=True)
class Kpi:
    name: str
    value: float | None
    target: float
    unit: str
    direction: Direction

    @property
    def ok(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.direction == "min" else self.value <= self.target


@dataclass(frozen=True)
class SloStatus:
    name: str
    objective_percent: float
    window: str
    error_ratio: float | None  # over the report window
    period_days: int
    period_error_ratio: float | None

    @property
    def error_budget(self) -> float:
        return 1 - self.objective_percent / 100

    @property
    def burn_rate(self) -> float | None:
        """How fast the budget burns now: 1.0 spends exactly the budget over the period."""
        return None if self.error_ratio is None else self.error_ratio / self.error_budget

    @property
    def budget_remaining(self) -> float | None:
        """Share of the period's error budget left (negative: overspent)."""
        if self.period_error_ratio is None:
            return None
        return 1 - self.period_error_ratio / self.error_budget

    @property
    def breached(self) -> bool:
        """The SLI over the report window is below the objective (no data: not breached)."""
        return self.error_ratio is not None and self.error_ratio > self.error_budget


@dataclass(frozen=True)
class KpiReport:
    source: str
    window: str
    kpis: tuple[Kpi, ...]
    slos: tuple[SloStatus, ...]
    requests: float | None

    @property
    def breached(self) -> tuple[str, ...]:
        return tuple(slo.name for slo in self.slos if slo.breached)

    @property
    def exit_code(self) -> int:
        return BREACH_EXIT_CODE if self.breached else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "window": self.window,
            "requests": self.requests,
            "kpis": {k.name: {**asdict(k), "ok": k.ok} for k in self.kpis},
            "slos": {
                s.name: {
                    **asdict(s),
                    "error_budget": s.error_budget,
                    "burn_rate": s.burn_rate,
                    "budget_remaining": s.budget_remaining,
                    "breached": s.breached,
                }
                for s in self.slos
            },
            "breached": list(self.breached),
        }


def _percent(ratio: float | None) -> float | None:
    return None if ratio is None else 100 * ratio


def build_kpi_report(
    backend: MetricsBackend, window: str = "1h", definitions: Definitions | None = None
) -> KpiReport:
    window_seconds(window)  # ValueError early for a bad duration
    defs = definitions if definitions is not None else load_definitions()
    slos = {slo.name: slo for slo in defs.slos}
    alarms = {alarm.name: alarm for alarm in defs.alarms}
    totals = backend.request_totals(window)
    availability = None
    if totals is not None and totals.requests > 0:
        availability = 100 * (1 - totals.errors_5xx / totals.requests)
    p99 = backend.latency_quantile(0.99, window)
    kpis = (
        Kpi("availability", availability, slos["availability"].objective_percent, "%", "min"),
        Kpi(
            "latency_p99",
            None if p99 is None else 1000 * p99,
            1000 * alarms["latency-p99"].thresholds["warning"].value,
            "ms",
            "max",
        ),
        Kpi(
            "error_rate",
            _percent(backend.sli_error_ratio(slos["error-rate"], window)),
            100 - slos["error-rate"].objective_percent,
            "%",
            "max",
        ),
        Kpi(
            "throughput",
            None if totals is None else totals.per_second,
            alarms["throughput"].thresholds["critical"].value,
            "req/s",
            "max",
        ),
        Kpi(
            "cache_hit_rate",
            _percent(backend.cache_hit_ratio(window)),
            slos["cache-hit-rate"].objective_percent,
            "%",
            "min",
        ),
    )
    statuses = tuple(
        SloStatus(
            slo.name,
            slo.objective_percent,
            window,
            backend.sli_error_ratio(slo, window),
            slo.period_days,
            backend.sli_error_ratio(slo, f"{slo.period_days}d"),
        )
        for slo in defs.slos
    )
    return KpiReport(
        backend.name, window, kpis, statuses, None if totals is None else totals.requests
    )


def kpi_report_from_dir(path: str, window: str = "1h") -> KpiReport:
    """The report over a local-mode telemetry directory (the demo calls this)."""
    from aurastream_obs.ops.backends.local_files import LocalFilesBackend

    return build_kpi_report(LocalFilesBackend(path), window)


def _fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "no data"
    return f"{value:,.{digits}f}{' ' + unit if unit else ''}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _state(ok: bool | None) -> str:
    return {True: "ok", False: "MISS", None: "-"}[ok]


def render_kpi_table(report: KpiReport) -> str:
    """The human-readable report: KPIs vs targets, then SLOs with budget and burn."""
    out = [
        f"KPI report  source: {report.source}  window: {report.window}  "
        f"requests: {_fmt(report.requests, digits=0)}",
        "",
    ]
    kpi_rows = [
        [
            k.name,
            _fmt(k.value, k.unit),
            ("≥ " if k.direction == "min" else "≤ ") + _fmt(k.target, k.unit, 1),
            _state(k.ok),
        ]
        for k in report.kpis
    ]
    out += _table(["KPI", "current", "target", "status"], kpi_rows)
    slo_rows = [
        [
            s.name,
            f"{s.objective_percent:g} %",
            _fmt(_percent(s.error_ratio), "%", 3),
            _fmt(s.burn_rate, "x"),
            _fmt(_percent(s.budget_remaining), "%", 1),
            "BREACHED" if s.breached else ("-" if s.error_ratio is None else "ok"),
        ]
        for s in report.slos
    ]
    out += [
        "",
        *_table(
            [
                "SLO",
                "objective",
                f"errors ({report.window})",
                "burn rate",
                f"budget left ({report.slos[0].period_days if report.slos else 30}d)",
                "status",
            ],
            slo_rows,
        ),
    ]
    if report.breached:
        out += ["", f"SLO breached: {', '.join(report.breached)}"]
    return "\n".join(out)
