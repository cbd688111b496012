"""Head sampling with AWS X-Ray sampling-rule semantics, evaluated in-process.

Rules sorted by ascending priority, then name; the first rule matching a root span decides: up
to ``fixed_target`` spans per second from the rule's reservoir, then ``rate`` of the rest.
``*``/``?`` wildcards match case-insensitively, as in aws-xray-sdk-python's ``wildcard_match``.
Deliberate differences from the X-Ray SDK's local sampler: a request property the span lacks
(no URL path on a queue consumer's span) matches only ``*`` (the SDK counts it as a match, which
would let a path rule capture every non-HTTP root span); the rate decision uses the trace id's
low 64 bits like ``TraceIdRatioBased`` (deterministic per trace); the reservoir is per process
(per Lambda execution environment), not shared by a fleet as centralized sampling is. For
that, `remote_sampling.XRayRemoteSampler` applies the rules and quotas X-Ray serves through the
same `RuleMatcher` (AURASTREAM_SAMPLING_ENDPOINT).

Head sampling cannot "sample all errors": the seed's "High priority for errors" rule matches
``http.status_code: 4*``, known only when the response is sent, after the decision at span
start. The rule is kept (it fires only for spans started with a status attribute); sampling all
errors belongs to the gateway collector's tail_sampling policy.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Protocol

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, get_current_span
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes, AttributeValue

from aurastream_obs.core.sampling_rules import (
    DEFAULT_RULE_PRIORITY,
    XRAY_DEFAULT_RULE,
    SamplingRule,
    SamplingRuleError,
    load_sampling_rules,
    parse_sampling_rules,
)

if TYPE_CHECKING:
    from aurastream_obs.core.settings import Settings

__all__ = [
    "DEFAULT_RULE_PRIORITY",
    "SAMPLING_RULE_ATTRIBUTE",
    "XRAY_DEFAULT_RULE",
    "SamplingRule",
    "SamplingRuleError",
    "XRayRulesSampler",
    "build_sampler",
    "load_sampling_rules",
    "parse_sampling_rules",
]

_log = logging.getLogger(__name__)

SAMPLING_RULE_ATTRIBUTE: Final = "aws.xray.sampling_rule"
_LOW_64: Final = (1 << 64) - 1
_EMPTY: Final[Mapping[str, AttributeValue]] = MappingProxyType({})


_ALIAS_PAIRS: Final = (
    ("http.status_code", "http.response.status_code"),
    ("http.method", "http.request.method"),
    ("http.url", "url.full"),
)
_ATTRIBUTE_ALIASES: Final = {a: (a, b) for a, b in _ALIAS_PAIRS} | {
    b: (b, a) for a, b in _ALIAS_PAIRS
}


def _compile(pattern: str) -> re.Pattern[str] | None:
    """X-Ray wildcard -> anchored regex, compiled once; None when it matches anything."""
    if pattern and set(pattern) == {"*"}:
        return None
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


def _matches(pattern: re.Pattern[str] | None, value: str) -> bool:
    return pattern is None or pattern.fullmatch(value) is not None


class Reservoir:
    """Up to `capacity` takes per clock second; thread-safe."""

    __slots__ = ("_capacity", "_clock", "_lock", "_second", "_taken")

    def __init__(self, capacity: int, clock: Callable[[], float]) -> None:
        self._capacity = capacity
        self._clock = clock
        self._lock = threading.Lock()
        self._second = -math.inf
        self._taken = 0

    def take(self) -> bool:
        if self._capacity == 0:
            return False
        second = math.floor(self._clock())
        if second <= self._second and self._taken >= self._capacity:
            return False  # exhausted this second: skip the lock (a racing reset costs one slot)
        with self._lock:
            if second > self._second:  # a late thread must not reset a newer second
                self._second = second
                self._taken = 0
            if self._taken < self._capacity:
                self._taken += 1
                return True
        return False


def rate_bound(rate: float) -> int:
    """Sample a trace when its id's low 64 bits are below this (TraceIdRatioBased's arithmetic)."""
    return round(rate * (1 << 64))


class _Patterns:
    __slots__ = ("attributes", "host", "method", "path")

    def __init__(self, rule: SamplingRule) -> None:
        self.method = _compile(rule.http_method)
        self.host = _compile(rule.host)
        self.path = _compile(rule.url_path)
        self.attributes = tuple(
            (_ATTRIBUTE_ALIASES.get(key, (key,)), _compile(value))
            for key, value in rule.attributes.items()
        )


def _http_method(attrs: Mapping[str, AttributeValue]) -> str:
    value = attrs.get("http.request.method") or attrs.get("http.method")
    return value if isinstance(value, str) else ""


def _host(attrs: Mapping[str, AttributeValue]) -> str:
    value = attrs.get("server.address") or attrs.get("http.host") or attrs.get("net.host.name")
    return value if isinstance(value, str) else ""


def _url_path(attrs: Mapping[str, AttributeValue]) -> str:
    value = attrs.get("url.path")
    if isinstance(value, str):
        return value
    value = attrs.get("http.target") or attrs.get("url.full") or attrs.get("http.url")
    if not isinstance(value, str):
        return ""
    scheme_end = value.find("://")
    if scheme_end >= 0:  # absolute URL: drop scheme and authority without urllib's cost
        slash = value.find("/", scheme_end + 3)
        value = value[slash:] if slash >= 0 else "/"
    return value.partition("?")[0].partition("#")[0]


def _attribute_text(attrs: Mapping[str, AttributeValue], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = attrs.get(key)
        if value is not None:
            return value if isinstance(value, str) else str(value)
    return None


class RuleMatcher:
    """The rules that apply to this process, in priority order (then name), and the first of
    them a root span matches. Service name, type and ARN are fixed for the process: rules
    on others are filtered out once, here; `rules` are the ones left."""

    __slots__ = ("_patterns", "rules")

    def __init__(
        self,
        rules: Sequence[SamplingRule],
        service_name: str,
        *,
        service_type: str = "",
        resource_arn: str = "",
    ) -> None:
        self.rules = tuple(
            rule
            for rule in sorted(rules, key=lambda r: (r.priority, r.name))
            if _matches(_compile(rule.service_name), service_name)
            and _matches(_compile(rule.service_type), service_type)
            and _matches(_compile(rule.resource_arn), resource_arn)
        )
        self._patterns = tuple(_Patterns(rule) for rule in self.rules)

    def first_match(self, attrs: Mapping[str, AttributeValue]) -> int:
        """The index in `rules` of the first rule the span's attributes match; -1 if none."""
        method: str | None = None  # request properties are read on first need only
        host: str | None = None
        path: str | None = None
        for index, rule in enumerate(self._patterns):
            if rule.method is not None:
                method = _http_method(attrs) if method is None else method
                if rule.method.fullmatch(method) is None:
                    continue
            if rule.path is not None:
                path = _url_path(attrs) if path is None else path
                if rule.path.fullmatch(path) is None:
                    continue
            if rule.host is not None:
                host = _host(attrs) if host is None else host
                if rule.host.fullmatch(host) is None:
                    continue
            if rule.attributes and not _attributes_match(rule, attrs):
                continue
            return index
        return -1

    def describe(self) -> str:
        return ",".join(f"{r.name}:{r.priority}" for r in self.rules)


