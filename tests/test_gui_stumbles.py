"""Issue 22, "the annotator's stumbles" 1-6 and 8-10 (7, the export dialog, is issue 25's):
each drives the real window with clicks and keys, as a person would, and failed before
its fix."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from gui_support import LAST_RESORT_MS, click_point, copy_of, key, open_window, stored, template, widget_pos, window
from PyQt6.QtCore import QPoint, QRect, Qt
from PyQt6.QtWidgets import QApplication

from labor_desktop.engine.workflow import ProjectWorkflow
from labor_desktop.gui.elided_label import ElidedLabel
from labor_desktop.gui.window.main_window import MainWindow
from labor_desktop.labeling import UNLABELED, Tool
from labor_desktop.store import Project

pytestmark = pytest.mark.timeout(600)  # the module's first test makes the stage-1 project (minutes on a busy CPU)
SHIFT, CTRL = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier


def click_image(qtbot, win, i):
    """A click on image ``i``'s row of the image list."""
    lst = win.image_list.list
    rect = lst.visualItemRect(lst.item(i))
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert win.document.index == i


def pixel(win, y, x):
    img = win.canvas.grab().toImage()
    p = widget_pos(win, y, x)
    c = img.pixelColor(p.x(), p.y())
    return c.red(), c.green(), c.blue()


