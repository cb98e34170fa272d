"""DESIGN.md's layering, checked on the source: each layer imports only those below it."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "labor_desktop"
ORDER = ["store", "data", "core", "engine", "cli", "gui"]
FORBIDDEN_EXTERNAL = {
    "store": {"torch", "torchvision", "PyQt6"},
    "data": {"PyQt6"},
    "core": {"PyQt6"},
    "engine": {"PyQt6"},
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


@pytest.mark.parametrize("path", sorted(p for p in PKG.rglob("*.py") if layer_of(p) in ORDER), ids=str)
def test_layer_imports_only_below(path):
    layer = layer_of(path)
    for name in imports(path):
        top = name.split(".")[0]
        assert top not in FORBIDDEN_EXTERNAL.get(layer, set()), f"{path.name} ({layer}/) imports {name}"
        if top == "labor_desktop" and len(name.split(".")) > 1:
            target = name.split(".")[1]
            if target in ORDER:
                assert ORDER.index(target) <= ORDER.index(layer), f"{path.name} ({layer}/) imports {name}"
