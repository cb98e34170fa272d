"""The layering of docs/architecture.md, checked on the source: which of the
project's layers each layer may import, and which outside packages it must not.

    store, data, core   import nothing of ours
    engine     may import core, data, store
    labeling   may import store (Qt-free and torch-free: the window's model)
    cli        may import engine, core, data, store
    gui        may import labeling, store, and of the engine only engine.workflow (its one door)

Inside engine/ and gui/, the rooms (sub-packages) and which of them each may import
(ROOM_MAY_IMPORT; docs/architecture.md draws it with docs/make_architecture.py); and the
house rules: no package directory holds more than 12 modules, no file exceeds 400 lines.

    safe_files (a top-level module below every layer, which each may import) imports
    nothing but the standard library.
"""

import ast
import importlib.util
import subprocess
import sys
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


BELOW_LAYERS = ("safe_files", "cpu_share")  # top-level modules below every layer


def test_every_layer_is_known():
    assert {layer_of(p) for p in PKG.rglob("*.py")} <= {*LAYERS, *BELOW_LAYERS, "__init__", "__main__"}


@pytest.mark.parametrize("name", BELOW_LAYERS)
def test_the_modules_below_the_layers_import_only_the_standard_library(name):
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


# ---- the rooms of engine/ and gui/ ---------------------------------------------------------
ROOT = PKG.parent
_spec = importlib.util.spec_from_file_location("make_architecture", ROOT / "docs" / "make_architecture.py")
assert _spec is not None and _spec.loader is not None
arch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(arch)

# A layer's base: its top modules that every room may use (shared types, settings).  The
# rest of its top modules (engine's orchestration, gui's app) compose the rooms.
BASE = {
    "engine": {"engine", "engine.config", "engine.config_checks", "engine.events", "engine.run_state"},
    "gui": {"gui", "gui.document", "gui.elided_label", "gui.jobs", "gui.keymap", "gui.overlays", "gui.place"},
}
ROOM_MAY_IMPORT = {
    "engine/ base": set(),
    "engine/jobs/": {"engine/ base"},
    "engine/projects/": {"engine/ base"},
    "engine/": {"engine/ base", "engine/jobs/", "engine/projects/"},
    "engine/experiments/": {"engine/ base", "engine/", "engine/jobs/", "engine/projects/"},
    "gui/ base": set(),
    "gui/canvas/": {"gui/ base"},
    "gui/stage/": {"gui/ base"},
    "gui/inspect/": {"gui/ base", "gui/canvas/"},
    "gui/projects/": {"gui/ base", "gui/stage/"},
    "gui/window/": {"gui/ base", "gui/canvas/", "gui/stage/", "gui/inspect/", "gui/projects/"},
    "gui/": {"gui/ base", "gui/window/", "gui/projects/"},
}
ALL_BASE = BASE["engine"] | BASE["gui"]
ROOM_SOURCES = sorted(p for p in SOURCES if layer_of(p) in ("engine", "gui"))


def room_allowed(source: str, target: str) -> bool:
    """May module ``source`` import module ``target`` (both without ``labor_desktop.``)?"""
    here, there = arch.room_of(source, ALL_BASE), arch.room_of(target, ALL_BASE)
    if there is None or here == there or there.split("/")[0] != here.split("/")[0]:
        return True  # another layer (the layer table's business), or its own room
    return there in ROOM_MAY_IMPORT[here]


@pytest.mark.parametrize("path", ROOM_SOURCES, ids=lambda p: str(p.relative_to(PKG)))
def test_room_imports_only_what_the_rooms_allow(path):
    source = arch.module_name(path)
    for target in sorted(arch.imports(path)):
        assert room_allowed(source, target), (
            f"{path.relative_to(PKG)} ({arch.room_of(source, ALL_BASE)}) imports {target} "
            f"({arch.room_of(target, ALL_BASE)}): not in ROOM_MAY_IMPORT"
        )


def test_every_room_has_rules_and_the_base_is_what_the_code_says():
    rooms = arch.room_graph()
    assert set(rooms) == set(ROOM_MAY_IMPORT), "a new sub-package needs its line in ROOM_MAY_IMPORT"
    assert arch.base_modules() >= ALL_BASE, "a base module must not reach a room through its imports"


@pytest.mark.parametrize(
    "source, target, ok",
    [
        ("engine.jobs.training", "engine.events", True),
        ("engine.jobs.training", "engine.stages", False),
        ("engine.jobs.annotator", "engine.projects.projects", False),
        ("engine.projects.export", "engine.jobs.predict", False),
        ("engine.projects.export", "engine.projects.folder_data", True),
        ("engine.stages", "engine.jobs.proposals", True),
        ("engine.stages", "engine.experiments.compare", False),
        ("engine.config", "engine.run_state", True),
        ("engine.config", "engine.stages", False),
        ("engine.experiments.compare", "engine.stages", True),
        ("gui.canvas.tools", "gui.document", True),
        ("gui.canvas.tools", "gui.window.actions", False),
        ("gui.projects.project_opener", "gui.window.main_window", False),
        ("gui.projects.demo_setup", "gui.stage.stage_bar", True),
        ("gui.inspect.inspect_actions", "gui.canvas.predictions", True),
        ("gui.stage.stage_control", "gui.inspect.inspect", False),
        ("gui.document", "gui.canvas.canvas", False),
        ("gui.app", "gui.window.main_window", True),
        ("gui.window.status_text", "gui.inspect.inspect", True),
        ("gui.canvas.panels", "engine.stages", True),  # another layer: the layer table decides
    ],
)
def test_the_room_rules_themselves(source, target, ok):
    assert room_allowed(source, target) is ok


def test_the_picture_in_architecture_md_is_the_code_s():
    out = subprocess.run([sys.executable, str(ROOT / "docs" / "make_architecture.py")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = (ROOT / "docs" / "architecture.md").read_text()
    assert out.stdout in doc, "run `python docs/make_architecture.py` and paste its output into docs/architecture.md"


# ---- the house rules: small directories, small files ---------------------------------------
MAX_MODULES, MAX_LINES = 12, 400
PACKAGES = sorted({p.parent for p in PKG.rglob("__init__.py")})


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_package_directory_holds_more_than_12_modules(package):
    modules = sorted(p.name for p in package.glob("*.py") if p.name != "__init__.py")
    assert len(modules) <= MAX_MODULES, f"{package.relative_to(ROOT)}: {len(modules)} modules; make a room"


PY_FILES = sorted(p for d in ("labor_desktop", "tests", "bench", "docs", "packaging") for p in (ROOT / d).rglob("*.py"))


def test_no_file_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PY_FILES if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
