"""Deliver an alert group to every channel it routes to, at least once, within one deadline.

Each alert goes to PagerDuty when its severity pages and to one Slack channel: its team's
(label `team`, e.g. security: `slack-security`) when that channel is configured, else the
default one. Each channel gets its messages (Slack: the group, PagerDuty: one event per
alert), all sent concurrently on a bounded pool. Before sending, a message claims its alerts in the
`OnceLedger` (per channel, fingerprint and status): alerts already delivered are duplicates;
alerts another request is delivering make this one wait for that outcome (up to the
deadline). A failed message forgets its claim so that the sender's retry delivers it.

The answer is honest: 2xx only when every routed channel took every alert (or had it
already); otherwise a retryable 5xx — 503 with `Retry-After` while another request still
holds an alert or the deadline ran out, 502 when a channel refused or failed. What was not
delivered is one ERROR log line per message (channel, alerts, reason; never a URL or a key)
and counted in `aurastream_alerts_undelivered_total`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Final

from aurastream_obs.core.conventions import TEAM_LABEL
from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.alerts.channels import Channel
from aurastream_obs.ops.alerts.ledger import Deadline, OnceLedger
from aurastream_obs.ops.alerts.metrics import Counters
from aurastream_obs.ops.alerts.sources import AlertGroup

_log: Final = logging.getLogger("aurastream.alerts")
_EXTRA: Final = {"category": "application"}
GRACE_S: Final = 0.25  # past the deadline, for a message whose last attempt is returning
POOL_WORKERS: Final = 16

# severity -> does it page? (from definitions.ROUTES; every severity goes to Slack).
Routes = Mapping[str, bool]


@dataclass(frozen=True)
class Reply:
    status: int
    body: Mapping[str, object]
    headers: Mapping[str, str] | None = None


def team_channel(team: str) -> str:
    """The Slack channel of a team's own webhook: `slack-<team>` (e.g. slack-security)."""
    return f"slack-{team}"


def channels_for(alert: Alert, routes: Routes, teams: frozenset[str] = frozenset()) -> list[str]:
    """PagerDuty when the severity pages; Slack: the alert's team's channel when that team has
    one configured (`teams`), else the default channel. Never both Slack channels: a team's
    alerts (security) stay out of the general channel."""
    team = alert.labels.get(TEAM_LABEL)
    names = [team_channel(team) if team in teams else "slack"]
    if routes.get(alert.severity, False):
        names.insert(0, "pagerduty")
    return names