def _attributes_match(rule: _Patterns, attrs: Mapping[str, AttributeValue]) -> bool:
    for keys, pattern in rule.attributes:
        text = _attribute_text(attrs, keys)
        if text is None or not _matches(pattern, text):
            return False
    return True


class RuleDecision(Protocol):
    """What a matched rule decides for one trace; `name` is recorded on sampled spans."""

    @property
    def name(self) -> str: ...

    def decide(self, trace_id: int) -> bool: ...


class _LocalDecision:
    """Up to `fixed_target` spans per clock second from the rule's reservoir, then `rate`."""

    __slots__ = ("bound", "name", "reservoir")

    def __init__(self, rule: SamplingRule, clock: Callable[[], float]) -> None:
        self.name = rule.name
        self.reservoir = Reservoir(rule.fixed_target, clock)
        self.bound = rate_bound(rule.rate)

    def decide(self, trace_id: int) -> bool:
        return self.reservoir.take() or (trace_id & _LOW_64) < self.bound


def sample_by_rules(
    matcher: RuleMatcher,
    decisions: Sequence[RuleDecision],
    parent_context: Context | None,
    trace_id: int,
    attributes: Attributes,
) -> SamplingResult:
    """The first matching rule decides (`decisions[i]` for `matcher.rules[i]`); no match drops."""
    attrs = attributes if attributes is not None else _EMPTY
    index = matcher.first_match(attrs)
    state = _parent_trace_state(parent_context)
    if index >= 0:
        decision = decisions[index]
        if decision.decide(trace_id):
            sampled = {**attrs, SAMPLING_RULE_ATTRIBUTE: decision.name}
            return SamplingResult(Decision.RECORD_AND_SAMPLE, sampled, state)
    return SamplingResult(Decision.DROP, None, state)


