"""Superpixels of an image: the regions one click labels (the Region tool, the ``regions``
strategies).

OpenCV-contrib's SLICO (zero-parameter SLIC), run at a reduced resolution where a region
is ``WORK_REGION`` pixels wide, its label map upscaled (nearest).  Chosen by
bench/superpixels.py (docs/benchmarks.md): on a 1024x2048 demo image with 32-pixel
regions, one thread, it takes about 50 ms of CPU with 2.8 % label noise (pixels whose
region's majority class is not theirs); SEEDS at half size 60 ms with 3.2 %, SEEDS at full
size 180-270 ms, SLICO at half size 290 ms, LSC at a quarter size 290 ms; a plain grid
5.6 %.  Deterministic (SLICO seeds its centres on a grid): the same image and size give
the same map, so the map is recomputed rather than stored.
"""

from __future__ import annotations

import cv2
import numpy as np

WORK_REGION = 8  # px: a region's width at the resolution SLICO runs at
_ITERATIONS = 5
_MIN_REGION_PERCENT = 25  # smaller pieces are merged into a neighbour (enforceLabelConnectivity)


def _slic():
    try:
        return cv2.ximgproc.createSuperpixelSLIC
    except AttributeError:
        raise RuntimeError(
            "superpixels need OpenCV's contrib build: pip uninstall opencv-python-headless, then "
            "pip install opencv-contrib-python-headless (./dev.sh does both)"
        ) from None


def _grid(h: int, w: int, side: int) -> np.ndarray:
    cols = -(-w // side)
    return ((np.arange(h) // side)[:, None] * cols + (np.arange(w) // side)[None, :]).astype(np.int32)


def superpixels(image: np.ndarray, region_size: int = 32) -> np.ndarray:
    """int32 ``[H, W]`` region ids 0..n-1 (every id used) of an RGB uint8 ``[H, W, 3]``
    image; regions are about ``region_size`` pixels wide.  An image under two regions
    wide at the work resolution is cut into a plain grid (SLICO needs room)."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"superpixels need an RGB uint8 image [H, W, 3], not {image.dtype} {image.shape}")
    if region_size < 1:
        raise ValueError(f"region_size must be at least 1 pixel, not {region_size}")
    h, w = image.shape[:2]
    scale = max(1, region_size // WORK_REGION)
    sh, sw = max(1, round(h / scale)), max(1, round(w / scale))
    side = max(1, round(region_size * sw / w))  # a region's width at the work resolution
    if min(sh, sw) < 2 * side or side < 2:
        return _grid(h, w, region_size)
    small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA) if (sh, sw) != (h, w) else image
    slic = _slic()(cv2.cvtColor(small, cv2.COLOR_RGB2Lab), cv2.ximgproc.SLICO, side)
    slic.iterate(_ITERATIONS)
    slic.enforceLabelConnectivity(_MIN_REGION_PERCENT)
    labels = slic.getLabels().astype(np.int32, copy=False)
    used = np.bincount(labels.ravel()) > 0
    labels = (np.cumsum(used) - 1).astype(np.int32)[labels]  # ids 0..n-1, none missing
    if (sh, sw) != (h, w):
        labels = cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST)
    return labels
