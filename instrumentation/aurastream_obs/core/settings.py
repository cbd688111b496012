"""The resolution of the environment variables (core/env_vars.py) into one immutable Settings.

Resolution order is always: explicit argument > environment variable > default. A bad
environment value never raises: it warns once and falls back to the default. Nothing here is
read at import time; `resolve_settings()` is called by `configure()`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any, Final, Literal, cast, get_args

from aurastream_obs.core.env import (
    EnvVar,
    check_host_port,
    check_url,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_str,
    parse_headers,
    parse_key_values,
    remote_sampling,
    sampler_arg,
    unquote_escapes,
    warn_invalid,
)
from aurastream_obs.core.env_vars import (
    ALL_ENV_VARS,
    CARDINALITY_LIMIT,
    DETECT_EC2,
    EMF_NAMESPACE,
    ENVIRONMENT,
    EXEMPLAR_FILTER,
    EXPORT_INTERVAL_MS,
    FLUSH_ON_SIGTERM,
    LAMBDA_FUNCTION,
    LAMBDA_SAMPLED0,
    LOG_BUFFER,
    LOG_BUFFER_MAX_BYTES,
    LOG_LEVEL,
    LOG_SAMPLE_RATE,
    LOG_STDOUT,
    LOG_TEXT,
    MAX_QUEUE_SIZE,
    MODE,
    OTLP_COMPRESSION,
    OTLP_ENDPOINT,
    OTLP_HEADERS,
    OTLP_LOGS_ENDPOINT,
    OTLP_METRICS_ENDPOINT,
    OTLP_TIMEOUT,
    OTLP_TRACES_ENDPOINT,
    PROMETHEUS_HOST,
    PROMETHEUS_PORT,
    PROPAGATORS,
    REDACT,
    RESOURCE_ATTRIBUTES,
    SAMPLING_ENDPOINT,
    SAMPLING_POLL_INTERVAL,
    SAMPLING_RULES,
    SCHEDULE_DELAY_MS,
    SDK_DISABLED,
    SDK_PATH,
    SERVICE_NAME,
    SERVICE_VERSION,
    SHUTDOWN_TIMEOUT_MS,
    TELEMETRY_DIR,
    TRACE_AWS_CLIENTS,
    TRACES_SAMPLER,
    TRACES_SAMPLER_ARG,
    XRAY_ANNOTATIONS,
    XRAY_DAEMON_ADDRESS,
)
from aurastream_obs.core.otlp_env import (
    GRPC_DEFAULT_ENDPOINT,
    OtlpTarget,
    exporters_from_env,
    proxy_variables,
    signal_overrides,
    tls_files,
    warn_not_used,
)
from aurastream_obs.core.records import Record, field, field_names, replace

__all__ = [
    "ALL_ENV_VARS",
    "DEFAULTS",
    "MODES",
    "Mode",
    "Settings",
    "detect_mode",
    "resolve_settings",
]

_log = logging.getLogger("aurastream_obs")


Mode = Literal["otlp", "lambda", "local", "none"]
MODES: Final[tuple[Mode, ...]] = ("otlp", "lambda", "local", "none")
ExemplarFilter = Literal["trace_based", "always_on", "always_off"]
# Variables of the platform (AWS Lambda, ECS) that the resource reads; named one by one so
# that no credential (AWS_SECRET_ACCESS_KEY...) is ever copied into the settings.
PLATFORM_VARIABLES: Final = (
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "ECS_CONTAINER_METADATA_URI_V4",
    "ECS_CONTAINER_METADATA_URI",
)
_OTLP_BASE: Final = OTLP_ENDPOINT.default


class Settings(Record, frozen=True):
    """Everything the pipelines need, resolved once by `resolve_settings()` and passed down:
    nothing below the composition root reads the environment. Defaults here are the
    documented ones (the EnvVar table above); `resolve_settings` falls back to them."""

    service_name: str = SERVICE_NAME.default
    service_version: str = ""  # "" = the package version
    environment: str = ENVIRONMENT.default
    mode: Mode = "local"
    telemetry_dir: str = TELEMETRY_DIR.default
    prometheus_port: int = int(PROMETHEUS_PORT.default)
    prometheus_host: str = PROMETHEUS_HOST.default
    sampling_rules_path: str | None = None
    sampling_endpoint: str = ""  # X-Ray remote sampling proxy ("" = the local rules only)
    sampling_poll_interval_s: int = int(SAMPLING_POLL_INTERVAL.default)
    log_level: int = logging.INFO
    log_stdout: bool = True
    log_analysed_text: bool = False
    log_sample_rate: float = 0.0
    log_buffer: bool = False
    log_buffer_max_bytes: int = int(LOG_BUFFER_MAX_BYTES.default)
    redact: bool = True
    detect_ec2: bool = False
    cardinality_limit: int = int(CARDINALITY_LIMIT.default)
    max_queue_size: int = int(MAX_QUEUE_SIZE.default)
    export_interval_ms: int = int(EXPORT_INTERVAL_MS.default)
    schedule_delay_ms: int = int(SCHEDULE_DELAY_MS.default)
    traces_endpoint: str = f"{_OTLP_BASE}/v1/traces"
    metrics_endpoint: str = f"{_OTLP_BASE}/v1/metrics"
    logs_endpoint: str = f"{_OTLP_BASE}/v1/logs"
    otlp_headers: Mapping[str, str] = field(default_factory=dict)
    otlp_timeout_s: float = int(OTLP_TIMEOUT.default) / 1000.0
    otlp_compression: Literal["gzip", "none"] = "gzip"
    propagators: tuple[str, ...] = tuple(PROPAGATORS.default.split(","))
    exemplar_filter: ExemplarFilter = "trace_based"
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    lambda_sampled0: Literal["sample_locally", "respect"] = "sample_locally"
    xray_annotations: tuple[str, ...] | None = None  # None: conventions.XRAY_INDEXED
    emf_namespace: str = EMF_NAMESPACE.default
    xray_daemon_address: str = XRAY_DAEMON_ADDRESS.default
    shutdown_timeout_ms: int = int(SHUTDOWN_TIMEOUT_MS.default)
    flush_on_sigterm: bool = False
    sdk_path: Literal["lean", "stock"] = "lean"
    trace_aws_clients: bool = True
    traces_sampler: str = TRACES_SAMPLER.default
    traces_sampler_arg: float = float(TRACES_SAMPLER_ARG.default)
    # Checked *_PROXY / NO_PROXY values (lower-case names) and the OTLP TLS files per signal
    # ("traces", "metrics", "logs") as (CA file, client certificate, client key).
    proxy_variables: Mapping[str, str] = field(default_factory=dict)
    otlp_tls: Mapping[str, tuple[str | None, str | None, str | None]] = field(default_factory=dict)
    platform_env: Mapping[str, str] = field(default_factory=dict)  # PLATFORM_VARIABLES found
    # OTEL_*_EXPORTER per signal (missing: otlp, i.e. the mode's own exporter) and the OTLP
    # protocol and per-signal overrides (core/otlp_env.py); `otlp_target()` combines them.
    exporters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    otlp_endpoint: str = ""  # OTEL_EXPORTER_OTLP_ENDPOINT as given ("" = unset)
    otlp_overrides: Mapping[str, Any] = field(default_factory=dict)

    def exporters_of(self, signal: str) -> tuple[str, ...]:
        """The exporters of a signal: "otlp" (the mode's own), "console", or ("none",)."""
        return self.exporters.get(signal, ("otlp",))

    def otlp_target(self, signal: str) -> OtlpTarget:
        """Endpoint, protocol, headers, timeout, compression and TLS files of one signal."""
        own: Mapping[str, Any] = self.otlp_overrides.get(signal, {})
        protocol = own.get("protocol") or self.otlp_overrides.get("protocol", "http/protobuf")
        if protocol == "grpc":  # gRPC takes scheme://host:port, no /v1/<signal> path
            endpoint = own.get("endpoint") or self.otlp_endpoint or GRPC_DEFAULT_ENDPOINT
        else:
            endpoint = {
                "traces": self.traces_endpoint,
                "metrics": self.metrics_endpoint,
                "logs": self.logs_endpoint,
            }[signal]
        return OtlpTarget(
            endpoint=endpoint,
            protocol=protocol,
            headers=own.get("headers", self.otlp_headers),
            timeout_s=own.get("timeout_s", self.otlp_timeout_s),
            compression=own.get("compression", self.otlp_compression),
            tls=self.otlp_tls.get(signal, (None, None, None)),
        )


DEFAULTS: Final = Settings()
_HOUR_MS: Final = 3_600_000
_DAY_MS: Final = 86_400_000


def _log_level(env: Mapping[str, str]) -> int:
    raw = env_str(env, LOG_LEVEL)
    if raw is None:
        return logging.INFO
    level = logging.getLevelName(raw.upper())
    if isinstance(level, int):
        return level
    warn_invalid(LOG_LEVEL.name, raw, "INFO")
    return logging.INFO


def _url(env: Mapping[str, str], var: EnvVar, fallback: str) -> str:
    raw = env_str(env, var)
    return (check_url(var.name, raw, fallback) if raw is not None else None) or fallback


def _endpoints(env: Mapping[str, str]) -> tuple[str, str, str]:
    base = _url(env, OTLP_ENDPOINT, OTLP_ENDPOINT.default).rstrip("/")
    return (
        _url(env, OTLP_TRACES_ENDPOINT, f"{base}/v1/traces"),
        _url(env, OTLP_METRICS_ENDPOINT, f"{base}/v1/metrics"),
        _url(env, OTLP_LOGS_ENDPOINT, f"{base}/v1/logs"),
    )


def _daemon_address(env: Mapping[str, str]) -> str:
    raw = env_str(env, XRAY_DAEMON_ADDRESS)
    if raw is None:
        return XRAY_DAEMON_ADDRESS.default
    # The X-Ray SDK form "tcp:h:p udp:h:p" names the UDP address in its udp: part.
    parts = raw.split()
    udp = next((p[4:] for p in parts if p.startswith("udp:")), parts[0] if parts else raw)
    host, _, port = XRAY_DAEMON_ADDRESS.default.rpartition(":")
    checked_host, checked_port = check_host_port(
        XRAY_DAEMON_ADDRESS.name, udp if len(parts) > 1 else raw, (host, int(port))
    )
    return (
        f"[{checked_host}]:{checked_port}"
        if ":" in checked_host
        else f"{checked_host}:{checked_port}"
    )


def detect_mode(env: Mapping[str, str]) -> Mode:
    """The contract's mode choice when none is given."""
    if env_bool(env, SDK_DISABLED, False):
        return "none"
    explicit = env_choice(env, MODE, MODES, "")
    if explicit:
        return cast(Mode, explicit)
    if any(
        env_str(env, v)
        for v in (OTLP_ENDPOINT, OTLP_TRACES_ENDPOINT, OTLP_METRICS_ENDPOINT, OTLP_LOGS_ENDPOINT)
    ):
        return "otlp"
    if env_str(env, LAMBDA_FUNCTION):
        return "lambda"
    return "local"


# OTEL_TRACES_SAMPLER values (OTel SDK environment variable specification) and ours.
SAMPLER_NAMES: Final = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
    "xray",
    "parentbased_xray",
)


