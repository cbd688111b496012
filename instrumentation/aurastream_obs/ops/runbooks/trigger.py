"""Alert → runbook glue for `alerts serve --runbooks`: plans the alert's runbook in dry-run
(audit lines only). Executing from an alert is deliberately not offered: a human runs
`aurastream-obs runbook run <name> --execute`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from aurastream_obs.ops.alerts.alert import Alert
from aurastream_obs.ops.runbooks.catalog import RUNBOOKS, RunbookSettings, plan_for
from aurastream_obs.ops.runbooks.executor import Executor
from aurastream_obs.ops.runbooks.plan import RunbookRefused

_log: Final = logging.getLogger("aurastream.runbooks")


def dry_run_hook(
    settings: RunbookSettings | None = None, executor: Executor | None = None
) -> Callable[[Alert], None]:
    settings = settings or RunbookSettings()
    executor = executor or Executor()

    def hook(alert: Alert) -> None:
        if alert.runbook not in RUNBOOKS:
            return
        try:
            executor.run(plan_for(alert, settings), execute=False)
        except RunbookRefused as exc:
            _log.warning("%s", exc, extra={"category": "application"})

    return hook
