"""Propagators by OTEL_PROPAGATORS name, and a safe import of `opentelemetry.propagate`.

`opentelemetry.propagate` reads OTEL_PROPAGATORS *at import* and raises ValueError for a name
that is not installed (opentelemetry-api, propagate/__init__.py), so a value such as `b3`
without opentelemetry-propagator-b3 would stop any service that imports it. `propagate()`
imports it with the uninstalled names left out (warned once each); `factories()` offers
every installed propagator (entry point group `opentelemetry_propagator`) besides ours.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

from aurastream_obs.core.env import warn_invalid

_VARIABLE: Final = "OTEL_PROPAGATORS"
# Names the API resolves without surprises (its own entry points are always installed).
_BUILTIN: Final = frozenset({"", "none", "tracecontext", "baggage"})
_import_lock = threading.Lock()


def installed_names() -> set[str]:
    """Names in the `opentelemetry_propagator` entry point group (an entry point scan)."""
    from importlib.metadata import entry_points

    return {ep.name for ep in entry_points(group="opentelemetry_propagator")}


def load_installed(name: str) -> Callable[[], Any] | None:
    """The factory of an installed propagator, or None when it is not installed."""
    from importlib.metadata import entry_points

    for entry_point in entry_points(group="opentelemetry_propagator", name=name):
        try:
            factory: Callable[[], Any] = entry_point.load()
        except Exception:  # noqa: BLE001 - a broken plugin is skipped, not fatal
            return None
        return factory
    return None


def propagate() -> ModuleType:
    """`opentelemetry.propagate`, imported so that a bad OTEL_PROPAGATORS cannot raise."""
    loaded = sys.modules.get("opentelemetry.propagate")
    if loaded is not None:
        return loaded
    with _import_lock:
        raw = os.environ.get(_VARIABLE)
        names = [name.strip() for name in raw.split(",")] if raw is not None else []
        if all(name in _BUILTIN for name in names):
            from opentelemetry import propagate as module

            return module
        available = installed_names()
        kept = [name for name in names if name in _BUILTIN or name in available]
        for name in names:
            if name not in kept:
                warn_invalid(_VARIABLE, name, "skipped", "no such propagator is installed")
        # The API reads the variable once, at this import; it stays as the user set it.
        os.environ[_VARIABLE] = ",".join(n for n in kept if n) or "none"
        try:
            from opentelemetry import propagate as module
        finally:
            os.environ[_VARIABLE] = raw if raw is not None else ""
            if raw is None:
                del os.environ[_VARIABLE]
        return module
