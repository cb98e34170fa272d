"""A small project with ten saved records, shared by the store's damage tests."""

import numpy as np

from labor_desktop.store import ImageEntry, Project, ProjectSettings

SETTINGS = ProjectSettings(classes=[f"c{i}" for i in range(19)])
H, W = 20, 30


def make(tmp_path, n=10):
    return Project.create(tmp_path / "p.labor.h5", SETTINGS, [ImageEntry(f"im{i}.png", H, W) for i in range(n)])


def labels_of(i):
    lab = np.full((H, W), 255, np.uint8)
    lab[i, : i + 1] = i % 19
    return lab


def ten_saves(tmp_path):
    p = make(tmp_path)
    for i in range(10):
        p.save_labels(i, labels_of(i), 1)
    p.close(compact=False)
    return tmp_path / "p.labor.h5", tmp_path / "p.labor.h5.journal"
