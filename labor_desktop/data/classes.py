"""The Cityscapes label tables: the 19 train classes with their official colours,
and every label id with the train id it maps to (255 = ignored in training and
evaluation), as ``cityscapesscripts/helpers/labels.py`` defines them."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

IGNORE = 255


class Label(NamedTuple):
    name: str
    id: int
    train_id: int
    color: tuple[int, int, int]


LABELS: tuple[Label, ...] = (
    Label("unlabeled", 0, IGNORE, (0, 0, 0)),
    Label("ego vehicle", 1, IGNORE, (0, 0, 0)),
    Label("rectification border", 2, IGNORE, (0, 0, 0)),
    Label("out of roi", 3, IGNORE, (0, 0, 0)),
    Label("static", 4, IGNORE, (0, 0, 0)),
    Label("dynamic", 5, IGNORE, (111, 74, 0)),
    Label("ground", 6, IGNORE, (81, 0, 81)),
    Label("road", 7, 0, (128, 64, 128)),
    Label("sidewalk", 8, 1, (244, 35, 232)),
    Label("parking", 9, IGNORE, (250, 170, 160)),
    Label("rail track", 10, IGNORE, (230, 150, 140)),
    Label("building", 11, 2, (70, 70, 70)),
    Label("wall", 12, 3, (102, 102, 156)),
    Label("fence", 13, 4, (190, 153, 153)),
    Label("guard rail", 14, IGNORE, (180, 165, 180)),
    Label("bridge", 15, IGNORE, (150, 100, 100)),
    Label("tunnel", 16, IGNORE, (150, 120, 90)),
    Label("pole", 17, 5, (153, 153, 153)),
    Label("polegroup", 18, IGNORE, (153, 153, 153)),
    Label("traffic light", 19, 6, (250, 170, 30)),
    Label("traffic sign", 20, 7, (220, 220, 0)),
    Label("vegetation", 21, 8, (107, 142, 35)),
    Label("terrain", 22, 9, (152, 251, 152)),
    Label("sky", 23, 10, (70, 130, 180)),
    Label("person", 24, 11, (220, 20, 60)),
    Label("rider", 25, 12, (255, 0, 0)),
    Label("car", 26, 13, (0, 0, 142)),
    Label("truck", 27, 14, (0, 0, 70)),
    Label("bus", 28, 15, (0, 60, 100)),
    Label("caravan", 29, IGNORE, (0, 0, 90)),
    Label("trailer", 30, IGNORE, (0, 0, 110)),
    Label("train", 31, 16, (0, 80, 100)),
    Label("motorcycle", 32, 17, (0, 0, 230)),
    Label("bicycle", 33, 18, (119, 11, 32)),
    Label("license plate", -1, IGNORE, (0, 0, 142)),
)

TRAIN_LABELS: tuple[Label, ...] = tuple(sorted((l for l in LABELS if l.train_id != IGNORE), key=lambda l: l.train_id))
NUM_CLASSES = len(TRAIN_LABELS)  # 19
CLASS_NAMES: tuple[str, ...] = tuple(l.name for l in TRAIN_LABELS)
CLASS_COLORS = np.array([l.color for l in TRAIN_LABELS], dtype=np.uint8)  # [19, 3] RGB
LABEL_IDS = frozenset(l.id for l in LABELS if l.id >= 0)  # ids a labelIds file may hold
TRAIN_TO_LABEL_ID = np.array([l.id for l in TRAIN_LABELS], dtype=np.uint8)
ID = {l.name: l.id for l in LABELS}  # label id by name, for writers of label-id maps


def _id_to_train_lut() -> np.ndarray:
    lut = np.full(256, IGNORE, dtype=np.uint8)
    for label in LABELS:
        if label.id >= 0:
            lut[label.id] = label.train_id
    return lut


ID_TO_TRAIN = _id_to_train_lut()  # index with a uint8 label-id map


def label_ids_to_train_ids(label_ids: np.ndarray) -> np.ndarray:
    """Map a Cityscapes label-id map to train ids (ids without a train class -> 255)."""
    return ID_TO_TRAIN[label_ids]


def colorize(train_ids: np.ndarray, ignore_color=(0, 0, 0)) -> np.ndarray:
    """RGB picture of a train-id map in the official colours."""
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[:] = ignore_color
    lut[:NUM_CLASSES] = CLASS_COLORS
    return lut[train_ids]
