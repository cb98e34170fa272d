"""What a project holds besides pixels: its settings, image table, effort and stage
history records, the format version, and the migration of older files."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, NoReturn, TypeGuard

import h5py
import numpy as np

from .codec import UNLABELED

FORMAT = "labor-desktop-project"
VERSION = 1
EFFORT_FIELDS = ("active_seconds", "clicks", "brush_strokes", "points_labeled")
MAX_STAGE = 255  # the stage map is uint8
MAX_REGION_SIZE = 4096  # px: a proposal's superpixel size (the engine allows 2..1024)


class ProjectError(Exception):
    """A project that cannot be opened or saved; the message names the file and what to do."""


class JournalDamaged(ProjectError):
    """The journal holds damage that is not a torn tail; ``offset`` is where it starts.  The
    files are left untouched; ``Project.open(path, read_only=True)`` still opens the project
    and ``labor repair PROJECT`` writes a repaired one."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class SaveError(ProjectError):
    """A save that did not reach the disk; the caller still holds the edits.  ``reason``: the
    failure in a few words (e.g. "No space left on device")."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class ProjectSettings:
    classes: list[str] = field(default_factory=list)
    colors: list[list[int]] = field(default_factory=list)  # RGB per class
    source_root: str = ""
    target_root: str = ""
    strategy: str = "ppl"
    stages: int = 3
    model: dict[str, Any] = field(default_factory=dict)  # ModelConfig.to_dict()
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # engine settings (budget, training), saved as given

    @classmethod
    def from_dict(cls, d: object) -> ProjectSettings:
        """Raises ``ValueError`` naming the setting when a value has the wrong type or range."""
        if not isinstance(d, dict):
            raise ValueError(f"settings are {type(d).__name__}, not a JSON object")
        known = {f.name for f in fields(cls)}
        s = cls(**{k: v for k, v in d.items() if k in known})
        s.check()
        return s

    def check(self) -> None:
        def bad(name: str, allowed: str) -> NoReturn:
            raise ValueError(f"setting {name} = {getattr(self, name)!r:.80}: must be {allowed}")

        if not isinstance(self.classes, list) or not all(isinstance(c, str) for c in self.classes):
            bad("classes", "a list of class names")
        if len(self.classes) > 255:
            bad("classes", "at most 255 classes (255 means unlabeled)")
        if not isinstance(self.colors, list) or not all(
            isinstance(c, list) and len(c) == 3 and all(_is_int(v) and 0 <= v <= 255 for v in c) for c in self.colors
        ):
            bad("colors", "a list of [r, g, b] with values 0..255")
        if len(self.colors) > 255:
            bad("colors", "at most 255 colours, one per class")
        for name in ("source_root", "target_root", "strategy"):
            if not isinstance(getattr(self, name), str):
                bad(name, "a string")
        if not _is_int(self.stages) or not 0 <= self.stages <= MAX_STAGE:
            bad("stages", f"an integer in 0..{MAX_STAGE}")
        if not _is_int(self.seed):
            bad("seed", "an integer")
        for name in ("model", "extra"):
            if not isinstance(getattr(self, name), dict):
                bad(name, "a table (JSON object)")
        for key in ("class_table", "data", "experiment"):  # the engine's tables (their contents: its own checks)
            if key in self.extra and not isinstance(self.extra[key], dict):
                raise ValueError(f"setting extra.{key} = {self.extra[key]!r:.60}: must be a table (JSON object)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _is_int(v: object) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


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


def migrate_v0(
    path: Path,
    write_v1: Callable[[dict[int, tuple[np.ndarray, np.ndarray]], ProjectSettings, list[ImageEntry]], None],
) -> Path:
    """Version 0 (the first prototype): full-resolution ``/labels/<id>`` uint8 maps, no
    stage map, settings in a ``settings`` attribute, no effort or history.  Everything is
    read and checked first, then a backup copy is made, then ``write_v1(labels, settings,
    images)`` writes the new file in place.  Labels without a recorded stage count as stage 1."""
    backup = path.with_name(path.name + ".v0.bak")
    if os.path.islink(backup):
        raise ProjectError(f"{backup}: is a symbolic link; remove it, then open the project again")
    with h5py.File(path, "r") as f:
        settings = ProjectSettings.from_dict(json.loads(f.attrs.get("settings", "{}")))
        images = [
            ImageEntry(p.decode() if isinstance(p, bytes) else str(p), int(h), int(w))
            for p, h, w in zip(f["images/path"][()], f["images/height"][()], f["images/width"][()])
        ]
        labels: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for key in f.get("labels", {}):
            lab = f["labels"][key][()].astype(np.uint8)
            entry = images[int(key)]  # check_tables allowed only image ids as names
            if lab.shape != (entry.height, entry.width):
                raise ValueError(
                    f"/labels/{key} is {lab.shape[1]}x{lab.shape[0]}, image {key} is {entry.width}x{entry.height}"
                )
            labels[int(key)] = (lab, np.where(lab != UNLABELED, 1, 0).astype(np.uint8))
    if not backup.exists():  # a file that cannot be migrated gets no backup beside it
        shutil.copy2(path, backup)
    write_v1(labels, settings, images)
    return backup
