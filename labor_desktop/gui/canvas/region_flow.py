"""The Region tool: one click, one class, a whole superpixel (issue 24).  Hovering
outlines the superpixel under the cursor; a click opens the same class chooser as a
point, with the model's classes over the region first; the chosen class labels the
region as one undo step.  Pixels already labelled with another class are kept unless the
person confirms.  The superpixels are the ones the ``regions`` strategies ask for
(``ProjectWorkflow.superpixels``), computed when an image is first hovered (~50 ms)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from PyQt6.QtCore import QObject, QPoint, QPointF, pyqtSignal
from PyQt6.QtGui import QCursor, QPainterPath, QPolygonF

from ...labeling import SessionState, Tool, region_top_classes
from ..document import Document
from ..keymap import project_class_keys
from .canvas import Canvas
from .chooser import ClassChooser
from .predictions import Predictions

TOP_CLASSES = 3  # the model's classes listed first in the chooser


def _add_contour(path: QPainterPath, contour: np.ndarray) -> None:
    path.addPolygon(QPolygonF([QPointF(float(x) + 0.5, float(y) + 0.5) for x, y in contour.reshape(-1, 2)]))
    path.closeSubpath()


def outline(region: np.ndarray) -> QPainterPath:
    """The outline of a bool ``[H, W]`` region in image coordinates (pixel edges)."""
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    path = QPainterPath()
    for c in contours:
        _add_contour(path, c)
    return path


def region_outlines(sp: np.ndarray, ids: np.ndarray) -> dict[int, QPainterPath]:
    """Each region of ``ids``'s outline, in one pass over the map: the regions' pixels less
    those touching another region (right, below, diagonally below), so that no two
    regions' kept pixels are 8-neighbours and neighbours' outlines stay apart."""
    inside = np.isin(sp, ids)
    inside[:, :-1] &= sp[:, :-1] == sp[:, 1:]
    inside[:-1, :] &= sp[:-1, :] == sp[1:, :]
    inside[:-1, :-1] &= sp[:-1, :-1] == sp[1:, 1:]  # and diagonals: contours are 8-connected
    inside[:-1, 1:] &= sp[:-1, 1:] == sp[1:, :-1]
    contours, _ = cv2.findContours(inside.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    paths: dict[int, QPainterPath] = {}
    for c in contours:
        x, y = c[0, 0]
        _add_contour(paths.setdefault(int(sp[y, x]), QPainterPath()), c)
    return paths


def label_region_confirmed(
    document: Document, region: np.ndarray, cls: int, names: list[str], confirm, clicks: int = 1
) -> None:
    """Label ``region`` ``cls`` as one undo step (``clicks``: 1 for a mouse click, 0 for the
    queue's key press); pixels labelled with another class are relabelled only when
    ``confirm`` says yes."""
    ed = document.current_editor()
    others = ed.region_conflicts(region, cls)
    overwrite = others > 0 and confirm(
        f"{others} pixels of this region are labelled with another class. "
        f"Relabel them {names[cls]} too? (No: keep them, label the rest)"
    )
    document.act(lambda: ed.label_region(region, cls, overwrite=overwrite), clicks=clicks)


class RegionFlow(QObject):
    message = pyqtSignal(str)
    changed = pyqtSignal()  # a region was labelled

    def __init__(
        self,
        document: Document,
        canvas: Canvas,
        session: SessionState,
        superpixels: Callable[[int], np.ndarray],
        confirm: Callable[[str], bool],
        predictions: Predictions | None = None,
    ) -> None:
        super().__init__()
        self.document, self.canvas, self.session = document, canvas, session
        self._superpixels, self.confirm, self.predictions = superpixels, confirm, predictions
        names = document.project.settings.classes
        self.names = names
        keys = project_class_keys(len(names), document.project.settings.extra.get("class_table"))
        self.chooser = ClassChooser(canvas, names, document.colors, keys)
        self.chooser.chosen.connect(self._chosen)
        self._map: tuple[int, np.ndarray] | None = None  # (image, its superpixels)
        self.hovered: int | None = None
        self._at = (0, 0)
        self.selected: int | None = None
        self._opened_at = QPoint()
        if predictions is not None:
            predictions.ready.connect(self._prediction_ready)

    @classmethod
    def for_window(cls, win: Any) -> RegionFlow:
        """The flow of a main window, wired to its canvas, tools, messages and confirmations."""
        flow = cls(
            win.document, win.canvas, win.session, win.workflow.superpixels, lambda t: win.confirm(t), win.predictions
        )
        win.tools.region_clicked.connect(flow.click)
        win.canvas.hovered.connect(flow.hover)
        win.canvas.left.connect(flow.clear)
        win.document.image_changed.connect(flow._image_changed)
        flow.message.connect(win.say)
        win.points.superpixels_of, win.points.confirm = win.workflow.superpixels, flow.confirm  # the region queue's
        return flow

    def superpixels(self) -> np.ndarray | None:
        i = self.document.index
        if self._map is None or self._map[0] != i:
            try:
                self._map = (i, self._superpixels(i))
            except (RuntimeError, ValueError, OSError) as e:
                self.message.emit(f"no regions for this image: {e}")
                return None
        return self._map[1]

    def _region_at(self, y: float, x: float) -> int | None:
        sp = self.superpixels() if self.document.editor is not None else None
        if sp is None or not (0 <= y < sp.shape[0] and 0 <= x < sp.shape[1]):
            return None
        return int(sp[int(y), int(x)])

    def _image_changed(self, i: int) -> None:
        self.clear()

    def clear(self) -> None:
        self.hovered = None
        if self.canvas.region_outline is not None:
            self.canvas.update_outline(self.canvas.region_outline)
            self.canvas.region_outline = None

    def hover(self, y: float, x: float) -> None:
        """Outline the superpixel under the cursor (Region tool only)."""
        if self.session.tool is not Tool.REGION:
            self.clear()
            return
        rid = self._region_at(y, x)
        if rid is None:
            self.clear()
        elif rid != self.hovered:
            sp = self.superpixels()
            assert sp is not None  # _region_at found one
            self.hovered = rid
            self.canvas.update_outline(self.canvas.region_outline)  # where the old one was, and the new one
            self.canvas.region_outline = outline(sp == rid)
            self.canvas.update_outline(self.canvas.region_outline)

    def click(self, y: float, x: float) -> None:
        """Ask for the class of the superpixel at (y, x)."""
        rid = self._region_at(y, x)
        if rid is None:
            self.message.emit("no region here")
            return
        self.hover(y, x)
        self.selected = rid
        self._opened_at = QCursor.pos()
        self._open_chooser(int(y), int(x))

    def top_classes(self, region: np.ndarray) -> list[tuple[int, float | None]]:
        """The model's classes over ``region`` with their mean probabilities when the image's
        prediction is known; else the most frequent predicted classes, and it is asked for."""
        i, ed = self.document.index, self.document.current_editor()
        probs = self.predictions.probs.get(i) if self.predictions is not None else None
        if probs is not None:
            ys, xs = np.nonzero(region)
            return list(region_top_classes(probs, ys, xs, TOP_CLASSES))
        if self.predictions is not None:
            self.predictions.request(i, self.document.current_image())
        return [(k, None) for k in ed.region_classes(region)[:TOP_CLASSES]]

    def _open_chooser(self, y: int, x: int) -> None:
        sp = self.superpixels()
        assert sp is not None and self.selected is not None  # a region was clicked
        region = sp == self.selected
        top = self.top_classes(region)
        self._at = (y, x)
        title = f"region of {int(region.sum())} px at ({x}, {y})"
        self.chooser.open_at(self._opened_at, title, top, top[0][0] if top else None)

    def _prediction_ready(self, i: int) -> None:
        """The probabilities arrived while the chooser waits: list them."""
        if self.chooser.isVisible() and self.selected is not None and i == self.document.index:
            self._open_chooser(*self._at)

    def _chosen(self, cls: int) -> None:
        sp = self.superpixels()
        if self.selected is None or sp is None:
            return
        label_region_confirmed(self.document, sp == self.selected, cls, self.names, self.confirm)
        self.changed.emit()
