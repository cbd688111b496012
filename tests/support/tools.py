"""Real external tools for tests: skip with a reason on a laptop, fail under CI=true."""

from __future__ import annotations

import os
import shutil

import pytest

# Debian package that ships each tool (installed by `make test` via scripts/install-tools.sh).
PACKAGES = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "amtool": "prometheus-alertmanager",
    "alertmanager": "prometheus-alertmanager",
    # Debian names the Alertmanager server binary prometheus-alertmanager.
    "prometheus-alertmanager": "prometheus-alertmanager",
    "cfn-lint": "cfn-lint (pip, the dev extra)",
}


def require_tool(name: str) -> str:
    """Path of `name`, or skip (fail under CI=true) with the package that provides it."""
    path = shutil.which(name) or (
        f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None
    )
    if path is None:
        package = PACKAGES.get(name, name)
        message = f"{name} is not installed (Debian package '{package}'; `make tools` installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
