"""Settings resolution: argument > environment > default; bad values warn and fall back."""

from __future__ import annotations

import logging

import pytest

from aurastream_obs.core import settings as s
from aurastream_obs.core.env import EnvVar, reset_warnings
from aurastream_obs.core.env_vars import OTLP_ENDPOINT
from aurastream_obs.core.settings import detect_mode, parse_key_values, resolve_settings


def test_defaults_without_environment() -> None:
    cfg = resolve_settings(env={})
    assert cfg.mode == "local"
    assert cfg.service_name == "aurastream-api"
    assert cfg.telemetry_dir == ".telemetry"
    assert cfg.prometheus_port == 9464
    assert cfg.traces_endpoint == "http://localhost:4318/v1/traces"
    assert cfg.propagators == ("tracecontext", "baggage", "xray")
    assert cfg.otlp_compression == "gzip"
    assert cfg.redact is True and cfg.log_analysed_text is False


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({}, "local"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, "otlp"),
        ({"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://c:4318/v1/logs"}, "otlp"),
        ({"AWS_LAMBDA_FUNCTION_NAME": "fn"}, "lambda"),
        ({"AWS_LAMBDA_FUNCTION_NAME": "fn", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, "otlp"),
        ({"AURASTREAM_TELEMETRY_MODE": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, "none"),
        ({"OTEL_SDK_DISABLED": "true", "AURASTREAM_TELEMETRY_MODE": "local"}, "none"),
        ({"AURASTREAM_TELEMETRY_MODE": "LOCAL"}, "local"),
    ],
)
def test_mode_detection_follows_the_contract(env: dict[str, str], mode: str) -> None:
    assert detect_mode(env) == mode


def test_argument_beats_environment_beats_default() -> None:
    env = {"OTEL_SERVICE_NAME": "from-env", "AURASTREAM_TELEMETRY_MODE": "none"}
    assert resolve_settings(env=env).service_name == "from-env"
    cfg = resolve_settings("from-arg", "otlp", env=env, prometheus_port=1234)
    assert cfg.service_name == "from-arg"
    assert cfg.mode == "otlp"
    assert cfg.prometheus_port == 1234


def test_signal_specific_endpoint_overrides_the_base() -> None:
    cfg = resolve_settings(
        env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/",
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://other:9999/m",
        }
    )
    assert cfg.traces_endpoint == "http://collector:4318/v1/traces"
    assert cfg.metrics_endpoint == "http://other:9999/m"


@pytest.mark.parametrize(
    ("name", "value", "field", "fallback"),
    [
        ("AURASTREAM_PROMETHEUS_PORT", "not-a-port", "prometheus_port", 9464),
        ("AURASTREAM_PROMETHEUS_PORT", "-5", "prometheus_port", 9464),
        ("AURASTREAM_LOG_REDACTION", "maybe", "redact", True),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "brotli", "otlp_compression", "gzip"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon", "otlp_timeout_s", 5.0),
        ("AURASTREAM_LOG_LEVEL", "LOUD", "log_level", logging.INFO),
        ("OTEL_METRICS_EXEMPLAR_FILTER", "sometimes", "exemplar_filter", "trace_based"),
    ],
)
def test_bad_environment_values_warn_and_fall_back(
    caplog: pytest.LogCaptureFixture, name: str, value: str, field: str, fallback: object
) -> None:
    reset_warnings()
    with caplog.at_level(logging.WARNING, logger="aurastream_obs"):
        cfg = resolve_settings(env={name: value})
    assert getattr(cfg, field) == fallback
    assert any(name in r.getMessage() for r in caplog.records)


def test_bad_mode_argument_warns_and_keeps_detected_mode(caplog: pytest.LogCaptureFixture) -> None:
    reset_warnings()
    with caplog.at_level(logging.WARNING, logger="aurastream_obs"):
        cfg = resolve_settings(mode="cloud", env={"AWS_LAMBDA_FUNCTION_NAME": "f"})
    assert cfg.mode == "lambda"
    assert "mode" in caplog.text


def test_unknown_override_is_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    reset_warnings()
    with caplog.at_level(logging.WARNING, logger="aurastream_obs"):
        cfg = resolve_settings(env={}, no_such_option=1)
    assert cfg == resolve_settings(env={})
    assert "no_such_option" in caplog.text


def test_timeout_is_read_in_milliseconds() -> None:
    assert resolve_settings(env={"OTEL_EXPORTER_OTLP_TIMEOUT": "2500"}).otlp_timeout_s == 2.5


def test_key_value_lists_are_percent_decoded_and_tolerate_garbage() -> None:
    parsed = parse_key_values("a=1, b = two%20words,garbage,=novalue,c=x=y")
    assert parsed == {"a": "1", "b": "two words", "c": "x=y"}


def test_every_environment_variable_is_documented_once() -> None:
    names = [v.name for v in s.ALL_ENV_VARS]
    assert len(names) == len(set(names))
    assert all(v.meaning.strip() for v in s.ALL_ENV_VARS)
    assert "AURASTREAM_TELEMETRY_MODE" in names and "OTEL_EXPORTER_OTLP_ENDPOINT" in names


@pytest.mark.parametrize(
    "var",
    [
        v
        for v in s.ALL_ENV_VARS
        # "(auto)", "(packaged)"... describe a computed default; "" is "unset".
        if v.default and not v.default.startswith("(") and v.name != "OTEL_EXPORTER_OTLP_ENDPOINT"
    ],
    ids=lambda v: v.name,
)
def test_setting_a_variable_to_its_documented_default_changes_nothing(var: EnvVar) -> None:
    """The default in the table (and the README) is the one resolve_settings() applies."""
    documented = resolve_settings(env={var.name: var.default})
    assert documented == resolve_settings(env={}), var.default


def test_the_documented_otlp_endpoint_is_the_one_used() -> None:
    """Setting it selects otlp mode (documented); in otlp mode, its default changes nothing."""
    var = OTLP_ENDPOINT
    documented = resolve_settings(mode="otlp", env={var.name: var.default})
    default = resolve_settings(mode="otlp", env={})
    assert documented.traces_endpoint == default.traces_endpoint == f"{var.default}/v1/traces"
