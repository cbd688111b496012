"""Collector configs -> YAML Artifacts (registered in artifacts/registry.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aurastream_obs.artifacts.collector_configs.configs import SHAPES, Shape
from aurastream_obs.artifacts.files import Artifact

SOURCE = "aurastream_obs.artifacts.collector_configs.configs"


def dump_yaml(document: Any) -> str:
    """Block-style YAML in insertion order (PyYAML imported here only: render extra)."""
    import yaml

    return str(yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=100))


def render_shape(shape: Shape) -> Artifact:
    intro = (
        f"# {shape.summary}\n"
        f"# target: {shape.distribution.title} ({shape.distribution.image})\n"
        "# ${env:VAR:-default} placeholders: README.md, section Deploying\n"
    )
    return Artifact.text_file(shape.path, intro + dump_yaml(shape.build()), source=SOURCE)


def collector_artifacts() -> Iterable[Artifact]:
    return [render_shape(shape) for shape in SHAPES]
