"""`aurastream-obs validate` lints the templates with the cfn-lint installed beside the Python
that runs it (the venv's, the version the dev extra pins and the tests use), not whichever
comes first on PATH (e.g. an older pyenv shim)."""

from __future__ import annotations

import sys
from pathlib import Path

from aurastream_obs.artifacts import validators


def _executable(path: Path, text: str = "#!/bin/sh\necho fake\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_the_cfn_lint_beside_python_wins_over_path(tmp_path: Path) -> None:
    venv_lint = _executable(tmp_path / "venv" / "bin" / "cfn-lint")
    python = tmp_path / "venv" / "bin" / "python"
    python.symlink_to(sys.executable)  # a venv's python: a symlink out of the venv
    shim = _executable(tmp_path / "shims" / "cfn-lint")
    assert validators.cfn_lint(str(python), path=str(shim.parent)) == str(venv_lint)
    # None beside Python (or not executable): the one on PATH; none anywhere: None.
    venv_lint.chmod(0o644)
    assert validators.cfn_lint(str(python), path=str(shim.parent)) == str(shim)
    assert validators.cfn_lint(str(python), path=str(tmp_path / "empty")) is None
