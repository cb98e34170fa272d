"""The SAM assist in the real window (issue 24), on a tiny random SamModel saved where
LABOR_SAM_DIR points: Shift+G picks it and reads the image in the background (busy cursor,
a status line); a click outlines SAM's mask and opens the class chooser; a class key labels
the mask as one undo step, Esc labels nothing, other classes stay unless confirmed.
Without weights the tool is disabled and says where they go.  Real clicks and keys."""

import threading

import numpy as np
import pytest
from gui_support import copy_of, key, open_window, stored, template, widget_pos  # noqa: F401
from PyQt6.QtCore import Qt
from sam_support import save_tiny_sam

from labor_desktop.labeling import UNLABELED, Tool

pytestmark = pytest.mark.timeout(900)  # the bootstrapped template takes minutes on a busy machine


@pytest.fixture(scope="module")
def tiny_sam(tmp_path_factory):
    return save_tiny_sam(tmp_path_factory.mktemp("models") / "sam")


def window_with(folder, template, tmp_path_factory, qtbot, monkeypatch):
    monkeypatch.setenv("LABOR_SAM_DIR", str(folder))
    win, project = open_window(copy_of(template, tmp_path_factory), qtbot)
    return win, project


@pytest.fixture
def sam_window(template, tmp_path_factory, qtbot, monkeypatch, tiny_sam):
    win, project = window_with(tiny_sam, template, tmp_path_factory, qtbot, monkeypatch)
    yield win
    win.close()
    project.close()


def said(win) -> str:
    """The status bar's last message, whole (the bar shows it elided to its room)."""
    return win.statusBar().toolTip()


def sam_on(qtbot, win):
    key(qtbot, win, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)
    assert win.session.tool is Tool.SAM and win.action_map["tool_sam"].isChecked()
    qtbot.waitUntil(lambda: not win.sam.busy and win.sam.assist.has_embedding(win.document.index), timeout=60_000)


