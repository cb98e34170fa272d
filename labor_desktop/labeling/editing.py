"""The label-editing model of one image, without Qt (napari's Labels layer is the
model): brush and eraser strokes, fill of a mask component, point labels with
snapping, accepting the model's class; undo and redo, one stroke a step.

Every change reports the rectangle it touched, once, so the canvas repaints only
that and the controller saves the image's labels.  An undo is a change like any
other.  A point is only ever labelled with a class the caller names: there is no
"active class" default for points, so the window must have shown the class first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ..store import UNLABELED

Rect = tuple[int, int, int, int]  # y0, y1, x0, x1


@dataclass
class Edit:
    """One undo step: the pixels it changed (``where`` inside ``rect``), before and after."""

    rect: Rect
    where: np.ndarray
    old_labels: np.ndarray
    old_stage: np.ndarray
    new_labels: np.ndarray
    new_stage: np.ndarray
    kind: str


class LabelEditor:
    def __init__(
        self,
        labels: np.ndarray,
        stage: np.ndarray,
        current_stage: int,
        mask: np.ndarray | None = None,
        points: np.ndarray | None = None,
        prediction: np.ndarray | None = None,
    ) -> None:
        self.labels = labels.astype(np.uint8, copy=True)
        self.stage = stage.astype(np.uint8, copy=True)
        self.current_stage = int(current_stage)
        self.mask = mask
        self.points = np.zeros((0, 3), np.int64) if points is None else np.asarray(points, np.int64).reshape(-1, 3)
        self.prediction = prediction
        self.active_class = 0
        self.listeners: list[Callable[[Rect, str], None]] = []
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []
        h, w = self.labels.shape
        self._touched = np.zeros((h, w), bool)
        self._old_labels = np.empty((h, w), np.uint8)
        self._old_stage = np.empty((h, w), np.uint8)
        self._stroke: Rect | None = None
        self._stroke_kind = ""
        self._last: tuple[int, int] | None = None  # the stroke's last position

    # ---- strokes -----------------------------------------------------------------
    def begin_stroke(self, kind: str = "brush") -> None:
        self._stroke, self._stroke_kind, self._last = None, kind, None

    def stamp(self, y: float, x: float, radius: int, erase: bool = False, limit_to_mask: bool = False) -> Rect | None:
        """A disc of ``radius`` at (y, x) with the active class (or unlabeled)."""
        return self.stroke_to(y, x, radius, erase, limit_to_mask, join=False)

    def stroke_to(
        self, y: float, x: float, radius: int, erase: bool = False, limit_to_mask: bool = False, join: bool = True
    ) -> Rect | None:
        """Paint from the stroke's last position to (y, x): every pixel within ``radius`` of
        the segment, so a fast drag (mouse events far apart) still paints a continuous band."""
        h, w = self.labels.shape
        cy, cx = int(y), int(x)
        py, px = self._last if (join and self._last is not None) else (cy, cx)
        self._last = (cy, cx)
        y0, y1 = max(0, min(py, cy) - radius), min(h, max(py, cy) + radius + 1)
        x0, x1 = max(0, min(px, cx) - radius), min(w, max(px, cx) + radius + 1)
        if y0 >= y1 or x0 >= x1:
            return None
        yy, xx = np.ogrid[y0:y1, x0:x1]
        dy, dx = cy - py, cx - px
        length2 = dy * dy + dx * dx
        if length2 == 0:
            band = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius * radius
        else:  # distance to the segment: project onto it, clamp to its ends
            t = np.clip(((yy - py) * dy + (xx - px) * dx) / length2, 0.0, 1.0)
            band = (yy - py - t * dy) ** 2 + (xx - px - t * dx) ** 2 <= radius * radius + 1e-9
        if limit_to_mask and self.mask is not None:
            band &= self.mask[y0:y1, x0:x1]
        value = UNLABELED if erase else self.active_class
        return self._paint((y0, y1, x0, x1), band, value)

    def _paint(self, rect: Rect, where: np.ndarray, value: int | np.ndarray, notify: bool = True) -> Rect | None:
        """Write ``value`` (a class or a per-pixel array) at ``where`` inside ``rect``,
        remembering the old values of pixels first touched by this stroke."""
        y0, y1, x0, x1 = rect
        sl = (slice(y0, y1), slice(x0, x1))
        lab, stg, touched = self.labels[sl], self.stage[sl], self._touched[sl]
        first = where & ~touched
        self._old_labels[sl][first] = lab[first]
        self._old_stage[sl][first] = stg[first]
        touched |= where
        stage = self.current_stage
        if isinstance(value, np.ndarray):
            values = value[where]
            lab[where] = values
            stg[where] = np.where(values == UNLABELED, 0, stage)
        else:
            lab[where] = value
            stg[where] = 0 if value == UNLABELED else stage
        s = self._stroke
        self._stroke = rect if s is None else (min(s[0], y0), max(s[1], y1), min(s[2], x0), max(s[3], x1))
        if notify:
            self._notify(rect, "paint")
        return rect

    def end_stroke(self) -> Edit | None:
        """Close the stroke into one undo step (None when it changed nothing)."""
        rect, self._stroke, self._last = self._stroke, None, None
        if rect is None:
            return None
        y0, y1, x0, x1 = rect
        sl = (slice(y0, y1), slice(x0, x1))
        where = self._touched[sl].copy()
        self._touched[sl] = False
        old_l, old_s = self._old_labels[sl][where], self._old_stage[sl][where]
        new_l, new_s = self.labels[sl][where], self.stage[sl][where]
        if np.array_equal(old_l, new_l) and np.array_equal(old_s, new_s):
            return None
        edit = Edit(rect, where, old_l, old_s, new_l, new_s, self._stroke_kind)
        self._undo.append(edit)
        self._redo.clear()
        self._notify(rect, "commit")
        return edit

    def _one_shot(self, kind: str, rect: Rect, where: np.ndarray, value: int | np.ndarray) -> Edit | None:
        self.begin_stroke(kind)
        self._paint(rect, where, value, notify=False)  # one change, one notification: the commit
        return self.end_stroke()

    # ---- tools ---------------------------------------------------------------------
    def component_at(self, y: int, x: int) -> tuple[Rect, np.ndarray] | None:
        """The connected (8-neighbour) inconsistency-mask component under (y, x)."""
        if self.mask is None or not self.mask[y, x]:
            return None
        m = self.mask.astype(np.uint8)
        ff = np.zeros((m.shape[0] + 2, m.shape[1] + 2), np.uint8)
        _, _, _, (bx, by, bw, bh) = cv2.floodFill(
            m, ff, (int(x), int(y)), 2, flags=8 | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
        )
        region = ff[1:-1, 1:-1][by : by + bh, bx : bx + bw].astype(bool)
        return (by, by + bh, bx, bx + bw), region

    def fill(self, y: int, x: int) -> Edit | None:
        """The mask component under the cursor, with the active class."""
        found = self.component_at(y, x)
        return None if found is None else self._one_shot("fill", found[0], found[1], self.active_class)

    def accept_component(self, y: int, x: int) -> Edit | None:
        """The mask component under the cursor, with the model's class per pixel."""
        found = self.component_at(y, x)
        if found is None or self.prediction is None:
            return None
        (y0, y1, x0, x1), region = found
        return self._one_shot("accept", (y0, y1, x0, x1), region, self.prediction[y0:y1, x0:x1].astype(np.uint8))

    def region_conflicts(self, region: np.ndarray, cls: int) -> int:
        """Pixels of ``region`` (bool ``[H, W]``, a superpixel) already labelled with a class
        other than ``cls``: what labelling the region would overwrite if confirmed."""
        rows, cols = np.flatnonzero(region.any(1)), np.flatnonzero(region.any(0))
        if not len(rows):
            return 0
        box = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1))
        have = self.labels[box][region[box]]
        return int(np.count_nonzero((have != UNLABELED) & (have != cls)))

    def region_classes(self, region: np.ndarray) -> list[int]:
        """The model's classes over ``region``, most frequent first (ties: the smaller class)."""
        if self.prediction is None or not region.any():
            return []
        votes = np.bincount(self.prediction[region].ravel())
        return [int(c) for c in np.argsort(-votes, kind="stable") if votes[c] > 0]

    def label_region(self, region: np.ndarray, cls: int, overwrite: bool = False) -> Edit | None:
        """Every pixel of ``region`` labelled ``cls`` as one undo step; pixels labelled with
        another class are kept unless ``overwrite`` (the person confirmed)."""
        rows, cols = np.flatnonzero(region.any(1)), np.flatnonzero(region.any(0))
        if not len(rows):
            return None
        y0, x0 = int(rows[0]), int(cols[0])  # the rest works inside the region's box
        box = region[y0 : int(rows[-1]) + 1, x0 : int(cols[-1]) + 1]
        have = self.labels[y0 : y0 + box.shape[0], x0 : x0 + box.shape[1]]
        where = box & (have != cls)
        if not overwrite:
            where &= have == UNLABELED
        ys, xs = np.nonzero(where)
        if not len(ys):
            return None
        rect = (y0 + int(ys.min()), y0 + int(ys.max()) + 1, x0 + int(xs.min()), x0 + int(xs.max()) + 1)
        return self._one_shot("region", rect, where[rect[0] - y0 : rect[1] - y0, rect[2] - x0 : rect[3] - x0], cls)

    def point_near(self, y: float, x: float, snap: float = 4.0) -> int | None:
        """Index of the proposed point nearest (y, x) within ``snap`` pixels."""
        if not len(self.points):
            return None
        d = np.hypot(self.points[:, 0] - y, self.points[:, 1] - x)
        i = int(d.argmin())
        return i if d[i] <= snap else None

    def label_point(self, index: int, cls: int) -> Edit | None:
        """Label proposed point ``index`` with ``cls``: the class the annotator was shown."""
        py, px = int(self.points[index, 0]), int(self.points[index, 1])
        return self._one_shot("point", (py, py + 1, px, px + 1), np.ones((1, 1), bool), int(cls))

    def clear_point(self, index: int) -> Edit | None:
        """Take the label off proposed point ``index`` (an undoable edit)."""
        return self.label_point(index, UNLABELED)

    def point_label(self, index: int) -> int:
        """The label at proposed point ``index`` (``UNLABELED`` when none)."""
        return int(self.labels[int(self.points[index, 0]), int(self.points[index, 1])])

    def point_labels(self) -> np.ndarray:
        """The label at every proposed point."""
        if not len(self.points):
            return np.zeros(0, np.uint8)
        return self.labels[self.points[:, 0], self.points[:, 1]]

    def model_class(self, index: int) -> int:
        return int(self.points[index, 2])

    def unlabeled_points(self) -> list[int]:
        return [i for i, (y, x, _) in enumerate(self.points.tolist()) if self.labels[y, x] == UNLABELED]

    # ---- history -------------------------------------------------------------------
    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> Rect | None:
        if not self._undo:
            return None
        edit = self._undo.pop()
        self._redo.append(edit)  # before the notification: listeners see the history as it is after
        self._apply(edit, edit.old_labels, edit.old_stage)
        return edit.rect

    def redo(self) -> Rect | None:
        if not self._redo:
            return None
        edit = self._redo.pop()
        self._undo.append(edit)
        self._apply(edit, edit.new_labels, edit.new_stage)
        return edit.rect

    def _apply(self, edit: Edit, labels: np.ndarray, stage: np.ndarray) -> None:
        y0, y1, x0, x1 = edit.rect
        self.labels[y0:y1, x0:x1][edit.where] = labels
        self.stage[y0:y1, x0:x1][edit.where] = stage
        self._notify(edit.rect, "commit")

    def _notify(self, rect: Rect, what: str) -> None:
        for listener in self.listeners:
            listener(rect, what)


def region_top_classes(probs: np.ndarray, ys: np.ndarray, xs: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The model's ``n`` most likely classes over a region (its pixels ``ys``, ``xs``) with
    their mean probability there, best first (ties: the smaller class): what the class
    chooser lists for a region.  ``probs``: softmax ``[K, H, W]``; gathers only the region."""
    if not len(ys) or n <= 0:
        return []
    mean = probs[:, ys, xs].mean(axis=1, dtype=np.float64)
    order = np.argsort(-mean, kind="stable")[:n]
    return [(int(k), float(mean[k])) for k in order]
