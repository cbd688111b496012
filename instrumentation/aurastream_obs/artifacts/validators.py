"""`aurastream-obs validate` checks for the rendered rules, Alertmanager config, CloudFormation
templates and Grafana dashboards. Each takes the repo root and returns problems naming the
file; a missing tool is a problem too (validation never passes by skipping)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from aurastream_obs.artifacts.alertmanager import ALERTMANAGER_PATH
from aurastream_obs.artifacts.cloudformation import PATHS as CFN_PATHS
from aurastream_obs.artifacts.grafana import DASHBOARD_DIR, SCHEMA_VERSION, expand
from aurastream_obs.artifacts.prometheus_predictive import RULES_PATH as PREDICTIVE_PATH
from aurastream_obs.artifacts.prometheus_rules import ALERT_RULES_PATH, SLO_RULES_PATH
from aurastream_obs.artifacts.promtool_predictive import TESTS_PATH as PREDICTIVE_TESTS_PATH
from aurastream_obs.artifacts.promtool_tests import TESTS_PATH
from aurastream_obs.definitions.promql import RAW_SELECTOR

_TIMEOUT_S = 120


def _tool(name: str) -> str | None:
    return shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)


def _run(argv: list[str], what: str, cwd: Path | None = None) -> list[str]:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=_TIMEOUT_S, cwd=cwd, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [f"{what}: {exc}"]
    if done.returncode != 0:
        return [f"{what}: {(done.stdout + done.stderr).strip()[-2000:]}"]
    return []


def check_prometheus_rules(root: Path) -> list[str]:
    promtool = _tool("promtool")
    if promtool is None:
        return ["promtool not installed (Debian package 'prometheus')"]
    rules = [str(root / SLO_RULES_PATH), str(root / ALERT_RULES_PATH), str(root / PREDICTIVE_PATH)]
    problems = _run([promtool, "check", "rules", *rules], "promtool check rules")
    for tests in (TESTS_PATH, PREDICTIVE_TESTS_PATH):
        test_file = root / tests
        problems += _run(
            [promtool, "test", "rules", test_file.name], f"promtool test rules {tests}",
            cwd=test_file.parent,
        )  # fmt: skip
    return problems


def check_alertmanager(root: Path) -> list[str]:
    amtool = _tool("amtool")
    if amtool is None:
        return ["amtool not installed (Debian package 'prometheus-alertmanager')"]
    path = root / ALERTMANAGER_PATH
    return _run([amtool, "check-config", str(path)], f"amtool check-config {ALERTMANAGER_PATH}")


def cfn_lint(executable: str | None = None, path: str | None = None) -> str | None:
    """The cfn-lint to run: the one installed beside this Python (the venv's, pinned by the dev
    extra, as the tests run it) before any other on PATH (e.g. an older pyenv shim's).
    `executable` and `path` default to `sys.executable` and `$PATH`."""
    beside = Path(executable or sys.executable).with_name("cfn-lint")  # not resolved: a venv's
    if beside.is_file() and os.access(beside, os.X_OK):  # python is a symlink out of the venv
        return str(beside)
    return shutil.which("cfn-lint", path=path)


def check_cloudformation(root: Path) -> list[str]:
    linter = cfn_lint()
    if linter is None:
        return ["cfn-lint not installed (pip install cfn-lint)"]
    from aurastream_obs.artifacts.deploy_checks import APP_PATHS

    paths = [str(root / p) for p in (*CFN_PATHS.values(), *APP_PATHS)]
    return _run([linter, *paths], "cfn-lint")


def _scope_problems(name: str, title: str, expr: str) -> list[str]:
    """Every raw series read for the dashboard's service and environment, over the rate
    interval (recorded series: their labels, their SLO windows)."""
    problems = []
    for match in RAW_SELECTOR.finditer(expr):
        matchers, window = match.group(2) or "", match.group(3)
        if '$service"' not in matchers or '$environment"' not in matchers:
            problems.append(f"{name}: panel {title!r}: {match.group(1)} not scoped to $service, "
                            "$environment")  # fmt: skip
        if window is not None and window != "$__rate_interval":
            problems.append(f"{name}: panel {title!r}: {match.group(1)}[{window}], not "
                            "[$__rate_interval]")  # fmt: skip
    return problems


def _dashboard_problems(path: Path, exprs: list[str]) -> list[str]:
    problems = []
    document: dict[str, Any] = json.loads(path.read_text())
    if document.get("schemaVersion") != SCHEMA_VERSION:
        problems.append(f"{path.name}: schemaVersion {document.get('schemaVersion')}")
    for panel in document.get("panels", []):
        targets = panel.get("targets") or []
        queries = [t.get("expr") or t.get("expression") or t.get("metricName") for t in targets]
        if not targets or not all(queries):
            problems.append(f"{path.name}: panel {panel.get('title')!r} has no query")
        for target in targets:
            if target.get("expr"):
                problems += _scope_problems(path.name, panel.get("title", ""), target["expr"])
                exprs.append(expand(target["expr"]))
    return problems


def check_dashboards(root: Path) -> list[str]:
    """Every panel has a query; every PromQL expression reads its raw series for the
    dashboard's `$service` and `$environment` over `$__rate_interval`, and parses (promtool has
    no parse-only command, so the expressions, variables expanded, go through `promtool check
    rules` as recording rules)."""
    problems: list[str] = []
    exprs: list[str] = []
    paths = sorted((root / DASHBOARD_DIR).glob("*.json"))
    if not paths:
        return [f"{DASHBOARD_DIR}: no dashboards"]
    for path in paths:
        problems += _dashboard_problems(path, exprs)
    promtool = _tool("promtool")
    if promtool is None:
        return [*problems, "promtool not installed (Debian package 'prometheus')"]
    checks = [{"record": f"dashboard:query_{i}:check", "expr": e} for i, e in enumerate(exprs)]
    rules = {"groups": [{"name": "dashboard-queries", "rules": checks}]}
    with tempfile.TemporaryDirectory() as tmp:
        rules_file = Path(tmp) / "dashboard-queries.rules.json"  # JSON is valid YAML
        rules_file.write_text(json.dumps(rules))
        problems += _run([promtool, "check", "rules", str(rules_file)], "dashboard PromQL")
    return problems
