"""What an import folder holds, per format: one ``Source`` per labelled image (the label
file, the name its image is matched by, and how to read its class positions), plus the
class names the folder uses that the project's class table lacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

import numpy as np

from ....data.class_table import ClassTable
from ....data.folders import LABEL_SUFFIX
from ....data.io import DataError, read_label
from .coco import ANNOTATIONS, coco_categories, coco_images, coco_labels, read_coco
from .labelme import labelme_labels, labelme_names, read_labelme
from .mask_png import LABELMAP, MASKS, read_labelmap, read_mask

TRAIN_IDS, LABEL_IDS = "_gtFine_labelTrainIds.png", "_gtFine_labelIds.png"


@dataclass
class Source:
    file: str  # the label file (for COCO: the JSON and the image's file_name), for messages
    name: str  # relative path without suffix, matched against the project's images
    read: Callable[[], np.ndarray]  # class positions uint8 [H, W], 255 = not labelled
    size: tuple[int, int] | None = None  # (height, width) the file states, when it states one


def _rel(path: Path, root: Path, suffix: str) -> str:
    rel = path.relative_to(root).as_posix()
    return rel[: -len(suffix)] if suffix and rel.endswith(suffix) else str(PurePosixPath(rel).with_suffix(""))


def _files(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.rglob(pattern) if p.is_file() and not p.is_symlink())


def cityscapes_sources(root: Path, table: ClassTable) -> tuple[list[Source], list[str]]:
    """``*_gtFine_labelTrainIds.png`` (the table's ids), ``*_gtFine_labelIds.png`` (label ids:
    Cityscapes' table only; skipped where a train-id twin exists) and ``*_label.png``."""
    out = []
    trains = {str(p)[: -len(TRAIN_IDS)] for p in _files(root, "*" + TRAIN_IDS)}
    for path in _files(root, "*.png"):
        s = str(path)
        if s.endswith(TRAIN_IDS) or (s.endswith(LABEL_SUFFIX) and not s.endswith("_label_color.png")):
            suffix = TRAIN_IDS if s.endswith(TRAIN_IDS) else LABEL_SUFFIX
            out.append(Source(s, _rel(path, root, suffix), _reader(path, "table", table)))
        elif s.endswith(LABEL_IDS) and s[: -len(LABEL_IDS)] not in trains:
            if not table.is_cityscapes():
                raise DataError(
                    f"{path}: holds Cityscapes label ids, which the class table {table.source} cannot read; "
                    "give *_gtFine_labelTrainIds.png in the table's ids"
                )
            out.append(Source(s, _rel(path, root, LABEL_IDS), _reader(path, "label_ids", table)))
    return [_strip_gtfine(x) for x in out], []


def _strip_gtfine(source: Source) -> Source:
    parts = PurePosixPath(source.name).parts
    source.name = str(PurePosixPath(*parts[1:])) if parts[:1] == ("gtFine",) and len(parts) > 1 else source.name
    return source


def _reader(path: Path, kind: str, table: ClassTable) -> Callable[[], np.ndarray]:
    return lambda: read_label(path, kind, table.id_map)


def mask_png_sources(root: Path, table: ClassTable) -> tuple[list[Source], list[str]]:
    colors, unknown = read_labelmap(root / LABELMAP, list(table.names))
    masks = root / MASKS
    if not masks.is_dir():
        raise DataError(f"{masks}: not found; a Segmentation mask 1.1 folder has SegmentationClass/")
    out = []
    for path in _files(masks, "*.png"):
        out.append(Source(str(path), _rel(path, masks, ""), partial(read_mask, path, colors, unknown)))
    return out, []  # a label of the labelmap the table lacks is refused where a mask uses it


def coco_file(root: Path) -> Path:
    """The COCO JSON: ``--from`` itself, ``annotations/instances_default.json``, or the one
    ``*.json`` in the folder or its ``annotations/``."""
    if root.is_file():
        return root
    if (root / ANNOTATIONS).is_file():
        return root / ANNOTATIONS
    found = sorted(root.glob("*.json")) + sorted(root.glob("annotations/*.json"))
    found = [p for p in found if p.name != "labor-export.json"]
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise DataError(f"{root}: {what} COCO JSON files found; give the file itself with --from")
    return found[0]


def coco_sources(root: Path, table: ClassTable) -> tuple[list[Source], list[str]]:
    path = coco_file(root)
    doc = read_coco(path)
    categories, unknown = coco_categories(path, doc, list(table.names))
    images = coco_images(path, doc)
    anns: dict[int, list[dict]] = {i: [] for i in images}
    used_unknown = set()
    names = {c["id"]: c["name"] for c in doc["categories"]}
    for ann in doc.get("annotations") or []:
        if not isinstance(ann, dict) or ann.get("image_id") not in anns:
            raise DataError(f"{path}: annotation {str(ann)[:60]} names no image of the file; fix it")
        if ann.get("category_id") not in categories:
            if ann.get("category_id") not in names:
                raise DataError(f"{path}: annotation {ann.get('id')} has category {ann.get('category_id')}, not listed")
            used_unknown.add(names[ann["category_id"]])
        anns[ann["image_id"]].append(ann)
    out = []
    for i, im in images.items():
        name = str(PurePosixPath(im["file_name"].replace("\\", "/")).with_suffix(""))
        read = lambda im=im, i=i: coco_labels(path, im, anns[i], categories)  # noqa: E731
        out.append(Source(f"{path} ({im['file_name']})", name, read, (im["height"], im["width"])))
    del unknown  # listed only where an annotation uses one
    return out, sorted(used_unknown)


def labelme_sources(root: Path, table: ClassTable) -> tuple[list[Source], list[str]]:
    lookup = {n.lower(): k for k, n in enumerate(table.names)}
    out, unknown = [], set()
    for path in _files(root, "*.json"):
        if path.name == "labor-export.json":
            continue
        doc = read_labelme(path)
        unknown |= {n for n in labelme_names(path, doc) if n.lower() not in lookup}
        name = _rel(path, root, "")
        read = lambda path=path, doc=doc: labelme_labels(path, doc, lookup)  # noqa: E731
        out.append(Source(str(path), name, read, (doc["imageHeight"], doc["imageWidth"])))
    return out, sorted(unknown)


SOURCES = {
    "cityscapes": cityscapes_sources,
    "mask-png": mask_png_sources,
    "coco": coco_sources,
    "labelme": labelme_sources,
}
