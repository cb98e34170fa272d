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
from PyQt6.QtCore import QObject, QPointF, pyqtSignal
from PyQt6.QtGui import QCursor, QPainterPath, QPolygonF

from ...labeling import SessionState, Tool
from ..document import Document
from ..keymap import project_class_keys
from .canvas import Canvas
from .chooser import ClassChooser

TOP_CLASSES = 3  # the model's classes listed first in the chooser


def outline(region: np.ndarray) -> QPainterPath:
    """The outline of a bool ``[H, W]`` region in image coordinates (pixel edges)."""
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    path = QPainterPath()
    for c in contours:
        pts = c.reshape(-1, 2)
        path.addPolygon(QPolygonF([QPointF(float(x) + 0.5, float(y) + 0.5) for x, y in pts]))
        path.closeSubpath()
    return path


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
    ) -> None:
        super().__init__()
        self.document, self.canvas, self.session = document, canvas, session
        self._superpixels, self.confirm = superpixels, confirm
        names = document.project.settings.classes
        self.names = names
        keys = project_class_keys(len(names), document.project.settings.extra.get("class_table"))
        self.chooser = ClassChooser(canvas, names, document.colors, keys)
        self.chooser.chosen.connect(self._chosen)
        self._map: tuple[int, np.ndarray] | None = None  # (image, its superpixels)
        self.hovered: int | None = None
        self.selected: int | None = None

    @classmethod
    def for_window(cls, win: Any) -> RegionFlow:
        """The flow of a main window, wired to its canvas, tools, messages and confirmations."""
        flow = cls(win.document, win.canvas, win.session, win.workflow.superpixels, lambda text: win.confirm(text))
        win.tools.region_clicked.connect(flow.click)
        win.canvas.hovered.connect(flow.hover)
        win.document.image_changed.connect(lambda i: flow.clear())
        flow.message.connect(win.say)
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

    def clear(self) -> None:
        self.hovered = None
        if self.canvas.region_outline is not None:
            self.canvas.region_outline = None
            self.canvas.update()

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
            self.canvas.region_outline = outline(sp == rid)
            self.canvas.update()

    def click(self, y: float, x: float) -> None:
        """Ask for the class of the superpixel at (y, x)."""
        rid = self._region_at(y, x)
        if rid is None:
            self.message.emit("no region here")
            return
        self.hover(y, x)
        sp = self.superpixels()
        assert sp is not None
        region = sp == rid
        ed = self.document.current_editor()
        top: list[tuple[int, float | None]] = [(k, None) for k in ed.region_classes(region)[:TOP_CLASSES]]
        self.selected = rid
        title = f"region of {int(region.sum())} px at ({int(x)}, {int(y)})"
        self.chooser.open_at(QCursor.pos(), title, top, top[0][0] if top else None)

    def _chosen(self, cls: int) -> None:
        sp = self.superpixels()
        if self.selected is None or sp is None:
            return
        region = sp == self.selected
        ed = self.document.current_editor()
        others = ed.region_conflicts(region, cls)
        overwrite = others > 0 and self.confirm(
            f"{others} pixels of this region are labelled with another class. "
            f"Relabel them {self.names[cls]} too? (No: keep them, label the rest)"
        )
        self.document.act(lambda: ed.label_region(region, cls, overwrite=overwrite), clicks=1)
        self.changed.emit()
