"""The point queue's model: every unlabeled proposed point of the stage in order,
where the annotator is, and the heads-up line that says it all.  Qt-free; the
window moves the view and reads the keys."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..store import UNLABELED

Item = tuple[int, int]  # (image, point index within the image's proposal)


def unlabeled_points(
    n_images: int, points_of: Callable[[int], np.ndarray], labels_of: Callable[[int], np.ndarray]
) -> list[Item]:
    """(image, point) of every proposed point still without a label, in image then point order."""
    items: list[Item] = []
    for i in range(n_images):
        pts = np.asarray(points_of(i)).reshape(-1, 3)
        if len(pts):
            at = labels_of(i)[pts[:, 0], pts[:, 1]]
            items += [(i, int(k)) for k in np.flatnonzero(at == UNLABELED)]
    return items


class QueueModel:
    def __init__(self, items: list[Item]) -> None:
        self.items = list(items)
        self.pos = 0
        self.unsure: set[Item] = set()
        self.labeled = 0
        self.noun = "point"  # "region" where each proposed point stands for its superpixel

    def __len__(self) -> int:
        return len(self.items)

    @property
    def current(self) -> Item:
        return self.items[self.pos]

    def step(self) -> bool:
        """Move on; False at the end."""
        if self.pos + 1 < len(self.items):
            self.pos += 1
            return True
        return False

    def back(self) -> bool:
        if self.pos > 0:
            self.pos -= 1
            return True
        return False

    def heads_up(self, image_name: str, n_images: int, suggestion: tuple[str, float | None] | None) -> str:
        """``point 3/302 · image eastwick_000002 (2/60) · suggestion: road 0.62 · keys``."""
        i, _ = self.current
        parts = [f"{self.noun} {self.pos + 1}/{len(self.items)}", f"image {image_name} ({i + 1}/{n_images})"]
        if suggestion is not None:
            name, p = suggestion
            parts.append(f"suggestion: {name}" + ("" if p is None else f" {p:.2f}"))
            keys = f"[class key] label · Enter accept {name} · Space unsure · Backspace back · Esc stop"
        else:
            keys = "[class key] label · Space unsure · Backspace back · Esc stop"
        if (i, self.current[1]) in self.unsure:
            parts.append("marked unsure")
        return " · ".join([*parts, keys])
