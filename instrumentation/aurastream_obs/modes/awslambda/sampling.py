"""Head sampling for the Lambda mode: parent-based, X-Ray rules for roots, and the Sampled=0 policy.

The SDK-based `XRayRulesSampler` imports `opentelemetry.sdk.trace.sampling`; this evaluator
applies the same rules model (`sampling_rules.SamplingRule`: priority ascending, first match
wins, `*`/`?` wildcards, a per-second reservoir, then `rate` of the rest by trace id) without it.

`Sampled=0` on a remote parent (Lambda's `_X_AMZN_TRACE_ID` when Active tracing is off, or an
upstream that sampled out) is decided by `sampled0`:
- ``respect``: not sampled, as parent-based sampling says (the X-Ray SDK's behaviour);
- ``sample_locally`` (default): the rules decide, as if there were no parent decision, so a
  function without Active tracing still produces traces (aws-otel-lambda#14). The trace id is
  kept so logs still correlate with the caller.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from opentelemetry.trace import SpanContext, SpanKind
from opentelemetry.util.types import AttributeValue

from aurastream_obs.core.sampling_rules import XRAY_DEFAULT_RULE, SamplingRule

SAMPLED0_CHOICES: Final = ("sample_locally", "respect")
_LOW_64: Final = (1 << 64) - 1


def _compile(pattern: str) -> re.Pattern[str] | None:
    if not pattern or set(pattern) == {"*"}:
        return None
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


def _text(attrs: Mapping[str, AttributeValue], *keys: str) -> str:
    for key in keys:
        value = attrs.get(key)
        if value is not None:
            return value if isinstance(value, str) else str(value)
    return ""


class _Rule:
    __slots__ = (
        *("attributes", "bound", "capacity", "host", "lock"),
        *("method", "path", "second", "taken"),
    )

    def __init__(self, rule: SamplingRule) -> None:
        self.method = _compile(rule.http_method)
        self.host = _compile(rule.host)
        self.path = _compile(rule.url_path)
        self.attributes = tuple((k, _compile(v)) for k, v in rule.attributes.items())
        self.bound = round(rule.rate * (1 << 64))
        self.capacity = rule.fixed_target
        self.lock = threading.Lock()
        self.second = float("-inf")  # before any second: the first take() starts one
        self.taken = 0

    def matches(self, attrs: Mapping[str, AttributeValue]) -> bool:
        checks = (
            (self.method, ("http.request.method", "http.method")),
            (self.path, ("url.path", "http.target")),
            (self.host, ("server.address", "http.host")),
        )
        for pattern, keys in checks:
            if pattern is not None and pattern.fullmatch(_text(attrs, *keys)) is None:
                return False
        return all(p is None or p.fullmatch(_text(attrs, k)) for k, p in self.attributes)

    def take(self, now: float) -> bool:
        second = now // 1  # the second it falls in (floor)
        with self.lock:
            if second > self.second:
                self.second, self.taken = second, 0
            if self.taken < self.capacity:
                self.taken += 1
                return True
        return False


class LambdaSampler:
    """Callable matching `tracing.Sampler`."""

    def __init__(
        self,
        rules: Sequence[SamplingRule],
        service_name: str,
        *,
        sampled0: str = "sample_locally",
        service_type: str = "AWS::Lambda::Function",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        ordered = sorted(rules or [XRAY_DEFAULT_RULE], key=lambda r: (r.priority, r.name))
        self._rules = tuple(
            _Rule(r)
            for r in ordered
            if (p := _compile(r.service_name)) is None or p.fullmatch(service_name)
            if (t := _compile(r.service_type)) is None or t.fullmatch(service_type)
        )
        self.sampled0 = sampled0
        self._clock = clock

    def __call__(
        self,
        parent: SpanContext | None,
        trace_id: int,
        name: str,
        kind: SpanKind,
        attributes: Mapping[str, AttributeValue],
    ) -> bool:
        if parent is not None:
            if parent.trace_flags.sampled:
                return True
            if not parent.is_remote or self.sampled0 == "respect":
                return False  # a local parent already decided; children follow it
        return self.sample_root(trace_id, attributes)

    def sample_root(self, trace_id: int, attributes: Mapping[str, AttributeValue]) -> bool:
        for rule in self._rules:
            if rule.matches(attributes):
                return rule.take(self._clock()) or (trace_id & _LOW_64) < rule.bound
        return False


def packaged_rules_path() -> str:
    # A plain path instead of importlib.resources: that import costs cold-start time.
    return os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "sampling_rules.json")


def load_rules(path: str | None) -> list[SamplingRule]:
    """The configured rules; the X-Ray default rule when they cannot be read (warned)."""
    import logging

    from aurastream_obs.core.sampling_rules import load_sampling_rules

    if path:
        try:
            return load_sampling_rules(path)
        except ValueError as exc:
            logging.getLogger("aurastream_obs").warning(
                "ignoring AURASTREAM_SAMPLING_RULES: %s; using the packaged sampling rules", exc
            )
    try:
        return load_sampling_rules(packaged_rules_path())
    except ValueError:  # a broken package must still not break the function
        return [XRAY_DEFAULT_RULE]
