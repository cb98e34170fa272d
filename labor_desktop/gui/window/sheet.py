"""The shortcut sheet (F1), generated from the key table; Esc closes it like
every dialog."""

from __future__ import annotations

from PyQt6.QtWidgets import QDialog, QTextBrowser, QVBoxLayout


class ShortcutSheet(QDialog):
    def __init__(self, parent, markdown: str) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutSheet")
        self.setWindowTitle("Keyboard shortcuts")
        self.view = QTextBrowser()
        self.view.setMarkdown(markdown)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view)
        self.resize(640, 760)

    def toPlainText(self) -> str:
        return self.view.toPlainText()
