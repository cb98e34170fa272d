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


def _cell(text: str) -> str:
    """One CSV cell as ``csv`` writes it (quoted where needed)."""
    out = io.StringIO(newline="")
    csv.writer(out).writerow((text,))
    return out.getvalue().rstrip("\r\n")


class PointsWriter:
    def __init__(self, names: list[str], to_ids: np.ndarray) -> None:
        self.names, self.to_ids = names, to_ids
        self.text = io.StringIO(newline="")
        self.writer = csv.writer(self.text)
        self.writer.writerow(FIELDS)

    def add(self, i: int, path: str, labels: np.ndarray, stage: np.ndarray, unsure: set[tuple[int, int, int]]) -> None:
        """``unsure``: (stage, y, x) of the points marked unsure on this image."""
        ys, xs = np.nonzero(labels != UNLABELED)
        ks, ss = labels[ys, xs], stage[ys, xs]
        marks = np.zeros(len(ys), np.int64)
        if unsure:
            where = {(y, x): s for s, y, x in unsure}
            marks = np.array(
                [int(where.get((y, x), -1) == s) for y, x, s in zip(ys.tolist(), xs.tolist(), ss.tolist())]
            )
        cell = io.StringIO(newline="")  # the image and path cells: the same on every row of the image
        csv.writer(cell).writerow((i, path))
        prefix = cell.getvalue().rstrip("\r\n") + ","
        names = [_cell(n) for n in self.names]
        ids = self.to_ids.tolist()
        self.text.write(
            "".join(
                f"{prefix}{y},{x},{names[k]},{ids[k]},{s},{m}\r\n"
                for y, x, k, s, m in zip(ys.tolist(), xs.tolist(), ks.tolist(), ss.tolist(), marks.tolist())
            )
        )

    def data(self) -> bytes:
        return self.text.getvalue().encode()
