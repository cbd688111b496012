"""One fork hook for every object that owns a thread, a socket or a lock.

A forked child (gunicorn and uvicorn pre-fork workers, multiprocessing) inherits no running
thread and must not share the parent's connections, so each such object re-initialises itself
in the child. The registration holds only a weak reference: a discarded pipeline is not kept
alive by `os.register_at_fork`, which offers no way to unregister.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


def after_fork_in_child(owner: _T, reinit: Callable[[_T], None]) -> None:
    """Call `reinit(owner)` in a forked child, for as long as `owner` is alive."""
    if not hasattr(os, "register_at_fork"):  # not on Windows
        return
    ref = weakref.ref(owner)

    def _in_child() -> None:
        target = ref()
        if target is not None:
            with contextlib.suppress(Exception):  # a failed re-init must not break the child
                reinit(target)

    os.register_at_fork(after_in_child=_in_child)


def after_fork_call(func: Callable[[], None]) -> None:
    """Call `func` in a forked child: for module-level state, which lives as long as the
    process (e.g. re-seeding an id generator so a child never repeats its parent's ids)."""
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=func)
