"""X-Ray sampling rules: the typed rule model and the rules-file loader.

Accepts the X-Ray SDK's local rules file (versions 1 and 2, snake_case keys) and the X-Ray API's
CamelCase rule shape. Errors name the rule (index and description) and the bad key.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from aurastream_obs.core.records import Record, field

_log = logging.getLogger("aurastream_obs.sdk.sampling")

DEFAULT_RULE_PRIORITY: Final = 10000  # X-Ray's own default rule sits at 10000, after 1..9999

_PATTERN_FIELDS: Final = (
    *("service_name", "service_type", "host"),
    *("http_method", "url_path", "resource_arn"),
)


class SamplingRuleError(ValueError):
    """A rule field with an invalid value; `key` names the field."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class SamplingRule(Record, frozen=True):
    """One X-Ray sampling rule. `fixed_target` is the reservoir size per second."""

    name: str
    priority: int
    fixed_target: int
    rate: float
    service_name: str = "*"
    service_type: str = "*"
    host: str = "*"
    http_method: str = "*"
    url_path: str = "*"
    resource_arn: str = "*"
    attributes: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for key in ("priority", "fixed_target"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SamplingRuleError(key, f"must be a non-negative integer, got {value!r}")
        rate = self.rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise SamplingRuleError("rate", f"must be a number between 0 and 1, got {rate!r}")
        object.__setattr__(self, "rate", float(rate))
        for key in ("name", *_PATTERN_FIELDS):
            if not isinstance(getattr(self, key), str):
                raise SamplingRuleError(key, f"must be a string, got {getattr(self, key)!r}")
        if not self.name:
            raise SamplingRuleError("name", "must not be empty")
        attrs = self.attributes
        if not isinstance(attrs, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in attrs.items()
        ):
            raise SamplingRuleError("attributes", f"must map strings to strings, got {attrs!r}")
        # Freeze a copy so a rule cannot change under a running sampler.
        object.__setattr__(self, "attributes", MappingProxyType(dict(attrs)))


# X-Ray's built-in default (1/s + 5 %): used when a file has no default, or cannot be read.
XRAY_DEFAULT_RULE: Final = SamplingRule("Default", DEFAULT_RULE_PRIORITY, 1, 0.05)

# --- loading -----------------------------------------------------------------------------------
# Rule keys: the X-Ray SDK local file (snake_case; in "version": 1 `service_name` means the host,
# as in aws_xray_sdk/core/sampling/local/sampling_rule.py) and the X-Ray API's SamplingRule shape.
_FIELDS: Final = ("name", "priority", "fixed_target", "rate", *_PATTERN_FIELDS, "attributes")
_SNAKE_KEYS: Final = {key: key for key in _FIELDS} | {"rule_name": "name"}
_API_KEYS: Final = dict(
    zip(
        (
            *("RuleName", "Priority", "ReservoirSize", "FixedRate", "ServiceName"),
            *("ServiceType", "Host", "HTTPMethod", "URLPath", "ResourceARN", "Attributes"),
        ),
        _FIELDS,
        strict=True,
    )
)
_IGNORED_KEYS: Final = frozenset({"description", "Description", "version", "Version", "RuleARN"})
_DEFAULT_KEYS: Final = frozenset({"fixed_target", "rate"})  # the default rule matches all


def load_sampling_rules(path: str | None) -> list[SamplingRule]:
    """Read an X-Ray sampling rules JSON file; None reads the packaged rules.

    Raises ValueError naming the file, the rule (index and description) and the bad key.
    """
    if path is None:
        from importlib.resources import files

        source = "aurastream_obs/data/sampling_rules.json"
        text = files("aurastream_obs").joinpath("data/sampling_rules.json").read_text("utf-8")
    else:
        source = path
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise ValueError(f"sampling rules {source}: cannot read: {exc}") from exc
    import json  # here: a cold start without a rules file does not load the json package

    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"sampling rules {source}: invalid JSON: {exc}") from exc
    return parse_sampling_rules(document, source)


def parse_sampling_rules(document: object, source: str = "<rules>") -> list[SamplingRule]:
    """Turn a decoded rules document into rules sorted by (priority, name)."""
    where = f"sampling rules {source}"
    if not isinstance(document, dict):
        raise ValueError(f"{where}: top level must be an object")
    version = document.get("version", 2)
    if version not in (1, 2):
        raise ValueError(f"{where}: 'version' must be 1 or 2, got {version!r}")
    raw_rules, default = document.get("rules", []), document.get("default")
    if not isinstance(raw_rules, list):
        raise ValueError(f"{where}: 'rules' must be a list")
    rules = [
        _parse_rule(raw, f"{where}: rules[{i}]", version, {"name": f"rule-{i}", "priority": i + 1})
        for i, raw in enumerate(raw_rules)  # SDK local rules without priorities apply in order
    ]
    if default is not None:
        fixed = {"name": "Default", "priority": DEFAULT_RULE_PRIORITY}
        rules.append(_parse_rule(default, f"{where}: default", version, fixed, _DEFAULT_KEYS))
    elif not any(r.priority == DEFAULT_RULE_PRIORITY for r in rules):
        rules.append(XRAY_DEFAULT_RULE)
    names = [r.name for r in rules]
    if duplicates := sorted({n for n in names if names.count(n) > 1}):
        raise ValueError(f"{where}: duplicate rule names {duplicates}")
    rules.sort(key=lambda r: (r.priority, r.name))
    _warn_shadowed(rules, source)
    return rules


def _parse_rule(
    raw: object,
    where: str,
    version: int,
    fallback: dict[str, Any],
    allowed: frozenset[str] | None = None,
) -> SamplingRule:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: must be an object")
    description = raw.get("description") or raw.get("RuleName") or raw.get("rule_name")
    if description:
        where = f"{where} ({description!r})"
    keys = _API_KEYS if any(k in _API_KEYS for k in raw) else _SNAKE_KEYS
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key, value in raw.items():
        target = keys.get(key)
        if target is None and key in _IGNORED_KEYS:
            continue
        if target is None or (allowed is not None and key not in allowed):
            raise ValueError(f"{where}: unknown key {key!r}")
        if version == 1 and keys is _SNAKE_KEYS and target == "service_name":
            target = "host"  # X-Ray SDK local rules v1: service_name is matched against the host
        values[target], origin[target] = value, key
    if allowed is None and isinstance(description, str):
        values.setdefault("name", description)
    for required in ("fixed_target", "rate"):
        if required not in values:
            wanted = next(k for k, v in keys.items() if v == required)
            raise ValueError(f"{where}: missing key {wanted!r}")
    try:
        return SamplingRule(**(fallback | values if allowed is None else values | fallback))
    except SamplingRuleError as exc:
        raise ValueError(f"{where}: key {origin.get(exc.key, exc.key)!r} {exc.message}") from None
    except TypeError as exc:  # a key given the wrong shape entirely
        raise ValueError(f"{where}: {exc}") from None


def _warn_shadowed(rules: Sequence[SamplingRule], source: str) -> None:
    # A catch-all before other rules silently disables them (the seed's list order does this).
    for position, rule in enumerate(rules[:-1]):
        if not rule.attributes and all(set(getattr(rule, k)) == {"*"} for k in _PATTERN_FIELDS):
            later = [r.name for r in rules[position + 1 :]]
            _log.warning("rules %s: %r matches all, %s never apply", source, rule.name, later)
            return
