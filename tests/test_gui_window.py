"""The real window driven by clicks and keys (pytest-qt, offscreen), on a project
bootstrapped with the smoke config."""

import shutil

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, Qt

from labor_desktop.engine.config import preset
from labor_desktop.engine.experiment_data import ExperimentData
from labor_desktop.engine.stages import create_project
from labor_desktop.engine.workflow import ProjectWorkflow, run_folder
from labor_desktop.gui.main_window import MainWindow
from labor_desktop.gui.tools import Tool
from labor_desktop.store import Project, SaveError

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def template(tiny_data, tmp_path_factory):
    """A PPL project at stage 1 (made once; each test works on a copy)."""
    root = tmp_path_factory.mktemp("gui-template")
    cfg = preset("smoke")
    path = root / "demo.labor.h5"
    create_project(path, cfg, ExperimentData.find(cfg.data, tiny_data), "ppl").close()
    with Project.open(path) as project:
        ProjectWorkflow(project).bootstrap()
    return root


def copy_of(template, tmp_path_factory):
    """A copy beside the template, so the project's relative image paths still hold."""
    dest = tmp_path_factory.mktemp("gui-copy")
    shutil.rmtree(dest)
    shutil.copytree(template, dest)
    return dest / "demo.labor.h5"


@pytest.fixture
def window(template, tmp_path_factory, qtbot):
    project = Project.open(copy_of(template, tmp_path_factory))
    win = MainWindow(project)
    win.confirm = lambda text: True
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.canvas.fit()
    yield win
    win.close()  # cancels a running stage, stops background work, saves
    project.close()


def widget_pos(win, y, x) -> QPoint:
    c = win.canvas
    return QPoint(int(c.offset.x() + (x + 0.5) * c.scale), int(c.offset.y() + (y + 0.5) * c.scale))


def key(qtbot, win, k, mod=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(win.canvas, k, mod)


def stored(win, i):
    return win.project.labels(i)[0]


def test_label_a_point_by_click(window, qtbot):
    win = window
    y, x, _ = win.document.editor.points[0]
    key(qtbot, win, Qt.Key.Key_3)  # class index 2
    key(qtbot, win, Qt.Key.Key_P)
    assert win.tools.tool is Tool.POINT
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x + 1))  # snaps from 1 px off
    labels = stored(win, 0)
    assert labels[y, x] == 2 and (labels != 255).sum() == 1
    assert win.project.effort(0).points_labeled == 1


def test_point_queue_by_keys(window, qtbot):
    win = window
    key(qtbot, win, Qt.Key.Key_Q)
    assert win.queue.active
    first_image, first = win.queue.items[0]
    second_image, second = win.queue.items[1]
    key(qtbot, win, Qt.Key.Key_5)  # class 4 for the first point
    y, x, _ = win.project.proposal(1, first_image)[1][first]
    assert stored(win, first_image)[y, x] == 4
    key(qtbot, win, Qt.Key.Key_Return)  # the model's class for the second
    y2, x2, k2 = win.project.proposal(1, second_image)[1][second]
    assert stored(win, second_image)[y2, x2] == k2
    key(qtbot, win, Qt.Key.Key_Backspace)
    assert win.queue.items[win.queue.pos] == (second_image, second)
    key(qtbot, win, Qt.Key.Key_Escape)
    assert not win.queue.active


def test_brush_limited_to_mask_undo_redo(window, qtbot):
    win = window
    mask = win.document.editor.mask
    ys, xs = np.nonzero(mask)
    y, x = int(ys[len(ys) // 2]), int(xs[len(xs) // 2])
    key(qtbot, win, Qt.Key.Key_B)
    key(qtbot, win, Qt.Key.Key_M)
    assert win.tools.limit_to_mask
    for _ in range(3):
        key(qtbot, win, Qt.Key.Key_BracketRight)
    assert win.tools.radius == 7
    key(qtbot, win, Qt.Key.Key_7)  # class 6
    qtbot.mousePress(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x - 3))
    qtbot.mouseMove(win.canvas, widget_pos(win, y, x + 3))
    qtbot.mouseRelease(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x + 3))
    labels = stored(win, 0)
    painted = labels != 255
    assert painted.any() and not painted[~mask].any() and set(np.unique(labels[painted])) == {6}
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (stored(win, 0) == 255).all()  # the undo is saved like any change
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert np.array_equal(stored(win, 0), labels)


