"""One image's labelling status, computed in one place from the arrays in memory:
the image list, the point queue, the stage bar and the "end the stage?" question
all read it.

``StatusCache`` keeps every image's status once it was computed, and each save updates
it from the edit alone (the touched rectangle before and after), so a stroke costs a
rectangle's worth of counting and no image is decoded again to learn what was just
saved.  Shares are derived from pixel counts, so an updated status equals a fresh one
exactly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from ..store import UNLABELED
from .editing import LabelEditor, Rect


@dataclass(frozen=True)
class ImageStatus:
    points: int  # proposed points of the stage
    labeled_points: int  # of those, how many carry a label
    open_mask_pixels: int  # inconsistency-mask pixels still unlabeled
    mask_pixels: int  # pixels of the inconsistency mask
    labeled_pixels: int  # pixels labelled (any stage)
    pixels: int  # pixels of the image
    prior_pixels: int = 0  # of the labelled ones, those of stage 0: imported, not labelled here

    @property
    def mask_share(self) -> float:
        """Share of the image the mask covers."""
        return self.mask_pixels / self.pixels if self.pixels else 0.0

    @property
    def labeled_share(self) -> float:
        """Share of the image labelled (any stage)."""
        return self.labeled_pixels / self.pixels if self.pixels else 0.0

    @property
    def prior_share(self) -> float:
        """Share of the image labelled by an import (stage 0, "prior")."""
        return self.prior_pixels / self.pixels if self.pixels else 0.0

    @property
    def open_points(self) -> int:
        return self.points - self.labeled_points

    @property
    def done(self) -> bool:
        """Every proposed point labelled; an image without points is done once it has labels."""
        return self.open_points == 0 if self.points else self.labeled_pixels > 0


def _points(points: np.ndarray) -> np.ndarray:
    return np.asarray(points).reshape(-1, 3)


def _labeled_points(labels: np.ndarray, points: np.ndarray) -> int:
    pts = _points(points)
    return int((labels[pts[:, 0], pts[:, 1]] != UNLABELED).sum()) if len(pts) else 0


def prior_pixels(labels: np.ndarray, stage: np.ndarray | None) -> int:
    """Labelled pixels of stage 0 (imported labels); 0 without stages."""
    return 0 if stage is None else int(np.count_nonzero((labels != UNLABELED) & (stage == 0)))


def image_status(
    labels: np.ndarray, mask: np.ndarray | None, points: np.ndarray, stage: np.ndarray | None = None
) -> ImageStatus:
    """``labels`` ``[H, W]`` (``UNLABELED`` = none), the stage's mask ``[H, W]`` bool or None,
    its points ``[N, 3]`` (y, x, model class), the labels' stages (for the prior's count)."""
    labeled = labels != UNLABELED
    return ImageStatus(
        points=len(_points(points)),
        labeled_points=_labeled_points(labels, points),
        open_mask_pixels=int(np.count_nonzero(mask & ~labeled)) if mask is not None else 0,
        mask_pixels=int(np.count_nonzero(mask)) if mask is not None else 0,
        labeled_pixels=int(np.count_nonzero(labeled)),
        pixels=int(labels.size),
        prior_pixels=prior_pixels(labels, stage),
    )


def status_after_edit(
    status: ImageStatus,
    rect: Rect,
    before: np.ndarray,
    labels: np.ndarray,
    mask: np.ndarray | None,
    points: np.ndarray,
    before_stage: np.ndarray | None = None,
    stage: np.ndarray | None = None,
) -> ImageStatus:
    """``status`` after an edit that changed pixels inside ``rect`` only: ``before`` (and
    ``before_stage``) hold the rectangle's labels (and stages) before it, ``labels`` (and
    ``stage``) the whole image's after."""
    y0, y1, x0, x1 = rect
    prior_delta = 0
    if stage is not None and before_stage is not None:
        prior_delta = prior_pixels(labels[y0:y1, x0:x1], stage[y0:y1, x0:x1]) - prior_pixels(before, before_stage)
    was, now = before != UNLABELED, labels[y0:y1, x0:x1] != UNLABELED
    open_delta = 0
    if mask is not None:
        m = mask[y0:y1, x0:x1]
        open_delta = int(np.count_nonzero(m & ~now)) - int(np.count_nonzero(m & ~was))
    return replace(
        status,
        labeled_points=_labeled_points(labels, points),
        open_mask_pixels=status.open_mask_pixels + open_delta,
        labeled_pixels=status.labeled_pixels + int(np.count_nonzero(now)) - int(np.count_nonzero(was)),
        prior_pixels=status.prior_pixels + prior_delta,
    )