def place_on_disk(project_path) -> dict:
    """The place as another process reads it from the user's settings (no clean close here)."""
    code = (
        "import json, sys; from labor_desktop.gui.place import load_place; print(json.dumps(load_place(sys.argv[1])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(project_path)], capture_output=True, text=True, env=os.environ
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


# 1. After kill -9 the labels survived, the window's place did not.
def test_s1_the_place_is_on_disk_as_it_changes_without_a_clean_close(window, qtbot):
    win = window
    click_image(qtbot, win, 2)
    key(qtbot, win, Qt.Key.Key_3)  # class 3
    key(qtbot, win, Qt.Key.Key_E)  # eraser
    key(qtbot, win, Qt.Key.Key_Plus)  # zoomed: no longer fit
    key(qtbot, win, Qt.Key.Key_2, SHIFT)  # prediction layer on
    scale = win.canvas.scale

    def saved() -> bool:
        place = place_on_disk(win.project.path)
        return place.get("image") == 2 and place.get("layers", {}).get("prediction", [False])[0]

    qtbot.waitUntil(saved, timeout=LAST_RESORT_MS)
    place = place_on_disk(win.project.path)  # read while the window is still open: as after a kill
    assert place["session"]["active_class"] == 2 and place["session"]["tool"] == Tool.ERASER.value
    assert place["view"][0] == pytest.approx(scale)


# 2. The status bar overflows at 1920 px and Cancel moves with the job's text.
def test_s2_at_1920_px_nothing_is_cut_and_cancel_stays_put(window, qtbot):
    win = window
    win.resize(1920, 1000)
    qtbot.waitUntil(lambda: win.width() == 1920)
    bar, status = win.stage_bar, win.statusBar()
    win.update_status()
    bar.running(True)
    xs = []
    for text in ("train", "evaluate with a long name that goes on and on and on and on", "propose next"):
        bar.progress(text, 60, 60, {"eta_s": 754.0})
        xs.append(bar.cancel.mapTo(win, QPoint(0, 0)).x())
        assert bar.job.text().startswith(text) and bar.job.toolTip() == bar.job.text()  # elided: whole in the tooltip
    assert xs[0] == xs[1] == xs[2]
    assert bar.geometry().right() <= status.width() and bar.cancel.isVisible()
    state = bar.state
    assert isinstance(state, ElidedLabel) and "mIoU" in state.text()
    assert state.shown_text() == state.text()  # the stage line is whole at 1920 px
    assert re.search(r"mIoU \d+\.\d\b", state.shown_text())
    bar.show_error("With few labels the model can get worse. " * 6)  # a long one: elided, whole in the tooltip
    assert bar.error.toolTip() == bar.error.text() and bar.error.shown_text().endswith("…")
    assert bar.cancel.mapTo(win, QPoint(0, 0)).x() == xs[0]
    bar.running(False)


# 3. Fill also labels the proposed point inside the component: the window counted it, the CSV did not.
def test_s3_fill_labels_a_point_and_the_window_and_the_export_count_it_once(window, qtbot, tmp_path):
    win = window
    ed = win.document.editor
    k = next(k for k, (y, x, _) in enumerate(ed.points.tolist()) if ed.mask[y, x])
    y, x, _ = ed.points[k]
    key(qtbot, win, Qt.Key.Key_F)
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    assert ed.point_label(k) == win.session.active_class
    qtbot.waitUntil(lambda: len(win.document.known_statuses()) == len(win.project.images))
    labelled = win.stage_counts()[0]
    assert labelled == int((ed.point_labels() != 255).sum()) >= 1
    assert f"labelled {labelled}/" in win.stage_bar.state.text()
    out = tmp_path / "export"
    assert win.inspect.export(str(out)) is not None
    with open(out / "budget_per_stage.csv") as f:
        stage1 = next(r for r in csv.DictReader(f) if r["stage"] == "1")
    with open(out / "budget_per_image.csv") as f:
        image0 = next(r for r in csv.DictReader(f) if r["image"] == "0")
    assert int(stage1["points_labeled"]) == labelled
    assert int(image0["points_labeled"]) == win.document.status(0).labeled_points == labelled
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo: the count follows
    assert win.document.stage_effort(1).points_labeled == labelled - 1 == win.stage_counts()[0]


# 4. Probabilities only while the prediction layer is visible.
def test_s4_the_chooser_and_the_queue_show_probabilities_with_the_prediction_layer_off(window, qtbot):
    win = window
    assert not win.canvas.layers["prediction"].visible
    click_image(qtbot, win, 1)
    qtbot.waitUntil(lambda: 1 in win.predictions.probs, timeout=LAST_RESORT_MS)  # computed ahead of need
    key(qtbot, win, Qt.Key.Key_P)
    click_point(qtbot, win, 0)
    chooser = win.points.chooser.list
    rows = [chooser.item(r).text() for r in range(3)]
    assert all(re.match(r"model: .+  0\.\d\d   \[", row) for row in rows), rows
    win.points.chooser.hide()
    key(qtbot, win, Qt.Key.Key_Q)
    assert win.points.queue.current[0] == 1
    assert re.search(r"suggestion: \S+ 0\.\d\d", win.canvas.headsup), win.canvas.headsup


# 5. The "model got worse" question waited unseen while the bar said "evaluate 60/60".
def test_s5_the_waiting_state_is_in_the_bar_and_the_title(window, qtbot):
    win = window
    seen = []
    win.confirm = lambda text: seen.append((win.stage_bar.job.text(), win.windowTitle(), win.stage_bar.bar.isVisible()))
    win.stage_bar.running(True)
    win.stage_bar.progress("evaluate", 60, 60, {})
    win.stages.few_labels = False
    win.stages.flow = type("Flow", (), {"listen": lambda *a: None, "propose_next": lambda s: 2})()
    win.stages._finished({"stage": 1, "before": {"miou": 0.108}, "after": {"miou": 0.094}})
    job, title, progress_shown = seen[0]
    assert job.startswith("waiting for you: keep the previous model?") and not progress_shown
    assert title.endswith("— waiting for your answer")
    qtbot.waitUntil(lambda: win.stage == 2, timeout=LAST_RESORT_MS)
    assert "waiting" not in win.windowTitle() and "waiting" not in win.stage_bar.job.text()


def test_s5_the_history_shows_the_rejected_models_miou_marked_rejected(window, qtbot):
    from labor_desktop.gui.inspect.inspect import HistoryDialog

    history = [
        {"stage": 0, "miou": 0.108, "budget": None},
        {"stage": 1, "miou": 0.108, "rejected": {"miou": 0.094}, "budget": {"unit": "points", "points_per_image": 5}},
    ]
    dialog = HistoryDialog(window, history, window.names)
    qtbot.addWidget(dialog)
    table = dialog.table
    assert table.verticalHeaderItem(1).text() == "mIoU of the rejected model"
    assert table.item(1, 1).text() == "9.4" and table.item(1, 0).text() == "-"
    dialog.chart.grab()
    assert dialog.chart.y_ticks[0] <= 9.4 < dialog.chart.y_ticks[-1]  # the axis reaches down to the rejected one


# 6. The hover readout showed the truth with its layer off; Fig. 6 titled a panel "ground truth".
def test_s6_truth_only_where_its_layer_is_on(window, qtbot):
    win = window
    assert win.document.truth_labels is not None and not win.canvas.layers["truth"].visible
    y, x, _ = win.document.editor.points[0]
    qtbot.mouseMove(win.canvas, widget_pos(win, y, x))
    qtbot.waitUntil(lambda: "label:" in win.cursor_label.text())
    assert "truth" not in win.cursor_label.text()
    key(qtbot, win, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)  # Fig. 6 with the truth hidden
    qtbot.waitUntil(lambda: getattr(win.inspect, "last_fig6", None) is not None, timeout=LAST_RESORT_MS)
    assert win.inspect.last_fig6.titles[0] == "image (no ground truth shown)"
    win.inspect.last_fig6.close()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)  # window shortcuts fire only in the active window
    key(qtbot, win, Qt.Key.Key_6, SHIFT)  # the truth layer on
    qtbot.mouseMove(win.canvas, widget_pos(win, y, x + 1))
    qtbot.waitUntil(lambda: "truth:" in win.cursor_label.text())