def test_fill_a_component_and_switch_images(window, qtbot):
    win = window
    ed = win.document.editor
    ys, xs = np.nonzero(ed.mask)
    y, x = int(ys[0]), int(xs[0])
    rect, region = ed.component_at(y, x)
    key(qtbot, win, Qt.Key.Key_F)
    key(qtbot, win, Qt.Key.Key_2)
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    labels = stored(win, 0)
    y0, y1, x0, x1 = rect
    assert (labels[y0:y1, x0:x1][region] == 1).all() and (labels != 255).sum() == region.sum()
    key(qtbot, win, Qt.Key.Key_N)
    assert win.document.index == 1
    key(qtbot, win, Qt.Key.Key_PageUp)
    assert win.document.index == 0 and np.array_equal(win.document.editor.labels, labels)


def test_advance_a_stage(window, qtbot):
    win = window
    key(qtbot, win, Qt.Key.Key_Q)
    key(qtbot, win, Qt.Key.Key_Return)
    key(qtbot, win, Qt.Key.Key_Escape)
    old_points = win.document.editor.points.copy()
    qtbot.mouseClick(win.stage_bar.advance, Qt.MouseButton.LeftButton)
    assert win.stage_bar.cancel.isVisible() and not win.stage_bar.advance.isEnabled()
    qtbot.waitUntil(lambda: win.stage == 2, timeout=240_000)
    assert {"retrain", "pixel selector", "proposals (ppl)"} <= win.stage_bar.seen_jobs  # progress arrived
    assert 2 in win.project.proposal_stages()
    assert "Stage 2" in win.stage_bar.state.text() and "new proposals" in win.stage_bar.job.text()
    new_points = win.project.proposal(2, 0)[1]
    assert np.array_equal(win.document.editor.points, new_points) and not np.array_equal(new_points, old_points)
    qtbot.waitUntil(lambda: f"0/{len(new_points)} points" in win.image_list.list.item(0).text())  # stage 2
    assert [h["stage"] for h in win.project.history()] == [0, 1]  # the starting model, then stage 1


