"""Every name the definitions produce: alarm names, Prometheus series and rule names, CloudWatch
namespaces, burn-rate windows. One module so that a rename happens in one place."""

from __future__ import annotations

import re
from typing import Final, Literal

from aurastream_obs.core.conventions import InstrumentSpec

Severity = Literal["critical", "warning"]
SEVERITIES: Final[tuple[Severity, ...]] = ("critical", "warning")

PREFIX: Final = "aurastream"
APP_NAMESPACE: Final = "AuraStream/Application"  # awsemf namespace declared by the collector
PROMETHEUS_ENV: Final = "local"  # env of the committed Prometheus rules (deploy/local)
CLOUDFORMATION_ENV: Final = "${Environment}"  # a template parameter, resolved by Fn::Sub

_THING: Final = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def is_valid_thing(name: str) -> bool:
    """Definition names are lower-kebab-case: they become parts of alarm and rule names."""
    return bool(_THING.match(name))


def alarm_name(env: str, thing: str, severity: Severity | str) -> str:
    """The naming strategy for every alarm and alert: `aurastream-<env>-<thing>-<severity>`."""
    return f"{PREFIX}-{env}-{thing}-{severity}"


def slo_alert_thing(slo: str) -> str:
    """The <thing> of an SLO's burn-rate alerts (`aurastream-<env>-<slo>-budget-burn-<sev>`)."""
    return f"{slo}-budget-burn"


# --- Prometheus names ------------------------------------------------------------------------
# What the OTel -> Prometheus translation produces (checked against this repo's /metrics in
# local mode): dots become underscores, the unit becomes a suffix (s -> seconds; annotations
# like {analysis} and the unit "1" vanish; other units such as USD are kept verbatim), and
# counters end in _total.
_UNIT_SUFFIX: Final = {"s": "seconds", "ms": "milliseconds", "By": "bytes"}


def prometheus_base_name(spec: InstrumentSpec) -> str:
    name = spec.name.replace(".", "_")
    unit = re.sub(r"\{[^}]*\}", "", spec.unit)
    suffix = _UNIT_SUFFIX.get(unit, unit if unit not in ("", "1") else "")
    return f"{name}_{suffix}" if suffix else name


def prometheus_series(spec: InstrumentSpec) -> tuple[str, ...]:
    """Every series name one instrument exposes."""
    base = prometheus_base_name(spec)
    if spec.kind == "histogram":
        return (f"{base}_bucket", f"{base}_sum", f"{base}_count")
    if spec.kind == "counter":
        return (f"{base}_total",)
    return (base,)


def prometheus_label(attribute: str) -> str:
    return attribute.replace(".", "_")


def prometheus_le(bound: float) -> str:
    """Bucket label as the OTel exporter writes it (1.0, not 1); Prometheus 3 normalises the
    same way, so the matcher works on both."""
    return repr(float(bound))


# Sloth's recording-rule naming (slok/sloth: slo:sli_error:ratio_rate5m, slo:objective:ratio).
SLI_ERROR_RATIO: Final = "slo:sli_error:ratio_rate{window}"
SLO_OBJECTIVE: Final = "slo:objective:ratio"
SLO_ERROR_BUDGET: Final = "slo:error_budget:ratio"
SLO_BUDGET_REMAINING: Final = "slo:period_error_budget_remaining:ratio"
SLO_LABEL: Final = "slo"
SIGNAL_LABEL: Final = "signal"  # on every alert: inhibition matches warning to critical on it
SEVERITY_LABEL: Final = "severity"


def sli_error_ratio(window: str) -> str:
    return SLI_ERROR_RATIO.format(window=window)


_DURATION: Final = re.compile(r"^(\d+)([smhdw])$")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def window_seconds(window: str) -> int:
    """Seconds in a Prometheus duration like 5m, 6h, 30d; ValueError otherwise."""
    match = _DURATION.match(window)
    if not match:
        raise ValueError(f"not a duration: {window!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


# Recording windows: every window used by a burn-rate row, plus 30m/2h for dashboards.
SLI_WINDOWS: Final = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


# --- CloudWatch ------------------------------------------------------------------------------
def cloudformation_id(*parts: str) -> str:
    """A CloudFormation logical id (alphanumeric) from kebab-case parts."""
    return "".join(p.capitalize() for part in parts for p in re.split(r"[^A-Za-z0-9]+", part))


# Series our own recording rules produce (dashboards may read them).
RECORDED_SERIES: Final = frozenset(
    {SLO_OBJECTIVE, SLO_ERROR_BUDGET, SLO_BUDGET_REMAINING}
    | {sli_error_ratio(w) for w in (*SLI_WINDOWS, "30d")}
)
