"""ADOT / OpenTelemetry collector configs as code: one config per deployment shape, the
component sets each distribution ships (as data, with their source), a renderer and a
validator. Imports PyYAML lazily (`render`/`validate` only); never on the instrumentation path."""

from aurastream_obs.artifacts.collector_configs.components import DISTRIBUTIONS, Distribution
from aurastream_obs.artifacts.collector_configs.placeholders import PLACEHOLDERS, Placeholder

__all__ = ["DISTRIBUTIONS", "PLACEHOLDERS", "Distribution", "Placeholder"]
