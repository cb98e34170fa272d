"""The layering of docs/architecture.md, checked on the source: which of the
project's layers each layer may import, and which outside packages it must not.

    store, data, core   import nothing of ours
    engine     may import core, data, store
    labeling   may import store (Qt-free and torch-free: the window's model)
    cli        may import engine, core, data, store
    gui        may import labeling, store, and of the engine only engine.workflow (its one door)

    safe_files (a top-level module below every layer, which each may import) imports
    nothing but the standard library.
"""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "labor_desktop"
LAYERS = ("store", "data", "core", "engine", "labeling", "cli", "gui")
MAY_IMPORT = {
    "store": set(),
    "data": set(),
    "core": set(),
    "engine": {"core", "data", "store"},
    "labeling": {"store"},
    "cli": {"engine", "core", "data", "store"},
    "gui": {"labeling", "store", "engine.workflow"},
}
FORBIDDEN_EXTERNAL = {
    "store": {"torch", "torchvision", "PyQt6", "cv2"},
    "data": {"PyQt6"},
    "core": {"PyQt6"},
    "engine": {"PyQt6"},
    "labeling": {"PyQt6", "torch", "torchvision"},
    "cli": {"PyQt6"},
}


def imports(path: Path):
    tree = ast.parse(path.read_text())
    pkg_parts = path.relative_to(PKG.parent).with_suffix("").parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(pkg_parts[: len(pkg_parts) - node.level + 1])
                yield ".".join(base + ([node.module] if node.module else []))
            else:
                yield node.module or ""


def layer_of(module_path: Path) -> str:
    rel = module_path.relative_to(PKG).parts
    return rel[0] if len(rel) > 1 else rel[0].removesuffix(".py")


def allowed(layer: str, target: str) -> bool:
    """``target``: an import inside the package without the ``labor_desktop.`` prefix."""
    parts = target.split(".")
    if parts[0] == layer or parts[0] not in LAYERS:
        return True  # the layer itself, or the package's top modules (__version__)
    rules = MAY_IMPORT[layer]
    return parts[0] in rules or ".".join(parts[:2]) in rules


SOURCES = sorted(p for p in PKG.rglob("*.py") if layer_of(p) in LAYERS)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PKG)))
def test_layer_imports_only_what_the_rules_allow(path):
    layer = layer_of(path)
    for name in imports(path):
        top = name.split(".")[0]
        assert top not in FORBIDDEN_EXTERNAL.get(layer, set()), f"{path.name} ({layer}/) imports {name}"
        if top == "labor_desktop" and len(name.split(".")) > 1:
            target = name.split(".", 1)[1]
            assert allowed(layer, target), f"{path.name} ({layer}/) imports {name}"


BASE = ("safe_files",)  # below every layer


def test_every_layer_is_known():
    assert {layer_of(p) for p in PKG.rglob("*.py")} <= {*LAYERS, *BASE, "__init__", "__main__"}


@pytest.mark.parametrize("name", BASE)
def test_the_base_modules_import_only_the_standard_library(name):
    import sys

    found = {n.split(".")[0] for n in imports(PKG / f"{name}.py")}
    assert found and found <= set(sys.stdlib_module_names) | {"__future__"}, found


@pytest.mark.parametrize(
    "layer, target, ok",
    [
        ("data", "store", False),
        ("core", "store", False),
        ("gui", "cli", False),
        ("gui", "core.model", False),
        ("gui", "engine.stages", False),
        ("gui", "engine.workflow", True),
        ("labeling", "engine", False),
        ("labeling", "store", True),
        ("engine", "labeling", False),
    ],
)
def test_the_rules_themselves(layer, target, ok):
    assert allowed(layer, target) is ok