def _names(raw: str | None) -> tuple[str, ...] | None:
    return None if raw is None else tuple(n.strip() for n in raw.split(",") if n.strip())


def _timeout_seconds(env: Mapping[str, str]) -> float:
    # The OTel spec defines OTEL_EXPORTER_OTLP_TIMEOUT in milliseconds.
    default_ms = int(OTLP_TIMEOUT.default)
    return env_int(env, OTLP_TIMEOUT, default_ms, minimum=1, maximum=_HOUR_MS) / 1000.0


def resolve_settings(
    service_name: str | None = None,
    mode: str | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build Settings from arguments, then the environment, then defaults.

    The composition root calls this once with `os.environ`; tests pass a mapping.
    """
    env = os.environ if env is None else env
    from aurastream_obs.core.version import __version__

    d = DEFAULTS
    warn_not_used(env)
    resource_attributes = parse_key_values(env_str(env, RESOURCE_ATTRIBUTES))
    resolved_mode = detect_mode(env)
    if mode is not None:
        if mode in MODES:
            resolved_mode = mode
        else:
            warn_invalid("mode", mode, resolved_mode)
    traces_ep, metrics_ep, logs_ep = _endpoints(env)
    sampler = env_choice(env, TRACES_SAMPLER, SAMPLER_NAMES, d.traces_sampler)
    ratio, options = sampler_arg(env, TRACES_SAMPLER_ARG, sampler.endswith("xray"))
    remote = remote_sampling(env, SAMPLING_ENDPOINT, SAMPLING_POLL_INTERVAL, options)
    if resolved_mode == "lambda" and remote[0]:  # Lambda's trace header decides, not rules
        warn_invalid(SAMPLING_ENDPOINT.name, remote[0], "", "not used in lambda mode")
        remote = ("", remote[1])
    settings = Settings(
        # The identity, resolved once for every signal (resource, log lines, EMF dimensions):
        # argument > own variable > OTEL_RESOURCE_ATTRIBUTES > default (OTel SDK spec:
        # OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES).
        service_name=service_name
        or env_str(env, SERVICE_NAME)
        or resource_attributes.get("service.name")
        or d.service_name,
        service_version=env_str(env, SERVICE_VERSION)
        or resource_attributes.get("service.version")
        or __version__,
        environment=env_str(env, ENVIRONMENT)
        or resource_attributes.get("deployment.environment.name")
        or resource_attributes.get("deployment.environment")  # the deprecated name, read only
        or d.environment,
        mode=resolved_mode,
        telemetry_dir=env_str(env, TELEMETRY_DIR) or d.telemetry_dir,
        prometheus_port=env_int(env, PROMETHEUS_PORT, d.prometheus_port, maximum=65535),
        prometheus_host=env_str(env, PROMETHEUS_HOST) or d.prometheus_host,
        sampling_rules_path=env_str(env, SAMPLING_RULES),
        sampling_endpoint=remote[0],
        sampling_poll_interval_s=remote[1],
        log_level=_log_level(env),
        log_stdout=env_bool(env, LOG_STDOUT, d.log_stdout),
        log_analysed_text=env_bool(env, LOG_TEXT, d.log_analysed_text),
        log_sample_rate=env_float(env, LOG_SAMPLE_RATE, 0.0, maximum=1.0),
        log_buffer=env_bool(env, LOG_BUFFER, d.log_buffer),
        log_buffer_max_bytes=env_int(
            env, LOG_BUFFER_MAX_BYTES, d.log_buffer_max_bytes, minimum=1024, maximum=10**7
        ),
        redact=env_bool(env, REDACT, d.redact),
        detect_ec2=env_bool(env, DETECT_EC2, d.detect_ec2),
        cardinality_limit=env_int(
            env, CARDINALITY_LIMIT, d.cardinality_limit, minimum=1, maximum=1_000_000
        ),
        max_queue_size=env_int(env, MAX_QUEUE_SIZE, d.max_queue_size, minimum=1, maximum=10**7),
        export_interval_ms=env_int(
            env, EXPORT_INTERVAL_MS, d.export_interval_ms, minimum=1, maximum=_DAY_MS
        ),
        schedule_delay_ms=env_int(
            env, SCHEDULE_DELAY_MS, d.schedule_delay_ms, minimum=1, maximum=_DAY_MS
        ),
        traces_endpoint=traces_ep,
        metrics_endpoint=metrics_ep,
        logs_endpoint=logs_ep,
        otlp_headers=parse_headers(OTLP_HEADERS.name, env_str(env, OTLP_HEADERS), unquote_escapes),
        otlp_timeout_s=_timeout_seconds(env),
        otlp_compression=cast(
            Literal["gzip", "none"],
            env_choice(env, OTLP_COMPRESSION, ("gzip", "none"), d.otlp_compression),
        ),
        propagators=tuple(
            p.strip().lower()
            for p in (env_str(env, PROPAGATORS) or PROPAGATORS.default).split(",")
            if p.strip()
        ),
        exemplar_filter=cast(
            ExemplarFilter,
            env_choice(env, EXEMPLAR_FILTER, get_args(ExemplarFilter), d.exemplar_filter),
        ),
        resource_attributes=resource_attributes,
        lambda_sampled0=cast(
            Literal["sample_locally", "respect"],
            env_choice(env, LAMBDA_SAMPLED0, ("sample_locally", "respect"), d.lambda_sampled0),
        ),
        xray_annotations=_names(env_str(env, XRAY_ANNOTATIONS)),
        emf_namespace=env_str(env, EMF_NAMESPACE) or d.emf_namespace,
        xray_daemon_address=_daemon_address(env),
        shutdown_timeout_ms=env_int(
            env, SHUTDOWN_TIMEOUT_MS, d.shutdown_timeout_ms, maximum=_HOUR_MS
        ),
        sdk_path=cast(
            Literal["lean", "stock"], env_choice(env, SDK_PATH, ("lean", "stock"), d.sdk_path)
        ),
        trace_aws_clients=env_bool(env, TRACE_AWS_CLIENTS, d.trace_aws_clients),
        traces_sampler=sampler,
        traces_sampler_arg=ratio,
        flush_on_sigterm=env_bool(env, FLUSH_ON_SIGTERM, d.flush_on_sigterm),
        proxy_variables=proxy_variables(env),
        otlp_tls=tls_files(env),
        platform_env={k: env[k] for k in PLATFORM_VARIABLES if env.get(k)},
        exporters=exporters_from_env(env),
        otlp_endpoint=_url(env, OTLP_ENDPOINT, "") if env_str(env, OTLP_ENDPOINT) else "",
        otlp_overrides=signal_overrides(env, unquote_escapes),
    )
    known = set(field_names(Settings))
    valid = {k: v for k, v in overrides.items() if k in known and v is not None}
    for unknown in sorted(set(overrides) - known):
        warn_invalid("configure() override", unknown, "ignored")
    return replace(settings, **valid) if valid else settings
