"""Incident response runbooks: the seed's handlers as plans of allow-listed AWS
actions with hard limits, dry-run by default, every action written to the audit category."""

from __future__ import annotations

from aurastream_obs.ops.runbooks.catalog import RUNBOOKS, RunbookSettings, plan_for
from aurastream_obs.ops.runbooks.executor import Executor
from aurastream_obs.ops.runbooks.plan import Action, Limits, Plan, RunbookRefused

__all__ = [
    "RUNBOOKS",
    "Action",
    "Executor",
    "Limits",
    "Plan",
    "RunbookRefused",
    "RunbookSettings",
    "plan_for",
]
