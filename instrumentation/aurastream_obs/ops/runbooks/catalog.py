"""The seed's IncidentResponse handlers as runbooks: each turns an `Alert` into a `Plan`.
Their pages (what each step does, how to undo it) are docs/runbooks.md.

Planning calls only the injected read-only probes (cache hit rate, AWS health); it never
touches AWS, so a dry-run cannot change anything. The flags the service reads (circuit
breaker, analyzer failover, cache warming) are SSM parameters named in `flags.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from aurastream_obs.definitions import runbook_flags as flags
from aurastream_obs.definitions.deployment import (
    RESOURCES,
    ROUTER_SECRET,
    ROUTER_SECURITY_SECRET,
    names,
)
from aurastream_obs.definitions.runbooks import (
    ALERT_DELIVERY,
    DEAD_LETTER_QUEUES,
    HIGH_ERROR_RATE,
    HIGH_LATENCY,
    LOG_FORWARDING,
    SECURITY_INCIDENT,
    SERVICE_DOWN,
)
from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.runbooks.plan import Action, Plan

CACHE_HIT_RATE_FLOOR: Final = 0.5  # seed: warm the cache below 50 % hits


@dataclass(frozen=True)
class RunbookSettings:
    """Targets and probes. Overrides (`concurrency`, `memory_mb`) come from the operator."""

    environment: str = "prod"
    function_name: str = names("prod").function  # the deployed API function (definitions)
    concurrency: int = 100  # seed: _scale_lambda_concurrency('SyncHandler', 100); raised to
    # the peak usage plus headroom when that is higher (capacity.py)
    memory_mb: int = 1024  # seed: _scale_lambda_memory('SyncHandler', 1024)
    failover_analyzer: str = "lexicon"  # no AWS dependency: answers while Comprehend cannot
    ip_set_name: str = "aurastream-blocked-ips"
    ip_set_id: str = ""
    ip_set_scope: str = "REGIONAL"
    cache_hit_rate: Callable[[], float | None] | None = None  # 0..1; from ops.backends
    aws_healthy: Callable[[], bool] | None = None  # None: assume AWS is healthy → restart

    redrive_messages: int = 100  # dead letters one redrive moves (Limits: at most 100)

    def deployed(self, key: str) -> str:
        """The name of a resource of this environment's deployment (`definitions.deployment`)."""
        return names(self.environment).resolve(RESOURCES[key].name)

    @property
    def router_secrets(self) -> list[str]:
        return [names(self.environment).resolve(n) for n in (ROUTER_SECRET, ROUTER_SECURITY_SECRET)]

    @property
    def circuit_breaker_parameter(self) -> str:
        return flags.flag_parameter(self.environment, flags.CIRCUIT_BREAKER)

    @property
    def failover_parameter(self) -> str:
        return flags.flag_parameter(self.environment, flags.ANALYZER_FAILOVER)

    @property
    def cache_warm_parameter(self) -> str:
        return flags.flag_parameter(self.environment, flags.CACHE_WARM)


def _notify(alert: Alert, what: str) -> Action:
    text = f"{what}: {alert.name} ({alert.severity}) {alert.summary}".strip()
    return Action("notify", "incident-team", {"message": text[:500]}, "seed: notify the team")


def high_error_rate(alert: Alert, s: RunbookSettings) -> tuple[Action, ...]:
    return (
        Action(
            "lambda.raise_concurrency",
            s.function_name,
            {"concurrency": s.concurrency},
            "absorb retries without throttling",
        ),
        Action(
            "ssm.put_flag",
            s.circuit_breaker_parameter,
            {"value": flags.BREAKER_OPEN},
            "the service sheds calls to the failing dependency while the flag is open",
        ),
        _notify(alert, "High error rate detected"),
    )


def high_latency(alert: Alert, s: RunbookSettings) -> tuple[Action, ...]:
    rate = s.cache_hit_rate() if s.cache_hit_rate else None
    actions: list[Action] = []
    if rate is None or rate < CACHE_HIT_RATE_FLOOR:
        shown = "unknown" if rate is None else f"{rate:.0%}"
        actions.append(
            Action(
                "cache.warm",
                s.cache_warm_parameter,
                {},
                f"cache hit rate {shown}: re-analyze the most requested recent texts",
            )
        )
    actions.append(
        Action(
            "lambda.raise_memory",
            s.function_name,
            {"memory_mb": s.memory_mb},
            "more memory is more CPU",
        )
    )
    actions.append(_notify(alert, "High latency detected"))
    return tuple(actions)


