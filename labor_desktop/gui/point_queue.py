"""The point queue: every unlabeled proposed point of the stage in turn, zoomed in
with context; a class key labels it and moves on, Enter accepts the model's
class, Backspace goes back, Esc leaves."""

from __future__ import annotations

from PyQt6.QtCore import QObject, pyqtSignal

from .canvas import Canvas
from .document import Document


class PointQueue(QObject):
    moved = pyqtSignal(int, int)  # image, point
    ended = pyqtSignal(str)

    ZOOM = 6.0

    def __init__(self, document: Document, canvas: Canvas, open_image) -> None:
        super().__init__()
        self.document, self.canvas, self.open_image = document, canvas, open_image
        self.items: list[tuple[int, int]] = []
        self.pos = 0
        self.active = False

    def start(self) -> bool:
        doc = self.document
        self.items = []
        for i in range(len(doc.project.images)):
            _, points = doc.project.proposal(doc.stage, i) if doc.stage else (None, [])
            if len(points):
                labels, _ = doc.pending.get(i) or doc.project.labels(i)
                self.items += [(i, k) for k, (y, x, _) in enumerate(points.tolist()) if labels[y, x] == 255]
        if not self.items:
            self.ended.emit("no unlabeled points in this stage")
            return False
        self.active, self.pos = True, 0
        self._show()
        return True

    def _show(self) -> None:
        i, k = self.items[self.pos]
        if self.document.index != i:
            self.open_image(i)
        y, x, _ = self.document.editor.points[k]
        self.canvas.marks.current = k
        self.canvas.center_on(float(y), float(x), self.ZOOM)
        self.moved.emit(i, k)

    def label(self, cls: int | None) -> None:
        """Label the current point (``None``: the model's class) and go on."""
        if not self.active:
            return
        i, k = self.items[self.pos]
        ed = self.document.editor
        ed.label_point(k, ed.model_class(k) if cls is None else cls)
        self.document.count_effort(clicks=1, points_labeled=1)
        if self.pos + 1 < len(self.items):
            self.pos += 1
            self._show()
        else:
            self.stop("all points of the stage are labeled")

    def back(self) -> None:
        if self.active and self.pos > 0:
            self.pos -= 1
            self._show()

    def stop(self, why: str = "point queue closed") -> None:
        if self.active:
            self.active = False
            self.canvas.marks.current = None
            self.canvas.fit()
            self.ended.emit(why)
