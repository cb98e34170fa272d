"""The project: one HDF5 file (``NAME.labor.h5``) plus its journal
(``NAME.labor.h5.journal``), as decided in ``docs/adr/0001-project-store.md``.

The HDF5 file is only ever replaced whole (written to a temporary file, fsync-ed,
renamed); every save in between is one fsync-ed journal record holding the full
new state of what it saves, so replaying records is idempotent and a torn last
record was never acknowledged.  All file access goes through one lock: any number
of threads may read (each call returns copies), one writes at a time, and no h5py
object ever leaves this class.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path

import h5py
import numpy as np

from . import codec
from .codec import UNLABELED
from .journal import JournalWriter, read_payload, scan
from .schema import (
    EFFORT_FIELDS,
    FORMAT,
    VERSION,
    Effort,
    ImageEntry,
    ProjectError,
    ProjectSettings,
    SaveError,
    migrate_v0,
)
from .writer import LABEL_BLOBS, write_project

try:
    import fcntl
except ImportError:  # Windows: msvcrt's byte-range lock plays the same role
    fcntl = None
    import msvcrt

COMPACT_BYTES = 64 << 20  # journal size that triggers a compaction after a save


class Project:
    def __init__(self, path: Path, read_only: bool) -> None:
        self.path, self.read_only = path, read_only
        self.journal_path = path.with_name(path.name + ".journal")
        self._lock = threading.RLock()
        self._lockfile: int | None = None
        self._base: h5py.File | None = None
        self._journal: JournalWriter | None = None
        self._labels: dict[int, tuple[int, int]] = {}  # image -> journal record
        self._erased: set[int] = set()  # images whose latest record holds no labels
        self._proposals: dict[tuple[int, int], tuple[int, int]] = {}  # (stage, image) -> record
        self.settings = ProjectSettings()
        self.images: list[ImageEntry] = []
        self._effort = np.zeros((0, len(EFFORT_FIELDS)))
        self._stage_effort: dict[int, list[float]] = {}  # stage -> effort totals of that stage
        self._history: dict[int, dict] = {}
        self._unsure: dict[int, dict[int, list[int]]] = {}  # stage -> image -> unsure point indices

    # ---- opening and closing -------------------------------------------------
    @classmethod
    def create(cls, path, settings: ProjectSettings, images: list[ImageEntry], overwrite: bool = False) -> Project:
        """A new project; absolute image paths are stored relative to the project's folder
        where possible (so the folder can move), relative ones are taken as relative to it."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise ProjectError(f"{path}: a file of that name exists; choose another name or remove it first")
        root = path.resolve().parent
        rel = [ImageEntry(_relative(e.path, root), int(e.height), int(e.width)) for e in images]
        n = len(rel)
        try:
            write_project(path, settings, rel, np.zeros((n, len(EFFORT_FIELDS))), {}, {}, {})
        except OSError as e:
            raise SaveError(
                f"{path}: could not create the project ({e.strerror}); is the folder writable and the disk not full?"
            ) from None
        journal = path.with_name(path.name + ".journal")
        if journal.exists():
            journal.unlink()  # a stale journal of a removed project must not replay into this one
        return cls.open(path)

    @classmethod
    def open(cls, path, read_only: bool = False) -> Project:
        project = cls(Path(path), read_only)
        try:
            project._open()
        except BaseException:
            project.close(compact=False)
            raise
        return project

    def _open(self) -> None:
        p = self.path
        if not p.is_file():
            raise ProjectError(f"{p}: no such project file; check the path")
        tmp = p.with_name(p.name + ".tmp")
        if not self.read_only:
            self._take_lock()
            if tmp.exists():
                tmp.unlink()  # an interrupted compaction; the old file and journal are intact
        version = self._open_base()
        if version == 0:
            if self.read_only:
                raise ProjectError(
                    f"{p}: written by an older version; open it once for writing to upgrade it (a backup is kept)"
                )
            self._base.close()
            backup = migrate_v0(p, lambda labels, settings, images: self._write_migrated(labels, settings, images))
            self.migrated_from = (0, backup)
            self._open_base()
        self._load_base()
        self._replay()
        if not self.read_only:
            self._journal = JournalWriter(self.journal_path)

    def _take_lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self._lockfile = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise ProjectError(
                f"{self.path}: cannot write next to the project ({e.strerror}); "
                "open it read-only or move it to a writable folder"
            ) from None
        try:
            if fcntl is not None:
                fcntl.flock(self._lockfile, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                msvcrt.locking(self._lockfile, msvcrt.LK_NBLCK, 1)
        except OSError:
            os.close(self._lockfile)
            self._lockfile = None
            raise ProjectError(
                f"{self.path}: is open in another LabOR Desktop window or process; close it there first"
            ) from None

    def _open_base(self) -> int:
        p = self.path
        try:
            self._base = h5py.File(p, "r")
        except OSError as e:
            raise ProjectError(
                f"{p}: is damaged or not a LabOR Desktop project ({str(e).splitlines()[0][:120]}). "
                "The file was left untouched; restore it from a backup or choose another file"
            ) from None
        attrs = self._base.attrs
        if attrs.get("format") != FORMAT:
            raise ProjectError(f"{p}: is an HDF5 file but not a LabOR Desktop project; it was left untouched")
        version = int(attrs.get("version", -1))
        if version > VERSION:
            raise ProjectError(
                f"{p}: was written by a newer LabOR Desktop (format {version}, this one reads up to "
                f"{VERSION}); update the program to open it"
            )
        if version < 0:
            raise ProjectError(f"{p}: has no format version; it is damaged and was left untouched")
        return version

    def _write_migrated(self, labels, settings, images) -> None:
        n = len(images)
        encoded = {i: codec.encode_labels(i, lab, stg) for i, (lab, stg) in labels.items()}
        write_project(self.path, settings, images, np.zeros((n, len(EFFORT_FIELDS))), {}, encoded, {})

    def _load_base(self) -> None:
        f = self._base
        self.settings = ProjectSettings.from_dict(json.loads(f.attrs["settings"]))
        paths = [p.decode() if isinstance(p, bytes) else str(p) for p in f["images/path"][()]]
        self.images = [
            ImageEntry(p, int(h), int(w)) for p, h, w in zip(paths, f["images/height"][()], f["images/width"][()])
        ]
        self._effort = f["effort"][()].astype(np.float64)
        self._stage_effort = {int(k): v for k, v in json.loads(f.attrs.get("stage_effort", "{}")).items()}
        self._history = {int(k): v for k, v in json.loads(f.attrs["history"]).items()}
        self._unsure = {
            int(s): {int(i): [int(k) for k in ks] for i, ks in per_image.items()}
            for s, per_image in json.loads(f.attrs.get("unsure", "{}")).items()
        }

    def _replay(self) -> None:
        if not self.journal_path.exists():
            return
        result = scan(self.journal_path)
        if result.torn and not self.read_only:
            with open(self.journal_path, "r+b") as f:  # the torn tail was never acknowledged
                f.truncate(result.valid_end)
                os.fsync(f.fileno())
        for off, length in result.offsets:
            self._apply(codec.decode_header(result.data, off), off, length)

    def _apply(self, header: dict, off: int, length: int) -> None:
        kind = header["kind"]
        if kind == "labels":
            self._labels[header["image"]] = (off, length)
            (self._erased.add if header["bbox"] is None else self._erased.discard)(header["image"])
            if "effort" in header:  # the edit's effort travels in the same record
                self._apply_effort(header["image"], header["effort"])
        elif kind == "proposal":
            self._proposals[(header["stage"], header["image"])] = (off, length)
        elif kind == "effort":
            self._apply_effort(header["image"], header)
        elif kind == "unsure":
            self._unsure.setdefault(int(header["stage"]), {})[int(header["image"])] = list(header["points"])
        elif kind == "history":
            self._history[int(header["stage"])] = header["entry"]
        elif kind == "settings":
            self.settings = ProjectSettings.from_dict(header["settings"])

    def _apply_effort(self, i: int, rec: dict) -> None:
        self._effort[i] = [rec[k] for k in EFFORT_FIELDS]
        if rec.get("stage") is not None:
            self._stage_effort[int(rec["stage"])] = rec["stage_row"]

    def close(self, compact: bool = True) -> None:
        with self._lock:
            if compact and self._journal is not None and self._journal.size > 0:
                try:
                    self.compact()
                except ProjectError:
                    pass  # the journal keeps everything; the next open replays it
            if self._journal is not None:
                self._journal.close()
                self._journal = None
            if self._base is not None:
                self._base.close()
                self._base = None
            if self._lockfile is not None:
                os.close(self._lockfile)
                self._lockfile = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- reading ---------------------------------------------------------------
    def image_path(self, i: int) -> Path:
        p = Path(self.images[i].path)
        return p if p.is_absolute() else (self.path.resolve().parent / p)

    def labels(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(labels uint8 [H, W], 255 = unlabeled; stage uint8 [H, W], 0 = unlabeled)."""
        with self._lock:
            return self._read_labels(i)

    def labels_snapshot(self, ids=None) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Labels of many images read under one lock hold: a consistent snapshot."""
        with self._lock:
            ids = self.labeled_images() if ids is None else ids
            return {i: self._read_labels(i) for i in ids}

    def labeled_images(self) -> list[int]:
        with self._lock:
            base = {int(k) for k in self._base.get("labels", {})}
            return sorted((base | set(self._labels)) - self._erased)

    def _read_labels(self, i: int):
        entry = self.images[i]
        if i in self._labels:
            header, blobs = codec.decode(read_payload(self.journal_path, *self._labels[i]))
            return codec.decode_labels(header, blobs)
        g = self._base.get(f"labels/{i}")
        header = {
            "shape": [entry.height, entry.width],
            "bbox": None if g is None else [int(v) for v in g.attrs["bbox"]],
        }
        blobs = [] if g is None else [g[name][()].tobytes() for name in LABEL_BLOBS]
        return codec.decode_labels(header, blobs)

    def proposal(self, stage: int, i: int) -> tuple[np.ndarray | None, np.ndarray]:
        """(mask bool [H, W] or None, points int [N, 3] rows (y, x, class))."""
        with self._lock:
            shape = (self.images[i].height, self.images[i].width)
            if (stage, i) in self._proposals:
                header, blobs = codec.decode(read_payload(self.journal_path, *self._proposals[(stage, i)]))
                mask = codec.unpack_mask(blobs[0], shape) if header["has_mask"] else None
                return mask, np.frombuffer(blobs[1], np.int32).reshape(-1, 3).copy()
            g = self._base.get(f"proposals/{stage}/{i}")
            if g is None:
                return None, np.zeros((0, 3), np.int32)
            mask = codec.unpack_mask(g["mask"][()].tobytes(), shape) if "mask" in g else None
            return mask, g["points"][()].astype(np.int32)

    def proposal_stages(self) -> list[int]:
        with self._lock:
            return sorted({int(k) for k in self._base.get("proposals", {})} | {s for s, _ in self._proposals})

    def effort(self, i: int) -> Effort:
        with self._lock:
            row = self._effort[i]
            return Effort(float(row[0]), int(row[1]), int(row[2]), int(row[3]))

    def history(self) -> list[dict]:
        with self._lock:
            return [dict(self._history[s], stage=s) for s in sorted(self._history)]

    # ---- writing ---------------------------------------------------------------
    def save_labels(
        self,
        i: int,
        labels: np.ndarray,
        stage: np.ndarray | int,
        effort: dict | None = None,
        effort_stage: int | None = None,
    ) -> None:
        """Store the full label state of image ``i``; returns once it is on disk.  ``effort``
        (deltas of ``EFFORT_FIELDS``) is added in the same record: one fsync per edit."""
        i = int(i)
        entry = self.images[i]
        labels = np.asarray(labels)
        if labels.shape != (entry.height, entry.width):
            raise ValueError(
                f"labels for image {i} ({entry.path}) are {labels.shape[1]}x{labels.shape[0]}, "
                f"the image is {entry.width}x{entry.height}"
            )
        labels = labels.astype(np.uint8, copy=False)
        k = len(self.settings.classes)
        if k and np.any((labels >= k) & (labels != UNLABELED)):
            raise ValueError(
                f"labels for image {i} hold class ids >= {k} (the project has {k} classes; 255 = unlabeled)"
            )
        stage = np.broadcast_to(np.asarray(stage, np.uint8), labels.shape)
        stage = np.where(labels == UNLABELED, 0, stage).astype(np.uint8)
        with self._lock:
            rec = self._effort_record(i, effort_stage, effort) if effort else None
            payload = codec.encode_labels(i, labels, stage, extra={"effort": rec} if rec else None)

            def commit(off, n):
                self._labels[i] = (off, n)
                (self._erased.discard if (labels != UNLABELED).any() else self._erased.add)(i)
                if rec:
                    self._apply_effort(i, rec)

            self._append(payload, commit)

    def _effort_record(self, i: int, stage: int | None, deltas: dict) -> dict:
        """Image ``i``'s effort counters (and ``stage``'s totals) after adding ``deltas``."""
        unknown = set(deltas) - set(EFFORT_FIELDS)
        if unknown:
            raise ValueError(f"unknown effort fields {sorted(unknown)}; use {EFFORT_FIELDS}")
        delta = np.array([deltas.get(name, 0) for name in EFFORT_FIELDS], np.float64)
        row = self._effort[i] + delta
        rec: dict = {**{n: float(v) for n, v in zip(EFFORT_FIELDS, row)}, "stage": None}
        if stage is not None:
            before = np.array(self._stage_effort.get(int(stage), [0.0] * len(EFFORT_FIELDS)))
            rec.update(stage=int(stage), stage_row=(before + delta).tolist())
        return rec

    def unsure(self, stage: int, i: int) -> list[int]:
        """Indices of the stage's proposed points on image ``i`` the annotator marked unsure."""
        with self._lock:
            return list(self._unsure.get(int(stage), {}).get(int(i), []))

    def unsure_count(self, stage: int) -> int:
        with self._lock:
            return sum(len(v) for v in self._unsure.get(int(stage), {}).values())

    def set_unsure(self, stage: int, i: int, points: list[int]) -> None:
        """Replace image ``i``'s unsure points of ``stage``."""
        stage, i = int(stage), int(i)
        n = len(self.proposal(stage, i)[1])
        pts = sorted({int(k) for k in points})
        if any(not 0 <= k < n for k in pts):
            raise ValueError(f"unsure points {pts} of image {i}: stage {stage} proposed {n} points there")
        self._append(
            codec.encode({"kind": "unsure", "stage": stage, "image": i, "points": pts}),
            lambda off, n: self._unsure.setdefault(stage, {}).__setitem__(i, pts),
        )

    def save_proposal(self, stage: int, i: int, mask: np.ndarray | None, points: np.ndarray) -> None:
        stage, i = int(stage), int(i)
        entry = self.images[i]
        if mask is not None and mask.shape != (entry.height, entry.width):
            raise ValueError(
                f"proposal mask for image {i} is {mask.shape[1]}x{mask.shape[0]}, the image is {entry.width}x{entry.height}"
            )
        pts = np.asarray(points, np.int32).reshape(-1, 3)
        payload = codec.encode(
            {"kind": "proposal", "stage": int(stage), "image": int(i), "has_mask": mask is not None},
            codec.pack_mask(mask) if mask is not None else b"",
            pts.tobytes(),
        )
        self._append(payload, lambda off, n: self._proposals.__setitem__((int(stage), int(i)), (off, n)))

    def stage_effort(self, stage: int) -> Effort:
        """The effort spent while ``stage`` was the current stage, over all images."""
        with self._lock:
            row = self._stage_effort.get(int(stage), [0.0] * len(EFFORT_FIELDS))
            return Effort(float(row[0]), int(row[1]), int(row[2]), int(row[3]))

    def add_effort(self, i: int, stage: int | None = None, **deltas) -> Effort:
        """Add to image ``i``'s effort counters (and to ``stage``'s totals when given)."""
        i = int(i)
        with self._lock:
            rec = self._effort_record(i, stage, deltas)
            self._append(codec.encode({"kind": "effort", "image": i, **rec}), lambda off, n: self._apply_effort(i, rec))
            return self.effort(i)

    def record_stage(self, stage: int, entry: dict) -> None:
        """The stage's history entry (labels used, per-class IoU, timings, checkpoint path and hash)."""
        entry = json.loads(json.dumps(entry))  # plain JSON only
        self._append(
            codec.encode({"kind": "history", "stage": int(stage), "entry": entry}),
            lambda off, n: self._history.__setitem__(int(stage), entry),
        )

    def update_settings(self, settings: ProjectSettings) -> None:
        self._append(
            codec.encode({"kind": "settings", "settings": settings.to_dict()}),
            lambda off, n: setattr(self, "settings", settings),
        )

    def _append(self, payload: bytes, commit) -> None:
        with self._lock:
            if self._journal is None:
                raise SaveError(f"{self.path}: opened read-only; nothing can be saved")
            try:
                off = self._journal.append(payload)
            except OSError as e:
                hint = "the disk is full" if e.errno == errno.ENOSPC else e.strerror or str(e)
                raise SaveError(
                    f"{self.journal_path}: could not save ({hint}). Your edits are kept in memory; "
                    "free space or fix the folder and they will be saved with the next change"
                ) from None
            commit(off, len(payload))
            if self._journal.size > COMPACT_BYTES:
                try:
                    self.compact()
                except SaveError:
                    pass  # the save itself is on disk; the journal keeps growing until a compaction works

    # ---- compaction ------------------------------------------------------------
    def compact(self) -> None:
        """Fold the journal into a new HDF5 file that replaces the old one atomically."""
        with self._lock:
            if self._journal is None:
                return
            labels = {i: read_payload(self.journal_path, *rec) for i, rec in self._labels.items()}
            proposals = {key: read_payload(self.journal_path, *rec) for key, rec in self._proposals.items()}
            try:
                write_project(
                    self.path,
                    self.settings,
                    self.images,
                    self._effort,
                    self._history,
                    labels,
                    proposals,
                    base=self._base,
                    stage_effort=self._stage_effort,
                    unsure=self._unsure,
                )
            except OSError as e:
                raise SaveError(
                    f"{self.path}: could not compact the project ({e.strerror}); "
                    "nothing was lost, the journal still holds every save"
                ) from None
            self._base.close()
            self._base = h5py.File(self.path, "r")
            self._journal.truncate(0)
            self._labels.clear()
            self._erased.clear()
            self._proposals.clear()


def _relative(path: str, root: Path) -> str:
    p = Path(path)
    if not p.is_absolute():
        return str(p)
    try:
        return os.path.relpath(p, root)
    except ValueError:  # another drive
        return str(p)