def service_down(alert: Alert, s: RunbookSettings) -> tuple[Action, ...]:
    healthy = s.aws_healthy() if s.aws_healthy else True
    first = (
        Action("lambda.restart", s.function_name, {}, "AWS healthy: recycle our instances")
        if healthy
        else Action(
            "ssm.put_flag",
            s.failover_parameter,
            {"value": s.failover_analyzer},
            f"AWS unhealthy in this region: analyze with {s.failover_analyzer} instead",
        )
    )
    return (first, _notify(alert, "Service down detected"))


_IPS: Final = re.compile(r"[\s,;]+")


def security_incident(alert: Alert, s: RunbookSettings) -> tuple[Action, ...]:
    raw = alert.labels.get("suspicious_ips", "")
    addresses = [a for a in _IPS.split(raw) if a]
    actions: list[Action] = []
    if addresses:
        actions.append(
            Action(
                "waf.block_ips",
                s.ip_set_name,
                {"addresses": addresses, "ip_set_id": s.ip_set_id, "scope": s.ip_set_scope},
                "block the suspicious sources at the edge",
            )
        )
    actions.append(_notify(alert, "Security incident detected"))
    return tuple(actions)


def alert_delivery(alert: Alert, s: RunbookSettings) -> tuple[Action, ...]:
    """The router fails (alert-router-errors) or gave up on alarms (alert-router-dead-letters).
    No notify step: notifications go through the router, the thing that fails."""
    return (
        Action("secrets.check", s.deployed("alert-router"), {"secrets": s.router_secrets},
               "the router reads its channel secrets at a cold start: without one it fails "
               "every invocation"),
        Action("alerts.redrive", s.deployed("alert-router-dlq"),
               {"secrets": s.router_secrets, "max_messages": s.redrive_messages},
               "republish the dead-lettered alarm notifications whose alarm is still in that "
               "state"),
    )  # fmt: skip


def log_forwarding(alert: Alert, s: RunbookSettings) -> tuple[Action, ...]:
    """The forwarder fails (log-forwarder-errors) or holds batches (log-forwarder-dead-letters):
    security and audit lines are missing from their 7-year groups until redriven."""
    return (
        Action("logs.redrive", s.deployed("log-forwarder-dlq"),
               {"environment": s.environment, "max_messages": s.redrive_messages},
               "forward the dead-lettered log batches into their category groups"),
        _notify(alert, "Log forwarding failing"),
    )  # fmt: skip


def dead_letter_queues(alert: Alert, s: RunbookSettings) -> tuple[Action, ...]:
    """Events Lambda could not even dead-letter (dead-letter-errors): lost. Find why."""
    return (
        *(Action("lambda.check_dead_letter_queue", s.deployed(key),
                 {"queue": s.deployed(f"{key}-dlq")},
                 "failed events are lost while its dead-letter queue is unusable")
          for key in ("alert-router", "log-forwarder")),
        _notify(alert, "Dead-letter queue writes failing (events lost)"),
    )  # fmt: skip


RUNBOOKS: Final[Mapping[str, Callable[[Alert, RunbookSettings], tuple[Action, ...]]]] = {
    HIGH_ERROR_RATE: high_error_rate,
    HIGH_LATENCY: high_latency,
    SERVICE_DOWN: service_down,
    SECURITY_INCIDENT: security_incident,
    ALERT_DELIVERY: alert_delivery,
    LOG_FORWARDING: log_forwarding,
    DEAD_LETTER_QUEUES: dead_letter_queues,
}


def plan_for(alert: Alert, settings: RunbookSettings, runbook: str | None = None) -> Plan:
    """The plan of `runbook` (default: the alert's own runbook). KeyError if unknown."""
    name = runbook or alert.runbook
    if name is None or name not in RUNBOOKS:
        raise KeyError(f"no runbook {name!r}; known: {', '.join(sorted(RUNBOOKS))}")
    return Plan(name, alert.name, alert.dedup_key, RUNBOOKS[name](alert, settings))
