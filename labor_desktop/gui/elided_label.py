"""A one-line label that never widens its bar: text longer than the space it is given
is shown elided ("…") and whole in its tooltip, so a status bar keeps its layout (and
its buttons their place) whatever the text."""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QPainter
from PyQt6.QtWidgets import QLabel, QSizePolicy


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent=None, min_width: int = 40) -> None:
        super().__init__(text, parent)
        self._min_width = min_width
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def setText(self, text: str | None) -> None:
        super().setText(text or "")
        self.setToolTip(text or "")
        self.update()

    def minimumSizeHint(self) -> QSize:
        return QSize(self._min_width, super().minimumSizeHint().height())

    def full_width(self) -> int:
        """The width the whole text needs."""
        return self.fontMetrics().horizontalAdvance(self.text()) + 2 * self.margin() + 4

    def sizeHint(self) -> QSize:
        return QSize(self.full_width(), super().sizeHint().height())

    def shown_text(self) -> str:
        """What is on screen: the text, or its elided form when it does not fit."""
        width = self.contentsRect().width() - 2 * self.margin()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, max(0, width))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setPen(self.palette().color(self.foregroundRole()))
        rect = self.contentsRect().adjusted(self.margin(), 0, -self.margin(), 0)
        p.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), self.shown_text())
        p.end()
