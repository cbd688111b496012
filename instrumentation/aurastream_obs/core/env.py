"""Environment values: the documented variable type, typed readers, and checkers for values
that reach a socket (URLs, headers, host:port, proxies).

Every reader returns a usable value or warns once (naming the variable, the value and the
fallback) and falls back; nothing here raises for a bad value. Checked once, at
`configure()`, so that nothing below it can fail on a value at every export: http.client
refuses CR/LF in a header and non-ASCII in a request line, `urlsplit` raises on an unclosed
IPv6 bracket, `.port` on a port above 65535. Only the standard library is imported.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Final

_log = logging.getLogger("aurastream_obs")


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


# RFC 9110 token: the characters a header name may have.
_TOKEN: Final = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
# Field values: visible ASCII, space and tab (obs-text refused: http.client sends latin-1).
_FIELD_VALUE: Final = r"[\t\x20-\x7e]*"  # both patterns: compiled on first use (`re`'s cache)
_warned: set[str] = set()


def warn_invalid(name: str, value: object, fallback: object, why: str = "") -> None:
    """One warning per (variable, value): "ignoring invalid NAME='v' (why); using fallback"."""
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    key = f"{name}={shown}"
    if key in _warned:
        return
    _warned.add(key)
    reason = f" ({why})" if why else ""
    _log.warning("ignoring invalid %s=%s%s; using %r", name, shown, reason, fallback)


def reset_warnings() -> None:
    """Forget which values were warned about (tests: each case expects its warning)."""
    _warned.clear()


def check_url(name: str, raw: str, fallback: object) -> str | None:
    """An http(s) URL with a host and a valid port, ASCII only; else warn and None."""
    from urllib.parse import urlsplit

    why = ""
    if not raw.isascii() or any(ch in raw for ch in "\r\n\t "):
        why = "only ASCII without spaces or line breaks"
    else:
        try:
            url = urlsplit(raw)
            port = url.port  # raises ValueError out of 0-65535
            if url.scheme not in ("http", "https"):
                why = "scheme must be http or https"
            elif not url.hostname:
                why = "no host"
            elif port == 0:
                why = "port 0"
        except ValueError as exc:
            why = str(exc)
    if why:
        warn_invalid(name, raw, fallback, why)
        return None
    return raw


def parse_headers(name: str, raw: str | None, unquote: Callable[[str], str]) -> dict[str, str]:
    """OTLP headers `k=v,k2=v2` (percent-decoded); a pair that is not a valid header is
    skipped with a warning (a CR/LF in a value would otherwise fail every export)."""
    result: dict[str, str] = {}
    if not raw:
        return result
    for pair in raw.split(","):
        if not pair.strip():
            continue
        key, sep, value = pair.partition("=")
        key, value = unquote(key.strip()), unquote(value.strip())
        if not sep or not re.fullmatch(_TOKEN, key) or not re.fullmatch(_FIELD_VALUE, value):
            warn_invalid(name, pair.strip(), "the other headers", "not a valid HTTP header")
            continue
        result[key] = value
    return result


def check_host_port(name: str, raw: str, fallback: tuple[str, int]) -> tuple[str, int]:
    """`host:port` (an IPv6 host in brackets) with port 1-65535 and an ASCII host; else the
    fallback."""
    if raw.startswith("["):
        host, sep, port_text = raw[1:].partition("]:")
    else:
        host, sep, port_text = raw.rpartition(":")
        if ":" in host:  # an IPv6 address without brackets is ambiguous
            host = ""
    if (
        sep
        and host
        and host.isascii()
        and not any(ch.isspace() for ch in host)
        and port_text.isascii()
        and port_text.isdigit()
        and 0 < int(port_text) <= 65535
    ):
        return host, int(port_text)
    warn_invalid(name, raw, f"{fallback[0]}:{fallback[1]}", "expected host:port")
    return fallback


def check_proxy(env: Mapping[str, str], scheme: str, host: str) -> str | None:
    """The proxy the standard *_PROXY/NO_PROXY variables give for `scheme://host`, checked.

    An unusable proxy URL warns and means a direct connection (rather than a failure at every
    export).
    """
    if not any(key.lower().endswith("_proxy") for key in env):
        return None  # the usual case: no urllib.request import (cold start)
    import urllib.request

    proxies = {}
    for key, value in env.items():
        lowered = key.lower()
        if lowered.endswith("_proxy") and value:
            proxies[lowered[: -len("_proxy")]] = value
    proxy = proxies.get(scheme)
    if proxy is None:
        return None
    no_proxy = proxies.get("no", "")
    if no_proxy and _bypassed(host, no_proxy, urllib.request):
        return None
    variable = f"{scheme.upper()}_PROXY"
    if "://" not in proxy:
        proxy = f"http://{proxy}"
    return check_url(variable, proxy, "a direct connection")


def _bypassed(host: str, no_proxy: str, request_module: object) -> bool:
    bypass = getattr(request_module, "proxy_bypass_environment")  # noqa: B009 - not in typeshed
    try:
        return bool(bypass(host, {"no": no_proxy}))
    except Exception:  # noqa: BLE001 - a malformed NO_PROXY: connect through the proxy
        return False


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


def env_float(
    env: Mapping[str, str],
    var: EnvVar,
    default: float,
    minimum: float = 0.0,
    maximum: float = float("inf"),
) -> float:
    raw = env_str(env, var)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = minimum - 1.0
    if not minimum <= value <= maximum:  # also rejects NaN
        warn_invalid(var.name, raw, default, f"a number from {minimum} to {maximum}")
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


def env_choice(env: Mapping[str, str], var: EnvVar, choices: tuple[str, ...], default: str) -> str:
    raw = env_str(env, var)
    if raw is None:
        return default
    if raw.lower() in choices:
        return raw.lower()
    warn_invalid(var.name, raw, default)
    return default


def _identity(text: str) -> str:
    return text


def unquote_escapes(text: str) -> str:
    if "%" not in text:
        return text
    import urllib.parse

    return urllib.parse.unquote(text)


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


# Seconds between GetSamplingRules polls: at least ADOT's floor of 10 s, at most a day.
_POLL_RANGE: Final = (10, 86_400)


def sampler_arg(env: Mapping[str, str], var: EnvVar, options: bool) -> tuple[float, dict[str, str]]:
    """OTEL_TRACES_SAMPLER_ARG: the ratio of the traceidratio samplers (0 to 1, default 1.0),
    or, with `options` (the xray samplers) and an "=" in it, ADOT's remote sampling options
    `endpoint=URL,polling_interval=S`, checked (a bad one warns and is left out)."""
    raw = env_str(env, var)
    if raw is None:
        return 1.0, {}
    if options and "=" in raw:
        checked = {}
        for key, value in parse_key_values(raw).items():
            if key == "endpoint":
                if check_url(var.name, value, "the local sampling rules"):
                    checked[key] = value.rstrip("/")
            elif key != "polling_interval":
                warn_invalid(var.name, key, "ignored", "options are endpoint and polling_interval")
            elif value.isdigit() and _POLL_RANGE[0] <= int(value) <= _POLL_RANGE[1]:
                checked[key] = value
            else:
                warn_invalid(var.name, f"{key}={value}", "the default", "10 to 86400 s")
        return 1.0, checked
    try:
        ratio = float(raw)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:  # also rejects NaN
        warn_invalid(var.name, raw, 1.0, "a ratio from 0 to 1")
        return 1.0, {}
    return ratio, {}


def remote_sampling(
    env: Mapping[str, str], endpoint_var: EnvVar, interval_var: EnvVar, options: Mapping[str, str]
) -> tuple[str, int]:
    """X-Ray remote sampling: the proxy's base URL ("" = none) and the rules polling interval
    in seconds. Our variables win over the sampler argument's checked `options`."""
    raw = env_str(env, endpoint_var)
    endpoint = options.get("endpoint", "")
    if raw is not None:
        endpoint = (check_url(endpoint_var.name, raw, "the local sampling rules") or "").rstrip("/")
    interval = int(options.get("polling_interval", interval_var.default))
    return endpoint, env_int(env, interval_var, interval, *_POLL_RANGE)
