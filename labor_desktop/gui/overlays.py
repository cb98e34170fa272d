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


class ClassOverlay:
    """An RGBA layer of class ids: colour per class, transparent where unlabeled."""

    def __init__(self, ids: np.ndarray, colors: np.ndarray) -> None:
        self.lut = np.zeros((256, 4), np.uint8)
        self.lut[: len(colors), :3] = colors
        self.lut[: len(colors), 3] = 255
        self.ids = ids  # shared with the editor: the overlay reads it, never writes it
        h, w = ids.shape
        self.buffer = np.zeros((h, w, 4), np.uint8)
        self.image = _qimage(self.buffer, w, h, 4 * w, QImage.Format.Format_RGBA8888)
        self.refresh()

    def refresh(self, rect: tuple[int, int, int, int] | None = None) -> None:
        """Recolour ``rect`` (y0, y1, x0, x1) or everything."""
        if rect is None:
            self.buffer[...] = self.lut[self.ids]
            return
        y0, y1, x0, x1 = rect
        self.buffer[y0:y1, x0:x1] = self.lut[self.ids[y0:y1, x0:x1]]


def mask_overlay(mask: np.ndarray, color=(255, 255, 255)) -> tuple[QImage, np.ndarray]:
    h, w = mask.shape
    buf = np.zeros((h, w, 4), np.uint8)
    buf[mask] = (*color, 255)
    return _qimage(buf, w, h, 4 * w, QImage.Format.Format_RGBA8888), buf