class Dispatcher:
    def __init__(
        self,
        channels: Mapping[str, Channel],
        routes: Routes,
        ledger: OnceLedger,
        counters: Callable[[], Counters],
    ) -> None:
        self._channels = channels
        self._routes = routes
        self._ledger = ledger
        self._counters = counters  # the router's current Counters (tests swap them)
        self._pool = ThreadPoolExecutor(POOL_WORKERS, thread_name_prefix="alert-delivery")
        prefix = team_channel("")
        self._teams = frozenset(n.removeprefix(prefix) for n in channels if n.startswith(prefix))
        # PagerDuty first, then the Slack channels: the order of the reply's `channels`.
        self._order = ("pagerduty", "slack", *sorted(n for n in channels if n.startswith(prefix)))

    def deliver(self, group: AlertGroup, deadline: Deadline) -> tuple[Reply, list[Alert]]:
        """Send `group` everywhere it routes; the reply and the alerts newly delivered."""
        results: list[dict[str, str]] = [{} for _ in group.alerts]
        jobs: list[tuple[str, list[int], Future[dict[int, str]]]] = []
        routed = [channels_for(a, self._routes, self._teams) for a in group.alerts]
        for name in self._order:
            indexes = [i for i, names in enumerate(routed) if name in names]
            if not indexes:
                continue
            channel = self._channels.get(name)
            if channel is None:  # not configured: the operator chose not to use it
                for i in indexes:
                    results[i][name] = "skipped"
                continue
            for members, unit in _units(channel, group, indexes):
                future = self._pool.submit(self._send, channel, unit, members, deadline)
                jobs.append((name, members, future))
        wait([f for _, _, f in jobs], timeout=deadline.remaining() + GRACE_S)
        for name, members, future in jobs:
            finished = future.done() and not future.cancelled()  # cancelled: router closing
            if finished and future.exception() is None:
                outcome = future.result()
            else:  # still sending at the deadline, or a bug: not delivered
                outcome = dict.fromkeys(members, "busy")
                if finished:
                    _log.error("delivery via %s raised", name, exc_info=future.exception(),
                               extra=_EXTRA)  # fmt: skip
            for i, result in outcome.items():
                results[i][name] = result
        counters = self._counters()
        for channels in results:
            for name, result in channels.items():
                counters.add("deliveries", channel=name, outcome=result)
                if result in ("failed", "busy"):
                    counters.add("undelivered", channel=name)
        fresh = [
            a for a, channels in zip(group.alerts, results, strict=True)
            if "sent" in channels.values()
        ]  # fmt: skip
        return _reply(group, results, deadline), fresh

    def _send(
        self, channel: Channel, unit: AlertGroup, members: list[int], deadline: Deadline
    ) -> dict[int, str]:
        items = [((channel.name, a.fingerprint), a.status) for a in unit.alerts]
        claim = self._ledger.claim(items, deadline)
        if claim is None:
            _undelivered(channel.name, unit, "another request is still delivering it")
            return dict.fromkeys(members, "busy")
        if not claim.fresh:
            return dict.fromkeys(members, "duplicate")
        outcome = channel.send(unit, deadline)
        self._ledger.settle(claim, delivered=outcome.ok)
        fresh = {key for key, _ in claim.fresh}
        if outcome.ok:
            _log.info("alert delivered via %s: %s (%s after %d attempt(s))", channel.name,
                      _names(unit), outcome.detail, outcome.attempts, extra=_EXTRA)  # fmt: skip
        else:
            _undelivered(channel.name, unit, f"{outcome.detail} after {outcome.attempts} "
                         f"attempt(s) in {deadline.budget_s:g} s")  # fmt: skip
        sent = "sent" if outcome.ok else "failed"
        return {
            i: sent if (channel.name, a.fingerprint) in fresh else "duplicate"
            for i, a in zip(members, unit.alerts, strict=True)
        }

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _units(
    channel: Channel, group: AlertGroup, indexes: list[int]
) -> list[tuple[list[int], AlertGroup]]:
    """What one channel sends: the group's alerts it takes as one message, or one each."""
    if channel.per_alert:
        return [([i], AlertGroup((group.alerts[i],), group.title)) for i in indexes]
    alerts = tuple(group.alerts[i] for i in indexes)
    return [(indexes, AlertGroup(alerts, group.title, group.truncated))]


def _names(unit: AlertGroup) -> str:
    shown = ", ".join(f"{a.name} {a.status}" for a in unit.alerts[:5])
    more = len(unit.alerts) - 5
    return shown + (f" and {more} more" if more > 0 else "")


def _undelivered(channel: str, unit: AlertGroup, reason: str) -> None:
    _log.error(
        "alert undelivered via %s: %s: %s; answered 5xx so that the sender retries",
        channel, _names(unit), reason, extra=_EXTRA,
    )  # fmt: skip


def _reply(group: AlertGroup, results: list[dict[str, str]], deadline: Deadline) -> Reply:
    body = {
        "alerts": [
            {"name": a.name, "status": a.status, "dedup_key": a.dedup_key, "channels": channels}
            for a, channels in zip(group.alerts, results, strict=True)
        ]
    }
    outcomes = {r for channels in results for r in channels.values()}
    if "busy" in outcomes:
        retry = str(max(1, math.ceil(deadline.budget_s)))
        return Reply(503, body, {"Retry-After": retry})
    if "failed" in outcomes:
        return Reply(502, body)
    return Reply(200, body)