# 8. The queue started at the first image; earlier stages' labelled points were not drawn.
def test_s8_the_queue_starts_at_the_image_on_screen(window, qtbot):
    win = window
    click_image(qtbot, win, 3)
    key(qtbot, win, Qt.Key.Key_Q)
    assert win.points.queue.current == (3, 0)
    assert win.points.queue.items[-1][0] == 2  # the images before it come last


class StageTwo(ProjectWorkflow):
    """The project as at stage 2 (its proposals written by the test)."""

    def current_stage(self) -> int:
        return 2


def test_s8_earlier_stages_labelled_points_are_drawn_dimmed_and_toggle(template, tmp_path_factory, qtbot):
    path = copy_of(template, tmp_path_factory)
    project = Project.open(path)
    mask, points = project.proposal(1, 0)
    y, x, _ = (int(v) for v in points[0])
    labels, stages = project.labels(0)
    labels, stages = labels.copy(), stages.copy()
    labels[y, x], stages[y, x] = 2, 1  # stage 1's point 0: labelled class 3
    project.save_labels(0, labels, stages)
    for i in range(len(project.images)):
        m, p = project.proposal(1, i)
        moved = p.copy()
        moved[:, 1] = np.clip(moved[:, 1] + 9, 0, project.images[i].width - 1)  # stage 2's points elsewhere
        project.save_proposal(2, i, m, moved)
    win = MainWindow(project, StageTwo)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    try:
        win.canvas.fit()
        assert win.stage == 2 and [tuple(r) for r in win.canvas.marks.earlier.tolist()] == [(y, x, 2)]
        for name in ("image", "mask", "labels", "points"):  # the dot alone shows
            win.layers.boxes[name].setChecked(False)
        shown = pixel(win, y, x)
        assert shown != (30, 30, 30)  # a dot over the empty canvas
        assert np.argmax(shown) == np.argmax(win.document.colors[2])  # in its class colour (dimmed)
        key(qtbot, win, Qt.Key.Key_7, SHIFT)  # the toggle
        assert not win.canvas.layers["earlier"].visible and pixel(win, y, x) == (30, 30, 30)
    finally:
        win.close()
        project.close()
        shutil.rmtree(path.parent, ignore_errors=True)


# 10. Ctrl+O opened a second window, Ctrl+Q left the process running.
def test_s10_ctrl_o_opens_in_this_window_and_ctrl_q_quits(template, tmp_path_factory, qtbot, monkeypatch):
    from labor_desktop.gui.projects import project_opener

    first, second = copy_of(template, tmp_path_factory), copy_of(template, tmp_path_factory)
    win, project = open_window(first, qtbot)
    monkeypatch.setattr(project_opener.QFileDialog, "getOpenFileName", lambda *a, **k: (str(second), ""))
    key(qtbot, win, Qt.Key.Key_O, CTRL)
    other = project_opener.OPEN_WINDOWS[-1]
    qtbot.addWidget(other)
    try:
        assert not win.isVisible() and other.isVisible() and other.project.path == second
        assert other.geometry() == win.geometry()  # in its place
        again = Project.open(first)  # the first project was let go
        again.close()
        quits = []
        monkeypatch.setattr(QApplication, "quit", lambda: quits.append(1))
        other.activateWindow()
        qtbot.waitUntil(other.isActiveWindow)
        key(qtbot, other, Qt.Key.Key_Q, CTRL)
        assert not other.isVisible() and quits == [1]
    finally:
        other.close()
        other.project.close()
        project.close()


