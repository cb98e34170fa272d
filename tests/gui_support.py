"""Shared by the window tests: a PPL project at stage 1 made once per module, a
window on a fresh copy of it, and helpers that click and press keys like a person."""

import shutil

import pytest
from PyQt6.QtCore import QPoint, Qt

from labor_desktop.engine.config import preset
from labor_desktop.engine.projects.experiment_data import ExperimentData
from labor_desktop.engine.workflow import ProjectWorkflow, create_project
from labor_desktop.gui.window.main_window import MainWindow
from labor_desktop.store import Project

# How long a test waits for background work (a stage, a prediction, the Fig. 6 panels, a
# save): a last resort only, so that a loaded machine makes a test slower, never failed;
# the module's timeout mark is the hang guard.
LAST_RESORT_MS = 1_500_000


def bootstrapped(tiny_data, root, strategy: str):
    """A smoke-config project of ``strategy`` at stage 1 in ``root``."""
    cfg = preset("smoke")
    path = root / "demo.labor.h5"
    create_project(path, cfg, ExperimentData.find(cfg.data, tiny_data), strategy).close()
    with Project.open(path) as project:
        ProjectWorkflow(project).bootstrap()
    return root


@pytest.fixture(scope="module")
def template(tiny_data, tmp_path_factory):
    """A PPL project at stage 1 (made once; each test works on a copy)."""
    return bootstrapped(tiny_data, tmp_path_factory.mktemp("gui-template"), "ppl")


# The copies made during the running test: conftest removes them when it ends (a few hundred
# MB each, kept to the session's end they made the suite hold 9 GB at its peak).
COPIES: list = []


def copy_of(template, tmp_path_factory):
    """A copy beside the template, so the project's relative image paths still hold."""
    dest = tmp_path_factory.mktemp("gui-copy")
    COPIES.append(dest)
    shutil.rmtree(dest)
    shutil.copytree(template, dest)
    return dest / "demo.labor.h5"


def open_window(path, qtbot):
    project = Project.open(path)
    win = MainWindow(project)
    win.confirm = lambda text: True
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)  # window shortcuts fire only in the active window
    win.canvas.fit()
    return win, project


@pytest.fixture
def window(template, tmp_path_factory, qtbot):
    path = copy_of(template, tmp_path_factory)
    win, project = open_window(path, qtbot)
    yield win
    win.close()  # cancels a running stage, stops background work, saves
    project.close()
    shutil.rmtree(path.parent, ignore_errors=True)  # ~230 MB a copy (its models): a suite kept ~9 GB


def widget_pos(win, y, x) -> QPoint:
    c = win.canvas
    return QPoint(int(c.offset.x() + (x + 0.5) * c.scale), int(c.offset.y() + (y + 0.5) * c.scale))


def key(qtbot, win, k, mod=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(win.canvas, k, mod)


def stored(win, i):
    """Image ``i``'s labels on disk, once the writer thread has written what it was handed."""
    assert win.document.flush(timeout=10)
    return win.project.labels(i)[0]


def click_point(qtbot, win, k, dx=0):
    y, x, _ = win.document.editor.points[k]
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x + dx))
    return int(y), int(x)
