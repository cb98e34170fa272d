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


def version_0_file(path, labels=None):
    """A project as the first prototype wrote it: one 6x4 image, ``labels`` (``{"0": map}``)."""
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["format"] = "labor-desktop-project"
        f.attrs["version"] = 0
        f["images/path"] = np.array(["x.png"], dtype=h5py.string_dtype())
        f["images/height"] = np.array([4])
        f["images/width"] = np.array([6])
        for key, lab in (labels or {}).items():
            f[f"labels/{key}"] = lab
    return path


def uncuttable_appends(monkeypatch):
    """The journal's next append writes half its record and then fails, and cutting the
    journal back fails too (undo with ``monkeypatch.undo()``)."""
    import errno
    import os

    from labor_desktop.store import journal as journal_mod

    real_write = os.write

    def half(fd, data):
        real_write(fd, data[: len(data) // 2])
        raise OSError(errno.EIO, "I/O error")

    def no_trunc(fd, n):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(journal_mod.os, "write", half)
    monkeypatch.setattr(journal_mod.os, "ftruncate", no_trunc)
