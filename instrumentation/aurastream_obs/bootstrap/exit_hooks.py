"""Deliver what was recorded when the process stops: at exit, and (opt-in) on SIGTERM.

- **Normal exit** (end of script, `sys.exit`, an uncaught exception): an `atexit` hook shuts
  the installed Telemetry down within `AURASTREAM_SHUTDOWN_TIMEOUT`. The SDK providers are
  built with `shutdown_on_exit=False`, so this is the one exit path, and it is bounded.
- **A server's graceful stop** (uvicorn on SIGTERM): uvicorn restores the previous signal
  handlers after its shutdown and raises the signal again, so the process dies by it and
  `atexit` never runs; the ASGI middleware flushes at the lifespan shutdown instead
  (`flush_installed`).
- **SIGTERM without a handler** (a plain script or worker): the default action kills the
  process at once. `AURASTREAM_FLUSH_ON_SIGTERM=true` (or `configure(flush_on_sigterm=True)`)
  installs a handler that shuts telemetry down within the budget and then chains to the
  handler it replaced: a Python handler is called, SIG_IGN keeps ignoring, the default action
  is restored and the signal raised again (the exit status still says "killed by SIGTERM").
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aurastream_obs.bootstrap.configure import Telemetry

_log = logging.getLogger("aurastream_obs")
_atexit_registered = False
_sigterm_installed = False


def register_exit_flush(current: Callable[[], Telemetry | None]) -> None:
    """Shut the installed Telemetry down at interpreter exit (once per process)."""
    global _atexit_registered  # noqa: PLW0603 - one hook per process, like the SDK's
    if _atexit_registered:
        return
    _atexit_registered = True

    def _at_exit() -> None:
        telemetry = current()
        if telemetry is not None:
            telemetry.shutdown(telemetry.settings.shutdown_timeout_ms)

    atexit.register(_at_exit)


def install_sigterm_flush(current: Callable[[], Telemetry | None]) -> bool:
    """Install the chaining SIGTERM handler; False (with a warning) off the main thread."""
    global _sigterm_installed  # noqa: PLW0603 - one handler per process
    if _sigterm_installed:
        return True
    if threading.current_thread() is not threading.main_thread():
        _log.warning(
            "aurastream_obs: AURASTREAM_FLUSH_ON_SIGTERM needs configure() on the main "
            "thread (signal handlers can only be set there); not installed"
        )
        return False
    import signal  # here: its enums cost a cold start that does not ask for this handler

    previous = signal.getsignal(signal.SIGTERM)

    def _on_sigterm(signum: int, frame: FrameType | None) -> None:
        telemetry = current()
        if telemetry is not None:
            telemetry.shutdown(telemetry.settings.shutdown_timeout_ms)
        _chain(previous, signum, frame)

    signal.signal(signal.SIGTERM, _on_sigterm)
    _sigterm_installed = True
    return True


def _chain(previous: Any, signum: int, frame: FrameType | None) -> None:
    import signal

    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_IGN:
        return
    else:  # SIG_DFL (or None: set from C): die by the signal, as without us
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)


def flush_installed() -> bool:
    """Flush the installed Telemetry within its shutdown budget (True if nothing was lost).

    Run at a server's graceful stop, after which the process usually dies by the re-raised
    signal (no atexit): so what was dropped is summed up on stderr here."""
    from aurastream_obs.bootstrap.configure import current

    telemetry = current()
    if telemetry is None:
        return True
    delivered = telemetry.force_flush(telemetry.settings.shutdown_timeout_ms)
    telemetry.report_drops("server stop")
    return delivered
