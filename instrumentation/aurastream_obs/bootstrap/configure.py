"""`configure()`: the composition root. Resolve settings once, build the pipelines of the mode,
install them, arrange the flush at exit. Nothing below reads the environment: everything gets
the resolved `Settings`.

    configure() ─▶ core.settings.resolve_settings(os.environ)
               ─▶ bootstrap.components.build_telemetry  (modes.* exporters → sdk.* pipelines,
                                                         or modes.awslambda lean providers)
               ─▶ bootstrap.install.install             (OTel globals, propagator, log handler)
               ─▶ bootstrap.exit_hooks                  (atexit; SIGTERM when asked)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from aurastream_obs.bootstrap.components import build_telemetry
from aurastream_obs.bootstrap.install import install
from aurastream_obs.bootstrap.telemetry import Telemetry
from aurastream_obs.core.settings import Settings, resolve_settings

__all__ = ["Telemetry", "build_telemetry", "configure", "current", "install"]

_log = logging.getLogger("aurastream_obs")

_lock = threading.Lock()
_current: Telemetry | None = None


def configure(
    service_name: str | None = None,
    *,
    mode: str | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Telemetry:
    """Configure traces, metrics and logs once per process; later calls return the same."""
    global _current  # noqa: PLW0603 - OTel globals are set-once per process; mirror that
    with _lock:
        if _current is not None and not _current._shut_down:
            if service_name or mode or overrides:
                _log.debug("aurastream_obs: configure() already done; arguments ignored")
            return _current
        telemetry = _build_and_install(service_name, mode, env, overrides)
        _current = telemetry
        if telemetry.settings.mode != "none":
            from aurastream_obs.bootstrap.exit_hooks import (
                install_sigterm_flush,
                register_exit_flush,
            )

            register_exit_flush(current)
            if telemetry.settings.flush_on_sigterm:
                install_sigterm_flush(current)
        return telemetry


def _build_and_install(
    service_name: str | None,
    mode: str | None,
    env: Mapping[str, str] | None,
    overrides: Mapping[str, Any],
) -> Telemetry:
    """Build and install; an unexpected failure warns and leaves telemetry off (mode none)."""
    try:
        settings = resolve_settings(service_name, mode, env, **overrides)
    except Exception:  # noqa: BLE001 - resolution warns and falls back; this is the backstop
        _log.warning("aurastream_obs: settings failed; telemetry off", exc_info=True)
        return Telemetry(settings=Settings(mode="none"))
    try:
        telemetry = build_telemetry(settings)
        install(telemetry)
    except Exception:  # noqa: BLE001 - configure() never fails the service it instruments
        _log.warning(
            "aurastream_obs: telemetry setup failed; continuing without telemetry",
            exc_info=True,
        )
        from aurastream_obs.core.records import replace

        return Telemetry(settings=replace(settings, mode="none"))
    return telemetry


def current() -> Telemetry | None:
    """The installed Telemetry, if configure() ran."""
    return _current