class XRayRulesSampler(Sampler):
    """Root-span sampler applying X-Ray rules; wrap it in ParentBased (see `build_sampler`)."""

    def __init__(
        self,
        rules: Sequence[SamplingRule],
        service_name: str,
        clock: Callable[[], float] = time.monotonic,
        *,
        service_type: str = "",
        resource_arn: str = "",
    ) -> None:
        self._service_name = service_name
        self._matcher = RuleMatcher(
            rules, service_name, service_type=service_type, resource_arn=resource_arn
        )
        self._decisions = tuple(_LocalDecision(rule, clock) for rule in self._matcher.rules)

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
        return sample_by_rules(self._matcher, self._decisions, parent_context, trace_id, attributes)

    def get_description(self) -> str:
        rules = self._matcher.describe()
        return f"XRayRulesSampler{{service={self._service_name},rules=[{rules}]}}"


def _parent_trace_state(parent_context: Context | None) -> TraceState | None:
    if parent_context is not None and not parent_context:
        return None  # an empty context has no parent: skip the span lookup (most root spans)
    span_context = get_current_span(parent_context).get_span_context()
    return span_context.trace_state if span_context.is_valid else None


# --- composition -------------------------------------------------------------------------------
_SERVICE_TYPES: Final = {  # cloud.platform -> X-Ray segment origin (what service_type matches)
    "aws_lambda": "AWS::Lambda::Function",
    "aws_ecs": "AWS::ECS::Container",
    "aws_eks": "AWS::EKS::Container",
    "aws_ec2": "AWS::EC2::Instance",
    "aws_elastic_beanstalk": "AWS::ElasticBeanstalk::Environment",
}
_RATIO_SAMPLERS: Final = ("traceidratio", "parentbased_traceidratio")
_STATIC_SAMPLERS: Final[Mapping[str, Sampler]] = {
    "always_on": ALWAYS_ON,
    "always_off": ALWAYS_OFF,
    "parentbased_always_on": ParentBased(ALWAYS_ON),
    "parentbased_always_off": ParentBased(ALWAYS_OFF),
}
RULES_SAMPLER_NAMES: Final = ("xray", "parentbased_xray")


def build_sampler(
    settings: Settings,
    *,
    resource_attributes: Mapping[str, AttributeValue] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Sampler:
    """The tracer provider's sampler: `settings.traces_sampler` if it names a standard
    sampler, else ParentBased(XRayRulesSampler) over `settings.sampling_rules_path` (or the
    packaged rules), or with `settings.sampling_endpoint` ParentBased(XRayRemoteSampler)
    falling back to those rules. Names and ratio were checked by the settings; a bad rules
    file warns and falls back; this never raises.
    """
    name = settings.traces_sampler
    if name in _STATIC_SAMPLERS:
        return _STATIC_SAMPLERS[name]
    if name in _RATIO_SAMPLERS:
        root = TraceIdRatioBased(settings.traces_sampler_arg)
        return ParentBased(root) if name.startswith("parentbased_") else root
    resource = resource_attributes or {}
    service = resource.get("service.name")
    platform = resource.get("cloud.platform")
    arn = resource.get("cloud.resource_id") or resource.get("faas.id")
    service_name = service if isinstance(service, str) else settings.service_name
    service_type = _SERVICE_TYPES.get(platform, "") if isinstance(platform, str) else ""
    resource_arn = arn if isinstance(arn, str) else ""
    local = XRayRulesSampler(
        _local_rules(settings.sampling_rules_path),
        service_name,
        clock,
        service_type=service_type,
        resource_arn=resource_arn,
    )
    if not settings.sampling_endpoint:
        return ParentBased(root=local)
    from aurastream_obs.sdk.remote_sampling import RemoteParentBased, XRayRemoteSampler

    remote = XRayRemoteSampler(
        settings.sampling_endpoint,
        local,
        service_name,
        service_type=service_type,
        resource_arn=resource_arn,
        rules_interval_s=settings.sampling_poll_interval_s,
        clock=clock,
    )
    return RemoteParentBased(remote)


def _local_rules(path: str | None) -> list[SamplingRule]:
    try:
        return load_sampling_rules(path)
    except ValueError as exc:
        _log.warning(
            "ignoring AURASTREAM_SAMPLING_RULES: %s; using the packaged sampling rules", exc
        )
        try:
            return load_sampling_rules(None)
        except ValueError:  # a broken package must still not break the service
            return [XRAY_DEFAULT_RULE]
