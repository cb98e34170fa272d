"""The real window driven by clicks and keys (pytest-qt, offscreen), on a project
bootstrapped with the smoke config: tools, the point queue, stages, saving."""

import numpy as np
import pytest
from gui_support import LAST_RESORT_MS, click_point, copy_of, key, stored, template, widget_pos, window
from PyQt6.QtCore import Qt

from labor_desktop.engine.workflow import run_folder
from labor_desktop.gui.window.main_window import MainWindow
from labor_desktop.labeling import UNLABELED, Tool
from labor_desktop.store import Project, SaveError

pytestmark = pytest.mark.timeout(1800)  # a hang guard only: the shared fixtures took 340 s under load


def test_a_click_selects_a_point_and_the_chooser_labels_it(window, qtbot):
    win = window
    key(qtbot, win, Qt.Key.Key_P)
    assert win.tools.tool is Tool.POINT
    y, x = click_point(qtbot, win, 0, dx=1)  # snaps from 1 px off
    assert stored(win, 0)[y, x] == UNLABELED  # a click alone writes nothing
    chooser = win.points.chooser
    assert chooser.isVisible() and win.points.selected == 0 and win.canvas.marks.current == 0
    qtbot.keyClick(chooser.list, Qt.Key.Key_3)  # class index 2, chosen in the chooser
    labels = stored(win, 0)
    assert labels[y, x] == 2 and (labels != UNLABELED).sum() == 1
    assert not chooser.isVisible() and win.project.effort(0).points_labeled == 1


def test_point_queue_by_keys(window, qtbot):
    win = window
    key(qtbot, win, Qt.Key.Key_Q)
    assert win.points.active
    first_image, first = win.points.queue.items[0]
    second_image, second = win.points.queue.items[1]
    key(qtbot, win, Qt.Key.Key_5)  # class 4 for the first point
    y, x, _ = win.project.proposal(1, first_image)[1][first]
    assert stored(win, first_image)[y, x] == 4
    shown = win.canvas.headsup
    y2, x2, k2 = win.project.proposal(1, second_image)[1][second]
    assert f"suggestion: {win.names[k2]}" in shown and f"Enter accept {win.names[k2]}" in shown
    key(qtbot, win, Qt.Key.Key_Return)  # the suggestion on screen for the second
    assert stored(win, second_image)[y2, x2] == k2
    key(qtbot, win, Qt.Key.Key_Backspace)
    assert win.points.queue.current == (second_image, second)
    key(qtbot, win, Qt.Key.Key_Escape)
    assert not win.points.active and win.canvas.headsup == ""


def test_brush_limited_to_mask_undo_redo(window, qtbot):
    win = window
    mask = win.document.editor.mask
    ys, xs = np.nonzero(mask)
    y, x = int(ys[len(ys) // 2]), int(xs[len(xs) // 2])
    key(qtbot, win, Qt.Key.Key_B)
    key(qtbot, win, Qt.Key.Key_M)
    assert win.session.limit_to_mask
    for _ in range(3):
        key(qtbot, win, Qt.Key.Key_BracketRight)
    assert win.session.brush_radius == 7 and win.toolbar.brush.value() == 7
    key(qtbot, win, Qt.Key.Key_7)  # class 6
    qtbot.mousePress(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x - 3))
    qtbot.mouseMove(win.canvas, widget_pos(win, y, x + 3))
    qtbot.mouseRelease(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x + 3))
    labels = stored(win, 0)
    painted = labels != UNLABELED
    assert painted.any() and not painted[~mask].any() and set(np.unique(labels[painted])) == {6}
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (stored(win, 0) == UNLABELED).all()  # the undo is saved like any change
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert np.array_equal(stored(win, 0), labels)
    key(qtbot, win, Qt.Key.Key_E)  # the eraser takes them off again
    qtbot.mousePress(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x - 3))
    qtbot.mouseRelease(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x - 3))
    assert (stored(win, 0) != UNLABELED).sum() < painted.sum()


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
    assert (labels[y0:y1, x0:x1][region] == 1).all() and (labels != UNLABELED).sum() == region.sum()
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
    qtbot.waitUntil(lambda: win.stage == 2, timeout=LAST_RESORT_MS)
    assert {"retrain", "pixel selector", "proposals (ppl)"} <= win.stage_bar.seen_jobs  # progress arrived
    assert 2 in win.project.proposal_stages()
    assert "Stage 2" in win.stage_bar.state.text() and "new proposals" in win.stage_bar.job.text()
    assert "stage 1:" in win.stage_bar.state.text()  # the last evaluated stage, named as such
    new_points = win.project.proposal(2, 0)[1]
    assert np.array_equal(win.document.editor.points, new_points) and not np.array_equal(new_points, old_points)
    qtbot.waitUntil(lambda: f"0/{len(new_points)} pts" in win.image_list.list.item(0).text())  # stage 2
    assert [h["stage"] for h in win.project.history()] == [0, 1]  # the starting model, then stage 1


