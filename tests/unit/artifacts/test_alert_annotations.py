"""Every alert rule carries `summary`, the measured `value` and a `runbook_url` that points at
a real section of docs/runbooks.md; every alarm of the definitions has a runbook; every link
to a runbook section anywhere (rules, predictive rules, code, README) has its section; the
page's table lists every signal against its runbook."""

from __future__ import annotations

import re

from aurastream_obs.artifacts.prometheus_predictive import predictive_rules
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


_LINK = re.compile(r"runbooks\.md#([A-Za-z0-9_-]+)")


def test_every_runbook_link_anywhere_has_its_section() -> None:
    """The committed rules (threshold and predictive), the rendered ones, the package's code and
    the README: a link to a section that does not exist is a dead link in a page at 3 am."""
    sections = anchors()
    package = ROOT / "instrumentation" / "aurastream_obs"
    sources = [*(ROOT / "deploy").rglob("*.yaml"), *(ROOT / "grafana").rglob("*.json"),
               *package.rglob("*.py"), ROOT / "README.md"]  # fmt: skip
    links = {(path.relative_to(ROOT).as_posix(), anchor)
             for path in sources for anchor in _LINK.findall(path.read_text())}  # fmt: skip
    defs = load_definitions()
    rendered = [*iter_alerts(alert_rules(defs)), *iter_alerts(predictive_rules())]
    links |= {("rendered rules", r["annotations"]["runbook_url"].partition("#")[2])
              for r in rendered}  # fmt: skip
    assert {"high-error-rate", "alert-delivery"} <= {anchor for _, anchor in links}
    dead = sorted((where, anchor) for where, anchor in links if anchor not in sections)
    assert not dead, f"links to missing sections of {RUNBOOKS_DOC}: {dead}"


def test_the_page_lists_every_signal_against_its_runbook() -> None:
    listed: dict[str, str] = {}
    for row in re.findall(r"^\| (`.+`) \| \[([a-z-]+)\]\(#\2\)", (ROOT / RUNBOOKS_DOC).read_text(),
                          re.MULTILINE):  # fmt: skip
        listed |= dict.fromkeys(re.findall(r"`([a-z0-9-]+)`", row[0]), row[1])
    assert listed == dict(RUNBOOK_FOR_SIGNAL)
