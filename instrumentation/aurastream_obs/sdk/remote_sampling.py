"""X-Ray remote sampling: the rules and quotas X-Ray serves, applied with the local sampler's
rule semantics (`sampling.RuleMatcher`: priority order, wildcards, the default rule last).

A daemon thread polls GetSamplingRules every `rules_interval_s` (300 s, plus up to 5 s of
jitter) and, every 10 s or the Interval X-Ray asks for, reports each rule's statistics since
the last report (RequestCount, SampledCount, BorrowCount) to GetSamplingTargets and applies
the targets it gets back (xray_sampling_client.py makes the calls). Per rule, as in ADOT's
AwsXRayRemoteSampler and the OTel Java/JS X-Ray samplers:

- before its first target, a "borrowed" reservoir of 1 trace per second (none if the rule's
  ReservoirSize is 0), then the rule's FixedRate;
- with a target, ReservoirQuota traces per second until ReservoirQuotaTTL, then the target's
  FixedRate (a target without a TTL gives the fixed rate only).

A rule whose definition did not change keeps its target and counts across a rules poll. A
LastRuleModification newer than the last fetch polls the rules at once. Until rules were
fetched once the local sampler (the packaged rules or AURASTREAM_SAMPLING_RULES, with their
own reservoirs) decides, and the rules are retried every 10 s; after that, any failure keeps
the last rules fetched, and statistics that could not be reported are dropped (as ADOT does).
`should_sample` never does I/O nor waits on the poller: it reads one immutable rule set.

The client id is 24 random hex digits per process: a forked child (pre-fork servers) takes a
new one, starts over from borrowing (the parent's quota is the parent's) and starts its own
poller. `shutdown()` stops the poller without waiting for a call in flight (the thread is a
daemon); the thread also ends once the sampler is garbage collected.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Final

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from aurastream_obs.core.forking import after_fork_in_child
from aurastream_obs.core.sampling_rules import SamplingRule, parse_sampling_rules
from aurastream_obs.sdk.sampling import Reservoir, RuleMatcher, rate_bound, sample_by_rules
from aurastream_obs.sdk.xray_sampling_client import (
    DEFAULT_TIMEOUT_S,
    HttpTransport,
    TargetsResponse,
    Transport,
    fetch_rule_documents,
    fetch_targets,
)

__all__ = ["DEFAULT_RULES_INTERVAL_S", "RemoteParentBased", "XRayRemoteSampler"]

_log = logging.getLogger(__name__)

DEFAULT_RULES_INTERVAL_S: Final = 300.0
DEFAULT_TARGETS_INTERVAL_S: Final = 10.0
RULES_JITTER_S: Final = 5.0
TARGETS_JITTER_S: Final = 0.1
_LOW_64: Final = (1 << 64) - 1


class _RemoteDecision:
    """One remote rule: its reservoir/rate state (swapped whole when a target arrives) and
    its statistics since the last report."""

    __slots__ = ("_clock", "_lock", "_state", "counts", "name", "rule")

    def __init__(self, rule: SamplingRule, clock: Callable[[], float]) -> None:
        self.rule = rule
        self.name = rule.name
        self._clock = clock
        self._lock = threading.Lock()
        self.counts = [0, 0, 0]  # requests, sampled, borrowed
        borrow = 1 if rule.fixed_target > 0 else 0
        # (reservoir, borrowing, reservoir end on the clock, rate bound)
        self._state = (Reservoir(borrow, clock), borrow > 0, math.inf, rate_bound(rule.rate))

    def decide(self, trace_id: int) -> bool:
        reservoir, borrowing, until, bound = self._state
        borrowed = False
        if self._clock() < until and reservoir.take():
            sampled, borrowed = True, borrowing
        else:
            sampled = (trace_id & _LOW_64) < bound
        with self._lock:
            counts = self.counts
            counts[0] += 1
            counts[1] += sampled
            counts[2] += borrowed
        return sampled

    def apply_target(self, quota: int, until: float, fixed_rate: float) -> None:
        self._state = (Reservoir(quota, self._clock), False, until, rate_bound(fixed_rate))

    def take_counts(self) -> tuple[int, int, int]:
        with self._lock:
            requests, sampled, borrowed = self.counts
            self.counts = [0, 0, 0]
        return requests, sampled, borrowed


class _RuleSet:
    __slots__ = ("by_name", "decisions", "documents", "matcher")

    def __init__(
        self,
        matcher: RuleMatcher,
        decisions: tuple[_RemoteDecision, ...],
        documents: list[dict[str, object]],
    ) -> None:
        self.matcher = matcher
        self.decisions = decisions
        self.by_name = {d.name: d for d in decisions}
        self.documents = documents  # as fetched: an unchanged poll changes nothing


class XRayRemoteSampler(Sampler):
    """Root-span sampler on the rules X-Ray serves; wrap it in ParentBased (`RemoteParentBased`).

    `fallback` decides until rules were fetched. Seams for tests: `transport` (the HTTP
    calls), `clock` (monotonic: reservoirs and the poll schedule), `wall_clock` (epoch: TTLs,
    timestamps), `jitter` (0..1), and `start=False` with `tick()` to run polls by hand.
    """

    def __init__(
        self,
        endpoint: str,
        fallback: Sampler,
        service_name: str,
        *,
        service_type: str = "",
        resource_arn: str = "",
        rules_interval_s: float = DEFAULT_RULES_INTERVAL_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: Transport | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        start: bool = True,
    ) -> None:
        self.endpoint = endpoint
        self._fallback = fallback
        self._service = (service_name, service_type, resource_arn)
        self._rules_interval_s = rules_interval_s
        self._transport = transport or HttpTransport(endpoint, timeout_s)
        self._clock, self._wall_clock, self._jitter = clock, wall_clock, jitter
        self._active: _RuleSet | None = None
        self._fetched_at = 0.0  # wall clock of the last successful rules poll
        self._failing: set[str] = set()  # calls failing since their last success
        self._rules_ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client_id = ""
        self._begin()
        after_fork_in_child(self, XRayRemoteSampler._after_fork)
        if start:
            self._start()

    # --- sampling (the request path: no I/O, no waiting) -----------------------------------
    def should_sample(  # noqa: PLR0917  (signature fixed by the OTel Sampler interface)
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        active = self._active
        if active is None:
            return self._fallback.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
        return sample_by_rules(
            active.matcher, active.decisions, parent_context, trace_id, attributes
        )

    def get_description(self) -> str:
        active = self._active
        rules = self._fallback.get_description() if active is None else active.matcher.describe()
        return f"XRayRemoteSampler{{endpoint={self.endpoint},rules=[{rules}]}}"

    # --- state ------------------------------------------------------------------------------
    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def has_rules(self) -> bool:
        """True once rules were fetched (the local fallback no longer decides)."""
        return self._active is not None

    @property
    def alive(self) -> bool:
        """True while the poller thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def wait_for_rules(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for the first rules (e.g. before serving); True if fetched."""
        return self._rules_ready.wait(timeout_s)

    def shutdown(self, timeout_s: float = 0.0) -> None:
        """Stop the poller; wait up to `timeout_s` for its thread (default: not at all)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and timeout_s > 0 and thread is not threading.current_thread():
            thread.join(timeout_s)

    # --- polling ----------------------------------------------------------------------------
    def tick(self) -> float:
        """Run the polls that are due on `clock`; seconds until the next one is due. Called by
        the poller thread (tests with `start=False` call it by hand)."""
        if self._clock() >= self._rules_due:
            self._poll_rules()
        if self._clock() >= self._targets_due:
            self._poll_targets()
            if self._clock() >= self._rules_due:  # LastRuleModification: rules changed
                self._poll_rules()
        return min(self._rules_due, self._targets_due) - self._clock()

    def _poll_rules(self) -> None:
        try:
            documents = fetch_rule_documents(self._transport)
            if self._active is None or documents != self._active.documents:
                rules = parse_sampling_rules({"rules": documents}, self.endpoint)
                self._install(rules, documents)
        except Exception as exc:  # noqa: BLE001 - any failure, even a bug: keep the rules we have
            retry = self._active is None  # the sidecar may still be starting: retry soon
            self._failed("GetSamplingRules", exc)
            delay = DEFAULT_TARGETS_INTERVAL_S if retry else self._rules_interval_s
            self._rules_due = self._clock() + delay + self._jitter() * RULES_JITTER_S
            return
        self._succeeded("GetSamplingRules")
        self._fetched_at = self._wall_clock()
        self._rules_due = self._clock() + self._rules_interval_s + self._jitter() * RULES_JITTER_S

    def _install(self, rules: list[SamplingRule], documents: list[dict[str, object]]) -> None:
        name, service_type, resource_arn = self._service
        matcher = RuleMatcher(rules, name, service_type=service_type, resource_arn=resource_arn)
        old = self._active.by_name if self._active is not None else {}
        decisions = tuple(
            old[r.name]
            if r.name in old and old[r.name].rule == r
            else _RemoteDecision(r, self._clock)
            for r in matcher.rules
        )
        first = self._active is None
        self._active = _RuleSet(matcher, decisions, documents)
        self._rules_ready.set()
        _log.info(
            "X-Ray remote sampling: %s rules from %s: %s",
            "using the" if first else "updated",
            self.endpoint,
            matcher.describe(),
        )

    def _poll_targets(self) -> None:
        interval = DEFAULT_TARGETS_INTERVAL_S
        active = self._active
        statistics = self._statistics(active) if active is not None else []
        if active is not None and statistics:  # nothing matched since the last report: no call
            try:
                interval = self._apply(active, fetch_targets(self._transport, statistics))
            except Exception as exc:  # noqa: BLE001 - any failure, even a bug: keep the targets
                self._failed("GetSamplingTargets", exc)
            else:
                self._succeeded("GetSamplingTargets")
        self._targets_due = self._clock() + interval + self._jitter() * TARGETS_JITTER_S

    def _statistics(self, active: _RuleSet) -> list[dict[str, object]]:
        now = self._wall_clock()
        documents: list[dict[str, object]] = []
        for decision in active.decisions:
            requests, sampled, borrowed = decision.take_counts()
            if requests:
                documents.append(
                    {
                        "RuleName": decision.name,
                        "ClientID": self._client_id,
                        "Timestamp": now,
                        "RequestCount": requests,
                        "SampledCount": sampled,
                        "BorrowCount": borrowed,
                    }
                )
        return documents

    def _apply(self, active: _RuleSet, response: TargetsResponse) -> float:
        """Apply the targets; the interval X-Ray wants for the next report."""
        now, wall = self._clock(), self._wall_clock()
        intervals: list[float] = []
        for target in response.targets:
            decision = active.by_name.get(target.rule_name)
            if decision is None:
                continue
            until = now + (target.quota_ttl - wall) if target.quota_ttl is not None else now
            decision.apply_target(target.reservoir_quota, until, target.fixed_rate)
            if target.interval_s is not None:
                intervals.append(target.interval_s)
        for problem in response.unprocessed:
            _log.debug("X-Ray remote sampling: statistics not processed: %s", problem)
        if response.last_rule_modification > self._fetched_at:
            self._rules_due = now
        return max(1.0, min(intervals)) if intervals else DEFAULT_TARGETS_INTERVAL_S

    def _failed(self, call: str, error: Exception) -> None:
        if call in self._failing:
            _log.debug("X-Ray remote sampling: %s still failing: %s", call, error)
            return
        self._failing.add(call)
        using = "the last rules fetched" if self._active is not None else "the local rules"
        _log.warning(
            "X-Ray remote sampling: %s at %s failed (%s); using %s until it answers",
            call,
            self.endpoint,
            error,
            using,
        )

    def _succeeded(self, call: str) -> None:
        if call in self._failing:
            self._failing.discard(call)
            _log.info("X-Ray remote sampling: %s at %s answers again", call, self.endpoint)

    # --- thread and fork --------------------------------------------------------------------
    def _begin(self) -> None:
        """A new client id and schedule: at start, and in a forked child."""
        self._client_id = os.urandom(12).hex()
        now = self._clock()
        self._rules_due = now if self._active is None else now + self._rules_interval_s
        self._targets_due = now + DEFAULT_TARGETS_INTERVAL_S + self._jitter() * TARGETS_JITTER_S

    def _start(self) -> None:
        thread = threading.Thread(
            target=_poll_forever,
            args=(weakref.ref(self), self._stop),
            name="aurastream-xray-sampling",
            daemon=True,
        )
        self._thread = thread
        thread.start()

    def _after_fork(self) -> None:
        started = self._thread is not None
        self._thread = None
        active = self._active
        if active is not None:  # the parent's targets and counts are the parent's
            fresh = tuple(_RemoteDecision(d.rule, self._clock) for d in active.decisions)
            self._active = _RuleSet(active.matcher, fresh, active.documents)
        self._rules_ready = threading.Event()  # new locks: a thread may have held the old ones
        if active is not None:
            self._rules_ready.set()
        self._begin()
        if started and not self._stop.is_set():
            self._stop = threading.Event()
            self._start()


def _poll_forever(ref: weakref.ref[XRayRemoteSampler], stop: threading.Event) -> None:
    """The poller thread: never dies of an error; ends on `stop` or with its sampler."""
    while True:
        sampler = ref()
        if sampler is None:
            return
        try:
            delay = sampler.tick()
        except Exception:  # noqa: BLE001 - a bug in one poll must not end remote sampling
            _log.debug("X-Ray remote sampling: poll failed", exc_info=True)
            delay = DEFAULT_TARGETS_INTERVAL_S
        del sampler  # no strong reference while waiting
        if stop.wait(min(max(delay, 0.01), DEFAULT_RULES_INTERVAL_S)):
            return


class RemoteParentBased(ParentBased):
    """ParentBased(XRayRemoteSampler), with the remote sampler at hand to stop its poller."""

    def __init__(self, remote: XRayRemoteSampler) -> None:
        super().__init__(root=remote)
        self.remote = remote

    def shutdown(self, timeout_s: float = 0.0) -> None:
        self.remote.shutdown(timeout_s)