class StatusCache:
    """Every image's status once known; ``edited`` keeps it current after each save.  Not
    thread-safe: one thread (the window's) owns it; other threads hand it whole statuses."""

    def __init__(self) -> None:
        self._known: dict[int, ImageStatus] = {}

    def get(self, i: int) -> ImageStatus | None:
        return self._known.get(i)

    def known(self) -> dict[int, ImageStatus]:
        return dict(self._known)

    def put(self, i: int, status: ImageStatus) -> ImageStatus:
        self._known[i] = status
        return status

    def compute(
        self, i: int, labels: np.ndarray, mask: np.ndarray | None, points: np.ndarray, stage: np.ndarray | None = None
    ) -> ImageStatus:
        return self.put(i, image_status(labels, mask, points, stage))

    def edited(
        self,
        i: int,
        rect: Rect,
        before: np.ndarray,
        labels: np.ndarray,
        mask: np.ndarray | None,
        points: np.ndarray,
        before_stage: np.ndarray | None = None,
        stage: np.ndarray | None = None,
    ) -> ImageStatus:
        """Image ``i``'s status after an edit inside ``rect`` (see ``status_after_edit``);
        computed whole when it was not known."""
        old = self._known.get(i)
        if old is None:
            return self.compute(i, labels, mask, points, stage)
        return self.put(i, status_after_edit(old, rect, before, labels, mask, points, before_stage, stage))

    def forget(self) -> None:
        """A new stage brings new proposals."""
        self._known.clear()


class EditedImage:
    """The open image's side of the cache: the rectangle its edits touched since its last
    save and its labels at that save, so each save updates the status from that rectangle
    alone (and hands the writer copies that nothing changes afterwards)."""

    def __init__(self, cache: StatusCache, i: int, editor: LabelEditor) -> None:
        self.cache, self.i, self.editor = cache, i, editor
        self._saved, self._saved_stage = editor.labels.copy(), editor.stage.copy()
        self._dirty: Rect | None = None
        if cache.get(i) is None:
            cache.compute(i, self._saved, editor.mask, editor.points, self._saved_stage)

    def touched(self, rect: Rect) -> None:
        """An edit (a stamp, a commit, an undo) changed pixels inside ``rect``."""
        d = self._dirty
        self._dirty = (
            rect if d is None else (min(d[0], rect[0]), max(d[1], rect[1]), min(d[2], rect[2]), max(d[3], rect[3]))
        )

    def save(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Copies of the labels and stages to write, the status updated; None when nothing
        changed since the last save."""
        if self._dirty is None:
            return None
        ed = self.editor
        labels, stage = ed.labels.copy(), ed.stage.copy()
        y0, y1, x0, x1 = rect = self._dirty
        before, before_stage = self._saved[y0:y1, x0:x1], self._saved_stage[y0:y1, x0:x1]
        self.cache.edited(self.i, rect, before, labels, ed.mask, ed.points, before_stage, stage)
        self._saved, self._saved_stage, self._dirty = labels, stage, None
        return labels, stage


def stage_counts(statuses: Iterable[ImageStatus], unit: str) -> tuple[int, int]:
    """(labelled, proposed) points when the annotator labels points, else (labelled, all)
    inconsistency-mask pixels, over ``statuses``."""
    known = list(statuses)
    if unit == "points":
        return sum(st.labeled_points for st in known), sum(st.points for st in known)
    mask = sum(st.mask_pixels for st in known)
    return mask - sum(st.open_mask_pixels for st in known), mask
