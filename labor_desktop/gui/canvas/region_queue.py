"""Proposed regions (issue 24): in a stage whose proposals a ``regions`` strategy wrote, each
proposed point is one pixel of an asked superpixel (the store keeps the superpixel size with
the proposal).  The regions are drawn outlined (red: still to label, white: labelled); the
queue (``Q``) steps through them as it does through points, its heads-up line saying
"region", the current one outlined in yellow; a class key, Enter or the chooser labels the
whole region as one undo step, pixels of another class kept unless the person confirms.
In any other stage this is the point flow unchanged."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PyQt6.QtCore import QPoint
from PyQt6.QtGui import QColor, QPainterPath

from ...labeling import SessionState, region_top_classes
from ..document import Document
from .canvas import Canvas
from .point_flow import PointFlow
from .predictions import Predictions
from .region_flow import label_region_confirmed, region_outlines

TOP_CLASSES = 3
REGION_CONTEXT = 4.0  # the queue's view is this many times the region's size
ASKED, LABELLED, CURRENT = QColor(255, 60, 60), QColor(255, 255, 255), QColor(255, 230, 0)

Superpixels = Callable[[int, int], np.ndarray]  # (image, region size) -> int [H, W] ids


class RegionQueueFlow(PointFlow):
    def __init__(
        self,
        document: Document,
        canvas: Canvas,
        session: SessionState,
        predictions: Predictions,
        open_image: Callable[[int], None],
        superpixels: Superpixels | None = None,
        confirm: Callable[[str], bool] = lambda text: True,
    ) -> None:
        """``superpixels``: the workflow's (a window's flow gets it, and the window's
        confirmation, from ``RegionFlow.for_window``)."""
        super().__init__(document, canvas, session, predictions, open_image)
        self.superpixels_of, self.confirm = superpixels, confirm
        self._sizes: dict[tuple[int, int], int | None] = {}  # (stage, image) -> region size
        self._outlines: tuple[tuple[int, int], dict] | None = None  # ((stage, image), region id -> outline)
        self._failed: set[tuple[int, int]] = set()  # (stage, image) whose superpixels could not be made
        self._drawn: tuple[tuple[int, int], dict[int, str]] | None = None  # what the outlines show now
        document.image_changed.connect(self._image_changed)  # methods, not lambdas: see MainWindow
        document.labels_changed.connect(self._labels_changed)

    # ---- which proposals are regions ---------------------------------------------------------
    def region_size(self) -> int | None:
        """The current stage's superpixel size for the shown image; None: a point proposal."""
        doc = self.document
        if not doc.stage or doc.index < 0:
            return None
        key = (doc.stage, doc.index)
        if key not in self._sizes:
            self._sizes[key] = doc.project.proposal_region_size(*key)
        return self._sizes[key]

    def superpixels(self) -> np.ndarray | None:
        """The shown image's superpixels at its proposal's size (None: not a region proposal,
        or they cannot be made: said once in the status bar, the points still work)."""
        size = self.region_size()
        key = (self.document.stage, self.document.index)
        if size is None or self.superpixels_of is None or key in self._failed:
            return None
        try:
            return self.superpixels_of(self.document.index, size)
        except (RuntimeError, ValueError, OSError) as e:
            self._failed.add(key)
            self.ended.emit(f"the proposed regions cannot be shown: {e}")
            return None

    def region_ids(self) -> np.ndarray:
        """The superpixel id under each proposed point of the shown image (empty: no regions)."""
        sp = self.superpixels()
        pts = self.document.current_editor().points
        return np.zeros(0, np.int64) if sp is None or not len(pts) else sp[pts[:, 0], pts[:, 1]].astype(np.int64)

    def region_of(self, k: int) -> np.ndarray | None:
        sp = self.superpixels()
        if sp is None:
            return None
        y, x, _ = (int(v) for v in self.document.current_editor().points[k])
        return sp == sp[y, x]

    # ---- drawing -----------------------------------------------------------------------------
    def _image_changed(self, i: int) -> None:
        self.draw_regions()

    def _labels_changed(self, i: int, rect, what: str) -> None:
        if what == "commit":
            self.draw_regions()

    def draw_regions(self) -> None:
        """Outline the shown image's proposed regions by state, the queue's current one on top.
        Only what changed is repainted: a label that changes no proposed region's state
        repaints nothing here (a full repaint of a 1024x2048 image at every label was most of
        the Region label -> repaint time, issue 24)."""
        ids = self.region_ids() if self.document.editor is not None else np.zeros(0, np.int64)
        shown = (self.document.stage, self.document.index)
        states: dict[int, str] = {}
        if len(ids):
            done = self.document.current_editor().point_labels() < len(self.names)
            current = None
            if self.queue is not None and self.selected is not None and self.selected < len(ids):
                current = int(ids[self.selected])
            for rid, d in zip(ids.tolist(), done.tolist(), strict=True):  # a region done once any point in it is
                states[rid] = "labelled" if d or states.get(rid) == "labelled" else "asked"
            if current is not None:
                states[current] = "current"
        before = self._drawn
        self._drawn = (shown, states)
        if before == self._drawn and bool(self.canvas.region_marks) == bool(states):
            return  # nothing to redraw (also in a stage of point proposals)
        marks = self.canvas.region_marks
        marks.clear()
        paths: dict = {}
        if states:
            if self._outlines is None or self._outlines[0] != shown:
                sp = self.superpixels()
                assert sp is not None  # ids come from it
                self._outlines = (shown, region_outlines(sp, ids))
            paths = self._outlines[1]
            for key, color in (("asked", ASKED), ("labelled", LABELLED), ("current", CURRENT)):
                chosen = [paths[rid] for rid, st in sorted(states.items()) if st == key and rid in paths]
                if chosen:
                    path = QPainterPath()
                    for one in chosen:
                        path.addPath(one)
                    marks[key] = (path, color)
        if before is None or before[0] != shown or not paths:
            self.canvas.update()
            return
        for rid in set(states) | set(before[1]):  # the regions whose outline changed colour
            if states.get(rid) != before[1].get(rid) and rid in paths:
                self.canvas.update_outline(paths[rid])

    def _show(self) -> None:
        """The queue's step, zoomed so that the region fills about a quarter of the view."""
        super()._show()
        region = self.region_of(self.selected) if self.queue is not None and self.selected is not None else None
        if region is None:
            return
        rows, cols = np.flatnonzero(region.any(1)), np.flatnonzero(region.any(0))
        h, w = int(rows[-1] - rows[0]) + 1, int(cols[-1] - cols[0]) + 1
        c = self.canvas
        scale = min(8.0, max(1.0, min(c.width() / (REGION_CONTEXT * w), c.height() / (REGION_CONTEXT * h))))
        c.center_on((rows[0] + rows[-1]) / 2, (cols[0] + cols[-1]) / 2, scale)
        self.draw_regions()

    # ---- the chooser and labels --------------------------------------------------------------
    def _region_top(self, k: int) -> list[tuple[int, float]] | None:
        probs = self.predictions.probs.get(self.document.index)
        region = self.region_of(k)
        if probs is None or region is None:
            return None
        ys, xs = np.nonzero(region)
        return region_top_classes(probs, ys, xs, TOP_CLASSES)

    def suggestion(self, k: int) -> tuple[int, float | None]:
        """For a region: the model's most likely class over it with its mean probability."""
        top = self._region_top(k) if self.region_size() is not None else None
        return top[0] if top else super().suggestion(k)

    def choose(self, k: int) -> None:
        if self.region_size() is None:
            super().choose(k)
            return
        self.select(k)
        ed, i = self.document.current_editor(), self.document.index
        y, x, _ = (int(v) for v in ed.points[k])
        top: Sequence[tuple[int, float | None]] | None = self._region_top(k)
        model_k, p = self.suggestion(k)
        if top is None:
            top = [(model_k, p)]
            self.predictions.request(i, self.document.current_image())
        region = self.region_of(k)
        assert region is not None  # a region stage
        title = f"region {k + 1}/{len(ed.points)} of {int(region.sum())} px at ({x}, {y})"
        c = self.canvas._point_center(y, x)
        self.chooser.open_at(self.canvas.mapToGlobal(QPoint(int(c.x()), int(c.y()))), title, top, model_k)

    def label(self, k: int, cls: int, clicks: int = 1) -> None:
        """A region's point labels its whole region (one undo step; ``clicks`` as the point's)."""
        region = self.region_of(k)
        if region is None:
            super().label(k, cls, clicks)
            return
        label_region_confirmed(self.document, region, cls, self.names, self.confirm, clicks)
        if k in self.document.unsure:
            self.document.set_unsure(k, False)
        self.changed.emit()

    # ---- the queue ---------------------------------------------------------------------------
    def start(self) -> bool:
        started = super().start()
        if started and self.queue is not None and self.region_size() is not None:
            self.queue.noun = "region"
            self.canvas.region_outline = None  # the Region tool's hover: not the queue's region
            self.refresh_headsup()
        return started

    def select(self, k: int | None) -> None:
        super().select(k)
        if self.queue is not None or "current" in self.canvas.region_marks:
            self.draw_regions()