def test_cancel_a_stage_and_a_failure_keep_the_project(window, qtbot):
    win = window
    key(qtbot, win, Qt.Key.Key_Q)
    key(qtbot, win, Qt.Key.Key_Return)
    before = stored(win, win.queue.items[0][0]).copy()
    key(qtbot, win, Qt.Key.Key_Escape)
    key(qtbot, win, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    worker = win.worker
    qtbot.waitUntil(lambda: bool(win.stage_bar.seen_jobs), timeout=60_000)
    qtbot.mouseClick(win.stage_bar.cancel, Qt.MouseButton.LeftButton)
    assert worker.wait(1000)  # stopped within a second
    qtbot.waitUntil(lambda: "cancelled" in win.stage_bar.job.text(), timeout=5_000)
    assert win.stage == 1 and win.project.proposal_stages() == [1]
    assert "cancelled" in win.stage_bar.job.text()

    def broken(project, progress=None, cancel=None):
        class Flow:
            def advance(self):
                raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

        return Flow()

    win.workflow_factory = broken
    win.advance_stage()
    qtbot.waitUntil(lambda: win.stage_bar.error.isVisible(), timeout=10_000)
    assert "ran out of memory" in win.stage_bar.error.text() and win.stage == 1
    assert np.array_equal(stored(win, win.queue.items[0][0]), before)


def test_a_failed_save_is_shown_and_kept_until_it_works(window, qtbot, monkeypatch):
    win = window
    real = win.project.save_labels

    def full_disk(*a, **k):
        raise SaveError("demo.labor.h5.journal: could not save (the disk is full)")

    monkeypatch.setattr(win.project, "save_labels", full_disk)
    y, x, _ = win.document.editor.points[0]
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    assert "disk is full" in win.stage_bar.error.text() and 0 in win.document.pending
    monkeypatch.setattr(win.project, "save_labels", real)
    assert win.document.flush() and not win.document.pending
    assert stored(win, 0)[y, x] == 0


def test_close_reopen_finds_every_label(template, tmp_path_factory, qtbot):
    path = copy_of(template, tmp_path_factory)
    project = Project.open(path)
    win = MainWindow(project)
    qtbot.addWidget(win)
    win.show()
    win.canvas.fit()
    expected = {}
    for i in (0, 1):
        win.open_image(i)
        ed = win.document.editor
        for k in range(len(ed.points)):
            ed.label_point(k, k % 19)
        expected[i] = ed.labels.copy()
    win.close()
    project.close()
    with Project.open(path, read_only=True) as again:
        for i, labels in expected.items():
            assert np.array_equal(again.labels(i)[0], labels)
    assert run_folder(path).is_dir()


def test_prediction_layer_accept_component_and_fig6_view(window, qtbot, tmp_path):
    win = window
    key(qtbot, win, Qt.Key.Key_2, Qt.KeyboardModifier.ShiftModifier)  # Shift+2: prediction layer
    assert win.canvas.layers["prediction"].visible
    qtbot.waitUntil(lambda: win.document.editor.prediction is not None, timeout=30_000)
    ed = win.document.editor
    ys, xs = np.nonzero(ed.mask)
    y, x = int(ys[-1]), int(xs[-1])
    (y0, y1, x0, x1), region = ed.component_at(y, x)
    key(qtbot, win, Qt.Key.Key_A)
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    labels = stored(win, 0)
    assert np.array_equal(labels[y0:y1, x0:x1][region], ed.prediction[y0:y1, x0:x1][region])
    key(qtbot, win, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    dialog = win.inspect.fig6()
    h, w = win.document.image_rgb.shape[:2]
    assert dialog.image.height() > h and dialog.image.width() >= 4 * w  # four panels side by side
    assert dialog.image.save(str(tmp_path / "fig6.png")) and (tmp_path / "fig6.png").stat().st_size > 0


def test_history_export_and_shortcut_sheet(window, qtbot, tmp_path):
    win = window
    key(qtbot, win, Qt.Key.Key_Q)
    key(qtbot, win, Qt.Key.Key_Return)
    key(qtbot, win, Qt.Key.Key_Escape)
    win.advance_stage()
    qtbot.waitUntil(lambda: win.stage == 2, timeout=240_000)
    dialog = win.inspect.history()
    assert dialog.table.columnCount() == 2 and dialog.table.item(0, 1).text() != "-"
    assert [h["stage"] for h in dialog.chart.history] == [0, 1]
    summary = win.inspect.export(str(tmp_path / "out"))
    assert summary is not None and (tmp_path / "out" / "model.pt").exists()
    assert list((tmp_path / "out").rglob("*labelTrainIds.png"))
    key(qtbot, win, Qt.Key.Key_F1)
    sheet = win.shortcut_sheet.toPlainText()
    from labor_desktop.gui.keymap import BINDINGS

    for b in BINDINGS:  # the sheet and the bindings come from one table
        assert b.description in sheet
        assert win.actions[b.action].shortcuts()[0].toString() in sheet.replace("Return", "Return")


def test_new_project_dialog_validates_then_creates(tiny_data, tmp_path, qtbot):
    import torch

    from labor_desktop.core.model import DeepLabV2, ModelConfig
    from labor_desktop.gui.new_project import NewProjectDialog

    dialog = NewProjectDialog()
    qtbot.addWidget(dialog)
    dialog.source.setText(str(tmp_path / "nowhere"))
    dialog.target.setText(str(tiny_data / "target"))
    dialog.file.setText(str(tmp_path / "mine.labor.h5"))
    dialog.create()
    assert "nowhere" in dialog.error.text() and dialog.created is None
    dialog.source.setText(str(tiny_data / "source"))
    torch.save(DeepLabV2(ModelConfig(backbone="resnet18", num_classes=5)).state_dict(), tmp_path / "five.pth")
    dialog.checkpoint.setText(str(tmp_path / "five.pth"))
    dialog.style.setCurrentText("IAST")  # a ResNet-101 is expected: the file is refused, saying why
    dialog.create()
    assert "five.pth" in dialog.error.text() and "resnet18" in dialog.error.text()
    dialog.checkpoint.setText("")
    dialog.style.setCurrentText("this program's")
    dialog.create()
    assert dialog.created == tmp_path / "mine.labor.h5" and dialog.error.text() == ""
    with Project.open(tmp_path / "mine.labor.h5", read_only=True) as p:
        assert len(p.images) == 8 and p.settings.strategy == dialog.strategy.currentText()
