"""What is under the cursor: the pixel's label, the model's class and the ground
truth (where present and its layer is on) in the status bar, and a point's class in a tooltip."""

from __future__ import annotations

from PyQt6.QtWidgets import QLabel

from ..canvas.canvas import Canvas
from ..document import Document
from .status_text import cursor_text


class CursorReadout:
    def __init__(self, canvas: Canvas, document: Document, names: list[str], label: QLabel) -> None:
        self.canvas, self.document, self.names, self.label = canvas, document, names, label
        document.labels_changed.connect(self.refresh)
        document.prediction_ready.connect(self.refresh)

    def refresh(self, *_args) -> None:
        """Again at the resting cursor: a click that labels the pixel under it, a layer
        toggled (the truth hidden), another image opened or its prediction arriving
        changes what it must say."""
        at = self.canvas.cursor_image_pos()
        if at is not None:
            self.show_at(*at)

    def show_at(self, y: float, x: float) -> None:
        doc, ed = self.document, self.document.editor
        if ed is None or not (0 <= y < ed.labels.shape[0] and 0 <= x < ed.labels.shape[1]):
            self.label.setText("")
            return
        yi, xi = int(y), int(x)
        pred = None if ed.prediction is None else int(ed.prediction[yi, xi])
        shown = doc.truth_labels is not None and self.canvas.layers["truth"].visible  # never the answer unasked
        truth = int(doc.truth_labels[yi, xi]) if shown and doc.truth_labels is not None else None
        prior = bool(ed.stage[yi, xi] == 0)
        self.label.setText(cursor_text(yi, xi, self.names, int(ed.labels[yi, xi]), pred, truth, prior))
        k = self.canvas.point_at(self.canvas.mapFromGlobal(self.canvas.cursor().pos()).toPointF())
        if k is None:
            self.canvas.setToolTip("")
            return
        lab = ed.point_label(k)
        name = self.names[lab] if lab < len(self.names) else "unlabeled"
        self.canvas.setToolTip(f"point {k + 1}: {name} (model: {self.names[int(ed.points[k, 2])]})")