def test_cancel_a_stage_and_a_failure_keep_the_project(window, qtbot):
    win = window
    key(qtbot, win, Qt.Key.Key_Q)
    first_image = win.points.queue.items[0][0]
    key(qtbot, win, Qt.Key.Key_Return)
    before = stored(win, first_image).copy()
    assert (before != UNLABELED).sum() == 1  # the point just labelled
    key(qtbot, win, Qt.Key.Key_Escape)
    key(qtbot, win, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(win.stage_bar.seen_jobs), timeout=LAST_RESORT_MS)
    with qtbot.waitSignal(win.stages.running_changed, timeout=LAST_RESORT_MS):
        qtbot.mouseClick(win.stage_bar.cancel, Qt.MouseButton.LeftButton)
    assert "cancelled" in win.stage_bar.job.text() and not win.stages.running
    assert win.stage == 1 and win.project.proposal_stages() == [1]

    def broken(project, progress=None, cancel=None):
        class Flow:
            def advance(self):
                raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

        return Flow()

    win.stages.workflow_factory = broken
    win.advance_stage()
    qtbot.waitUntil(lambda: win.stage_bar.error.isVisible(), timeout=LAST_RESORT_MS)
    assert "ran out of memory" in win.stage_bar.error.text() and win.stage == 1
    assert np.array_equal(stored(win, first_image), before)  # the failure lost no label


def test_a_failed_save_is_shown_and_kept_until_it_works(window, qtbot, monkeypatch):
    win = window
    real = win.project.save_labels

    def full_disk(*a, **k):
        raise SaveError("demo.labor.h5.journal: could not save (the disk is full)")

    monkeypatch.setattr(win.project, "save_labels", full_disk)
    y, x = click_point(qtbot, win, 0)
    qtbot.keyClick(win.points.chooser.list, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: "disk is full" in win.stage_bar.error.text())  # the writer thread reports it
    assert 0 in win.document.pending and not win.document.flush(timeout=10)
    win.open_image(1)
    win.open_image(0)  # the label shown is the one in memory, not the file's
    assert win.document.editor.labels[y, x] == 0 and win.project.labels(0)[0][y, x] == UNLABELED
    monkeypatch.setattr(win.project, "save_labels", real)
    assert win.document.flush(timeout=10) and not win.document.pending
    assert stored(win, 0)[y, x] == 0


def test_close_reopen_finds_every_label(template, tmp_path_factory, qtbot):  # noqa: F811
    path = copy_of(template, tmp_path_factory)
    project = Project.open(path)
    win = MainWindow(project)
    qtbot.addWidget(win)
    win.show()
    win.canvas.fit()
    expected = {}
    for i in (0, 1):
        win.open_image(i)
        for k in range(len(win.document.editor.points)):
            win.points.label(k, k % 19)
        expected[i] = win.document.editor.labels.copy()
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
    qtbot.waitUntil(lambda: win.document.editor.prediction is not None, timeout=LAST_RESORT_MS)
    ed = win.document.editor
    ys, xs = np.nonzero(ed.mask)
    y, x = int(ys[-1]), int(xs[-1])
    (y0, y1, x0, x1), region = ed.component_at(y, x)
    key(qtbot, win, Qt.Key.Key_A)
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    labels = stored(win, 0)
    assert np.array_equal(labels[y0:y1, x0:x1][region], ed.prediction[y0:y1, x0:x1][region])
    key(qtbot, win, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: getattr(win.inspect, "last_fig6", None) is not None, timeout=LAST_RESORT_MS)
    dialog = win.inspect.last_fig6
    h, w = win.document.image_rgb.shape[:2]
    assert dialog.image.height() > 2 * h and dialog.image.width() >= 2 * w  # four panels, two by two
    assert dialog.image.save(str(tmp_path / "fig6.png")) and (tmp_path / "fig6.png").stat().st_size > 0


def test_history_export_and_shortcut_sheet(window, qtbot, tmp_path):
    win = window
    key(qtbot, win, Qt.Key.Key_Q)
    key(qtbot, win, Qt.Key.Key_Return)
    key(qtbot, win, Qt.Key.Key_Escape)
    win.advance_stage()
    qtbot.waitUntil(lambda: win.stage == 2, timeout=LAST_RESORT_MS)
    dialog = win.inspect.history()
    assert dialog.table.columnCount() == 2 and dialog.table.item(0, 1).text() != "-"
    assert [h["stage"] for h in dialog.chart.history] == [0, 1]
    assert win.project.history()[1]["budget"]["labeled_points"] == 1  # one point labelled, not all proposed
    summary = win.inspect.export(str(tmp_path / "not" / "yet" / "there"))  # made when missing
    assert summary is not None and (tmp_path / "not" / "yet" / "there" / "model.pt").exists()
    assert list((tmp_path / "not").rglob("*labelTrainIds.png"))
    key(qtbot, win, Qt.Key.Key_F1)
    sheet = win.shortcut_sheet.toPlainText()
    from labor_desktop.gui.keymap import BINDINGS

    for b in BINDINGS:  # the sheet and the bindings come from one table
        if b.action in win.action_map:
            assert win.action_map[b.action].shortcuts()[0].toString() in sheet
    assert "Class 10: terrain" in sheet
    qtbot.keyClick(win.shortcut_sheet, Qt.Key.Key_Escape)
    assert not win.shortcut_sheet.isVisible()


