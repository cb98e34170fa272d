"""Errors a person must see: an exception in any slot shows a dialog with its
message and a copyable detail, and the window keeps running (without a hook, PyQt6
aborts the whole application)."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PyQt6.QtWidgets import QApplication, QMessageBox

from .. import TITLE


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
    sys.excepthook = _ExceptHook(sys.excepthook)


class _ExceptHook:
    """``sys.excepthook``: the exception on stderr and in a dialog (``last``, the latest)."""

    def __init__(self, previous: Callable[[type[BaseException], BaseException, TracebackType | None], object]) -> None:
        self.previous = previous
        self.last: QMessageBox | None = None

    def __call__(self, kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        details = "".join(traceback.format_exception(kind, value, tb))
        print(details, file=sys.stderr)
        if QApplication.instance() is None or issubclass(kind, KeyboardInterrupt):
            self.previous(kind, value, tb)
            return
        parent = QApplication.activeWindow()
        self.last = show_error(parent, f"Something went wrong: {value or kind.__name__}", details)
