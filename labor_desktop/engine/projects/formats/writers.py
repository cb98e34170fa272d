"""The export's per-format writers (``cityscapes`` stays in ``export``): each gets every
labelled image and returns the files to write (name relative to the export folder, bytes);
``export`` writes them (atomically, no links followed) and lists them in its manifest."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import numpy as np

from ....data.class_table import ClassTable
from ....store import Project
from ..export import export_name
from . import EXPORT_FORMATS
from .coco import ANNOTATIONS, CocoWriter
from .mask_png import IMAGE_SET, LABELMAP, MASKS, check_colors, encode_mask, labelmap_text
from .points import POINTS, PointsWriter

FIXED_NAMES = (LABELMAP, IMAGE_SET, ANNOTATIONS, POINTS)  # what a re-export may remove, besides...
PER_IMAGE_FOLDER = MASKS  # ...the masks under SegmentationClass/


def item_name(stem: str, image_path: str) -> str:
    """``train/aachen/aachen_000000_000019_leftImg8bit`` from the export stem
    ``gtFine/train/aachen/aachen_000000_000019`` and the image's own name; a stem made
    unique (``_image7``) is kept as it is."""
    rel = PurePosixPath(stem)
    parts = rel.parts[1:] if rel.parts[:1] == ("gtFine",) and len(rel.parts) > 1 else rel.parts
    unique = parts[-1] != export_name(image_path)  # made unique: a.png and a.jpg in one folder
    last = parts[-1] if unique else Path(image_path.replace("\\", "/")).stem
    return str(PurePosixPath(*parts[:-1], last))


class _Writer:
    def __init__(self, project: Project, table: ClassTable, colors: np.ndarray) -> None:
        self.project, self.table, self.colors = project, table, colors
        self.names = list(project.settings.classes)

    def file_of(self, i: int, stem: str) -> str:
        raise NotImplementedError

    def add(self, i: int, stem: str, labels: np.ndarray, stage: np.ndarray) -> list[tuple[str, bytes]]:
        return []

    def finish(self) -> list[tuple[str, bytes]]:
        return []


class MaskPngWriter(_Writer):
    def __init__(self, project: Project, table: ClassTable, colors: np.ndarray) -> None:
        super().__init__(project, table, colors)
        check_colors(self.names, colors[: len(self.names)])
        self.items: list[str] = []

    def file_of(self, i: int, stem: str) -> str:
        return f"{MASKS}/{item_name(stem, self.project.images[i].path)}.png"

    def add(self, i, stem, labels, stage):
        self.items.append(item_name(stem, self.project.images[i].path))
        return [(self.file_of(i, stem), encode_mask(labels, self.colors[: len(self.names)]))]

    def finish(self):
        sets = "".join(f"{item}\n" for item in self.items).encode()
        return [(LABELMAP, labelmap_text(self.names, self.colors[: len(self.names)]).encode()), (IMAGE_SET, sets)]


class CocoExportWriter(_Writer):
    def __init__(self, project: Project, table: ClassTable, colors: np.ndarray) -> None:
        super().__init__(project, table, colors)
        self.coco = CocoWriter(self.names)

    def file_of(self, i: int, stem: str) -> str:
        return ANNOTATIONS

    def add(self, i, stem, labels, stage):
        self.coco.add(item_name(stem, self.project.images[i].path) + Path(self.project.images[i].path).suffix, labels)
        return []

    def finish(self):
        return [(ANNOTATIONS, self.coco.data())]


class PointsExportWriter(_Writer):
    def __init__(self, project: Project, table: ClassTable, colors: np.ndarray) -> None:
        super().__init__(project, table, colors)
        self.points = PointsWriter(self.names, table.class_to_id())
        self.stages = project.proposal_stages()

    def file_of(self, i: int, stem: str) -> str:
        return POINTS

    def add(self, i, stem, labels, stage):
        unsure = set()
        for s in self.stages:
            marked = self.project.unsure(s, i)
            if marked:
                pts = self.project.proposal(s, i)[1]
                unsure |= {(s, int(pts[k, 0]), int(pts[k, 1])) for k in marked}
        self.points.add(i, self.project.images[i].path, labels, stage, unsure)
        return []

    def finish(self):
        return [(POINTS, self.points.data())]


WRITERS = {"mask-png": MaskPngWriter, "coco": CocoExportWriter, "points": PointsExportWriter}


def format_writer(fmt: str, project: Project, table: ClassTable, colors: np.ndarray) -> _Writer | None:
    """The writer of ``fmt`` (None for ``cityscapes``, which ``export`` writes itself)."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    return None if fmt == "cityscapes" else WRITERS[fmt](project, table, colors)
