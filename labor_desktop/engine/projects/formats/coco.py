"""COCO (``annotations/instances_default.json``, CVAT's name for it): ``images`` (ids
from 1, ``file_name``, size), ``categories`` (the class table: id = position + 1, name),
and one annotation per image and class whose ``segmentation`` is a compressed RLE from
``pycocotools`` (``iscrowd`` 0, as COCO-stuff writes its stuff classes, so trainers do
not skip them).  Unlabelled pixels belong to no annotation.  Reading takes RLE
(compressed or not) and polygons, through ``pycocotools`` too."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from ....data.io import DataError, read_json
from ....store import UNLABELED

ANNOTATIONS = "annotations/instances_default.json"


class CocoWriter:
    """Collects images and annotations while the export walks the project."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.images: list[dict] = []
        self.annotations: list[dict] = []

    def add(self, file_name: str, labels: np.ndarray) -> None:
        image_id = len(self.images) + 1
        h, w = labels.shape
        self.images.append({"id": image_id, "file_name": file_name, "height": h, "width": w})
        for k in np.unique(labels).tolist():
            if k == UNLABELED:
                continue
            rle = mask_utils.encode(np.asfortranarray(labels == k, dtype=np.uint8))
            self.annotations.append(
                {
                    "id": len(self.annotations) + 1,
                    "image_id": image_id,
                    "category_id": k + 1,
                    "segmentation": {"size": [h, w], "counts": rle["counts"].decode("ascii")},
                    "area": int(mask_utils.area(rle)),
                    "bbox": [float(v) for v in mask_utils.toBbox(rle)],
                    "iscrowd": 0,
                }
            )

    def data(self) -> bytes:
        categories = [{"id": k + 1, "name": n, "supercategory": ""} for k, n in enumerate(self.names)]
        doc = {
            "info": {"description": "LabOR Desktop export"},
            "licenses": [],
            "categories": categories,
            "images": self.images,
            "annotations": self.annotations,
        }
        return json.dumps(doc).encode()


def read_coco(path: Path) -> dict:
    doc = read_json(path, "COCO file")
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), list) for k in ("images", "categories")):
        raise DataError(f"{path}: has no 'images' and 'categories' lists; is it a COCO annotation file?")
    return doc


def coco_categories(path: Path, doc: dict, names: list[str]) -> tuple[dict[int, int], list[str]]:
    """(category id -> class position, category names not in the class table)."""
    lookup = {n.lower(): k for k, n in enumerate(names)}
    out: dict[int, int] = {}
    unknown: list[str] = []
    for c in doc["categories"]:
        if not isinstance(c, dict) or not isinstance(c.get("id"), int) or not isinstance(c.get("name"), str):
            raise DataError(f"{path}: a category is not {{'id': int, 'name': str}} ({str(c)[:60]}); fix the file")
        if c["name"].lower() in lookup:
            out[c["id"]] = lookup[c["name"].lower()]
        else:
            unknown.append(c["name"])
    return out, unknown


def coco_images(path: Path, doc: dict) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for im in doc["images"]:
        ok = isinstance(im, dict) and isinstance(im.get("id"), int) and isinstance(im.get("file_name"), str)
        if not ok or not all(isinstance(im.get(k), int) and im[k] > 0 for k in ("height", "width")):
            raise DataError(f"{path}: an image entry lacks id, file_name, height or width ({str(im)[:60]}); fix it")
        out[im["id"]] = im
    return out


def coco_labels(path: Path, image: dict, anns: list[dict], categories: dict[int, int]) -> np.ndarray:
    """One image's class positions (255 where no annotation lies); later annotations are
    drawn over earlier ones.  A polygon outside the image is refused, never clipped."""
    h, w = image["height"], image["width"]
    labels = np.full((h, w), UNLABELED, np.uint8)
    where = f"{path}: image {image['file_name']!r}"
    for ann in anns:
        segm = ann.get("segmentation")
        cat = ann.get("category_id")
        if cat not in categories:
            continue  # an unknown category: listed (and refused) by the caller
        if isinstance(segm, list):
            for poly in segm:
                if not isinstance(poly, list) or len(poly) < 6 or len(poly) % 2:
                    raise DataError(f"{where}: annotation {ann.get('id')} has a polygon of fewer than 3 points")
                xy = np.asarray(poly, np.float64).reshape(-1, 2)
                if (xy < 0).any() or (xy[:, 0] > w).any() or (xy[:, 1] > h).any():
                    raise DataError(
                        f"{where}: annotation {ann.get('id')} has a polygon outside the {w}x{h} image; fix the file"
                    )
            rle = mask_utils.merge(mask_utils.frPyObjects(segm, h, w)) if segm else None
        elif isinstance(segm, dict) and isinstance(segm.get("size"), list) and "counts" in segm:
            if list(segm["size"]) != [h, w]:
                raise DataError(
                    f"{where}: annotation {ann.get('id')}'s mask is {segm['size'][1]}x{segm['size'][0]}, "
                    f"the image {w}x{h}; the sizes must agree"
                )
            rle = mask_utils.frPyObjects(segm, h, w) if isinstance(segm["counts"], list) else segm
            if isinstance(rle["counts"], str):
                rle = {"size": rle["size"], "counts": rle["counts"].encode("ascii")}
        else:
            raise DataError(f"{where}: annotation {ann.get('id')} has no polygon or RLE segmentation; fix the file")
        if rle is None:
            continue
        try:
            mask = mask_utils.decode(rle).astype(bool)
        except (ValueError, TypeError, UnicodeError) as e:
            raise DataError(f"{where}: annotation {ann.get('id')}'s RLE does not decode ({e}); fix the file") from None
        labels[mask] = categories[cat]
    return labels