def a_click(win):
    """A pixel whose SAM mask is neither empty nor the whole image, and that mask."""
    i, image = win.document.index, win.document.current_image()
    h, w = image.shape[:2]
    for y, x in ((h // 2, w // 4), (h // 4, 3 * w // 4), (3 * h // 4, w // 2), (h // 2, w // 2)):
        mask = win.sam.assist.mask(i, image, y, x)
        if 0 < mask.sum() < mask.size:
            return y, x, mask
    raise AssertionError("the tiny model gave no partial mask at any of the clicks tried")


def click(qtbot, win, y, x):
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
    qtbot.waitUntil(win.sam.chooser.isVisible, timeout=60_000)


def test_without_weights_the_tool_is_disabled_and_says_where_they_go(
    template, tmp_path_factory, qtbot, monkeypatch, tmp_path
):
    win, project = window_with(tmp_path / "sam", template, tmp_path_factory, qtbot, monkeypatch)
    try:
        act = win.action_map["tool_sam"]
        assert not act.isEnabled()
        where = f"{tmp_path / 'sam'} does not exist; place a SAM checkpoint in Hugging Face format"
        assert where in act.toolTip() and act.statusTip() == act.toolTip()
        key(qtbot, win, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)
        assert win.session.tool is not Tool.SAM
        win.session.update(tool=Tool.SAM)  # e.g. the saved place of a session that had weights
        assert win.session.tool is Tool.REGION and where in said(win)
    finally:
        win.close()
        project.close()


def test_a_click_outlines_the_mask_and_a_class_key_labels_it_as_one_undo_step(sam_window, qtbot):
    win = sam_window
    assert win.action_map["tool_sam"].isEnabled()
    sam_on(qtbot, win)
    y, x, mask = a_click(win)
    before = stored(win, 0).copy()
    click(qtbot, win, y, x)
    assert win.canvas.assist_outline is not None
    assert win.sam.chooser.title.text() == f"SAM mask of {int(mask.sum())} px at ({x}, {y})"
    qtbot.keyClick(win.sam.chooser.list, Qt.Key.Key_3)  # class 2
    labels = stored(win, 0)
    assert win.canvas.assist_outline is None
    assert (labels[mask & (before == UNLABELED)] == 2).all() and np.array_equal(labels[~mask], before[~mask])
    qtbot.keyClick(win.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one step undoes it all
    assert np.array_equal(stored(win, 0), before)
    assert win.sam.assist.embedded == 1  # the image was read once


def test_esc_labels_nothing_and_other_classes_stay_unless_confirmed(sam_window, qtbot):
    win = sam_window
    sam_on(qtbot, win)
    y, x, mask = a_click(win)
    before = stored(win, 0).copy()
    click(qtbot, win, y, x)
    qtbot.keyClick(win.sam.chooser.list, Qt.Key.Key_Escape)
    assert not win.sam.chooser.isVisible() and win.canvas.assist_outline is None
    assert np.array_equal(stored(win, 0), before)

    ys, xs = np.nonzero(mask)
    part = np.zeros_like(mask)
    part[ys[: len(ys) // 2], xs[: len(xs) // 2]] = True
    ed = win.document.current_editor()
    win.document.act(lambda: ed.label_region(part, 4, overwrite=True))  # labelled "4" before, as a brush would
    asked: list[str] = []
    win.confirm = lambda text: asked.append(text) or False  # the person says no
    click(qtbot, win, y, x)
    qtbot.keyClick(win.sam.chooser.list, Qt.Key.Key_3)
    labels = stored(win, 0)
    assert asked and "keep" in asked[0]
    assert (labels[part] == 4).all() and (labels[mask & ~part] == 2).all()  # kept; the rest labelled
    win.confirm = lambda text: True
    click(qtbot, win, y, x)
    qtbot.keyClick(win.sam.chooser.list, Qt.Key.Key_3)
    assert (stored(win, 0)[mask] == 2).all()  # confirmed: relabelled


def test_reading_the_image_runs_in_the_background_and_a_click_waits_for_it(sam_window, qtbot, monkeypatch):
    win = sam_window
    release = threading.Event()
    embed = win.sam.assist.embed

    def slow_embed(k, image):
        release.wait(60)
        return embed(k, image)

    monkeypatch.setattr(win.sam.assist, "embed", slow_embed)
    key(qtbot, win, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)
    assert win.sam.busy and win.canvas.cursor().shape() == Qt.CursorShape.BusyCursor
    assert said(win).startswith("SAM: loading the model, then reading image 1")
    h, w = win.document.current_image().shape[:2]
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, h // 2, w // 4))
    assert said(win) == "SAM: still reading the image; your click is answered when it is ready"
    assert not win.sam.chooser.isVisible()  # the window answered at once; the click waits
    release.set()
    qtbot.waitUntil(win.sam.chooser.isVisible, timeout=60_000)  # the click's mask, once the image was read
    assert win.sam.chooser.title.text().endswith(f"px at ({w // 4}, {h // 2})")
    qtbot.waitUntil(lambda: not win.sam.busy)
    assert win.canvas.cursor().shape() == Qt.CursorShape.CrossCursor


def test_a_damaged_checkpoint_turns_the_tool_off_with_the_reason(
    template, tmp_path_factory, qtbot, monkeypatch, tmp_path, tiny_sam
):
    folder = tmp_path / "sam"
    folder.mkdir()
    for f in ("config.json", "preprocessor_config.json"):
        (folder / f).write_bytes((tiny_sam / f).read_bytes())
    (folder / "model.safetensors").write_bytes(b"\0" * 64)
    win, project = window_with(folder, template, tmp_path_factory, qtbot, monkeypatch)
    try:
        assert win.action_map["tool_sam"].isEnabled()  # the files are there: only loading tells
        key(qtbot, win, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)
        qtbot.waitUntil(lambda: not win.action_map["tool_sam"].isEnabled(), timeout=60_000)
        assert f"damaged SAM checkpoint in {folder}" in win.action_map["tool_sam"].toolTip()
        assert said(win).startswith(f"damaged SAM checkpoint in {folder}")
        assert win.session.tool is Tool.REGION
    finally:
        win.close()
        project.close()
