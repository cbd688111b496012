"""Every environment variable aurastream_obs reads, and their resolution into one immutable object.

Resolution order is always: explicit argument > environment variable > default. A bad
environment value never raises: it warns once and falls back to the default. Nothing here is
read at import time; `resolve_settings()` is called by `configure()`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final

from aurastream_obs.core.env import check_host_port, check_url, parse_headers
from aurastream_obs.core.env import warn_invalid as _warn_invalid

_log = logging.getLogger("aurastream_obs")

MODES: Final = ("otlp", "lambda", "local", "none")


class EnvVar:
    """One documented environment variable (rendered into the README's table).

    A plain class, not a dataclass: about 40 are created at import, on the cold-start path.
    """

    __slots__ = ("default", "meaning", "name")

    def __init__(self, name: str, meaning: str, default: str) -> None:
        self.name = name
        self.meaning = meaning
        self.default = default

    def __repr__(self) -> str:
        return f"EnvVar({self.name!r}, {self.meaning!r}, {self.default!r})"


# --- AuraStream variables -------------------------------------------------------------------
MODE = EnvVar(
    "AURASTREAM_TELEMETRY_MODE",
    "Export mode: otlp, lambda, local or none. Unset: otlp if an OTLP endpoint is set, "
    "else lambda on AWS Lambda, else local.",
    "(auto)",
)
TELEMETRY_DIR = EnvVar(
    "AURASTREAM_TELEMETRY_DIR", "Local mode: folder for traces/metrics/logs.jsonl.", ".telemetry"
)
PROMETHEUS_PORT = EnvVar(
    "AURASTREAM_PROMETHEUS_PORT",
    "Local mode: port of the Prometheus /metrics endpoint (0 = off).",
    "9464",
)
PROMETHEUS_HOST = EnvVar(
    "AURASTREAM_PROMETHEUS_HOST",
    "Local mode: address the /metrics endpoint binds to.",
    "127.0.0.1",
)
ENVIRONMENT = EnvVar("AURASTREAM_ENVIRONMENT", "deployment.environment resource attribute.", "dev")
SERVICE_VERSION = EnvVar(
    "AURASTREAM_SERVICE_VERSION", "service.version resource attribute.", "(package version)"
)
SAMPLING_RULES = EnvVar(
    "AURASTREAM_SAMPLING_RULES",
    "Path to an X-Ray sampling rules JSON file (head sampling). Default: the packaged rules.",
    "(packaged)",
)
LOG_LEVEL = EnvVar("AURASTREAM_LOG_LEVEL", "Minimum level of the JSON logs.", "INFO")
LOG_STDOUT = EnvVar(
    "AURASTREAM_LOG_STDOUT",
    "Also write JSON log lines to stdout in otlp mode (always on in local and lambda modes).",
    "true",
)
LOG_TEXT = EnvVar(
    "AURASTREAM_LOG_ANALYSED_TEXT",
    "Allow the analysed text to appear in logs. Off by default: it is customer content.",
    "false",
)
REDACT = EnvVar(
    "AURASTREAM_LOG_REDACTION",
    "Redact PII in logs (client IP to /24, e-mail addresses, secret-like keys).",
    "true",
)
DETECT_EC2 = EnvVar(
    "AURASTREAM_DETECT_EC2",
    "Query the EC2 instance metadata service for resource attributes (a network call).",
    "false",
)
CARDINALITY_LIMIT = EnvVar(
    "AURASTREAM_CARDINALITY_LIMIT", "Maximum attribute sets per metric view.", "2000"
)
MAX_QUEUE_SIZE = EnvVar(
    "AURASTREAM_MAX_QUEUE_SIZE",
    "Bound of each export queue (spans, log records); overflow is counted, never blocking.",
    "65536",
)
LAMBDA_SAMPLED0 = EnvVar(
    "AURASTREAM_LAMBDA_SAMPLED0",
    "Lambda mode: what a remote parent with Sampled=0 (Lambda's _X_AMZN_TRACE_ID when Active "
    "tracing is off) means: sample_locally (the X-Ray rules decide) or respect (drop).",
    "sample_locally",
)
XRAY_ANNOTATIONS = EnvVar(
    "AURASTREAM_XRAY_ANNOTATIONS",
    "Lambda mode: span attributes sent to X-Ray as (indexed) annotations, comma separated, "
    "* for all; the others go to metadata. Default: the conventions' indexed keys.",
    "(indexed keys)",
)
EMF_NAMESPACE = EnvVar(
    "AURASTREAM_EMF_NAMESPACE", "Lambda mode: CloudWatch namespace of the EMF metrics.",
    "AuraStream/Application",
)  # fmt: skip
XRAY_DAEMON_ADDRESS = EnvVar(
    "AWS_XRAY_DAEMON_ADDRESS",
    "Set by Lambda: the X-Ray daemon's UDP address (lambda mode sends segments there).",
    "127.0.0.1:2000",
)
EXPORT_INTERVAL_MS = EnvVar(
    "OTEL_METRIC_EXPORT_INTERVAL", "Metric export interval in milliseconds.", "10000"
)
SCHEDULE_DELAY_MS = EnvVar(
    "OTEL_BSP_SCHEDULE_DELAY", "Delay between span/log export batches in milliseconds.", "1000"
)
SHUTDOWN_TIMEOUT_MS = EnvVar(
    "AURASTREAM_SHUTDOWN_TIMEOUT",
    "Budget in milliseconds of the flush at exit, at an ASGI server's graceful stop and on "
    "SIGTERM (fits a 30 s container stop grace period with room to drain requests).",
    "10000",
)
FLUSH_ON_SIGTERM = EnvVar(
    "AURASTREAM_FLUSH_ON_SIGTERM",
    "Install a SIGTERM handler that shuts telemetry down within the budget, then chains to "
    "the previous handler (default action: exit by the signal). For scripts without one.",
    "false",
)

# --- Standard OpenTelemetry variables we honour ---------------------------------------------
SERVICE_NAME = EnvVar("OTEL_SERVICE_NAME", "service.name resource attribute.", "aurastream-api")
RESOURCE_ATTRIBUTES = EnvVar(
    "OTEL_RESOURCE_ATTRIBUTES", "Extra resource attributes, key=value,key=value.", ""
)
OTLP_ENDPOINT = EnvVar(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTLP/HTTP base URL; /v1/traces, /v1/metrics, /v1/logs are appended.",
    "http://localhost:4318",
)
OTLP_TRACES_ENDPOINT = EnvVar(
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "Full OTLP/HTTP URL for traces.", "(from base)"
)
OTLP_METRICS_ENDPOINT = EnvVar(
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "Full OTLP/HTTP URL for metrics.", "(from base)"
)
OTLP_LOGS_ENDPOINT = EnvVar(
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "Full OTLP/HTTP URL for logs.", "(from base)"
)
OTLP_HEADERS = EnvVar(
    "OTEL_EXPORTER_OTLP_HEADERS", "Extra HTTP headers for OTLP export, key=value,...", ""
)
OTLP_TIMEOUT = EnvVar("OTEL_EXPORTER_OTLP_TIMEOUT", "OTLP export timeout in milliseconds.", "5000")
OTLP_COMPRESSION = EnvVar(
    "OTEL_EXPORTER_OTLP_COMPRESSION", "OTLP body compression: gzip or none.", "gzip"
)
PROPAGATORS = EnvVar(
    "OTEL_PROPAGATORS",
    "Propagators, comma separated (tracecontext, baggage, xray).",
    "tracecontext,baggage,xray",
)
EXEMPLAR_FILTER = EnvVar(
    "OTEL_METRICS_EXEMPLAR_FILTER",
    "Exemplars: trace_based, always_on or always_off.",
    "trace_based",
)
TRACES_SAMPLER = EnvVar(
    "OTEL_TRACES_SAMPLER",
    "Standard sampler name (always_on, always_off, traceidratio, parentbased_*) instead of "
    "the X-Ray rules sampler (xray).",
    "parentbased_xray",
)
TRACES_SAMPLER_ARG = EnvVar(
    "OTEL_TRACES_SAMPLER_ARG", "Ratio for the traceidratio samplers.", "1.0"
)
SDK_DISABLED = EnvVar("OTEL_SDK_DISABLED", "true turns telemetry off (same as mode none).", "false")
LAMBDA_FUNCTION = EnvVar(
    "AWS_LAMBDA_FUNCTION_NAME", "Set by AWS Lambda; selects lambda mode when no endpoint.", ""
)

ALL_ENV_VARS: Final[tuple[EnvVar, ...]] = tuple(
    v for v in globals().copy().values() if isinstance(v, EnvVar)
)


@dataclass(frozen=True)
class Settings:
    """Everything configure() needs, resolved once."""

    service_name: str = SERVICE_NAME.default
    service_version: str = ""
    environment: str = ENVIRONMENT.default
    mode: str = "local"
    telemetry_dir: str = TELEMETRY_DIR.default
    prometheus_port: int = 9464
    prometheus_host: str = PROMETHEUS_HOST.default
    sampling_rules_path: str | None = None
    log_level: int = logging.INFO
    log_stdout: bool = True
    log_analysed_text: bool = False
    redact: bool = True
    detect_ec2: bool = False
    cardinality_limit: int = 2000
    max_queue_size: int = 65536
    export_interval_ms: int = 10000
    schedule_delay_ms: int = 1000
    traces_endpoint: str = "http://localhost:4318/v1/traces"
    metrics_endpoint: str = "http://localhost:4318/v1/metrics"
    logs_endpoint: str = "http://localhost:4318/v1/logs"
    otlp_headers: Mapping[str, str] = field(default_factory=dict)
    otlp_timeout_s: float = 5.0
    otlp_compression: str = "gzip"
    propagators: tuple[str, ...] = ("tracecontext", "baggage", "xray")
    exemplar_filter: str = "trace_based"
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    lambda_sampled0: str = LAMBDA_SAMPLED0.default
    xray_annotations: tuple[str, ...] | None = None  # None: conventions.XRAY_INDEXED
    emf_namespace: str = EMF_NAMESPACE.default
    xray_daemon_address: str = XRAY_DAEMON_ADDRESS.default
    shutdown_timeout_ms: int = 10000
    flush_on_sigterm: bool = False
    traces_sampler: str = "parentbased_xray"
    traces_sampler_arg: float = 1.0
    # Checked *_PROXY / NO_PROXY values (lower-case names) and the OTLP TLS files per signal
    # ("traces", "metrics", "logs") as (CA file, client certificate, client key).
    proxy_variables: Mapping[str, str] = field(default_factory=dict)
    otlp_tls: Mapping[str, tuple[str | None, str | None, str | None]] = field(default_factory=dict)


# The env_* readers below are shared with the reference service (aurastream_obs.service):
# a blank value counts as unset, a bad one warns once (per name and value) and falls back.
def warn_invalid(name: str, value: str, fallback: object, why: str = "") -> None:
    _warn_invalid(name, value, fallback, why)


def env_str(env: Mapping[str, str], var: EnvVar) -> str | None:
    value = env.get(var.name)
    return value.strip() if value is not None and value.strip() != "" else None


def env_int(
    env: Mapping[str, str],
    var: EnvVar,
    default: int,
    minimum: int = 0,
    maximum: int = 2**31 - 1,
) -> int:
    raw = env_str(env, var)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        warn_invalid(var.name, raw, default, "not an integer")
        return default
    if not minimum <= value <= maximum:
        warn_invalid(var.name, raw, default, f"outside {minimum}..{maximum}")
        return default
    return value


def env_float(env: Mapping[str, str], var: EnvVar, default: float, minimum: float = 0.0) -> float:
    raw = env_str(env, var)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = minimum - 1.0
    if not value >= minimum:  # also rejects NaN
        warn_invalid(var.name, raw, default)
        return default
    return value


def env_bool(env: Mapping[str, str], var: EnvVar, default: bool) -> bool:
    raw = env_str(env, var)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    warn_invalid(var.name, raw, default)
    return default


def _choice(env: Mapping[str, str], var: EnvVar, choices: tuple[str, ...], default: str) -> str:
    raw = env_str(env, var)
    if raw is None:
        return default
    if raw.lower() in choices:
        return raw.lower()
    warn_invalid(var.name, raw, default)
    return default


def _identity(text: str) -> str:
    return text


def _unquote_for(text: str) -> str:
    if "%" not in text:
        return text
    import urllib.parse

    return urllib.parse.unquote(text)


_HOUR_MS: Final = 3_600_000
_DAY_MS: Final = 86_400_000


def parse_key_values(raw: str | None) -> dict[str, str]:
    """Parse the OTel `k=v,k2=v2` format (values percent-decoded); malformed pairs are skipped."""
    if not raw:
        return {}
    unquote: Callable[[str], str] = _identity
    if "%" in raw:  # lazy: urllib.parse costs ≈ 2 ms of cold start, needed only for escapes
        import urllib.parse

        unquote = urllib.parse.unquote

    result: dict[str, str] = {}
    for pair in raw.split(","):
        if "=" not in pair:
            continue
        key, _, value = pair.partition("=")
        if key.strip():
            result[unquote(key.strip())] = unquote(value.strip())
    return result


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


def _proxy_variables(env: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in env.items() if k.lower().endswith("_proxy") and v.strip()}


def _tls_files(env: Mapping[str, str]) -> dict[str, tuple[str | None, str | None, str | None]]:
    """OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE/CLIENT_CERTIFICATE/CLIENT_KEY, checked to exist."""
    import os.path

    def get(signal: str, what: str) -> str | None:
        for name in (f"OTEL_EXPORTER_OTLP_{signal}_{what}", f"OTEL_EXPORTER_OTLP_{what}"):
            value = env.get(name, "").strip()
            if value:
                if os.path.isfile(value):
                    return value
                warn_invalid(name, value, "the system default", "no such file")
                return None
        return None

    return {
        signal.lower(): (
            get(signal, "CERTIFICATE"),
            get(signal, "CLIENT_CERTIFICATE"),
            get(signal, "CLIENT_KEY"),
        )
        for signal in ("TRACES", "METRICS", "LOGS")
    }


def detect_mode(env: Mapping[str, str]) -> str:
    """The contract's mode choice when none is given."""
    if env_bool(env, SDK_DISABLED, False):
        return "none"
    explicit = _choice(env, MODE, MODES, "")
    if explicit:
        return explicit
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


def _sampler_ratio(env: Mapping[str, str]) -> float:
    raw = env_str(env, TRACES_SAMPLER_ARG)
    if raw is None:
        return 1.0
    try:
        ratio = float(raw)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:  # also rejects NaN
        warn_invalid(TRACES_SAMPLER_ARG.name, raw, 1.0, "a ratio from 0 to 1")
        return 1.0
    return ratio


def _names(raw: str | None) -> tuple[str, ...] | None:
    return None if raw is None else tuple(n.strip() for n in raw.split(",") if n.strip())


def _timeout_seconds(env: Mapping[str, str]) -> float:
    # The OTel spec defines OTEL_EXPORTER_OTLP_TIMEOUT in milliseconds.
    return env_int(env, OTLP_TIMEOUT, 5000, minimum=1, maximum=_HOUR_MS) / 1000.0


def resolve_settings(
    service_name: str | None = None,
    mode: str | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build Settings from arguments, then the environment, then defaults."""
    env = os.environ if env is None else env
    from aurastream_obs.core.version import __version__

    resolved_mode = detect_mode(env)
    if mode is not None:
        if mode in MODES:
            resolved_mode = mode
        else:
            warn_invalid("mode", mode, resolved_mode)
    traces_ep, metrics_ep, logs_ep = _endpoints(env)
    settings = Settings(
        service_name=service_name or env_str(env, SERVICE_NAME) or SERVICE_NAME.default,
        service_version=env_str(env, SERVICE_VERSION) or __version__,
        environment=env_str(env, ENVIRONMENT) or ENVIRONMENT.default,
        mode=resolved_mode,
        telemetry_dir=env_str(env, TELEMETRY_DIR) or TELEMETRY_DIR.default,
        prometheus_port=env_int(env, PROMETHEUS_PORT, 9464, maximum=65535),
        prometheus_host=env_str(env, PROMETHEUS_HOST) or PROMETHEUS_HOST.default,
        sampling_rules_path=env_str(env, SAMPLING_RULES),
        log_level=_log_level(env),
        log_stdout=env_bool(env, LOG_STDOUT, True),
        log_analysed_text=env_bool(env, LOG_TEXT, False),
        redact=env_bool(env, REDACT, True),
        detect_ec2=env_bool(env, DETECT_EC2, False),
        cardinality_limit=env_int(env, CARDINALITY_LIMIT, 2000, minimum=1, maximum=1_000_000),
        max_queue_size=env_int(env, MAX_QUEUE_SIZE, 65536, minimum=1, maximum=10_000_000),
        export_interval_ms=env_int(env, EXPORT_INTERVAL_MS, 10000, minimum=1, maximum=_DAY_MS),
        schedule_delay_ms=env_int(env, SCHEDULE_DELAY_MS, 1000, minimum=1, maximum=_DAY_MS),
        traces_endpoint=traces_ep,
        metrics_endpoint=metrics_ep,
        logs_endpoint=logs_ep,
        otlp_headers=parse_headers(OTLP_HEADERS.name, env_str(env, OTLP_HEADERS), _unquote_for),
        otlp_timeout_s=_timeout_seconds(env),
        otlp_compression=_choice(env, OTLP_COMPRESSION, ("gzip", "none"), "gzip"),
        propagators=tuple(
            p.strip().lower()
            for p in (env_str(env, PROPAGATORS) or PROPAGATORS.default).split(",")
            if p.strip()
        ),
        exemplar_filter=_choice(
            env, EXEMPLAR_FILTER, ("trace_based", "always_on", "always_off"), "trace_based"
        ),
        resource_attributes=parse_key_values(env_str(env, RESOURCE_ATTRIBUTES)),
        lambda_sampled0=_choice(
            env, LAMBDA_SAMPLED0, ("sample_locally", "respect"), LAMBDA_SAMPLED0.default
        ),
        xray_annotations=_names(env_str(env, XRAY_ANNOTATIONS)),
        emf_namespace=env_str(env, EMF_NAMESPACE) or EMF_NAMESPACE.default,
        xray_daemon_address=_daemon_address(env),
        shutdown_timeout_ms=env_int(env, SHUTDOWN_TIMEOUT_MS, 10000, maximum=_HOUR_MS),
        traces_sampler=_choice(env, TRACES_SAMPLER, SAMPLER_NAMES, TRACES_SAMPLER.default),
        traces_sampler_arg=_sampler_ratio(env),
        flush_on_sigterm=env_bool(env, FLUSH_ON_SIGTERM, False),
        proxy_variables=_proxy_variables(env),
        otlp_tls=_tls_files(env),
    )
    known = {f.name for f in fields(Settings)}
    valid = {k: v for k, v in overrides.items() if k in known and v is not None}
    for unknown in sorted(set(overrides) - known):
        warn_invalid("configure() override", unknown, "ignored")
    return replace(settings, **valid) if valid else settings
