"""The OpenTelemetry exporter variables, per signal: which exporters (OTEL_*_EXPORTER) and, for
OTLP, the protocol, headers, timeout and compression of each signal
(OTEL_EXPORTER_OTLP_[SIGNAL_]*), as the OpenTelemetry SDK environment variable specification
defines them (opentelemetry-specification, "exporter.md" and "protocol/exporter.md"): a
signal-specific variable wins over the generic one, which wins over the default.

Unknown exporter names and protocols warn (naming the variable) and are skipped or fall back;
nothing here raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

from aurastream_obs.core.env import check_url, parse_headers, warn_invalid
from aurastream_obs.core.records import Record

Protocol = Literal["http/protobuf", "http/json", "grpc"]
ExporterName = Literal["otlp", "console", "none"]
SIGNALS: Final = ("traces", "metrics", "logs")
PROTOCOLS: Final[tuple[Protocol, ...]] = ("http/protobuf", "http/json", "grpc")
EXPORTERS: Final[tuple[ExporterName, ...]] = ("otlp", "console", "none")
GRPC_DEFAULT_ENDPOINT: Final = "http://localhost:4317"
_MAX_TIMEOUT_MS: Final = 3_600_000


class OtlpTarget(Record, frozen=True):
    """Where and how one signal is sent over OTLP."""

    endpoint: str  # http: the full URL (…/v1/traces); grpc: scheme://host:port
    protocol: Protocol
    headers: Mapping[str, str]
    timeout_s: float
    compression: Literal["gzip", "none"]
    tls: tuple[str | None, str | None, str | None]  # CA file, client cert, client key


def exporters_from_env(env: Mapping[str, str]) -> dict[str, tuple[ExporterName, ...]]:
    """OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER: comma-separated lists
    of otlp, console, none (default otlp); other names warn and are skipped."""
    chosen: dict[str, tuple[ExporterName, ...]] = {}
    for signal in SIGNALS:
        name = f"OTEL_{signal.upper()}_EXPORTER"
        raw = env.get(name, "").strip()
        if not raw:
            continue
        picked: list[ExporterName] = []
        for item in (part.strip().lower() for part in raw.split(",")):
            if item in EXPORTERS:
                if item not in picked:
                    picked.append(item)
            elif item:
                warn_invalid(name, item, "skipped", "supported: otlp, console, none")
        if "none" in picked:  # the spec: none means no exporter at all
            picked = ["none"]
        chosen[signal] = tuple(picked) or ("otlp",)
    return chosen


def signal_overrides(env: Mapping[str, str], unquote: Callable[[str], str]) -> dict[str, Any]:
    """The generic and per-signal OTLP protocol, headers, timeout, compression and explicit
    endpoints, checked: {"protocol": ..., "traces": {"protocol": ..., ...}, ...}."""
    result: dict[str, Any] = {"protocol": _protocol(env, "OTEL_EXPORTER_OTLP_PROTOCOL")}
    for signal in SIGNALS:
        prefix = f"OTEL_EXPORTER_OTLP_{signal.upper()}_"
        values: dict[str, Any] = {}
        if env.get(prefix + "PROTOCOL", "").strip():
            values["protocol"] = _protocol(env, prefix + "PROTOCOL")
        raw_headers = env.get(prefix + "HEADERS", "").strip()
        if raw_headers:
            values["headers"] = parse_headers(prefix + "HEADERS", raw_headers, unquote)
        timeout = _timeout(env, prefix + "TIMEOUT")
        if timeout is not None:
            values["timeout_s"] = timeout
        compression = env.get(prefix + "COMPRESSION", "").strip().lower()
        if compression in ("gzip", "none"):
            values["compression"] = compression
        elif compression:
            warn_invalid(prefix + "COMPRESSION", compression, "the generic setting", "gzip or none")
        endpoint = env.get(prefix + "ENDPOINT", "").strip()
        if endpoint and check_url(prefix + "ENDPOINT", endpoint, "the generic endpoint"):
            values["endpoint"] = endpoint
        result[signal] = values
    return result


def _protocol(env: Mapping[str, str], name: str) -> Protocol:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return "http/protobuf"
    if raw in PROTOCOLS:
        return raw
    warn_invalid(name, raw, "http/protobuf", "http/protobuf, http/json or grpc")
    return "http/protobuf"


def _timeout(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if raw.isdigit() and 0 < int(raw) <= _MAX_TIMEOUT_MS:
        return int(raw) / 1000.0  # milliseconds, as the spec defines it
    warn_invalid(name, raw, "the generic timeout", f"milliseconds, 1..{_MAX_TIMEOUT_MS}")
    return None


def proxy_variables(env: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in env.items() if k.lower().endswith("_proxy") and v.strip()}


def tls_files(env: Mapping[str, str]) -> dict[str, tuple[str | None, str | None, str | None]]:
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


# SDK variables aurastream_obs does not use, and what to use instead: each one that is set is
# named in one warning at configure(), so that a setting never silently does nothing.
NOT_USED: Final[dict[str, str]] = {
    "OTEL_BSP_MAX_QUEUE_SIZE": "AURASTREAM_MAX_QUEUE_SIZE (spans and logs)",
    "OTEL_BLRP_MAX_QUEUE_SIZE": "AURASTREAM_MAX_QUEUE_SIZE (spans and logs)",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "the fixed batch of 512",
    "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "the fixed batch of 512",
    "OTEL_BLRP_SCHEDULE_DELAY": "OTEL_BSP_SCHEDULE_DELAY (spans and logs)",
    "OTEL_BSP_EXPORT_TIMEOUT": "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_BLRP_EXPORT_TIMEOUT": "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_METRIC_EXPORT_TIMEOUT": "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "cumulative (every backend needs it)",
    "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION": "explicit SLO buckets",
    "OTEL_EXPORTER_OTLP_INSECURE": "the endpoint's scheme (http:// or https://)",
}


def warn_not_used(env: Mapping[str, str]) -> None:
    for name, instead in NOT_USED.items():
        value = env.get(name, "").strip()
        if value:
            warn_invalid(name, value, instead, "not used by aurastream_obs")
