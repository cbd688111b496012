"""Run a `Plan`: check it whole against the limits, then dry-run (record) or execute it.

AWS calls go through boto3 clients from an injectable factory (`clients("lambda")`), so
tests point them at a moto server or a botocore Stubber. boto3 is imported only by the
default factory. Notifications go through the alert router (`notify.RouterNotifier`).

Each action reads before it writes and reports what it found: `succeeded`, `unchanged`
(nothing to do), `refused` (a safety check at execution time, e.g. a reservation below the
peak usage: nothing changed), `skipped` (not configured) or `failed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from aurastream_obs.ops.runbooks import redrive
from aurastream_obs.ops.runbooks.addresses import waf_cidr
from aurastream_obs.ops.runbooks.capacity import now_utc, peak_concurrency, plan_concurrency
from aurastream_obs.ops.runbooks.plan import (
    Action,
    ActionResult,
    Limits,
    Plan,
    RunbookRefused,
    audit,
    violations,
)

ClientFactory = Callable[[str], Any]  # service name -> boto3 client (untyped: no stubs)
_log: Final = logging.getLogger("aurastream.runbooks")


class Notifier(Protocol):
    def __call__(self, message: str, *, runbook: str = "", alert: str = "") -> str: ...


def boto3_clients(region: str | None = None) -> ClientFactory:
    import boto3

    return lambda service: boto3.client(service, region_name=region)


class Executor:
    def __init__(
        self,
        *,
        clients: ClientFactory | None = None,
        limits: Limits | None = None,
        warm_cache: Callable[[], int] | None = None,
        notify: Notifier | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.limits = limits or Limits()
        self._clients = clients
        self._warm_cache = warm_cache  # in-process warming (tests, embedding); else the flag
        self._notify = notify
        self._clock = clock

    def run(self, plan: Plan, *, execute: bool = False) -> list[ActionResult]:
        """Refuse the whole plan if any action breaks a limit; else run or record each."""
        mode = "execute" if execute else "dry-run"
        problems = [(a, violations(a, self.limits)) for a in plan.actions]
        if any(why for _, why in problems):
            for action, why in problems:
                refused = ActionResult(action, "refused" if why else "skipped", "; ".join(why))
                audit(plan, refused, mode=mode)
            text = "; ".join(f"{a.kind} {a.target}: {', '.join(w)}" for a, w in problems if w)
            raise RunbookRefused(f"runbook {plan.runbook} refused (nothing executed): {text}")
        results = []
        for action in plan.actions:
            result = self._perform(plan, action) if execute else ActionResult(action, "planned")
            audit(plan, result, mode=mode)
            results.append(result)
        return results

    def _perform(self, plan: Plan, action: Action) -> ActionResult:
        try:
            outcome, detail = _HANDLERS[action.kind](self, plan, action)
        except Exception as exc:  # noqa: BLE001 - one failed action is recorded, the rest run
            return ActionResult(action, "failed", f"{type(exc).__name__}: {exc}"[:500])
        return ActionResult(action, outcome, detail)  # type: ignore[arg-type]  # handler literals

    def _client(self, service: str) -> Any:
        if self._clients is None:
            self._clients = boto3_clients()
        return self._clients(service)

    # --- actions: each returns (outcome, detail) --------------------------------------------
    def _raise_concurrency(self, plan: Plan, a: Action) -> tuple[str, str]:
        lam, limits = self._client("lambda"), self.limits
        current = lam.get_function_concurrency(FunctionName=a.target).get(
            "ReservedConcurrentExecutions"
        )
        try:
            peak = peak_concurrency(
                self._client("cloudwatch"), a.target, limits.peak_window_s, self._clock()
            )
        except Exception as exc:  # noqa: BLE001 - without the peak, a ceiling is not set blind
            return "refused", f"cannot read peak usage ({type(exc).__name__}): nothing changed"
        decided = plan_concurrency(
            int(a.params["concurrency"]),  # type: ignore[call-overload]  # checked by violations
            None if current is None else int(current),
            peak,
            limit=limits.max_concurrency,
            headroom=limits.peak_headroom,
            window_s=limits.peak_window_s,
        )
        if decided.decision == "set":
            lam.put_function_concurrency(
                FunctionName=a.target, ReservedConcurrentExecutions=decided.value
            )
            return "succeeded", decided.detail
        return ("unchanged" if decided.decision == "unchanged" else "refused"), decided.detail

    def _raise_memory(self, plan: Plan, a: Action) -> tuple[str, str]:
        client, target = self._client("lambda"), int(a.params["memory_mb"])  # type: ignore[call-overload]
        current = int(client.get_function_configuration(FunctionName=a.target)["MemorySize"])
        if current >= target:
            return "unchanged", f"memory already {current} MB"
        client.update_function_configuration(FunctionName=a.target, MemorySize=target)
        return "succeeded", f"memory {current} -> {target} MB"

    def _restart(self, plan: Plan, a: Action) -> tuple[str, str]:
        # A configuration change makes Lambda start fresh execution environments; the merged
        # environment keeps every existing variable (the API replaces the whole map).
        client = self._client("lambda")
        config = client.get_function_configuration(FunctionName=a.target)
        variables = dict(config.get("Environment", {}).get("Variables", {}))
        variables["AURASTREAM_RESTARTED_AT"] = self._clock().isoformat(timespec="seconds")
        client.update_function_configuration(
            FunctionName=a.target, Environment={"Variables": variables}
        )
        return "succeeded", "configuration updated: new execution environments"

    def _put_flag(self, plan: Plan, a: Action) -> tuple[str, str]:
        value, ssm = str(a.params["value"]), self._client("ssm")
        try:
            before = ssm.get_parameter(Name=a.target)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            before = None
        if before == value:
            return "unchanged", f"{a.target} already {value}"
        ssm.put_parameter(Name=a.target, Value=value, Type="String", Overwrite=True)
        return "succeeded", f"{a.target} = {value} (was {before or 'unset'})"

    def _block_ips(self, plan: Plan, a: Action) -> tuple[str, str]:
        waf = self._client("wafv2")
        wanted = {waf_cidr(str(x)) for x in a.params["addresses"]}  # type: ignore[attr-defined]
        scope, ip_set_id = str(a.params["scope"]), str(a.params["ip_set_id"])
        ident = {"Name": a.target, "Scope": scope, "Id": ip_set_id}
        for attempt in (1, 2):  # WAF's optimistic lock: re-read once if someone else wrote
            current = waf.get_ip_set(**ident)
            existing = set(current["IPSet"]["Addresses"])
            if wanted <= existing:
                return "unchanged", "all addresses already blocked"
            try:
                waf.update_ip_set(
                    **ident,
                    Addresses=sorted(existing | wanted),
                    LockToken=current["LockToken"],
                )
                return "succeeded", f"blocked {len(wanted - existing)} new address(es)"
            except waf.exceptions.WAFOptimisticLockException:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _warm(self, plan: Plan, a: Action) -> tuple[str, str]:
        if self._warm_cache is not None:
            return "succeeded", f"warmed {self._warm_cache()} entries"
        stamp = self._clock().astimezone(UTC).isoformat(timespec="seconds")
        self._client("ssm").put_parameter(Name=a.target, Value=stamp, Type="String",
                                          Overwrite=True)  # fmt: skip
        return "succeeded", (
            f"warm requested ({a.target} = {stamp}): the service re-analyzes its most "
            "requested recent texts missing from the cache"
        )

    # --- the alerting and log pipeline (redrive.py) ------------------------------------------
    def _check_secrets(self, plan: Plan, a: Action) -> tuple[str, str]:
        return redrive.check_secrets(self._client, _names(a.params["secrets"]))

    def _redrive_alerts(self, plan: Plan, a: Action) -> tuple[str, str]:
        limit = int(a.params["max_messages"])  # type: ignore[call-overload]  # checked by violations
        return redrive.redrive_alerts(self._client, a.target, _names(a.params["secrets"]), limit)

    def _redrive_logs(self, plan: Plan, a: Action) -> tuple[str, str]:
        limit = int(a.params["max_messages"])  # type: ignore[call-overload]  # checked by violations
        return redrive.redrive_logs(self._client, a.target, str(a.params["environment"]), limit)

    def _check_dead_letter_queue(self, plan: Plan, a: Action) -> tuple[str, str]:
        return redrive.check_dead_letter_queue(self._client, a.target, str(a.params["queue"]))

    def _send_notification(self, plan: Plan, a: Action) -> tuple[str, str]:
        message = str(a.params.get("message", ""))
        if self._notify is None:
            _log.warning("%s", message, extra={"category": "application"})
            return "skipped", "no alert router configured (AURASTREAM_ALERTS_ROUTER_URL): logged"
        got = self._notify(message, runbook=plan.runbook, alert=plan.dedup_key)
        return "succeeded", f"notified through the alert router ({got})"


_HANDLERS: Final[dict[str, Callable[[Executor, Plan, Action], tuple[str, str]]]] = {
    "lambda.raise_concurrency": Executor._raise_concurrency,
    "lambda.raise_memory": Executor._raise_memory,
    "lambda.restart": Executor._restart,
    "ssm.put_flag": Executor._put_flag,
    "waf.block_ips": Executor._block_ips,
    "cache.warm": Executor._warm,
    "notify": Executor._send_notification,
    "secrets.check": Executor._check_secrets,
    "alerts.redrive": Executor._redrive_alerts,
    "logs.redrive": Executor._redrive_logs,
    "lambda.check_dead_letter_queue": Executor._check_dead_letter_queue,
}


def _names(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []
