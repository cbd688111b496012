"""Loading X-Ray sampling rules files: packaged rules, accepted shapes, clear errors."""

from __future__ import annotations

import json
import logging
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.sampling import Decision

from aurastream_obs.sdk.sampling import (
    DEFAULT_RULE_PRIORITY,
    SAMPLING_RULE_ATTRIBUTE,
    SamplingRule,
    XRayRulesSampler,
    load_sampling_rules,
    parse_sampling_rules,
)

# The seed's rules, verbatim (seed doc, "X-Ray Sampling Configuration").
SEED_RULES: dict[str, Any] = {
    "version": 2,
    "rules": [
        {
            "description": "Default sampling rule",
            "service_name": "*",
            "http_method": "*",
            "url_path": "*",
            "fixed_target": 1,
            "rate": 0.1,
        },
        {
            "description": "High priority for errors",
            "service_name": "*",
            "http_method": "*",
            "url_path": "*",
            "fixed_target": 10,
            "rate": 1.0,
            "attributes": {"http.status_code": "4*"},
        },
        {
            "description": "Critical endpoints",
            "service_name": "aurastream-api",
            "http_method": "*",
            "url_path": "/analyze/*",
            "fixed_target": 5,
            "rate": 0.5,
        },
    ],
}


def write(tmp_path: Path, document: object) -> str:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return str(path)


def test_packaged_rules_translate_the_seed() -> None:
    rules = load_sampling_rules(None)
    by_name = {r.name: r for r in rules}
    assert [r.name for r in rules] == [
        "high-priority-errors",
        "critical-endpoints-v1",
        "critical-endpoints",
        "Default",
    ]
    assert by_name["high-priority-errors"].attributes == {"http.status_code": "4*"}
    assert (by_name["high-priority-errors"].fixed_target, by_name["high-priority-errors"].rate) == (
        10,
        1.0,
    )
    for name in ("critical-endpoints", "critical-endpoints-v1"):
        assert by_name[name].service_name == "aurastream-api"
        assert (by_name[name].fixed_target, by_name[name].rate) == (5, 0.5)
    assert by_name["critical-endpoints"].url_path == "/analyze/*"  # the seed's path, verbatim
    default = by_name["Default"]
    assert (default.priority, default.fixed_target, default.rate) == (DEFAULT_RULE_PRIORITY, 1, 0.1)


def test_packaged_rules_document_the_head_sampling_limit() -> None:
    text = files("aurastream_obs").joinpath("data/sampling_rules.json").read_text("utf-8")
    errors = next(r for r in json.loads(text)["rules"] if r["rule_name"] == "high-priority-errors")
    assert "tail_sampling" in errors["description"]
    assert "cannot fire at the head" in errors["description"]


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/v1/analyze", "critical-endpoints-v1"),
        ("POST", "/v1/analyze/batch", "critical-endpoints-v1"),
        ("GET", "/analyze/123", "critical-endpoints"),
        ("GET", "/health", "Default"),
        ("GET", "/v1/analyzer-stats", "critical-endpoints-v1"),
    ],
)
def test_packaged_rules_route_real_requests(method: str, path: str, expected: str) -> None:
    sampler = XRayRulesSampler(load_sampling_rules(None), "aurastream-api")
    result = sampler.should_sample(
        None, 0x65A1B2C3 << 96, "s", attributes={"http.request.method": method, "url.path": path}
    )
    assert result.decision is Decision.RECORD_AND_SAMPLE  # reservoirs are fresh
    assert result.attributes[SAMPLING_RULE_ATTRIBUTE] == expected


def test_critical_rule_needs_the_service_name() -> None:
    sampler = XRayRulesSampler(load_sampling_rules(None), "another-service")
    attrs = {"http.request.method": "POST", "url.path": "/v1/analyze"}
    result = sampler.should_sample(None, 1 << 96, "s", attributes=attrs)
    assert result.attributes[SAMPLING_RULE_ATTRIBUTE] == "Default"


def test_seed_shape_loads_and_warns_that_its_catch_all_shadows_the_rest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        rules = load_sampling_rules(write(tmp_path, SEED_RULES))
    assert [r.name for r in rules] == [
        "Default sampling rule",
        "High priority for errors",
        "Critical endpoints",
        "Default",  # X-Ray's built-in default, appended because the file has none
    ]
    assert [r.priority for r in rules] == [1, 2, 3, DEFAULT_RULE_PRIORITY]
    assert "'Default sampling rule' matches all" in caplog.text
    assert "Critical endpoints" in caplog.text


def test_version_1_service_name_is_the_host(tmp_path: Path) -> None:
    document = {
        "version": 1,
        "rules": [
            {
                "description": "api",
                "service_name": "api.example.com",
                "http_method": "GET",
                "url_path": "/x",
                "fixed_target": 0,
                "rate": 0.2,
            }
        ],
        "default": {"fixed_target": 1, "rate": 0.05},
    }
    first = load_sampling_rules(write(tmp_path, document))[0]
    assert (first.host, first.service_name, first.http_method) == ("api.example.com", "*", "GET")


def test_api_shape_rules_are_accepted() -> None:
    document = {
        "rules": [
            {
                "RuleName": "api-rule",
                "Priority": 7,
                "ReservoirSize": 3,
                "FixedRate": 0.25,
                "ServiceName": "aurastream-*",
                "ServiceType": "*",
                "Host": "*",
                "HTTPMethod": "POST",
                "URLPath": "/v1/*",
                "ResourceARN": "*",
                "Attributes": {"tier": "gold"},
                "Version": 1,
                "RuleARN": "arn:aws:xray:eu-west-1:1:sampling-rule/api-rule",
            }
        ]
    }
    first = parse_sampling_rules(document)[0]
    assert first == SamplingRule(
        "api-rule", 7, 3, 0.25, "aurastream-*", "*", "*", "POST", "/v1/*", "*", {"tier": "gold"}
    )


def _rule(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "description": "Critical endpoints",
        "http_method": "*",
        "url_path": "/v1/*",
        "fixed_target": 5,
        "rate": 0.5,
    }
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


@pytest.mark.parametrize(
    ("document", "fragments"),
    [
        (
            {"rules": [_rule(description="ok"), _rule(rate=1.5)]},
            ["rules[1]", "'Critical endpoints'", "'rate'", "1.5"],
        ),
        ({"rules": [_rule(rate="0.5")]}, ["rules[0]", "'rate'"]),
        ({"rules": [_rule(fixed_rate=0.5)]}, ["rules[0]", "unknown key 'fixed_rate'"]),
        ({"rules": [_rule(rate=None)]}, ["rules[0]", "missing key 'rate'"]),
        ({"rules": [_rule(fixed_target=-1)]}, ["'fixed_target'", "non-negative integer"]),
        ({"rules": [_rule(fixed_target=True)]}, ["'fixed_target'"]),
        ({"rules": [_rule(priority=2.5)]}, ["'priority'"]),
        ({"rules": [_rule(url_path=5)]}, ["'url_path'", "string"]),
        ({"rules": [_rule(attributes={"a": 1})]}, ["'attributes'", "strings"]),
        ({"rules": [_rule(attributes=["a"])]}, ["'attributes'"]),
        ({"rules": [_rule(rule_name="")]}, ["'rule_name'", "empty"]),
        ({"rules": ["not an object"]}, ["rules[0]", "must be an object"]),
        ({"rules": {"a": 1}}, ["'rules' must be a list"]),
        ({"version": 3, "rules": []}, ["'version' must be 1 or 2", "3"]),
        ({"rules": [], "default": {"fixed_target": 1}}, ["default", "missing key 'rate'"]),
        (
            {"rules": [], "default": {"fixed_target": 1, "rate": 0.1, "url_path": "/x"}},
            ["default", "unknown key 'url_path'"],
        ),
        ({"rules": [], "default": {"fixed_target": 1, "rate": 2}}, ["default", "'rate'"]),
        (
            {"rules": [_rule(description="same"), _rule(description="same")]},
            ["duplicate rule names", "same"],
        ),
        (
            {"rules": [{"RuleName": "r", "ReservoirSize": 1, "FixedRate": 7}]},
            ["rules[0]", "'r'", "'FixedRate'"],
        ),
        ({"rules": [{"RuleName": "r", "FixedRate": 0.1}]}, ["missing key 'ReservoirSize'"]),
        ([1, 2], ["top level must be an object"]),
        ("{not json", ["invalid JSON"]),
    ],
)
def test_invalid_rules_name_the_rule_and_key(
    tmp_path: Path, document: object, fragments: list[str]
) -> None:
    path = write(tmp_path, document)
    with pytest.raises(ValueError) as caught:
        load_sampling_rules(path)
    message = str(caught.value)
    assert path in message
    for fragment in fragments:
        assert fragment in message


def test_missing_file_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_sampling_rules(str(tmp_path / "absent.json"))


def test_rule_is_immutable_and_validated_directly() -> None:
    attributes = {"k": "v"}
    rule = SamplingRule("r", 1, 0, 1, attributes=attributes)
    attributes["k"] = "changed"
    assert rule.attributes == {"k": "v"}
    assert isinstance(rule.rate, float)
    with pytest.raises(ValueError, match="rate"):
        SamplingRule("r", 1, 0, -0.1)
    with pytest.raises(AttributeError):
        rule.rate = 0.5  # type: ignore[misc]
