"""The New-project dialog through real clicks and keys: a 5-class project from a 19-class
checkpoint with no source data starts cold, says so before it is made, and keeps it in the
project's settings (issue 22)."""

import pytest
from folder_support import make_all, make_checkpoint
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDialogButtonBox
from test_cold_start import COLD_LINE

from labor_desktop.gui.projects.new_project import NewProjectDialog
from labor_desktop.store import Project

pytestmark = pytest.mark.timeout(300)


def type_into(qtbot, edit, text: str) -> None:
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Tab)  # leaving the field finishes the edit


def test_the_dialog_makes_a_5_class_project_from_a_19_class_checkpoint_without_source(tmp_path, qtbot):
    d = make_all(tmp_path)
    nineteen = make_checkpoint(tmp_path / "nineteen.pt", classes=19)
    dialog = NewProjectDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    type_into(qtbot, dialog.target, str(d["images"]))
    type_into(qtbot, dialog.checkpoint, str(nineteen))
    assert dialog.start_note.text() == ""  # Cityscapes' 19 classes fit the checkpoint: no cold start
    type_into(qtbot, dialog.classes, str(d["table"]))
    assert dialog.start_note.text() == COLD_LINE  # said before anything is made
    type_into(qtbot, dialog.source, str(tmp_path))
    assert dialog.start_note.text() == ""  # with source data there is no cold start
    qtbot.mouseClick(dialog.source, Qt.MouseButton.LeftButton)
    qtbot.keyClick(dialog.source, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(dialog.source, Qt.Key.Key_Delete)
    qtbot.keyClick(dialog.source, Qt.Key.Key_Tab)
    assert dialog.source.text() == "" and dialog.start_note.text() == COLD_LINE
    type_into(qtbot, dialog.file, str(tmp_path / "mine"))
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == "" and dialog.created == tmp_path / "mine.labor.h5"
    assert dialog.notes[0] == COLD_LINE
    with Project.open(dialog.created, read_only=True) as p:
        assert p.settings.classes == ["road", "car", "tree", "sky", "person"]
        assert p.settings.model["num_classes"] == 5
        assert p.settings.extra["cold_start"]["backbone_from"] == str(nineteen.resolve())
        assert p.settings.extra["cold_start"]["note"] == COLD_LINE
