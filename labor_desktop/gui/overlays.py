"""numpy layers as QImages that share their memory, so a brush stamp recolours
only the pixels it touched and the canvas repaints only that rectangle."""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QImage

UNLABELED = 255


def _qimage(buf: np.ndarray, w: int, h: int, per_line: int, fmt: QImage.Format) -> QImage:
    """A QImage over ``buf``'s memory, shared, not copied (the caller keeps ``buf`` alive)."""
    # PyQt6 takes any buffer (here a memoryview) as the data; its stubs name only bytes.
    return QImage(buf.data, w, h, per_line, fmt)  # type: ignore[call-overload]


def rgb_image(rgb: np.ndarray) -> tuple[QImage, np.ndarray]:
    """A QImage over a contiguous RGB888 copy (kept alive by the returned array)."""
    buf = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = buf.shape[:2]
    return _qimage(buf, w, h, 3 * w, QImage.Format.Format_RGB888), buf


PRIOR_STRIPE = 4  # px: the width of the stripes imported (stage 0) labels are drawn with
PRIOR_ALPHA = 90  # the faint stripes' opacity (of 255)


def prior_stripes(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    """The faint half of the diagonal stripes over a rectangle, in image coordinates (so a
    repainted rectangle continues the pattern around it)."""
    return ((np.arange(y0, y1)[:, None] + np.arange(x0, x1)[None, :]) // PRIOR_STRIPE) % 2 == 1


class ClassOverlay:
    """An RGBA layer of class ids: colour per class, transparent where unlabeled.  With
    ``stages``, labels of stage 0 (imported: "prior") are striped, so they are seen apart
    from what was labelled here."""

    def __init__(self, ids: np.ndarray, colors: np.ndarray, stages: np.ndarray | None = None) -> None:
        self.lut = np.zeros((256, 4), np.uint8)
        self.lut[: len(colors), :3] = colors
        self.lut[: len(colors), 3] = 255
        self.ids = ids  # shared with the editor: the overlay reads it, never writes it
        self.stages = stages  # shared too
        h, w = ids.shape
        self.buffer = np.zeros((h, w, 4), np.uint8)
        self.image = _qimage(self.buffer, w, h, 4 * w, QImage.Format.Format_RGBA8888)
        self.refresh()

    def refresh(self, rect: tuple[int, int, int, int] | None = None) -> None:
        """Recolour ``rect`` (y0, y1, x0, x1) or everything."""
        h, w = self.ids.shape
        y0, y1, x0, x1 = (0, h, 0, w) if rect is None else rect
        ids = self.ids[y0:y1, x0:x1]
        out = self.buffer[y0:y1, x0:x1]
        out[...] = self.lut[ids]
        if self.stages is not None:
            prior = (self.stages[y0:y1, x0:x1] == 0) & (ids != UNLABELED)
            if prior.any():  # most images have no imported labels: no stripe pattern to build
                out[..., 3][prior & prior_stripes(y0, y1, x0, x1)] = PRIOR_ALPHA


def mask_overlay(mask: np.ndarray, color=(255, 255, 255)) -> tuple[QImage, np.ndarray]:
    h, w = mask.shape
    buf = np.zeros((h, w, 4), np.uint8)
    buf[mask] = (*color, 255)
    return _qimage(buf, w, h, 4 * w, QImage.Format.Format_RGBA8888), buf
