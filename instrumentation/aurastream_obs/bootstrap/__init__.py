"""The composition root: `configure()` resolves the settings, builds the pipelines of the mode
(`components`), installs them (`install`) and arranges the flush at exit (`exit_hooks`)."""

from aurastream_obs.bootstrap.components import build_telemetry
from aurastream_obs.bootstrap.configure import configure, current
from aurastream_obs.bootstrap.install import install
from aurastream_obs.bootstrap.telemetry import Telemetry

__all__ = ["Telemetry", "build_telemetry", "configure", "current", "install"]
