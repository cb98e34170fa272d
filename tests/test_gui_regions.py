"""The Region tool in the real window (issue 24): hover outlines the superpixel under the
cursor, a click opens the class chooser on it, a class key labels the whole region as
one undo step, Esc labels nothing, other classes inside are kept unless confirmed."""

import numpy as np
import pytest
from gui_support import key, stored, template, widget_pos, window  # noqa: F401
from PyQt6.QtCore import QEvent, Qt
from PyQt6.QtWidgets import QApplication

from labor_desktop.labeling import UNLABELED, Tool

pytestmark = pytest.mark.timeout(1800)  # a hang guard only: the shared fixtures took 340 s under load


def a_region(win):
    """The image's superpixels and a pixel near the middle of its largest region."""
    sp = win.workflow.superpixels(win.document.index)
    rid = int(np.bincount(sp.ravel()).argmax())
    ys, xs = np.nonzero(sp == rid)
    k = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
    return sp, sp == rid, int(ys[k]), int(xs[k])


def test_r_hover_click_and_a_class_key_label_the_region_as_one_undo_step(window, qtbot):
    win = window
    key(qtbot, win, Qt.Key.Key_G)
    assert win.session.tool is Tool.REGION and win.action_map["tool_region"].isChecked()
    sp, region, y, x = a_region(win)
    qtbot.mouseMove(win.canvas, widget_pos(win, y, x))
    qtbot.waitUntil(lambda: win.regions.hovered == int(sp[y, x]))
    assert win.canvas.region_outline is not None  # drawn around the hovered region
    QApplication.sendEvent(win.canvas, QEvent(QEvent.Type.Leave))  # the cursor leaves the canvas
    assert win.canvas.region_outline is None and win.regions.hovered is None  # no outline left behind
    before = stored(win, 0).copy()
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    qtbot.waitUntil(win.regions.chooser.isVisible)
    assert "region" in win.regions.chooser.title.text()
    qtbot.keyClick(win.regions.chooser.list, Qt.Key.Key_3)  # class 2
    labels = stored(win, 0)
    assert (labels[region] == 2).all() and np.array_equal(labels[~region], before[~region])
    qtbot.keyClick(win.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one step undoes it all
    assert np.array_equal(stored(win, 0), before)


def test_esc_labels_nothing_and_other_classes_stay_unless_confirmed(window, qtbot):
    win = window
    key(qtbot, win, Qt.Key.Key_G)
    sp, region, y, x = a_region(win)
    before = stored(win, 0).copy()
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    qtbot.waitUntil(win.regions.chooser.isVisible)
    qtbot.keyClick(win.regions.chooser.list, Qt.Key.Key_Escape)
    assert not win.regions.chooser.isVisible() and np.array_equal(stored(win, 0), before)

    ys, xs = np.nonzero(region)
    other = (int(ys[0]), int(xs[0]))
    ed = win.document.current_editor()
    win.document.act(lambda: ed.label_region(sp == sp[other], 4))  # labelled "4" before, as a brush would
    asked: list[str] = []
    win.confirm = lambda text: asked.append(text) or False  # the person says no
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    qtbot.waitUntil(win.regions.chooser.isVisible)
    qtbot.keyClick(win.regions.chooser.list, Qt.Key.Key_3)
    assert asked and "keep" in asked[0]
    assert (stored(win, 0)[region] == 4).all()  # kept
    win.confirm = lambda text: True
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    qtbot.waitUntil(win.regions.chooser.isVisible)
    qtbot.keyClick(win.regions.chooser.list, Qt.Key.Key_3)
    assert (stored(win, 0)[region] == 2).all()  # confirmed: relabelled
    assert UNLABELED not in stored(win, 0)[region]