def test_s10_accept_says_what_it_labelled(window, qtbot):
    win = window
    key(qtbot, win, Qt.Key.Key_2, SHIFT)  # the prediction
    qtbot.waitUntil(lambda: win.document.editor.prediction is not None, timeout=LAST_RESORT_MS)
    key(qtbot, win, Qt.Key.Key_A)
    ed = win.document.editor
    y, x = (int(v) for v in np.argwhere(ed.mask)[0])
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    _, region = ed.component_at(y, x)
    message = win.statusBar().toolTip()  # whole (the bar shows it elided where it must)
    assert message.startswith(win.statusBar().currentMessage().removesuffix("…"))
    assert message.startswith(f"accepted the model's classes on {int(region.sum())} px: ")
    top = int(np.bincount(ed.prediction[ed.labels != UNLABELED]).argmax())
    assert message.split(": ", 1)[1].startswith(win.names[top] + " ")


def test_s10_the_chooser_stays_inside_the_window_and_the_screen(window, qtbot):
    win = window
    screen = win.screen().availableGeometry()
    win.setGeometry(QRect(screen.left() + 2, screen.top() + 2, 830, 540))  # shorter than the screen
    qtbot.waitUntil(lambda: win.geometry().height() == 540)
    win.canvas.fit()
    pts = win.document.editor.points
    lowest = int(np.argmax(pts[:, 0] + pts[:, 1] * 1e-3))  # the point nearest the bottom (then the right)
    click_point(qtbot, win, lowest)
    chooser = win.points.chooser
    assert chooser.isVisible()
    frame = chooser.frameGeometry()
    assert win.frameGeometry().contains(frame) and screen.contains(frame), (frame, win.frameGeometry())


def test_s10_slash_and_enter_scroll_the_palette_to_the_class(window, qtbot):
    win = window
    palette = win.class_palette
    palette.list.setFixedHeight(70)  # a short palette: the last class is out of view
    qtbot.waitUntil(lambda: palette.list.viewport().height() < 70)
    key(qtbot, win, Qt.Key.Key_Slash)
    qtbot.keyClicks(palette.search, win.names[-1][:5])
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    last = palette.list.item(len(win.names) - 1)
    assert win.session.active_class == len(win.names) - 1
    assert palette.list.viewport().rect().contains(palette.list.visualItemRect(last).center())


def test_s10_the_history_chart_has_ticks_and_a_plain_x_label(window, qtbot):
    win = window
    key(qtbot, win, Qt.Key.Key_H, CTRL)
    chart = win.inspect.dialogs[-1].chart
    chart.grab()
    assert chart.x_label == "labels used: % of pixels labelled" and "(0 -" not in chart.x_label
    assert len(chart.x_ticks) >= 3 and len(chart.y_ticks) >= 3 and chart.x_ticks[0] == 0


def test_s10_one_click_singular_and_queue_keys_are_not_clicks(window, qtbot):
    win = window
    click_point(qtbot, win, 0)
    qtbot.keyClick(win.points.chooser.list, Qt.Key.Key_1)
    assert "| 1 click, 0 strokes" in win.stage_bar.state.text()
    key(qtbot, win, Qt.Key.Key_Q)
    i, k = win.points.queue.current
    key(qtbot, win, Qt.Key.Key_2)  # labels by key
    key(qtbot, win, Qt.Key.Key_Space)  # unsure
    key(qtbot, win, Qt.Key.Key_Backspace)  # back
    effort = win.document.stage_effort(1)
    assert effort.clicks == 1 and effort.points_labeled == 2
    y, x, _ = win.project.proposal(1, i)[1][k]
    assert stored(win, i)[y, x] == 1
    assert "| 1 click, 0 strokes" in win.stage_bar.state.text()


def test_s10_the_chooser_position_is_clamped_above_when_no_room_below(window, qtbot):
    chooser = window.points.chooser
    screen = window.screen().availableGeometry()
    window.setGeometry(QRect(screen.left() + 2, screen.top() + 2, 830, 540))
    qtbot.waitUntil(lambda: window.geometry().height() == 540)
    at = chooser.place_near(QPoint(screen.left() + 50, window.frameGeometry().bottom() - 5))
    assert at.y() + chooser.height() <= window.frameGeometry().bottom() + 1
    assert at.y() == window.frameGeometry().bottom() - 5 - 16 - chooser.height()  # above the point
