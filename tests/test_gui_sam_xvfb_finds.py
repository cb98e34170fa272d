"""What driving the SAM assist in the real program under Xvfb found (docs/guide-check.md,
"SAM assist"); each test failed before its fix.  Real keys and clicks."""

import pytest
from gui_support import copy_of, key, open_window, template, widget_pos  # noqa: F401
from PyQt6.QtCore import QEvent, Qt
from PyQt6.QtGui import QStatusTipEvent
from PyQt6.QtWidgets import QApplication
from sam_support import save_tiny_sam

from labor_desktop.labeling import Tool

pytestmark = pytest.mark.timeout(900)  # the bootstrapped template takes minutes on a busy machine


def test_shift_g_without_weights_says_where_they_go(template, tmp_path_factory, qtbot, monkeypatch, tmp_path):
    """The action is disabled, so its shortcut never fired: Shift+G did nothing at all."""
    monkeypatch.setenv("LABOR_SAM_DIR", str(tmp_path / "sam"))
    win, project = open_window(copy_of(template, tmp_path_factory), qtbot)
    try:
        assert not win.action_map["tool_sam"].isEnabled()
        key(qtbot, win, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)
        assert win.session.tool is not Tool.SAM
        assert f"no SAM weights: {tmp_path / 'sam'} does not exist" in win.statusBar().toolTip()
        assert "SAM" in win.statusBar().currentMessage()
    finally:
        win.close()
        project.close()


def test_the_readout_under_a_resting_mouse_follows_a_chooser_answer(
    template, tmp_path_factory, qtbot, monkeypatch, tmp_path
):
    """The chooser is a popup: the canvas got a Leave when it opened and forgot the mouse,
    so after a class key the readout under the unmoved mouse still said ``unlabeled``."""
    monkeypatch.setenv("LABOR_SAM_DIR", str(save_tiny_sam(tmp_path / "sam")))
    win, project = open_window(copy_of(template, tmp_path_factory), qtbot)
    try:
        key(qtbot, win, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)
        qtbot.waitUntil(lambda: not win.sam.busy and win.sam.assist.has_embedding(0), timeout=60_000)
        i, image = 0, win.document.current_image()
        h, w = image.shape[:2]
        grid = [(h * a // 8, w * b // 8) for a in range(1, 8) for b in range(1, 8)]
        y, x = next((y, x) for y, x in grid if win.sam.assist.mask(i, image, y, x)[y, x])  # in its own mask
        pos = widget_pos(win, y, x)
        qtbot.mouseMove(win.canvas, pos)
        qtbot.waitUntil(lambda: "label: unlabeled" in win.cursor_label.text())
        qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=pos)
        qtbot.waitUntil(win.sam.chooser.isVisible, timeout=60_000)
        QApplication.sendEvent(win.canvas, QEvent(QEvent.Type.Leave))  # what X sends as the popup grabs the mouse
        qtbot.keyClick(win.sam.chooser.list, Qt.Key.Key_3)  # class 2
        assert f"x {x}, y {y} · label: {win.names[2]}" in win.cursor_label.text()
    finally:
        win.close()
        project.close()


def test_the_off_tools_status_tip_is_elided_not_cut(template, tmp_path_factory, qtbot, monkeypatch, tmp_path):
    """Hovering the greyed SAM button put its status tip (the folder, the files) in the bar
    whole: Qt cut it mid-letter at the stage area, with no "…" to say there was more."""
    monkeypatch.setenv("LABOR_SAM_DIR", str(tmp_path / "sam"))
    win, project = open_window(copy_of(template, tmp_path_factory), qtbot)
    try:
        tip = win.action_map["tool_sam"].statusTip()
        QApplication.sendEvent(win, QStatusTipEvent(tip))  # what hovering the button sends
        bar = win.statusBar()
        shown = bar.currentMessage()
        assert shown.endswith("…") and bar.fontMetrics().horizontalAdvance(shown) <= win.stage_bar.x() - 8
        assert bar.toolTip() == tip
        QApplication.sendEvent(win, QStatusTipEvent(""))  # the mouse leaves the button
        assert bar.currentMessage() == ""
    finally:
        win.close()
        project.close()
