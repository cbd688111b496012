"""Every alert rule carries `summary`, the measured `value` and a `runbook_url` that points at
a real section of docs/runbooks.md; every alarm of the definitions has a runbook."""

from __future__ import annotations

import re

from aurastream_obs.artifacts.prometheus_rules import alert_rules, iter_alerts
from aurastream_obs.definitions import load_definitions
from aurastream_obs.definitions.runbooks import (
    RUNBOOK_FOR_SIGNAL,
    RUNBOOK_NAMES,
    RUNBOOKS_DOC,
    runbook_for,
)
from aurastream_obs.ops.runbooks.catalog import RUNBOOKS
from support.paths import ROOT


def anchors() -> set[str]:
    text = (ROOT / RUNBOOKS_DOC).read_text()
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
            for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}  # fmt: skip


def test_every_alert_rule_has_summary_value_and_a_real_runbook_url() -> None:
    rules = list(iter_alerts(alert_rules(load_definitions())))
    assert rules
    sections = anchors()
    for rule in rules:
        annotations = rule["annotations"]
        assert annotations["summary"] and "$value" in annotations["value"], rule["alert"]
        path, _, anchor = annotations["runbook_url"].partition("#")
        assert path == RUNBOOKS_DOC and anchor in sections, (rule["alert"], anchor)


def test_every_alarm_and_runbook_has_its_page() -> None:
    defs = load_definitions()
    missing = [a.name for a in defs.alarms if runbook_for(a.name) is None]
    assert not missing, f"alarms without a runbook: {missing}"
    assert set(RUNBOOK_NAMES) == set(RUNBOOKS)
    assert set(RUNBOOK_FOR_SIGNAL.values()) <= anchors()
