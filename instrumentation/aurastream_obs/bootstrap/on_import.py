"""`when_imported(name, callback)`: run `callback(module)` once `name` is imported.

At once when the module is already imported; otherwise right after its first import finishes,
whoever imports it. The Lambda mode uses it to install its MeterProvider into the OTel
metrics API without importing that API on the cold start (install.py): a function that never
touches `opentelemetry.metrics` does not pay for it, and one that does gets the provider before
its first `get_meter`.

How: a finder first on `sys.meta_path` that answers only for `name`. It asks the finders after
it for the real spec and wraps that spec's loader, so the module is found, loaded and cached
exactly as without it; the callback runs after the module's code, inside the same import. The
finder leaves `sys.meta_path` when the module has been executed, not when it is found: a
library probing with `importlib.util.find_spec` must not use the hook up. A failing callback is
logged, never raised into the importing code.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

_log = logging.getLogger("aurastream_obs")
Callback = Callable[[ModuleType], None]


def when_imported(name: str, callback: Callback) -> None:
    """Call `callback(module)` now if `name` is imported, else right after its import."""
    module = sys.modules.get(name)
    if module is not None:
        _run(callback, module)
        return
    sys.meta_path.insert(0, _AfterImport(name, callback))


def _run(callback: Callback, module: ModuleType) -> None:
    try:
        callback(module)
    except Exception:  # noqa: BLE001 - the importing code must not fail for our sake
        _log.warning("aurastream_obs: could not set up %s", module.__name__, exc_info=True)


class _AfterImport:
    """A meta path finder for one module name (see the module doc)."""

    def __init__(self, name: str, callback: Callback) -> None:
        self.name = name
        self.callback = callback
        self._lock = threading.Lock()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> Any:
        if fullname != self.name:
            return None
        spec = _find_with_others(self, fullname, path, target)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            if spec is not None:
                _log.debug("aurastream_obs: cannot watch the import of %s", fullname)
            return spec
        spec.loader = _LoaderThenCallback(loader, self._executed)
        return spec

    def _executed(self, module: ModuleType) -> None:
        with self._lock:
            if self not in sys.meta_path:
                return  # fired already
            sys.meta_path.remove(self)
        _run(self.callback, module)


def _find_with_others(skip: object, fullname: str, path: Sequence[str] | None, target: Any) -> Any:
    for finder in list(sys.meta_path):
        if finder is skip:
            continue
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        spec = find(fullname, path, target)
        if spec is not None:
            return spec
    return None


class _LoaderThenCallback:
    """The real loader, then the callback; every other attribute is the real loader's."""

    def __init__(self, loader: Any, callback: Callback) -> None:
        self._loader = loader
        self._callback = callback

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # The module's __loader__ and __spec__.loader stay the real loader (reload, resources).
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        self._callback(module)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._loader, attribute)
