"""Errors a person must see: an exception in any slot shows a dialog with its
message and a copyable detail, and the window keeps running (without a hook, PyQt6
aborts the whole application)."""

from __future__ import annotations

import sys
import traceback

from PyQt6.QtWidgets import QApplication, QMessageBox

from . import TITLE


def show_error(parent, message: str, details: str = "") -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Critical, TITLE, message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    if details:
        box.setDetailedText(details)  # selectable and copyable
    box.setModal(False)
    box.show()
    return box


def install_excepthook() -> None:
    """Show unexpected exceptions instead of aborting; keep them on stderr too."""
    previous = sys.excepthook

    def hook(kind, value, tb) -> None:
        details = "".join(traceback.format_exception(kind, value, tb))
        print(details, file=sys.stderr)
        if QApplication.instance() is None or issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            return
        parent = QApplication.activeWindow()
        hook.last = show_error(parent, f"Something went wrong: {value or kind.__name__}", details)

    hook.last = None
    sys.excepthook = hook
