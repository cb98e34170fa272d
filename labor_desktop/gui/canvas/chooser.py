"""The class chooser: a compact popup at a clicked point.  It shows the model's
top classes with their probabilities (the suggestion highlighted), then every class
with its colour and key.  A class key or a click labels the point; Enter takes the
highlighted row, which is always on screen; typing filters the classes; Esc closes
it and labels nothing.  It opens beside the point, inside the window and the screen."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtCore import QPoint, QRect, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QGuiApplication, QIcon, QPixmap
from PyQt6.QtWidgets import QFrame, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from ..keymap import class_for_key, class_key


def list_item(widget: QListWidget, row: int) -> QListWidgetItem:
    """Row ``row`` of ``widget``, which has it (the stubs allow None for a row out of range)."""
    item = widget.item(row)
    assert item is not None, f"{widget.objectName()} has no row {row}"
    return item


ROLE_CLASS = Qt.ItemDataRole.UserRole


def class_icon(color) -> QIcon:
    pix = QPixmap(14, 14)
    pix.fill(QColor(*[int(c) for c in color]))
    return QIcon(pix)


def key_text_of(event) -> str:
    """A key press as the key map writes it ("3", "Alt+3", "R"), or "" for other keys."""
    if Qt.Key.Key_0 <= event.key() <= Qt.Key.Key_9 or Qt.Key.Key_A <= event.key() <= Qt.Key.Key_Z:
        mods = event.modifiers()
        if mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            return ""
        text = chr(event.key())
        return "Alt+" + text if mods & Qt.KeyboardModifier.AltModifier else text
    return ""


class ClassChooser(QFrame):
    chosen = pyqtSignal(int)
    dismissed = pyqtSignal()

    def __init__(self, parent, names: list[str], colors, keys: list[str] | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("classChooser")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.names, self.colors = names, colors
        self.keys = keys or [class_key(k) for k in range(len(names))]
        self.title = QLabel()
        self.title.setObjectName("chooserTitle")
        self.search = QLineEdit()
        self.search.setPlaceholderText("type to find a class")
        self.search.setObjectName("chooserSearch")
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list = QListWidget()
        self.list.setObjectName("chooserList")
        self.list.itemClicked.connect(self._clicked)
        self.list.installEventFilter(self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.title)
        lay.addWidget(self.search)
        lay.addWidget(self.list)
        self.resize(300, 420)
        self._answered = False

    def open_at(self, pos: QPoint, title: str, top: Sequence[tuple[int, float | None]], suggestion: int | None) -> None:
        """Show at ``pos`` (global); ``top``: the model's classes with probabilities, best first."""
        self.title.setText(title)
        self.list.clear()
        self.search.clear()
        current = None
        for k, p in top:
            prob = "" if p is None else f"  {p:.2f}"
            item = QListWidgetItem(class_icon(self.colors[k]), f"model: {self.names[k]}{prob}   [{self.keys[k]}]")
            item.setData(ROLE_CLASS, k)
            self.list.addItem(item)
            if k == suggestion and current is None:
                current = item
        if top:
            sep = QListWidgetItem("─" * 24)
            sep.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(sep)
        for k, name in enumerate(self.names):
            item = QListWidgetItem(class_icon(self.colors[k]), f"{self.keys[k]:>6}   {name}")
            item.setData(ROLE_CLASS, k)
            self.list.addItem(item)
        self.list.setCurrentItem(current or self.list.item(len(top) + 1 if top else 0))
        self._answered = False
        self.move(self.place_near(pos))
        self.show()
        self.list.setFocus()

    def bounds(self, pos: QPoint) -> QRect | None:
        """Where the chooser may lie: the window (when it fits there) on the screen."""
        on = QGuiApplication.screenAt(pos) or (self.parentWidget() or self).screen()
        area = on.availableGeometry() if on is not None else None
        parent = self.parentWidget()
        top = parent.window() if parent is not None else None
        window = top.frameGeometry() if top is not None else None
        if window is not None and area is not None:
            window = window.intersected(area)
        if window is not None and window.width() >= self.width() and window.height() >= self.height():
            return window
        return area

    def place_near(self, pos: QPoint) -> QPoint:
        """Beside the point, below it or above it when there is no room below, never off
        the screen nor out of the window."""
        x, y = pos.x() + 16, pos.y() + 16
        area = self.bounds(pos)
        if area is None:
            return QPoint(x, y)
        if y + self.height() > area.bottom() + 1:
            y = pos.y() - 16 - self.height()
        if x + self.width() > area.right() + 1:
            x = pos.x() - 16 - self.width()
        x = max(area.left(), min(x, area.right() + 1 - self.width()))
        y = max(area.top(), min(y, area.bottom() + 1 - self.height()))
        return QPoint(x, y)

    @property
    def suggestion_row(self) -> str:
        item = self.list.currentItem()
        return item.text() if item is not None else ""

    def _filter(self, text: str) -> None:
        text = text.strip().lower()
        first = None
        for row in range(self.list.count()):
            item = list_item(self.list, row)
            k = item.data(ROLE_CLASS)
            hide = bool(text) and (k is None or text not in self.names[k].lower())
            item.setHidden(hide)
            if not hide and k is not None and first is None:
                first = item
        if text and first is not None:
            self.list.setCurrentItem(first)

    def _clicked(self, item: QListWidgetItem) -> None:
        k = item.data(ROLE_CLASS)
        if k is not None:
            self._answer(int(k))

    def _answer(self, k: int) -> None:
        self._answered = True
        self.hide()
        self.chosen.emit(k)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == event.Type.KeyPress:
            return self._key(event)
        return False

    def keyPressEvent(self, event) -> None:
        if not self._key(event):
            super().keyPressEvent(event)

    def _key(self, event) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.hide()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            item = self.list.currentItem()
            if item is not None and not item.isHidden():
                self._clicked(item)
            return True
        k = class_for_key(key_text_of(event), self.keys)
        if k is not None and k < len(self.names) and not self.search.text():
            self._answer(k)
            return True
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            return False  # the list moves its highlight
        if event.text() and (event.text().isprintable() or key == Qt.Key.Key_Backspace) and event.text() != "/":
            self.search.setFocus()
            if key == Qt.Key.Key_Backspace:
                self.search.backspace()
            else:
                self.search.insert(event.text())
            self.list.setFocus()
            return True
        return event.text() == "/"

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        if not self._answered:
            self._answered = True
            self.dismissed.emit()
