"""Every artifact source (`module:function` returning Iterable[Artifact]) and every validator
(`module:function` taking the repo root and returning a list of problem strings that name the
file and key). Listed as strings so that the CLI imports only what it runs."""

from __future__ import annotations

from typing import Final

ARTIFACT_SOURCES: Final[list[str]] = []

VALIDATORS: Final[list[str]] = []
