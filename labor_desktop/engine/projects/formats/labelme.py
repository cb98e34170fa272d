"""labelme's JSON (one file per image: ``imagePath``, ``imageHeight``, ``imageWidth``,
``shapes`` of ``label``, ``points`` and ``shape_type``): polygons and rectangles are
filled by ``pycocotools``' rasteriser (as COCO polygons are), in file order, later shapes
over earlier ones.
A point outside the image, or a shape type that covers no area, is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from ....data.io import DataError, read_json
from ....store import UNLABELED

AREA_SHAPES = ("polygon", "rectangle")


def read_labelme(path: Path) -> dict:
    doc = read_json(path, "labelme file")
    ok = isinstance(doc, dict) and isinstance(doc.get("shapes"), list) and isinstance(doc.get("imagePath"), str)
    if not ok or not all(isinstance(doc.get(k), int) and doc[k] > 0 for k in ("imageHeight", "imageWidth")):
        raise DataError(f"{path}: lacks shapes, imagePath, imageHeight or imageWidth; is it a labelme file?")
    return doc


def labelme_names(path: Path, doc: dict) -> list[str]:
    names = []
    for n, shape in enumerate(doc["shapes"]):
        if not isinstance(shape, dict) or not isinstance(shape.get("label"), str):
            raise DataError(f"{path}: shape {n} has no label; fix the file")
        names.append(shape["label"])
    return names


def labelme_labels(path: Path, doc: dict, lookup: dict[str, int]) -> np.ndarray:
    """Class positions (255 where no shape lies); ``lookup``: lower-case name -> position."""
    h, w = doc["imageHeight"], doc["imageWidth"]
    labels = np.full((h, w), UNLABELED, np.uint8)
    for n, shape in enumerate(doc["shapes"]):
        kind = shape.get("shape_type") or "polygon"
        if kind not in AREA_SHAPES:
            raise DataError(f"{path}: shape {n} is a {kind!r}, which covers no area; only polygons and rectangles")
        try:
            xy = np.asarray(shape.get("points"), np.float64).reshape(-1, 2)
        except (TypeError, ValueError):
            raise DataError(f"{path}: shape {n}'s points are not [[x, y], ...]; fix the file") from None
        if len(xy) < (2 if kind == "rectangle" else 3):
            raise DataError(f"{path}: shape {n} has {len(xy)} point(s), too few for a {kind}")
        if not np.isfinite(xy).all() or (xy < 0).any() or (xy[:, 0] > w).any() or (xy[:, 1] > h).any():
            raise DataError(f"{path}: shape {n} ({shape['label']!r}) lies outside the {w}x{h} image; fix the file")
        if kind == "rectangle":
            (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
            xy = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        k = lookup[shape["label"].lower()]
        rle = mask_utils.frPyObjects([xy.ravel().tolist()], h, w)
        labels[mask_utils.decode(mask_utils.merge(rle)).astype(bool)] = k
    return labels
