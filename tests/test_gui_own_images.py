"""A project made by ``labor new`` over a plain folder, in the real window: the class
table's names, colours and keys (not Cityscapes' 19), the point queue labelling with a
class's own key, and a stage that advances and reports what is known without a
validation set.  The New project dialog makes such a project from a plain folder."""

import pytest
from folder_support import make_all
from gui_support import LAST_RESORT_MS, key, open_window, stored
from PyQt6.QtCore import Qt

from labor_desktop.cli import main
from labor_desktop.gui.projects.new_project import NewProjectDialog
from labor_desktop.store import Project

pytestmark = pytest.mark.timeout(1800)  # a hang guard only: the shared fixtures took 340 s under load


def test_a_project_made_by_labor_new_opens_and_advances_in_the_window(tmp_path, qtbot):
    d = make_all(tmp_path)
    path = tmp_path / "own.labor.h5"
    args = ["new", str(path), "--images", str(d["images"]), "--classes", str(d["table"])]
    assert main([*args, "--checkpoint", str(d["checkpoint"]), "--preset", "smoke"]) == 0
    win, project = open_window(path, qtbot)
    try:
        palette = [win.class_palette.list.item(k).text().split() for k in range(win.class_palette.list.count())]
        assert palette == [["R", "road"], ["C", "car"], ["1", "tree"], ["2", "sky"], ["3", "person"]]
        assert win.document.colors.tolist()[1] == [0, 0, 142]
        key(qtbot, win, Qt.Key.Key_C)
        assert win.session.active_class == 1
        key(qtbot, win, Qt.Key.Key_1)
        assert win.session.active_class == 2  # "1" is the third class's key in this table
        assert "class_5" not in win.action_map  # five classes: five class keys, no more
        win.show_shortcuts()
        sheet = win.shortcut_sheet.toPlainText()
        assert "Class 1: road" in sheet and "Class 5: person" in sheet and "Class 6" not in sheet
        win.shortcut_sheet.close()

        key(qtbot, win, Qt.Key.Key_Q)  # the point queue: "R" labels the point road
        image, k = win.points.queue.items[0]
        y, x, _ = project.proposal(1, image)[1][k]
        key(qtbot, win, Qt.Key.Key_R)
        assert stored(win, image)[y, x] == 0
        key(qtbot, win, Qt.Key.Key_Escape)

        qtbot.mouseClick(win.stage_bar.advance, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: win.stage == 2, timeout=LAST_RESORT_MS)
        stage1 = project.history()[1]
        assert stage1["miou"] is None and stage1["agreement"] is not None
        text = win.stage_bar.state.text()
        assert f"model agrees {100 * stage1['agreement']:.1f} % with the previous" in text and "mIoU" not in text
    finally:
        win.close()
        project.close()


def test_the_new_project_dialog_makes_a_project_from_a_plain_folder(tmp_path, qtbot):
    d = make_all(tmp_path)
    dialog = NewProjectDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert dialog.target.placeholderText() == "any folder of images (subfolders too)"
    dialog.target.setText(str(d["images"]))
    dialog.file.setText(str(tmp_path / "from-dialog"))
    dialog.create_project()  # neither source data nor a checkpoint: said, at the source field
    assert "without a starting checkpoint" in dialog.error.text() and dialog.created is None
    assert dialog.focusWidget() is dialog.source
    dialog.checkpoint.setText(str(d["checkpoint"]))  # a 5-class model (a cold start with 19 classes:
    dialog.classes.setText(str(d["table"]))  # tests/test_gui_cold_start.py), and the table it fits
    dialog.create_project()
    assert dialog.error.text() == "" and dialog.created == tmp_path / "from-dialog.labor.h5"
    assert dialog.notes == ["no validation set: stages report no mIoU, only what can be known without ground truth"]
    with Project.open(dialog.created, read_only=True) as p:
        assert len(p.images) == 5 and p.settings.classes[:2] == ["road", "car"] and p.settings.strategy == "ppl"
