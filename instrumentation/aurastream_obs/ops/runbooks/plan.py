"""Runbook plans as data: an allow-list of action kinds, hard limits, and the audit record.

A runbook only *plans* (`Plan` of `Action`s); `executor.run_plan` checks the whole plan
against `Limits` before anything runs, then performs it (`--execute`) or only records it
(dry-run, the default). Every action, planned, refused or executed, is an audit log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from aurastream_obs.definitions import runbook_flags as flags
from aurastream_obs.logs.events import audit_event
from aurastream_obs.ops.runbooks.addresses import block_problems

ActionKind = Literal[
    "lambda.raise_concurrency",
    "lambda.raise_memory",
    "lambda.restart",
    "ssm.put_flag",
    "cache.warm",
    "waf.block_ips",
    "notify",
    "secrets.check",
    "alerts.redrive",
    "logs.redrive",
    "lambda.check_dead_letter_queue",
]
ALLOWED_ACTIONS: Final[frozenset[str]] = frozenset(ActionKind.__args__)  # type: ignore[attr-defined]
Outcome = Literal["planned", "refused", "succeeded", "unchanged", "failed", "skipped"]


@dataclass(frozen=True)
class Limits:
    """Hard limits no runbook or operator flag can exceed."""

    max_concurrency: int = 200  # reserved concurrency per function (account default is 1,000)
    max_memory_mb: int = 3008
    max_block_ips: int = 50  # entries (addresses or CIDRs) blocked by one action
    min_ipv4_prefix: int = 16  # never block anything wider than a /16 ...
    min_ipv6_prefix: int = 48  # ... or a /48
    max_block_ipv4_addresses: int = 4096  # all entries of one action together: a /20's worth
    max_block_ipv6_64s: int = 65536  # ... and a /48's worth of IPv6 /64 networks
    parameter_prefix: str = "/aurastream/"  # the only SSM namespace runbooks may write
    peak_headroom: float = 0.2  # reserved concurrency stays >= peak usage x (1 + headroom)
    peak_window_s: int = 3600  # peak usage: max ConcurrentExecutions over this window
    max_redrive_messages: int = 100  # dead letters moved by one redrive action
    queue_prefix: str = "aurastream-"  # the only queues a redrive may read and delete from


@dataclass(frozen=True)
class Action:
    kind: str
    target: str
    params: Mapping[str, object] = field(default_factory=dict)
    reason: str = ""

    def describe(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.kind} {self.target}" + (f" ({args})" if args else "")


@dataclass(frozen=True)
class Plan:
    runbook: str
    alert_name: str
    dedup_key: str
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class ActionResult:
    action: Action
    outcome: Outcome
    detail: str = ""


class RunbookRefused(Exception):
    """The plan breaks the allow-list or a hard limit; nothing was executed."""


def violations(action: Action, limits: Limits) -> list[str]:
    """Why `action` may not run (empty when it may)."""
    if action.kind not in ALLOWED_ACTIONS:
        return [f"{action.kind} is not an allowed action"]
    p, problems = action.params, []
    if action.kind == "lambda.raise_concurrency":
        value = _int(p.get("concurrency"))
        if value is None or not 1 <= value <= limits.max_concurrency:
            problems.append(
                f"concurrency {p.get('concurrency')} outside 1..{limits.max_concurrency}"
            )
    elif action.kind == "lambda.raise_memory":
        value = _int(p.get("memory_mb"))
        if value is None or not 128 <= value <= limits.max_memory_mb:
            problems.append(f"memory {p.get('memory_mb')} MB outside 128..{limits.max_memory_mb}")
    elif action.kind in ("ssm.put_flag", "cache.warm"):
        problems += _flag_problems(action, limits)
    elif action.kind in ("alerts.redrive", "logs.redrive"):
        value = _int(p.get("max_messages"))
        if value is None or not 1 <= value <= limits.max_redrive_messages:
            problems.append(
                f"max_messages {p.get('max_messages')} outside 1..{limits.max_redrive_messages}"
            )
        if not (action.target.startswith(limits.queue_prefix) and "-dlq-" in action.target):
            problems.append(f"queue {action.target} is not one of our dead-letter queues")
    elif action.kind == "waf.block_ips":
        addresses = p.get("addresses")
        if not isinstance(addresses, (list, tuple)):
            return ["no addresses to block"]
        problems += block_problems(
            addresses,
            max_entries=limits.max_block_ips,
            min_ipv4_prefix=limits.min_ipv4_prefix,
            min_ipv6_prefix=limits.min_ipv6_prefix,
            max_ipv4_addresses=limits.max_block_ipv4_addresses,
            max_ipv6_64s=limits.max_block_ipv6_64s,
        )
    return problems


_FLAG_VALUES: Final = {
    flags.CIRCUIT_BREAKER: frozenset({flags.BREAKER_OPEN, flags.BREAKER_CLOSED}),
    flags.ANALYZER_FAILOVER: flags.ANALYZERS | {flags.FAILOVER_OFF},
}


def _flag_problems(action: Action, limits: Limits) -> list[str]:
    """Only the flags the service reads, under the runbooks' SSM namespace, with their values."""
    if not action.target.startswith(limits.parameter_prefix):
        return [f"parameter {action.target} is outside {limits.parameter_prefix}"]
    flag = action.target.rsplit("/", 1)[-1]
    wanted = flags.CACHE_WARM if action.kind == "cache.warm" else None
    if flag not in flags.FLAG_NAMES or (wanted and flag != wanted):
        return [f"parameter {action.target} is not a flag the service reads"]
    allowed = _FLAG_VALUES.get(flag)
    value = action.params.get("value")
    if action.kind == "ssm.put_flag" and (allowed is None or value not in allowed):
        return [f"{flag} cannot be set to {str(value)[:40]!r}"]
    return []


def audit(plan: Plan, result: ActionResult, *, mode: str) -> None:
    action = result.action
    audit_event(
        "runbook_action",
        runbook=plan.runbook,
        alert=plan.alert_name,
        dedup_key=plan.dedup_key,
        mode=mode,
        action=action.kind,
        target=action.target,
        params=dict(action.params),
        reason=action.reason,
        outcome=result.outcome,
        detail=result.detail,
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
