"""What a project holds besides pixels: its settings, image table, effort and stage
history records, the format version, and the migration of older files."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import h5py
import numpy as np

from .codec import UNLABELED

FORMAT = "labor-desktop-project"
VERSION = 1
EFFORT_FIELDS = ("active_seconds", "clicks", "brush_strokes", "points_labeled")


class ProjectError(Exception):
    """A project that cannot be opened or saved; the message names the file and what to do."""


class SaveError(ProjectError):
    """A save that did not reach the disk; the caller still holds the edits."""


@dataclass
class ProjectSettings:
    classes: list[str] = field(default_factory=list)
    colors: list[list[int]] = field(default_factory=list)  # RGB per class
    source_root: str = ""
    target_root: str = ""
    strategy: str = "ppl"
    stages: int = 3
    model: dict = field(default_factory=dict)  # ModelConfig.to_dict()
    seed: int = 0
    extra: dict = field(default_factory=dict)  # engine settings (budget, training), saved as given

    @classmethod
    def from_dict(cls, d: dict) -> ProjectSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ImageEntry:
    path: str  # relative to the project folder where possible
    height: int
    width: int


@dataclass
class Effort:
    active_seconds: float = 0.0
    clicks: int = 0
    brush_strokes: int = 0
    points_labeled: int = 0


def migrate_v0(path: Path, write_v1) -> Path:
    """Version 0 (the first prototype): full-resolution ``/labels/<id>`` uint8 maps, no
    stage map, settings in a ``settings`` attribute, no effort or history.  A backup copy
    is made first; ``write_v1(labels, settings, images)`` writes the new file in place.
    Labels without a recorded stage count as stage 1."""
    backup = path.with_name(path.name + ".v0.bak")
    if not backup.exists():
        shutil.copy2(path, backup)
    with h5py.File(path, "r") as f:
        settings = ProjectSettings.from_dict(json.loads(f.attrs.get("settings", "{}")))
        images = [
            ImageEntry(p.decode() if isinstance(p, bytes) else str(p), int(h), int(w))
            for p, h, w in zip(f["images/path"][()], f["images/height"][()], f["images/width"][()])
        ]
        labels = {}
        for key in f.get("labels", {}):
            lab = f["labels"][key][()].astype(np.uint8)
            labels[int(key)] = (lab, np.where(lab != UNLABELED, 1, 0).astype(np.uint8))
    write_v1(labels, settings, images)
    return backup
