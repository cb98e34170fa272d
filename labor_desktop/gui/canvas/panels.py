"""The side panels: image list with status, class palette, layer controls, and
the current image's points."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ...labeling import UNLABELED, ImageStatus
from ..keymap import by_action, class_key
from .canvas import LAYERS
from .chooser import class_icon, list_item


class ImageList(QWidget):
    """Each pool image with its status; "needs labels" hides the finished ones."""

    selected = pyqtSignal(int)
    filled = pyqtSignal()  # every image's status is known

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
        self.list.currentRowChanged.connect(lambda row: self.selected.emit(row) if row >= 0 else None)
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
        end = min(self._next + 8, len(self._names))  # ~30 ms at 1024x2048: input is never held longer
        for i in range(self._next, end):
            self.set_status(i, self._names[i], self._status_of(i))
        self._next = end
        if end >= len(self._names):
            self._timer.stop()
            self.filled.emit()

    def set_status(self, i: int, name: str, st: ImageStatus) -> None:
        if st.points:  # a point project: the points say it all (a few pixels are 0.0 % of an image)
            what = f"{st.labeled_points}/{st.points} pts"
        else:
            what = f"mask {100 * st.mask_share:.1f}% · {100 * st.labeled_share:.1f}% labelled"
        prior = f" · prior {100 * st.prior_share:.1f}%" if st.prior_pixels else ""
        mark = "✓" if st.done else "•"
        item = list_item(self.list, i)
        stem = Path(name).stem.removesuffix("_leftImg8bit")
        item.setText(f"{mark} {stem}  {what}{prior}")
        imported = f", {100 * st.prior_share:.2f} % imported (prior, stage 0; drawn striped)" if st.prior_pixels else ""
        item.setToolTip(f"{stem}: {what}, {100 * st.labeled_share:.2f} % of the pixels labelled{imported}")
        self._done[i] = st.done
        item.setHidden(self.filter.isChecked() and st.done and i != self.list.currentRow())

    def _apply_filter(self) -> None:
        current = self.list.currentRow()
        for i, done in enumerate(self._done):  # the image on screen stays listed (and selected)
            list_item(self.list, i).setHidden(self.filter.isChecked() and done and i != current)

    def select(self, i: int) -> None:
        self.list.blockSignals(True)
        self.list.setCurrentRow(i)
        self.list.blockSignals(False)
        self._apply_filter()

    def step(self, current: int, delta: int) -> int | None:
        """The next (``delta`` = +1) or previous listed image from ``current``, wrapping;
        None when no other image is listed."""
        n = self.list.count()
        for j in range(1, n):
            i = (current + delta * j) % n
            if not list_item(self.list, i).isHidden():
                return i
        return None


class Palette(QWidget):
    """Class colour, name and key; clicking picks the active class; ``/`` finds a
    class by typing part of its name (Enter picks the first match, Esc leaves)."""

    picked = pyqtSignal(int)

    def __init__(self, names: list[str], colors, keys: list[str] | None = None) -> None:
        super().__init__()
        self.names = names
        keys = keys or [class_key(k) for k in range(len(names))]
        self.list = QListWidget()
        self.list.setObjectName("palette")
        for k, (name, color) in enumerate(zip(names, colors)):
            self.list.addItem(QListWidgetItem(class_icon(color), f"{keys[k]:>6}  {name}"))
        self.list.currentRowChanged.connect(lambda row: self.picked.emit(row) if row >= 0 else None)
        self.search = QLineEdit()
        self.search.setObjectName("classSearch")
        self.search.setPlaceholderText("/ find a class")
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._pick_first)
        self.search.installEventFilter(self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(QLabel("Classes"))
        lay.addWidget(self.search)
        lay.addWidget(self.list)

    def start_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _filter(self, text: str) -> None:
        text = text.strip().lower()
        for k, name in enumerate(self.names):
            list_item(self.list, k).setHidden(bool(text) and text not in name.lower())

    def _pick_first(self) -> None:
        found = next((k for k in range(self.list.count()) if not list_item(self.list, k).isHidden()), None)
        self._end_search()  # every class listed again first: the scroll below is to the real row
        if found is not None:
            self.picked.emit(found)
            self.set_active(found)

    def _end_search(self) -> None:
        self.search.clear()
        window = self.window()
        central = window.centralWidget() if self.parentWidget() and isinstance(window, QMainWindow) else None
        if central is not None:
            central.setFocus()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.search and event.type() == event.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
            self._end_search()
            return True
        return False

    def set_active(self, k: int) -> None:
        self.list.blockSignals(True)
        self.list.setCurrentRow(k)
        self.list.blockSignals(False)
        if 0 <= k < self.list.count():
            self.list.scrollToItem(list_item(self.list, k))  # the active class is always in view


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


class PointsPanel(QWidget):
    """The current image's proposed points with their state; a click jumps to one,
    Delete clears its label."""

    picked = pyqtSignal(int)

    def __init__(self, names: list[str], colors) -> None:
        super().__init__()
        self.names, self.colors = names, colors
        self.list = QListWidget()
        self.list.setObjectName("pointsList")
        self.list.itemClicked.connect(lambda item: self.picked.emit(self.list.row(item)))
        self.summary = QLabel()
        self.summary.setObjectName("pointsSummary")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.summary)
        lay.addWidget(self.list)

    def show_points(self, points, labels, unsure: set[int], selected: int | None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for k, ((_y, _x, model_k), lab) in enumerate(zip(points.tolist(), labels.tolist())):
            model = self.names[model_k] if model_k < len(self.names) else "?"
            if lab != UNLABELED and lab < len(self.names):
                item = QListWidgetItem(class_icon(self.colors[lab]), f"{k + 1:>3}  {self.names[lab]}  (model: {model})")
            else:
                state = "unsure" if k in unsure else "unlabeled"
                item = QListWidgetItem(f"{k + 1:>3}  — {state} —  (model: {model})")
            self.list.addItem(item)
        if selected is not None and 0 <= selected < self.list.count():
            self.list.setCurrentRow(selected)
        self.list.blockSignals(False)
        done = int((labels != UNLABELED).sum())
        self.summary.setText(f"{done}/{len(points)} labelled, {len(unsure)} unsure")
