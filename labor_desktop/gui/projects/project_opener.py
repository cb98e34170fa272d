"""File > New project, Open project and Open recent: each opens the project in this
window's place (the window closes after saving, the new one takes its geometry); a project that cannot be opened (locked by another window,
damaged, newer) is said in a dialog.

The opener is given the window's constructor (``make_window``), not the window's class:
this room does not import the window that uses it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt6 import sip
from PyQt6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox

from ...store import JournalDamaged, Project, ProjectError
from .. import TITLE
from ..place import recent_projects


def open_or_look(path: Path, parent=None) -> Project | None:
    """The project open for labelling; or, when its journal is damaged, read-only after the
    person agreed (nothing can be saved then; `labor repair` makes a writable copy).
    None when they declined.  Other problems raise ``ProjectError``."""
    try:
        return Project.open(path)
    except JournalDamaged as e:
        answer = QMessageBox.question(
            parent,
            TITLE,
            f"{e}\n\nOpen it read-only to look at it? (Nothing can be saved until it is repaired.)",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None
        return Project.open(path, read_only=True)


OPEN_WINDOWS: list[QMainWindow] = []  # the windows this opener made, kept alive while shown (and not deleted)


class ProjectOpener:
    def __init__(self, window: QMainWindow, make_window: Callable[[Project], Any]) -> None:
        """``window``: the parent of the dialogs; ``make_window``: a new window on a project."""
        self.window, self.make_window = window, make_window
        self.recent_menu = QMenu("Open &recent", window)
        self.recent_menu.aboutToShow.connect(self.fill_recent)

    def new_project(self):
        """Create a project in a dialog that validates the folders and the checkpoint,
        then open it in a new window and prepare its first stage."""
        from .new_project import NewProjectDialog

        dialog = NewProjectDialog(self.window)
        if dialog.exec() != dialog.DialogCode.Accepted or dialog.created is None:
            return None
        window = self.open_window(dialog.created)
        if window is not None:
            window.advance_stage()  # stage 0: bootstrap (train or load the model, first proposals)
            if dialog.notes:
                QMessageBox.information(window, TITLE, "\n\n".join(dialog.notes))
        return window

    def open_project(self, path: str | None = None):
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.window, "Open project", "", "LabOR project (*.labor.h5)")
        return self.open_window(Path(path)) if path else None

    def open_window(self, path: Path):
        try:
            project = open_or_look(path, self.window)
        except ProjectError as e:
            QMessageBox.warning(self.window, TITLE, str(e))
            return None
        if project is None:
            return None
        window = self.make_window(project)
        if self.window.isVisible():  # this window's place: the new one takes it, this one closes
            window.setGeometry(self.window.geometry())
            if self.window.isMaximized():  # its geometry alone made a window hanging off the screen
                window.showMaximized()
            else:
                window.show()
            if not self.window.close():  # its labels could not be saved and the person kept it
                window.close()
                project.close()
                return None
            old = getattr(self.window, "project", None)
            if old is not None:
                old.close()  # its lock is let go: it can be opened again from this process
        else:
            window.show()
        OPEN_WINDOWS[:] = [w for w in OPEN_WINDOWS if not sip.isdeleted(w) and w.isVisible()] + [window]
        return window

    def fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in recent_projects():
            self.recent_menu.addAction(path, lambda p=path: self.open_project(p))
        if not self.recent_menu.actions():
            none_yet = self.recent_menu.addAction("(none yet)")
            assert none_yet is not None
            none_yet.setEnabled(False)
