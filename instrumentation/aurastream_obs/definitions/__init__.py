"""Definitions as code: SLOs, alarms, dashboards, log groups, saved queries, sampling rules and
alert routes as one typed model (`spec.py`), named by `core/conventions.py`, checked by
`validation.py`; AuraStream's own definition is `load_definitions()`. Renderers live in
`aurastream_obs.artifacts`."""

from __future__ import annotations

from aurastream_obs.definitions.spec import Definitions
from aurastream_obs.definitions.validation import DefinitionError, validate


def load_definitions() -> Definitions:
    """AuraStream's definition, validated (raises `DefinitionError`)."""
    from aurastream_obs.definitions.aurastream import aurastream_definitions

    return validate(aurastream_definitions())


__all__ = ["DefinitionError", "Definitions", "load_definitions", "validate"]
