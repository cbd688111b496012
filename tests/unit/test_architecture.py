"""The package diagram in README ("Architecture") holds: layers import downwards only, the leaf
core imports nothing of ours, no package cycle, no private module imported across packages.

Every import counts, lazy ones inside functions and TYPE_CHECKING ones included: a lazy
import is still a dependency, only a cheaper one.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from support.paths import ROOT

PACKAGE = ROOT / "instrumentation" / "aurastream_obs"

# Lowest first. A package may import its own modules and any package of a lower layer.
LAYERS: list[set[str]] = [
    {"core"},
    {"encoding", "propagation", "logs", "signals"},
    {"sdk", "http_server"},
    {"modes"},
    {"bootstrap"},
    {"asgi", "aws_lambda", "distro"},
    {"telemetry_files", "definitions"},
    {"artifacts", "ops"},
    {"service"},
    {"demo"},
    {"commands"},
    {"cli", "__init__"},
]
LAYER_OF = {package: index for index, layer in enumerate(LAYERS) for package in layer}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(("aurastream_obs", *parts))] = path
    return found


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    modules = _modules()
    return {t for t in targets if t.startswith("aurastream_obs") and t in modules}


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _edges() -> list[tuple[str, str]]:
    edges = []
    for module, path in _modules().items():
        edges.extend((module, target) for target in _imports(path, module))
    return edges


def test_every_package_has_a_layer() -> None:
    tops = {_top(module) for module in _modules()}
    assert tops <= set(LAYER_OF), f"packages without a layer: {sorted(tops - set(LAYER_OF))}"


def test_imports_go_down_the_layers_only() -> None:
    wrong = []
    for source, target in _edges():
        src, dst = _top(source), _top(target)
        if src != dst and LAYER_OF[dst] >= LAYER_OF[src]:
            wrong.append(f"{source} -> {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_core_is_a_leaf() -> None:
    wrong = [f"{s} -> {t}" for s, t in _edges() if _top(s) == "core" and _top(t) != "core"]
    assert not wrong, "\n".join(wrong)


def test_no_package_cycle() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in _edges():
        if _top(source) != _top(target):
            graph[_top(source)].add(_top(target))

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cyclic = sorted(p for p in list(graph) if reaches(p, p, {p}))
    assert not cyclic, cyclic


def test_no_private_module_is_imported_across_packages() -> None:
    wrong = []
    for source, target in _edges():
        private = any(part.startswith("_") and part != "__init__" for part in target.split("."))
        if private and _top(source) != _top(target):
            wrong.append(f"{source} -> {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_modules_stay_small() -> None:
    large = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 420
    }
    assert not large, large
