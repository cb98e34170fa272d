"""Closing a window: every label on disk first (or the person agrees to lose the ones
that failed), then its place remembered, and everything that outlives it cut loose."""

from __future__ import annotations

from PyQt6.QtWidgets import QApplication, QMessageBox

from .. import TITLE
from ..place import save_place
from .window_place import current_place


def close_window(win, event) -> None:
    """``MainWindow.closeEvent``."""
    win.image_list.stop()
    win.stages.stop()
    win.document.save_current()  # a stroke in progress too (the stroke saver's timer stops below)
    if not win.flush_saves():
        answer = QMessageBox.warning(
            win,
            TITLE,
            "Some labels could not be saved (see the status bar). Close anyway and lose them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            event.ignore()
            return
    win.document.close(timeout=5.0)
    save_place(win.project.path, current_place(win))
    win.predictions.wait()
    win.sam.wait()
    cut_loose(win)
    event.accept()


def cut_loose(win) -> None:
    """What outlives a closed window (its jobs' threads, the label writer's thread, the
    session and its listener list) reaches none of its widgets any more: the window is
    deleted later, by Qt or by Python's collector, at a moment nobody chooses."""
    win.place_keeper.stop()
    win.tools.stop()
    win.predictions.close()
    win.stages.close()
    win.inspect.close()
    win.session.listeners.clear()


def quit_all(window_class: type) -> None:
    """Ctrl+Q: every window closes (each saves first and may refuse), then the program ends."""
    QApplication.closeAllWindows()
    if not any(isinstance(w, window_class) and w.isVisible() for w in QApplication.topLevelWidgets()):
        QApplication.quit()
