"""``points.csv``: every labelled pixel as one row (image, path, y, x, class, class_id,
stage, unsure), the sparse labels PPL produced, for trainers that take point
supervision.  ``class_id`` is the class table's label value; stage 0 is "prior"
(imported labels); ``unsure`` is 1 where the annotator marked that proposed point."""

from __future__ import annotations

import csv
import io

import numpy as np

from ....store import UNLABELED

POINTS = "points.csv"
FIELDS = ("image", "path", "y", "x", "class", "class_id", "stage", "unsure")


class PointsWriter:
    def __init__(self, names: list[str], to_ids: np.ndarray) -> None:
        self.names, self.to_ids = names, to_ids
        self.text = io.StringIO(newline="")
        self.writer = csv.writer(self.text)
        self.writer.writerow(FIELDS)

    def add(self, i: int, path: str, labels: np.ndarray, stage: np.ndarray, unsure: set[tuple[int, int, int]]) -> None:
        """``unsure``: (stage, y, x) of the points marked unsure on this image."""
        ys, xs = np.nonzero(labels != UNLABELED)
        for y, x in zip(ys.tolist(), xs.tolist()):
            k, s = int(labels[y, x]), int(stage[y, x])
            mark = int((s, y, x) in unsure)
            self.writer.writerow((i, path, y, x, self.names[k], int(self.to_ids[k]), s, mark))

    def data(self) -> bytes:
        return self.text.getvalue().encode()
