"""Static checks of the collector configs, before any collector sees them.

Each problem is one line naming the file and the key path. `validate_collector(root)` is the
`aurastream-obs validate` entry (artifacts/registry.py VALIDATORS); `check_config` checks one text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from aurastream_obs.artifacts.collector_configs.components import (
    EXPORTER_SIGNALS,
    KINDS,
    Distribution,
    Kind,
    component_type,
)
from aurastream_obs.artifacts.collector_configs.configs import SHAPES
from aurastream_obs.artifacts.collector_configs.placeholders import PLACEHOLDERS
from aurastream_obs.core.conventions import CUSTOMER_ID

SIGNALS: Final = frozenset({"traces", "metrics", "logs"})
PIPELINE_KINDS: Final[tuple[Kind, ...]] = ("receivers", "processors", "exporters")
PLACEHOLDER_RE: Final = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
ANY_REF_RE: Final = re.compile(r"\$\{[^}]*\}")
ACCOUNT_ID_RE: Final = re.compile(r"(?<![\d.])\d{12}(?![\d.])")
EXPORTER_REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "awsemf": ("region", "namespace", "dimension_rollup_option"),
    "awsxray": ("region",),
    # raw_log: the record body (our JSON line) is the CloudWatch event (see pieces.py).
    "awscloudwatchlogs": ("region", "log_group_name", "log_stream_name", "raw_log"),
    "prometheusremotewrite": ("endpoint",),
    "prometheus": ("endpoint",),
    "otlp": ("endpoint",),
    "otlphttp": ("endpoint",),
    "loadbalancing": ("routing_key", "protocol", "resolver"),
}


def validate_collector(root: Path) -> list[str]:
    """Problems in every committed collector config (and stray, unknown ones)."""
    problems: list[str] = []
    known = {shape.path for shape in SHAPES}
    for shape in SHAPES:
        path = root / shape.path
        if not path.exists():
            problems.append(f"{shape.path}: missing (run `aurastream-obs render`)")
            continue
        problems.extend(check_config(shape.path, path.read_text(), shape.distribution))
    for path in sorted((root / "collector").glob("*.y*ml")):
        rel = path.relative_to(root).as_posix()
        if rel not in known:
            problems.append(f"{rel}: not a known shape (no target distribution to check)")
    return problems


def check_config(name: str, text: str, dist: Distribution) -> list[str]:
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [f"{name}: YAML does not parse: {exc}".replace("\n", " ")]
    if not isinstance(doc, Mapping):
        return [f"{name}: top level is not a mapping"]
    problems = _check_text(name, text)
    checker = _Checker(name, doc, dist)
    checker.run()
    return problems + checker.problems


def _check_text(name: str, text: str) -> list[str]:
    problems = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        for match in PLACEHOLDER_RE.finditer(line):
            var, default = match.group(1), match.group(2) or ""
            documented = PLACEHOLDERS.get(var)
            if documented is None:
                problems.append(
                    f"{name}:{line_no}: ${{env:{var}}} is not documented "
                    "(artifacts/collector_configs/placeholders.py and README Deploying)"
                )
            elif default != documented.default:
                problems.append(
                    f"{name}:{line_no}: ${{env:{var}}} default {default!r} differs from "
                    f"the documented {documented.default!r}"
                )
        for ref in ANY_REF_RE.findall(line):
            if not PLACEHOLDER_RE.fullmatch(ref):
                problems.append(f"{name}:{line_no}: {ref} is not ${{env:VAR[:-default]}}")
        if ACCOUNT_ID_RE.search(line):
            problems.append(f"{name}:{line_no}: looks like an AWS account id; use ${{env:...}}")
    return problems


class _Checker:
    def __init__(self, name: str, doc: Mapping[str, Any], dist: Distribution) -> None:
        self.name, self.doc, self.dist = name, doc, dist
        self.problems: list[str] = []
        self.sections: dict[str, Mapping[str, Any]] = {}
        service = doc.get("service")
        self.service: Mapping[str, Any] = service if isinstance(service, Mapping) else {}
        pipelines = self.service.get("pipelines")
        self.pipelines: Mapping[str, Any] = pipelines if isinstance(pipelines, Mapping) else {}
        self.forbidden: set[str] = set()

    def error(self, key: str, message: str) -> None:
        self.problems.append(f"{self.name}: {key}: {message}")

    def run(self) -> None:
        for kind in KINDS:
            self._check_section(kind)
        if not self.pipelines:
            self.error("service.pipelines", "no pipelines")
        for pipeline, spec in self.pipelines.items():
            self._check_pipeline(str(pipeline), spec)
        for ext in self.service.get("extensions") or []:
            if ext not in self.sections["extensions"]:
                self.error("service.extensions", f"'{ext}' is not defined under extensions")
        for exporter_id, config in self.sections["exporters"].items():
            self._check_exporter(str(exporter_id), config if isinstance(config, Mapping) else {})

    def _check_section(self, kind: Kind) -> None:
        raw = self.doc.get(kind) or {}
        section: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        self.sections[kind] = section
        shipped = self.dist.ships(kind)
        used = [c for spec in self.pipelines.values() for c in (_list(spec, kind))]
        if not shipped and (section or used):
            self.forbidden.add(kind)
            names = sorted({*map(str, section), *used})
            self.error(kind, f"{self.dist.title} ships no {kind}; remove {', '.join(names)}")
            return
        for component_id in section:
            if component_type(str(component_id)) not in shipped:
                self.error(
                    f"{kind}.{component_id}",
                    f"'{component_type(str(component_id))}' is not shipped by "
                    f"{self.dist.title} (source: {self.dist.source})",
                )

    def _check_pipeline(self, pipeline: str, spec: Any) -> None:
        key = f"service.pipelines.{pipeline}"
        signal = pipeline.split("/", 1)[0]
        if signal not in SIGNALS:
            self.error(key, f"pipeline type '{signal}' is not one of traces, metrics, logs")
        for kind in PIPELINE_KINDS:
            if kind in self.forbidden:
                continue
            for component_id in _list(spec, kind):
                if component_id not in self.sections[kind]:
                    self.error(f"{key}.{kind}", f"'{component_id}' is not defined under {kind}")
                accepts = EXPORTER_SIGNALS.get(component_type(component_id))
                if kind == "exporters" and accepts is not None and signal not in accepts:
                    self.error(f"{key}.exporters", f"'{component_id}' does not export {signal}")
        for kind in ("receivers", "exporters"):
            if not _list(spec, kind):
                self.error(f"{key}.{kind}", "empty")
        processors = [component_type(p) for p in _list(spec, "processors")]
        if processors and "processors" not in self.forbidden:
            if processors[0] != "memory_limiter":
                self.error(f"{key}.processors", "memory_limiter must come first")
            if "batch" not in processors:
                self.error(f"{key}.processors", "batch is missing")

    def _check_exporter(self, exporter_id: str, config: Mapping[str, Any]) -> None:
        kind = component_type(exporter_id)
        key = f"exporters.{exporter_id}"
        if kind not in self.dist.exporters:
            return  # already reported as not shipped
        for required in EXPORTER_REQUIRED.get(kind, ()):
            if config.get(required) in (None, "", [], {}):
                self.error(f"{key}.{required}", "required key is missing")
        authenticator = (config.get("auth") or {}).get("authenticator")
        if authenticator is not None:
            if authenticator not in self.sections["extensions"]:
                self.error(f"{key}.auth.authenticator", f"'{authenticator}' is not defined")
            elif authenticator not in (self.service.get("extensions") or []):
                self.error(f"{key}.auth.authenticator", f"'{authenticator}' is not enabled")
        if kind == "awsemf":
            self._check_emf(key, config)

    def _check_emf(self, key: str, config: Mapping[str, Any]) -> None:
        rollup = config.get("dimension_rollup_option")
        if rollup not in (None, "NoDimensionRollup"):
            self.error(f"{key}.dimension_rollup_option", "use NoDimensionRollup (cost)")
        for i, declaration in enumerate(config.get("metric_declarations") or []):
            for j, dims in enumerate(declaration.get("dimensions") or []):
                if CUSTOMER_ID in dims:
                    self.error(
                        f"{key}.metric_declarations[{i}].dimensions[{j}]",
                        f"per-customer dimension '{CUSTOMER_ID}' (bill x customers)",
                    )
            for j, matcher in enumerate(declaration.get("label_matchers") or []):
                if CUSTOMER_ID in (matcher.get("label_names") or []):
                    self.error(
                        f"{key}.metric_declarations[{i}].label_matchers[{j}]",
                        f"matches on per-customer label '{CUSTOMER_ID}'",
                    )


def _list(spec: Any, kind: str) -> list[str]:
    value = spec.get(kind) if isinstance(spec, Mapping) else None
    return [str(v) for v in value] if isinstance(value, list) else []
