"""What driving the real window under Xvfb with xdotool found after issue 22's fixes
(docs/guide-check.md): each test clicks and presses keys as the person did there, and
failed before its fix."""

import pytest
from gui_support import copy_of, key, open_window, template, widget_pos, window
from PyQt6.QtCore import QPoint, Qt

pytestmark = pytest.mark.timeout(600)  # the module's first test makes the stage-1 project (minutes on a busy CPU)
SHIFT, CTRL = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier
__all__ = ["template", "window"]  # fixtures


def rest_on_point(qtbot, win, k):
    """The mouse moved onto point ``k`` and left there; its widget position."""
    y, x, _ = win.document.editor.points[k]
    pos = widget_pos(win, y, x)
    qtbot.mouseMove(win.canvas, pos + QPoint(40, 40))  # from elsewhere: a move to where the cursor is sends nothing
    qtbot.mouseMove(win.canvas, pos)
    qtbot.waitUntil(lambda: f"x {x}, y {y} · label: unlabeled" in win.cursor_label.text())
    return pos


def test_the_readout_follows_a_fill_under_the_resting_cursor(window, qtbot):
    """The readout said "label: unlabeled" under the cursor after a Fill click had labelled
    that very pixel, until the mouse moved."""
    win = window
    ed = win.document.editor
    k = next(k for k, (y, x, _) in enumerate(ed.points.tolist()) if ed.mask[y, x])
    pos = rest_on_point(qtbot, win, k)
    key(qtbot, win, Qt.Key.Key_F)
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=pos)
    assert ed.point_label(k) == win.session.active_class
    assert f"· label: {win.names[win.session.active_class]} ·" in win.cursor_label.text()


def test_hiding_the_truth_layer_hides_the_truth_under_a_resting_cursor(window, qtbot):
    """Shift+6 off left "truth: ..." in the readout until the mouse moved: the answer shown
    with its layer off (stumble 6)."""
    win = window
    key(qtbot, win, Qt.Key.Key_6, SHIFT)  # the truth layer on
    rest_on_point(qtbot, win, 0)
    assert "truth:" in win.cursor_label.text()
    key(qtbot, win, Qt.Key.Key_6, SHIFT)  # off again, the mouse still
    assert not win.canvas.layers["truth"].visible
    assert "label: unlabeled" in win.cursor_label.text() and "truth" not in win.cursor_label.text()


def test_the_readout_names_the_models_class_once_the_next_images_prediction_arrives(window, qtbot):
    """With the mouse resting on the canvas, N opened the next image and the readout said
    "model: (show prediction)" after the prediction had arrived, until the mouse moved."""
    win = window
    rest_on_point(qtbot, win, 0)
    y, x = (int(v) for v in win.canvas.cursor_image_pos())
    key(qtbot, win, Qt.Key.Key_N)
    assert win.document.index == 1
    qtbot.waitUntil(lambda: win.document.editor.prediction is not None, timeout=60_000)
    predicted = win.names[int(win.document.editor.prediction[y, x])]
    assert f"x {x}, y {y} · label: unlabeled · model: {predicted}" in win.cursor_label.text()


def test_a_passing_message_is_elided_to_the_room_qt_draws_it_in(window, qtbot):
    """An Accept's message was cut mid-letter by the stage area, its "…" unseen: Qt draws
    a message from x = 6 to 2 px before the first permanent widget."""
    win = window
    bar = win.statusBar()
    text = "accepted the model's classes on 4456 px: " + ", ".join(f"class{i} {37 * i}" for i in range(40))
    win.say(text)
    shown = bar.currentMessage()
    assert shown.endswith("…") and bar.toolTip() == text
    assert 6 + bar.fontMetrics().horizontalAdvance(shown) <= win.stage_bar.x() - 2


def test_ctrl_o_in_a_maximised_window_opens_the_project_maximised(template, tmp_path_factory, qtbot, monkeypatch):
    """The new window took the maximised one's geometry but not its state: a window frame
    hanging off the screen's edges."""
    from labor_desktop.gui.projects import project_opener

    first, second = copy_of(template, tmp_path_factory), copy_of(template, tmp_path_factory)
    win, project = open_window(first, qtbot)
    win.showMaximized()
    qtbot.waitUntil(win.isMaximized)
    monkeypatch.setattr(project_opener.QFileDialog, "getOpenFileName", lambda *a, **k: (str(second), ""))
    key(qtbot, win, Qt.Key.Key_O, CTRL)
    other = project_opener.OPEN_WINDOWS[-1]
    qtbot.addWidget(other)
    try:
        assert other.project.path == second and not win.isVisible()
        assert other.isMaximized()
    finally:
        other.close()
        other.project.close()
        project.close()
