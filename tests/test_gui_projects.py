"""The window around its project: an SPL project labelled with the brush and the
fill, projects that cannot be opened (locked, damaged, newer) said in a dialog,
and closing the window while a stage trains."""

import numpy as np
import pytest
from gui_support import LAST_RESORT_MS, bootstrapped, copy_of, key, open_window, stored, template, widget_pos, window
from PyQt6.QtCore import Qt

from labor_desktop.engine.config import preset
from labor_desktop.engine.projects.experiment_data import ExperimentData
from labor_desktop.engine.workflow import ProjectWorkflow, create_project
from labor_desktop.gui.projects import project_opener
from labor_desktop.labeling import UNLABELED, Tool
from labor_desktop.store import Project

pytestmark = pytest.mark.timeout(1800)  # a hang guard only: the shared fixtures took 340 s under load


@pytest.fixture(scope="module")
def spl_template(tiny_data, tmp_path_factory):
    return bootstrapped(tiny_data, tmp_path_factory.mktemp("gui-spl"), "spl")


def test_an_spl_project_is_labelled_with_the_brush_and_counts_mask_pixels(spl_template, tmp_path_factory, qtbot):
    win, project = open_window(copy_of(spl_template, tmp_path_factory), qtbot)
    try:
        assert win.session.tool is Tool.BRUSH and not win.action_map["point_queue"].isEnabled()  # no points in SPL
        total = sum(int(project.proposal(1, i)[0].sum()) for i in range(len(project.images)))
        qtbot.waitUntil(lambda: f"mask 0/{total} px labelled" in win.stage_bar.state.text())
        ed = win.document.editor
        ys, xs = np.nonzero(ed.mask)
        y, x = int(ys[0]), int(xs[0])
        (y0, y1, x0, x1), region = ed.component_at(y, x)
        key(qtbot, win, Qt.Key.Key_F)
        key(qtbot, win, Qt.Key.Key_3)
        qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
        assert (stored(win, 0)[y0:y1, x0:x1][region] == 2).all()
        assert f"mask {int(region.sum())}/{total} px labelled" in win.stage_bar.state.text()
        key(qtbot, win, Qt.Key.Key_E)
        for _ in range(4):
            key(qtbot, win, Qt.Key.Key_BracketRight)
        qtbot.mousePress(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
        qtbot.mouseRelease(win.canvas, Qt.MouseButton.LeftButton, pos=widget_pos(win, y, x))
        assert stored(win, 0)[y, x] == UNLABELED  # the eraser took the label off
    finally:
        win.close()
        project.close()


@pytest.mark.parametrize("damage", ["locked", "damaged", "newer"])
def test_a_project_that_cannot_be_opened_is_a_dialog(window, tmp_path, monkeypatch, damage):
    import h5py

    shown = []
    monkeypatch.setattr(project_opener.QMessageBox, "warning", lambda *a: shown.append(a[2]))
    if damage == "locked":
        path = window.project.path  # this window holds it
    elif damage == "damaged":
        path = tmp_path / "broken.labor.h5"
        path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    else:
        path = tmp_path / "newer.labor.h5"
        with h5py.File(path, "w") as f:
            f.attrs["format"] = "labor-desktop-project"
            f.attrs["version"] = 99
    assert window.opener.open_window(path) is None
    assert len(shown) == 1 and str(path.name) in shown[0]
    assert window.isVisible()


def test_closing_the_window_while_a_stage_trains_cancels_it_and_keeps_the_project(template, tmp_path_factory, qtbot):
    path = copy_of(template, tmp_path_factory)
    win, project = open_window(path, qtbot)
    win.points.label(0, 3)
    labels = stored(win, 0).copy()
    win.advance_stage()
    qtbot.waitUntil(lambda: bool(win.stage_bar.seen_jobs), timeout=LAST_RESORT_MS)
    win.close()  # cancels the stage and waits for it
    assert not win.stages.worker.isRunning()
    assert project.proposal_stages() == [1]  # the stage did not end half-way
    project.close()
    with Project.open(path, read_only=True) as again:
        assert np.array_equal(again.labels(0)[0], labels)


def test_a_damaged_journal_opens_read_only_after_asking_and_says_why(window, tmp_path, monkeypatch):
    import shutil

    from labor_desktop.store.journal import scan

    src = window.project
    for k in range(3):
        window.points.label(k, k)  # three records in the journal
    path = tmp_path / "copy" / "demo.labor.h5"
    path.parent.mkdir()
    window.close()
    src.close(compact=False)
    shutil.copy(src.path, path)
    shutil.copy(src.journal_path, str(path) + ".journal")
    journal = path.with_name(path.name + ".journal")
    off, n = scan(journal).offsets[0]
    data = bytearray(journal.read_bytes())
    data[off + n // 2] ^= 0xFF  # damage in the middle, intact records after it
    journal.write_bytes(bytes(data))
    before = journal.read_bytes()
    asked = []
    monkeypatch.setattr(
        project_opener.QMessageBox,
        "question",
        lambda *a: asked.append(a[2]) or project_opener.QMessageBox.StandardButton.Yes,
    )
    win = window.opener.open_window(path)
    try:
        assert asked and "damaged at byte" in asked[0] and "labor repair" in asked[0]
        assert win.project.read_only and "read-only" in win.windowTitle()
        assert "labor repair" in win.stage_bar.error.text()
        assert journal.read_bytes() == before  # the damaged file is never made worse
    finally:
        win.close()
        win.project.close()


def test_a_deleted_window_in_the_open_list_is_dropped_not_asked(window, template, tmp_path_factory, qtbot):
    """The opener keeps the windows it made; one deleted since (by its owner: a test's qtbot,
    a close with delete-on-close) was asked ``isVisible()`` and the next open raised
    ``RuntimeError`` (found running test_gui_stumbles before test_gui_projects)."""
    from PyQt6 import sip
    from PyQt6.QtWidgets import QMainWindow

    gone = QMainWindow()
    sip.delete(gone)
    project_opener.OPEN_WINDOWS.append(gone)
    win = window.opener.open_window(copy_of(template, tmp_path_factory))
    qtbot.addWidget(win)
    try:
        assert win is not None and project_opener.OPEN_WINDOWS[-1] is win
        assert all(w is not gone for w in project_opener.OPEN_WINDOWS)
    finally:
        win.close()
        win.project.close()
