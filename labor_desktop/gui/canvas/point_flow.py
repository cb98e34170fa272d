"""Labelling proposed points so that no label is written with a class the annotator
did not see.  A click selects a point (ring) and opens the class chooser there; the
point queue walks every unlabeled point, zoomed in, with a heads-up line on the
canvas naming the point, the image, the suggestion and the keys; it starts at the
image on screen and computes the next image's probabilities ahead.  Enter accepts
only the suggestion that line shows; Space marks the point unsure (stored, counted
apart from labels and skipped points)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QObject, QPoint, pyqtSignal

from ...labeling import QueueModel, SessionState, unlabeled_points
from ..document import Document
from ..keymap import project_class_keys
from .canvas import Canvas
from .chooser import ClassChooser
from .predictions import Predictions

QUEUE_CONTEXT = 4.0  # the queue's zoom: this many times the fit scale (at least 2x, at most 8x)


class PointFlow(QObject):
    ended = pyqtSignal(str)
    changed = pyqtSignal()  # selection, queue position or a point's label changed

    def __init__(
        self,
        document: Document,
        canvas: Canvas,
        session: SessionState,
        predictions: Predictions,
        open_image: Callable[[int], None],
    ) -> None:
        super().__init__()
        self.document, self.canvas, self.session = document, canvas, session
        self.predictions, self.open_image = predictions, open_image
        names = document.project.settings.classes
        self.names = names
        keys = project_class_keys(len(names), document.project.settings.extra.get("class_table"))
        self.chooser = ClassChooser(canvas, names, document.colors, keys)
        self.chooser.chosen.connect(self._chosen)
        self.chooser.dismissed.connect(self.changed)  # signal to signal: no stored emit to outlive it
        predictions.ready.connect(self._prediction_ready)
        self.selected: int | None = None
        self.queue: QueueModel | None = None

    @property
    def active(self) -> bool:
        return self.queue is not None

    # ---- selection and the chooser ---------------------------------------------------------
    def select(self, k: int | None) -> None:
        old, self.selected = self.selected, k
        self.canvas.marks.current = k
        for i in (old, k):
            if i is not None:
                self.canvas.update_point(i)
        self.changed.emit()

    def suggestion(self, k: int) -> tuple[int, float | None]:
        """The model's class for point ``k`` of the current image, with its probability when
        the prediction is known (the class stored with the proposal otherwise)."""
        ed, i = self.document.current_editor(), self.document.index
        y, x, model_k = (int(v) for v in ed.points[k])
        top = self.predictions.top(i, y, x, 1)
        if top and top[0][0] == model_k:
            return model_k, top[0][1]
        probs = self.predictions.probs.get(i)
        return model_k, (None if probs is None else float(probs[model_k, y, x]))

    def choose(self, k: int) -> None:
        """Select point ``k`` and ask for its class at the point."""
        self.select(k)
        ed, i = self.document.current_editor(), self.document.index
        y, x, _ = (int(v) for v in ed.points[k])
        top: Sequence[tuple[int, float | None]] | None = self.predictions.top(i, y, x, 3)
        model_k, p = self.suggestion(k)
        if top is None:
            top = [(model_k, p)]
            self.predictions.request(i, self.document.current_image())
        current = ed.point_label(k)
        now = f" · labelled {self.names[current]}" if current < len(self.names) else ""
        title = f"point {k + 1}/{len(ed.points)} at ({x}, {y}){now}"
        c = self.canvas._point_center(y, x)
        self.chooser.open_at(self.canvas.mapToGlobal(QPoint(int(c.x()), int(c.y()))), title, top, model_k)

    def _prediction_ready(self, i: int) -> None:
        """The model's top classes arrived while the chooser waits: show them."""
        if self.chooser.isVisible() and self.selected is not None and i == self.document.index:
            self.choose(self.selected)

    def _chosen(self, cls: int) -> None:
        if self.selected is not None:
            self.label(self.selected, cls)

    def label(self, k: int, cls: int, clicks: int = 1) -> None:
        """Label point ``k`` of the current image with ``cls`` (a class the annotator chose);
        ``clicks``: 0 for a key press in the queue (only mouse clicks count as clicks)."""
        doc = self.document
        ed = doc.current_editor()
        doc.act(lambda: ed.label_point(k, cls), clicks=clicks)
        if k in doc.unsure:
            doc.set_unsure(k, False)
        self.changed.emit()  # the window repaints the marker with the edit

    def clear(self, k: int) -> None:
        doc = self.document
        ed = doc.current_editor()
        doc.act(lambda: ed.clear_point(k), clicks=1)
        self.changed.emit()  # the window repaints the marker with the edit

    # ---- the queue ---------------------------------------------------------------------------
    def start(self) -> bool:
        doc = self.document
        items = unlabeled_points(
            len(doc.project.images),
            lambda i: doc.proposal(i)[1],
            lambda i: doc.current_editor().labels if i == doc.index else doc.labels_of(i)[0],
        )
        if not items:
            self.ended.emit("no unlabeled points in this stage")
            return False
        here = max(doc.index, 0)  # from the image on screen on, then the ones before it
        items = [it for it in items if it[0] >= here] + [it for it in items if it[0] < here]
        self.queue = QueueModel(items)
        self._show()
        return True

    def _show(self) -> None:
        assert self.queue is not None  # shown only while the queue runs
        i, k = self.queue.current
        if self.document.index != i:
            self.open_image(i)
        doc = self.document
        if doc.index != i:  # the image could not be opened: the reason is on screen already
            self.stop("point queue stopped: the image could not be opened")
            return
        self.predictions.request(i, doc.current_image())
        later = [j for j, _ in self.queue.items[self.queue.pos :] if j != i]
        if later:  # the next image's probabilities are ready when the queue gets there
            self.predictions.request_file(later[0], doc.project.image_path(later[0]))
        ed = doc.current_editor()
        y, x, _ = ed.points[k]
        h, w = ed.labels.shape
        fit = min(self.canvas.width() / w, self.canvas.height() / h)
        self.canvas.center_on(float(y), float(x), min(8.0, max(2.0, fit * QUEUE_CONTEXT)))
        self.select(k)
        self.refresh_headsup()

    def refresh_headsup(self) -> None:
        if self.queue is None:
            self.canvas.headsup = ""
            self.canvas.update()
            return
        i, k = self.queue.current
        if self.document.index != i:
            return
        model_k, p = self.suggestion(k)
        name = Path(self.document.project.images[i].path).stem.removesuffix("_leftImg8bit")
        self.shown_suggestion = model_k
        self.canvas.headsup = self.queue.heads_up(name, len(self.document.project.images), (self.names[model_k], p))
        self.canvas.update()

    def queue_label(self, cls: int) -> None:
        if self.queue is None:
            return
        i, k = self.queue.current
        self.label(k, cls, clicks=0)
        self.queue.labeled += 1
        self._next()

    def accept(self) -> None:
        """Enter: the suggestion the heads-up line shows, nothing else."""
        if self.queue is not None and self.canvas.headsup:
            self.queue_label(self.shown_suggestion)

    def unsure(self) -> None:
        if self.queue is None:
            return
        i, k = self.queue.current
        self.document.set_unsure(k, True)
        self.queue.unsure.add((i, k))
        self.canvas.marks.unsure = self._unsure_marks()
        self._next()

    def _unsure_marks(self) -> np.ndarray:
        marks = np.zeros(len(self.document.current_editor().points), np.bool_)
        marks[list(self.document.unsure)] = True
        return marks

    def _next(self) -> None:
        assert self.queue is not None  # called only while the queue runs
        if self.queue.step():
            self._show()
        else:
            q = self.queue
            self.stop(f"point queue done: {q.labeled} labelled, {len(q.unsure)} unsure")

    def back(self) -> None:
        if self.queue is not None and self.queue.back():
            self._show()

    def stop(self, why: str = "point queue closed") -> None:
        if self.queue is not None:
            self.queue = None
            self.canvas.headsup = ""
            self.select(None)
            self.canvas.fit()
            self.ended.emit(why)
