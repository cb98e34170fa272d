"""The side panels: image list with status, class palette, layer controls."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QColor, QIcon, QPixmap
from PyQt6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from .canvas import LAYERS
from .keymap import by_action


class ImageList(QWidget):
    """Each pool image with its status; "needs labels" hides the finished ones."""

    selected = pyqtSignal(int)

    def __init__(self) -> None:
        super().__init__()
        self.list = QListWidget()
        self.list.setObjectName("imageList")
        self.setMinimumWidth(330)
        self.filter = QCheckBox("needs labels only")
        self.filter.setObjectName("needsLabels")
        self.filter.toggled.connect(self._apply_filter)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.filter)
        lay.addWidget(self.list)
        self.list.currentRowChanged.connect(lambda row: row >= 0 and self.selected.emit(row))
        self._done: list[bool] = []
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._fill)

    def populate(self, names: list[str], status_of) -> None:
        """Names at once; statuses (which decode proposals) filled in the background, a
        chunk per event-loop turn, so a 3,000-image project opens without waiting."""
        self.list.blockSignals(True)
        self.list.clear()
        for name in names:
            self.list.addItem(QListWidgetItem("· " + Path(name).stem.removesuffix("_leftImg8bit")))
        self._done = [False] * len(names)
        self.list.blockSignals(False)
        self._names, self._status_of, self._next = names, status_of, 0
        self._timer.start(0)

    def stop(self) -> None:
        """No more status work (the project is closing)."""
        self._timer.stop()

    def _fill(self) -> None:
        end = min(self._next + 40, len(self._names))
        for i in range(self._next, end):
            self.set_status(i, self._names[i], self._status_of(i))
        self._next = end
        if end >= len(self._names):
            self._timer.stop()

    def set_status(self, i: int, name: str, st: dict) -> None:
        if st["points"]:
            what = f"{st['points'] - st['open_points']}/{st['points']} points"
        else:
            what = f"mask {100 * st['mask_share']:.1f} %"
        mark = "✓" if st["done"] else "•"
        item = self.list.item(i)
        stem = Path(name).stem.removesuffix("_leftImg8bit")
        item.setText(f"{mark} {stem}  —  {what}, {100 * st['labeled_share']:.1f} % labeled")
        self._done[i] = st["done"]
        item.setHidden(self.filter.isChecked() and st["done"])

    def _apply_filter(self) -> None:
        for i, done in enumerate(self._done):
            self.list.item(i).setHidden(self.filter.isChecked() and done)

    def select(self, i: int) -> None:
        self.list.setCurrentRow(i)


class Palette(QWidget):
    """Class colour, name and key; clicking picks the active class."""

    picked = pyqtSignal(int)

    def __init__(self, names: list[str], colors) -> None:
        super().__init__()
        self.list = QListWidget()
        self.list.setObjectName("palette")
        for k, (name, color) in enumerate(zip(names, colors)):
            pix = QPixmap(14, 14)
            pix.fill(QColor(*[int(c) for c in color]))
            key = str((k + 1) % 10) if k < 10 else f"Alt+{k - 9}"
            self.list.addItem(QListWidgetItem(QIcon(pix), f"{key:>6}  {name}"))
        self.list.currentRowChanged.connect(lambda row: row >= 0 and self.picked.emit(row))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(QLabel("Classes"))
        lay.addWidget(self.list)

    def set_active(self, k: int) -> None:
        self.list.blockSignals(True)
        self.list.setCurrentRow(k)
        self.list.blockSignals(False)


class LayerControls(QWidget):
    """Visibility and opacity per layer; the visibility keys come from the key map."""

    changed = pyqtSignal(str, bool, float)

    def __init__(self, canvas_layers) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.addWidget(QLabel("Layers"), 0, 0, 1, 2)
        keys = by_action()
        self.boxes: dict[str, QCheckBox] = {}
        self.sliders: dict[str, QSlider] = {}
        for row, name in enumerate(LAYERS, start=1):
            layer = canvas_layers[name]
            box = QCheckBox(f"{name} ({keys['layer_' + name].keys[0]})")
            box.setObjectName(f"layer_{name}")
            box.setChecked(layer.visible)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, 100)
            slider.setValue(int(layer.opacity * 100))
            slider.setObjectName(f"opacity_{name}")
            box.toggled.connect(lambda on, n=name: self._emit(n))
            slider.valueChanged.connect(lambda v, n=name: self._emit(n))
            grid.addWidget(box, row, 0)
            grid.addWidget(slider, row, 1)
            self.boxes[name], self.sliders[name] = box, slider

    def _emit(self, name: str) -> None:
        self.changed.emit(name, self.boxes[name].isChecked(), self.sliders[name].value() / 100)

    def toggle(self, name: str) -> None:
        self.boxes[name].toggle()