def test_new_project_dialog_validates_then_creates(tiny_data, tmp_path, qtbot):
    import torch

    from labor_desktop.core.model import DeepLabV2, ModelConfig
    from labor_desktop.gui.projects.new_project import NewProjectDialog

    dialog = NewProjectDialog()
    qtbot.addWidget(dialog)
    dialog.source.setText(str(tmp_path / "nowhere"))
    dialog.target.setText(str(tiny_data / "target"))
    dialog.file.setText(str(tmp_path / "mine.labor.h5"))
    dialog.create_project()
    assert "nowhere" in dialog.error.text() and dialog.created is None
    dialog.source.setText(str(tiny_data / "source"))
    torch.save(DeepLabV2(ModelConfig(backbone="resnet18", num_classes=5)).state_dict(), tmp_path / "five.pth")
    dialog.checkpoint.setText(str(tmp_path / "five.pth"))
    dialog.checkpoint_style.setCurrentText("IAST")  # a ResNet-101 is expected: the file is refused, saying why
    dialog.create_project()
    assert "five.pth" in dialog.error.text() and "resnet18" in dialog.error.text()
    dialog.checkpoint.setText("")
    dialog.checkpoint_style.setCurrentText("this program's")
    dialog.create_project()
    assert dialog.created == tmp_path / "mine.labor.h5" and dialog.error.text() == ""
    with Project.open(tmp_path / "mine.labor.h5", read_only=True) as p:
        assert len(p.images) == 8 and p.settings.strategy == dialog.strategy.currentText()


def test_out_of_memory_in_a_stage_is_shown_with_the_job_and_the_setting(window, qtbot):
    from labor_desktop.engine.workflow import OutOfMemory

    win = window

    def short_of_memory(project, progress=None, cancel=None):
        class Flow:
            def finish(self):
                raise OutOfMemory("retrain-1", 8, "[retrain] batch_size", "CUDA out of memory")

        return Flow()

    win.stages.workflow_factory = short_of_memory
    win.advance_stage()
    qtbot.waitUntil(lambda: win.stage_bar.error.isVisible(), timeout=LAST_RESORT_MS)
    text = win.stage_bar.error.text()
    assert text.startswith("retrain-1: the GPU ran out of memory at batch size 8;")
    assert "Lower [retrain] batch_size (now 8)" in text and win.stage == 1 and not win.stages.running


def test_end_stage_counts_the_images_not_seen_yet_off_the_window_thread(window, qtbot, monkeypatch):
    import threading

    win = window
    win.image_list.stop()  # as if the list had not filled yet: only the shown image is known
    win.document.forget_statuses()
    asked, threads = [], []
    win.confirm = lambda text: asked.append(text) or False
    real = win.document.proposal
    monkeypatch.setattr(win.document, "proposal", lambda i: threads.append(threading.current_thread()) or real(i))
    qtbot.mouseClick(win.stage_bar.advance, Qt.MouseButton.LeftButton)
    assert win.stage_bar.bar.isVisible() and not asked  # the click returned with the count under way
    qtbot.waitUntil(lambda: bool(asked), timeout=LAST_RESORT_MS)
    total = sum(len(win.project.proposal(1, i)[1]) for i in range(len(win.project.images)))
    assert asked == [f"{total} proposed points of stage 1 are still unlabeled. End the stage anyway?"]
    assert len(threads) == len(win.project.images) and threading.main_thread() not in threads
    assert not win.stages.running and win.stage == 1


def test_a_closed_window_takes_its_controllers_along_so_a_late_job_result_reaches_nothing(
    template,  # noqa: F811
    tmp_path_factory,
    qtbot,
):
    """A prediction job that ends after its window is gone (the look-ahead of the queue)
    used to reach the deleted canvas through the document's signal: a segfault in a later
    test.  The document, predictions, tools, points and stage control die with the window."""
    from PyQt6 import sip

    path = copy_of(template, tmp_path_factory)
    project = Project.open(path)
    win = MainWindow(project)  # not given to qtbot: this test deletes it
    win.show()
    parts = (win.document, win.predictions, win.tools, win.points, win.stages)
    assert all(p.parent() is win for p in parts)
    win.close()
    project.close()
    win.deleteLater()
    qtbot.waitUntil(lambda: sip.isdeleted(win.predictions))
    assert all(sip.isdeleted(p) for p in parts)
