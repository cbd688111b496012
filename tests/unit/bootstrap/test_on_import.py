"""`when_imported`: the callback runs once, after the module's code, whoever imports it; the
module is loaded as without the hook; a failing callback never fails the import."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from aurastream_obs.bootstrap.on_import import when_imported


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh package on sys.path: `hookpkg.watched` sets a marker when its code runs."""
    root = tmp_path / "hookpkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "watched.py").write_text("RAN = True\nVALUE = 41\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "hookpkg.watched"
    for name in ("hookpkg.watched", "hookpkg"):
        sys.modules.pop(name, None)
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_AfterImport"]


def test_runs_after_the_import_once_and_leaves_the_module_as_loaded(package: str) -> None:
    seen: list[tuple[str, bool, int]] = []

    def callback(module: ModuleType) -> None:
        seen.append((module.__name__, module.RAN, module.VALUE))
        module.VALUE += 1  # the module's code has run: its globals are there to change

    when_imported(package, callback)
    assert seen == []  # nothing imported it yet
    module = importlib.import_module(package)
    assert seen == [(package, True, 41)] and module.VALUE == 42
    # Loaded as without the hook: the real loader on the module, the finder gone.
    assert type(module.__loader__).__name__ == "SourceFileLoader"
    assert type(module.__spec__.loader).__name__ == "SourceFileLoader"
    assert not any(type(f).__name__ == "_AfterImport" for f in sys.meta_path)
    importlib.reload(module)  # reload goes through the real loader, no second callback
    assert len(seen) == 1 and module.VALUE == 41


def test_an_imported_module_gets_the_callback_at_once(package: str) -> None:
    module = importlib.import_module(package)
    seen: list[ModuleType] = []
    when_imported(package, seen.append)
    assert seen == [module]
    assert not any(type(f).__name__ == "_AfterImport" for f in sys.meta_path)


def test_a_failing_callback_is_logged_and_the_import_succeeds(
    package: str, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(module: ModuleType) -> None:
        raise RuntimeError("boom")

    when_imported(package, broken)
    with caplog.at_level(logging.WARNING, logger="aurastream_obs"):
        module = importlib.import_module(package)
    assert module.RAN is True
    assert "could not set up hookpkg.watched" in caplog.text and "boom" in caplog.text


def test_other_modules_are_untouched(package: str) -> None:
    seen: list[ModuleType] = []
    when_imported(package, seen.append)
    importlib.import_module("hookpkg")  # the parent package: not the watched name
    assert seen == []
    assert any(type(f).__name__ == "_AfterImport" for f in sys.meta_path)


def test_a_probe_with_find_spec_does_not_use_the_hook_up(package: str) -> None:
    """Libraries probe with importlib.util.find_spec before importing (or without importing):
    the callback still runs at the import that follows, once."""
    import importlib.util

    seen: list[ModuleType] = []
    when_imported(package, seen.append)
    assert importlib.util.find_spec(package) is not None
    assert importlib.util.find_spec(package) is not None
    assert seen == []
    module = importlib.import_module(package)
    assert seen == [module]
    assert not any(type(f).__name__ == "_AfterImport" for f in sys.meta_path)
