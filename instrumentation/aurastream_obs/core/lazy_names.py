"""`lazy_getattr`: a module `__getattr__` (PEP 562) that imports a name on its first use.

The package roots (`aurastream_obs`, `propagation`) and `core/otel_compat` offer names whose
modules are expensive or not always needed: importing the package must not import them (cold
start), using a name must.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(module: str, where: Mapping[str, tuple[str, str | None]]) -> Callable[[str], Any]:
    """`__getattr__` for `module`: `where[name]` is (module to import, its attribute, or None
    for the module itself). The value is then kept in the module, so later lookups skip this."""

    def __getattr__(name: str) -> Any:
        target = where.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        from importlib import import_module

        found = import_module(target[0])
        value = found if target[1] is None else getattr(found, target[1])
        sys.modules[module].__dict__[name] = value
        return value

    return __getattr__
