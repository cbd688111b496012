"""Runbook plans as data: an allow-list of action kinds, hard limits, and the audit record.

A runbook only *plans* (`Plan` of `Action`s); `executor.run_plan` checks the whole plan
against `Limits` before anything runs, then performs it (`--execute`) or only records it
(dry-run, the default). Every action, planned, refused or executed, is an audit log line.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from aurastream_obs.logs.events import audit_event

ActionKind = Literal[
    "lambda.raise_concurrency",
    "lambda.raise_memory",
    "lambda.restart",
    "ssm.put_flag",
    "cache.warm",
    "waf.block_ips",
    "notify",
]
ALLOWED_ACTIONS: Final[frozenset[str]] = frozenset(ActionKind.__args__)  # type: ignore[attr-defined]
# Our own traffic comes from these (VPC, NAT, carrier-grade NAT): never block them.
_INTERNAL: Final = {
    4: tuple(
        ipaddress.ip_network(n)
        for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
    ),
    6: (ipaddress.ip_network("fc00::/7"),),
}
Outcome = Literal["planned", "refused", "succeeded", "unchanged", "failed", "skipped"]


@dataclass(frozen=True)
class Limits:
    """Hard limits no runbook or operator flag can exceed."""

    max_concurrency: int = 200  # reserved concurrency per function (account default is 1,000)
    max_memory_mb: int = 3008
    max_block_ips: int = 50  # addresses blocked by one action
    min_ipv4_prefix: int = 16  # never block anything wider than a /16 ...
    min_ipv6_prefix: int = 48  # ... or a /48
    parameter_prefix: str = "/aurastream/"  # the only SSM namespace runbooks may write


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
    elif action.kind == "ssm.put_flag" and not action.target.startswith(limits.parameter_prefix):
        problems.append(f"parameter {action.target} is outside {limits.parameter_prefix}")
    elif action.kind == "waf.block_ips":
        addresses = p.get("addresses")
        if not isinstance(addresses, (list, tuple)) or not addresses:
            return ["no addresses to block"]
        if len(addresses) > limits.max_block_ips:
            problems.append(f"{len(addresses)} addresses over the limit of {limits.max_block_ips}")
        for address in addresses:
            problems.extend(_address_problems(str(address), limits))
    return problems


def _address_problems(address: str, limits: Limits) -> list[str]:
    try:
        net = ipaddress.ip_network(address, strict=False)
    except ValueError:
        return [f"{address!r} is not an IP address or CIDR"]
    minimum = limits.min_ipv4_prefix if net.version == 4 else limits.min_ipv6_prefix
    if net.prefixlen < minimum:
        return [f"{address} is wider than /{minimum}"]
    if net.is_loopback or net.is_link_local or any(net.overlaps(n) for n in _INTERNAL[net.version]):
        return [f"{address} is an internal range (would block our own traffic)"]
    return []


def waf_cidr(address: str) -> str:
    """WAF IP sets want CIDR notation: a bare address becomes /32 (or /128)."""
    return str(ipaddress.ip_network(address, strict=False))


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
