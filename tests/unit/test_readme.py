"""The README stays true: every environment variable the code reads is documented there."""

from __future__ import annotations

import re

from aurastream_obs.core.settings import ALL_ENV_VARS
from aurastream_obs.service.config import SERVICE_ENV_VARS
from support.paths import ROOT

README = (ROOT / "README.md").read_text()
# The reference table of every variable (one row each, with its default); other tables, such
# as the OpenTelemetry variables' handling, may name the same variables.
VARIABLES_TABLE = README.partition("### All variables")[2]


def test_every_declared_variable_has_a_readme_row_with_its_default() -> None:
    assert VARIABLES_TABLE, "README has no 'All variables' section"
    for var in (*ALL_ENV_VARS, *SERVICE_ENV_VARS):
        row = next(
            (line for line in VARIABLES_TABLE.splitlines() if line.startswith(f"| `{var.name}`")),
            None,
        )
        assert row is not None, f"{var.name} missing from the README table"
        assert (f"`{var.default}`" if var.default else "(unset)") in row, var.name


def test_every_variable_named_in_the_package_is_in_the_readme() -> None:
    names: set[str] = set()
    for path in (ROOT / "instrumentation" / "aurastream_obs").rglob("*.py"):
        names.update(re.findall(r'"((?:AURASTREAM|OTEL)_[A-Z0-9_]+)"', path.read_text()))
    assert names, "the scan found nothing: the pattern is wrong"
    missing = sorted(n for n in names if n not in README)
    assert not missing, f"undocumented environment variables: {missing}"
