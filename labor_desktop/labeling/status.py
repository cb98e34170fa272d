"""One image's labelling status, computed in one place from the arrays in memory:
the image list, the point queue, the stage bar and the "end the stage?" question
all read it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..store import UNLABELED


@dataclass(frozen=True)
class ImageStatus:
    points: int  # proposed points of the stage
    labeled_points: int  # of those, how many carry a label
    open_mask_pixels: int  # inconsistency-mask pixels still unlabeled
    mask_share: float  # share of the image the mask covers
    labeled_share: float  # share of the image labelled (any stage)

    @property
    def open_points(self) -> int:
        return self.points - self.labeled_points

    @property
    def done(self) -> bool:
        """Every proposed point labelled; an image without points is done once it has labels."""
        return self.open_points == 0 if self.points else self.labeled_share > 0


def image_status(labels: np.ndarray, mask: np.ndarray | None, points: np.ndarray) -> ImageStatus:
    """``labels`` ``[H, W]`` (``UNLABELED`` = none), the stage's mask ``[H, W]`` bool or None,
    its points ``[N, 3]`` (y, x, model class)."""
    pts = np.asarray(points).reshape(-1, 3)
    at_points = labels[pts[:, 0], pts[:, 1]] if len(pts) else np.zeros(0, labels.dtype)
    labeled = labels != UNLABELED
    return ImageStatus(
        points=len(pts),
        labeled_points=int((at_points != UNLABELED).sum()),
        open_mask_pixels=int((mask & ~labeled).sum()) if mask is not None else 0,
        mask_share=float(mask.mean()) if mask is not None else 0.0,
        labeled_share=float(labeled.mean()),
    )
