"""Rendering definitions into committed artifacts (collector configs, templates, rules,
dashboards). Renderers are pure functions returning `Artifact`s; writing and checking live in
`files.py`; the sources are listed in `registry.py`."""

from aurastream_obs.artifacts.files import Artifact, check_artifacts, render_all, write_artifacts

__all__ = ["Artifact", "check_artifacts", "render_all", "write_artifacts"]
