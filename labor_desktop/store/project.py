"""The project: one HDF5 file (``NAME.labor.h5``) plus its journal
(``NAME.labor.h5.journal``), as decided in ``docs/adr/0001-project-store.md``.

The HDF5 file is only ever replaced whole (written to a temporary file, fsync-ed,
renamed); every save in between is one fsync-ed journal record holding the full
new state of what it saves, so replaying records is idempotent and a torn last
record was never acknowledged.  All file access goes through one lock: any number
of threads may read (each call returns copies), one writes at a time, and no h5py
object ever leaves this class.

Nothing read from disk is trusted: the snapshot's structure is checked before it is
read (``checks``), every journal record before it is applied, every payload again
(frame CRC, kind and image id) when it is read back.  A damaged journal is never
cut or compacted except for a torn tail; ``repair`` writes a new project from every
intact record and keeps the originals beside it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard, TypeVar

import h5py
import numpy as np

from . import codec
from .checks import (
    Damaged,
    check_effort,
    check_image_table,
    check_points,
    check_record,
    check_tables,
    label_group,
    proposal_group,
)
from .codec import UNLABELED, CodecError
from .journal import HEADER, JournalWriter, StaleRecord, open_nofollow, read_payload, refuse_link, scan
from .schema import (
    EFFORT_FIELDS,
    FORMAT,
    MAX_STAGE,
    VERSION,
    Effort,
    ImageEntry,
    JournalDamaged,
    ProjectError,
    ProjectSettings,
    SaveError,
    _is_int,
    migrate_v0,
)
from .writer import write_project

if sys.platform == "win32":  # msvcrt's byte-range lock plays the role of fcntl's flock
    import msvcrt
else:
    import fcntl

COMPACT_BYTES = 64 << 20  # journal size that triggers a compaction after a save
_T = TypeVar("_T")
_BAD_CONTENT = (Damaged, CodecError, ValueError, KeyError, TypeError, IndexError, OverflowError, MemoryError)


class Project:
    def __init__(self, path: Path, read_only: bool) -> None:
        self.path, self.read_only = path, read_only
        self.journal_path = path.with_name(path.name + ".journal")
        self._lock = threading.RLock()
        self._lockfile: int | None = None
        self._base: h5py.File | None = None
        self._base_labels: set[int] = set()  # images with labels in the snapshot
        self._base_proposals: dict[int, set[int]] = {}  # stage -> images with proposals in the snapshot
        self._identity: tuple[int, int, int, int] | None = None  # the snapshot file's identity when it was opened
        self._journal: JournalWriter | None = None
        self._labels: dict[int, tuple[int, int]] = {}  # image -> journal record
        self._erased: set[int] = set()  # images whose latest record holds no labels
        self._proposals: dict[tuple[int, int], tuple[int, int]] = {}  # (stage, image) -> record
        self.settings = ProjectSettings()
        self.images: list[ImageEntry] = []
        self._effort = np.zeros((0, len(EFFORT_FIELDS)))
        self._stage_effort: dict[int, list[float]] = {}  # stage -> effort totals of that stage
        self._history: dict[int, dict[str, Any]] = {}
        self._shapes: list[tuple[int, int]] = []
        self._unsure: dict[int, dict[int, list[int]]] = {}  # stage -> image -> unsure point indices
        self.generation = 0  # how many compactions the snapshot has been through
        self.damage: str | None = None  # read-only view of a damaged journal: what is wrong and the fix

    # ---- opening and closing -------------------------------------------------
    @classmethod
    def create(
        cls, path: str | os.PathLike[str], settings: ProjectSettings, images: list[ImageEntry], overwrite: bool = False
    ) -> Project:
        """A new project; absolute image paths are stored relative to the project's folder
        where possible (so the folder can move), relative ones are taken as relative to it.
        The lock is taken first, so a project open elsewhere is never replaced."""
        path = Path(path)
        refuse_link(path)
        if path.exists() and not overwrite:
            raise ProjectError(f"{path}: a file of that name exists; choose another name or remove it first")
        settings.check()
        root = path.resolve().parent
        rel = [ImageEntry(_relative(e.path, root), int(e.height), int(e.width)) for e in images]
        try:
            check_image_table(np.array([e.height for e in rel], np.int64), np.array([e.width for e in rel], np.int64))
        except Damaged as e:
            raise ValueError(str(e)) from None
        n = len(rel)
        project = cls(path, read_only=False)
        try:
            project._take_lock()
            try:
                write_project(path, settings, rel, np.zeros((n, len(EFFORT_FIELDS))), {}, {}, {})
            except Exception as e:
                raise SaveError(
                    f"{path}: could not create the project ({_reason(e)}); is the folder writable and the disk not full?"
                ) from None
            if os.path.lexists(project.journal_path):
                os.unlink(project.journal_path)  # a stale journal of a removed project must not replay into this one
            project._open(locked=True)
        except BaseException:
            project.close(compact=False)
            raise
        return project

    @classmethod
    def open(cls, path: str | os.PathLike[str], read_only: bool = False) -> Project:
        """Raises ``ProjectError`` (one line: the file, what is wrong, what to do) for anything
        that is not an intact project; ``JournalDamaged`` when the journal holds damage that
        is not a torn tail (then ``read_only=True`` opens it, with ``damage`` set)."""
        project = cls(Path(path), read_only)
        try:
            project._open()
        except BaseException:
            project.close(compact=False)
            raise
        return project

    def _open(self, locked: bool = False) -> None:
        p = self.path
        refuse_link(p)
        if not p.is_file():
            raise ProjectError(f"{p}: no such project file; check the path")
        tmp = p.with_name(p.name + ".tmp")
        if not self.read_only:
            if not locked:
                self._take_lock()
            if os.path.lexists(tmp):
                os.unlink(tmp)  # an interrupted compaction; the old file and journal are intact
        version = self._open_base()
        if version == 0:
            if self.read_only:
                raise ProjectError(
                    f"{p}: written by an older version; open it once for writing to upgrade it (a backup is kept)"
                )
            self._load_base(0)
            assert self._base is not None  # _open_base opened it
            self._base.close()
            try:
                backup = migrate_v0(p, lambda labels, settings, images: self._write_migrated(labels, settings, images))
            except ProjectError:
                raise
            except _BAD_CONTENT as e:
                raise self._damaged(e) from None
            self.migrated_from = (0, backup)
            self._open_base()
        self._load_base(1)
        if not self.read_only:
            try:
                self._journal = JournalWriter(self.journal_path)
            except OSError as e:
                raise ProjectError(
                    f"{self.journal_path}: cannot be written ({_reason(e)}); "
                    "open the project read-only, or make the file and its folder writable"
                ) from None
        self._replay()

    def _take_lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self._lockfile = open_nofollow(lock_path, os.O_RDWR | os.O_CREAT)
        except OSError as e:
            raise ProjectError(
                f"{self.path}: cannot write next to the project ({_reason(e)}); "
                "open it read-only or move it to a writable folder"
            ) from None
        try:
            if sys.platform == "win32":
                msvcrt.locking(self._lockfile, msvcrt.LK_NBLCK, 1)
            else:
                fcntl.flock(self._lockfile, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._lockfile)
            self._lockfile = None
            raise ProjectError(
                f"{self.path}: is open in another LabOR Desktop window or process; close it there first"
            ) from None

    def _damaged(self, what: object) -> ProjectError:
        return ProjectError(
            f"{self.path}: is damaged or not a LabOR Desktop project ({str(what).splitlines()[0][:160]}). "
            "The file was left untouched; restore it from a backup or choose another file"
        )

    def _open_base(self) -> int:
        p = self.path
        refuse_link(p)
        try:
            self._identity = _identity(p)
            self._base = h5py.File(p, "r")
        except Exception as e:  # h5py raises OSError, sometimes RuntimeError or ValueError
            raise self._damaged(e) from None
        try:
            attrs = self._base.attrs
            fmt = attrs.get("format")
            version = attrs.get("version", -1)
            if fmt != FORMAT:
                raise ProjectError(f"{p}: is an HDF5 file but not a LabOR Desktop project; it was left untouched")
            version = int(version)
        except ProjectError:
            raise
        except Exception as e:
            raise self._damaged(e) from None
        if version > VERSION:
            raise ProjectError(
                f"{p}: was written by a newer LabOR Desktop (format {version}, this one reads up to "
                f"{VERSION}); update the program to open it"
            )
        if version < 0:
            raise ProjectError(f"{p}: has no format version; it is damaged and was left untouched")
        return version

    def _write_migrated(
        self,
        labels: dict[int, tuple[np.ndarray, np.ndarray]],
        settings: ProjectSettings,
        images: list[ImageEntry],
    ) -> None:
        n = len(images)
        encoded = {i: codec.encode_labels(i, lab, stg) for i, (lab, stg) in labels.items()}
        write_project(self.path, settings, images, np.zeros((n, len(EFFORT_FIELDS))), {}, encoded, {})

    def _load_base(self, version: int) -> None:
        """Check the snapshot's structure, then read its small tables."""
        f = self._base
        assert f is not None  # _open_base opened it
        try:
            _, self._base_labels, self._base_proposals = check_tables(f, version)
            if version == 0:
                return
            settings = ProjectSettings.from_dict(json.loads(f.attrs["settings"]))
            paths = [p.decode() if isinstance(p, bytes) else str(p) for p in f["images/path"][()]]
            heights, widths = f["images/height"][()], f["images/width"][()]
            check_image_table(heights, widths)
            effort = f["effort"][()].astype(np.float64)
            check_effort(effort)
            stage_effort = _stage_table(json.loads(f.attrs.get("stage_effort", "{}")), "stage_effort", _effort_row)
            history = _stage_table(json.loads(f.attrs["history"]), "history", _is_table)
            generation = int(f.attrs.get("generation", 0))
            unsure = _unsure_table(json.loads(f.attrs.get("unsure", "{}")), len(paths))
        except ProjectError:
            raise
        except _BAD_CONTENT as e:
            raise self._damaged(e) from None
        self.settings = settings
        self.images = [ImageEntry(p, int(h), int(w)) for p, h, w in zip(paths, heights, widths)]
        self._effort, self._stage_effort, self._history, self.generation = effort, stage_effort, history, generation
        self._unsure = unsure
        self._shapes = [(e.height, e.width) for e in self.images]

    def _replay(self, salvage: bool = False) -> tuple[int, int]:
        """Apply the journal; returns (records applied, records skipped as damaged).  A damaged
        record followed by intact ones (or an intact frame whose content is invalid) refuses
        opening for writing; read-only (and ``salvage``, for ``repair``) applies every intact
        record and sets ``damage``."""
        if not os.path.lexists(self.journal_path):
            return 0, 0
        try:
            result = scan(self.journal_path)
        except OSError as e:
            raise ProjectError(f"{self.journal_path}: cannot be read ({_reason(e)}); check its permissions") from None
        shapes = self._shapes
        damage, reason, applied = result.damage, "a record's length or checksum does not hold", 0
        later = list(result.later)
        for k, (off, length) in enumerate(result.offsets):
            try:
                self._apply(codec.decode_header(result.data, off, length), off, length, shapes)
                applied += 1
            except _BAD_CONTENT as e:
                damage, reason = off - HEADER.size, str(e)
                later = result.offsets[k + 1 :] + later
                break
        if damage is None:
            if result.torn and self._journal is not None:
                self._journal.truncate(result.valid_end)  # the torn tail was never acknowledged
            return applied, 0
        message = (
            f"{self.journal_path}: damaged at byte {damage} ({reason[:120]}), {len(later)} intact record(s) after it. "
            f"The files were left untouched; run `labor repair {self.path}` to write a repaired project from every "
            "intact record (the originals are kept beside it), or open the project read-only"
        )
        if not (self.read_only or salvage):
            raise JournalDamaged(message, damage)
        self.damage = message
        skipped = 1
        for off, length in later:
            try:
                self._apply(codec.decode_header(result.data, off, length), off, length, shapes)
                applied += 1
            except _BAD_CONTENT:
                skipped += 1
        return applied, skipped

    def _apply(self, header: dict[str, Any], off: int, length: int, shapes: list[tuple[int, int]]) -> None:
        """Apply one record; raises (and changes nothing) when its header is not valid."""
        check_record(header, shapes)
        kind = header["kind"]
        if kind == "labels":
            self._labels[header["image"]] = (off, length)
            (self._erased.add if header["bbox"] is None else self._erased.discard)(header["image"])
            if header.get("effort") is not None:  # the edit's effort travels in the same record
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

    def _apply_effort(self, i: int, rec: dict[str, Any]) -> None:
        self._effort[i] = [rec[k] for k in EFFORT_FIELDS]
        if rec.get("stage") is not None:
            self._stage_effort[int(rec["stage"])] = rec["stage_row"]

    def close(self, compact: bool = True) -> None:
        with self._lock:
            try:
                if compact and self._journal is not None and self._journal.size > 0:
                    try:
                        self.compact()
                    except ProjectError:
                        pass  # the journal keeps everything; the next open replays it
            finally:  # whatever happened, this process lets go of the files
                if self._journal is not None:
                    self._journal.close()
                    self._journal = None
                if self._base is not None:
                    try:
                        self._base.close()
                    except Exception:
                        pass
                    self._base = None
                if self._lockfile is not None:
                    os.close(self._lockfile)
                    self._lockfile = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- staying current (readers of a project another process writes) ------
    def _reload(self) -> None:
        if self._base is not None:
            self._base.close()
            self._base = None
        self._labels.clear()
        self._erased.clear()
        self._proposals.clear()
        self.damage = None
        self._load_base(self._open_base())
        self._replay()

    def _read(self, fn: Callable[[], _T]) -> _T:
        """Run a read; a read-only project that sees the snapshot replaced (a compaction by the
        writer) or a remembered record changed reloads and reads again."""
        with self._lock:
            for attempt in range(3):
                if self.read_only and _identity(self.path) not in (None, self._identity):
                    self._reload()
                try:
                    return fn()
                except StaleRecord as e:
                    if not self.read_only or attempt == 2:
                        raise ProjectError(
                            f"{e}; the journal was changed behind this program's back. Close and reopen the project"
                        ) from None
                    self._reload()
        raise AssertionError("unreachable: the third attempt returns or raises")

    def _index(self, i: object) -> int:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"an image index must be an integer, not {type(i).__name__}")
        if not 0 <= int(i) < len(self.images):
            raise IndexError(f"image {int(i)} is not in this project (it has images 0..{len(self.images) - 1})")
        return int(i)

    def _payload(self, rec: tuple[int, int], kind: str, image: int) -> tuple[bytes, dict[str, Any], list[bytes]]:
        """The record at ``rec`` (frame CRC checked again) decoded, after checking it is the
        ``kind`` record of ``image`` with a valid header."""
        payload = read_payload(self.journal_path, *rec)
        try:
            header, blobs = codec.decode(payload)
        except CodecError as e:
            raise StaleRecord(f"{self.journal_path}: the record at byte {rec[0] - HEADER.size} {e}") from None
        if header.get("kind") != kind or header.get("image") != image:
            raise StaleRecord(f"{self.journal_path}: the record at byte {rec[0] - HEADER.size} is not the one expected")
        try:
            check_record(header, self._shapes)
        except Damaged as e:
            raise self._content_error(f"the {kind} record of image {image}", self.journal_path, e) from None
        return payload, header, blobs

    def _content_error(self, what: str, where: Path, e: Exception) -> ProjectError:
        return ProjectError(
            f"{where}: {what} is damaged ({str(e)[:160]}); nothing was changed. "
            f"Run `labor repair {self.path}` or restore the project from a backup"
        )

    # ---- reading ---------------------------------------------------------------
    def image_path(self, i: int) -> Path:
        p = Path(self.images[self._index(i)].path)
        return p if p.is_absolute() else (self.path.resolve().parent / p)

    def labels(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(labels uint8 [H, W], 255 = unlabeled; stage uint8 [H, W], 0 = unlabeled)."""
        i = self._index(i)
        return self._read(lambda: self._read_labels(i))

    def labels_snapshot(self, ids: Iterable[int] | None = None) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Labels of many images read under one lock hold: a consistent snapshot."""

        def read() -> dict[int, tuple[np.ndarray, np.ndarray]]:
            chosen = self._labeled() if ids is None else [self._index(i) for i in ids]
            return {i: self._read_labels(i) for i in chosen}

        return self._read(read)

    def labeled_images(self) -> list[int]:
        return self._read(self._labeled)

    def _labeled(self) -> list[int]:
        return sorted((self._base_labels | set(self._labels)) - self._erased)

    def _read_labels(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        entry = self.images[i]
        shape = (entry.height, entry.width)
        k = len(self.settings.classes)
        if i in self._labels:
            _, header, blobs = self._payload(self._labels[i], "labels", i)
            try:
                return codec.decode_labels(header, blobs, k)
            except _BAD_CONTENT as e:
                raise self._content_error(f"the labels of image {i}", self.journal_path, e) from None
        if i not in self._base_labels:
            return codec.decode_labels({"shape": list(shape), "bbox": None}, [])
        try:
            box, datasets = label_group(self._base, i, shape)
            return codec.decode_labels({"shape": list(shape), "bbox": box}, [d[()].tobytes() for d in datasets], k)
        except _BAD_CONTENT as e:
            raise self._content_error(f"the labels of image {i}", self.path, e) from None

    def proposal(self, stage: int, i: int) -> tuple[np.ndarray | None, np.ndarray]:
        """(mask bool [H, W] or None, points int [N, 3] rows (y, x, class))."""
        i, stage = self._index(i), _stage(stage)
        return self._read(lambda: self._read_proposal(stage, i))

    def _read_proposal(self, stage: int, i: int) -> tuple[np.ndarray | None, np.ndarray]:
        shape = (self.images[i].height, self.images[i].width)
        k = len(self.settings.classes)
        where = f"the stage {stage} proposal of image {i}"
        if (stage, i) in self._proposals:
            _, header, blobs = self._payload(self._proposals[(stage, i)], "proposal", i)
            try:
                if header.get("stage") != stage or len(blobs) != 2 or len(blobs[1]) % 12:
                    raise Damaged("the record does not hold a mask and a points table")
                mask = codec.unpack_mask(blobs[0], shape) if header["has_mask"] else None
                points = np.frombuffer(blobs[1], np.int32).reshape(-1, 3).copy()
                check_points(points, shape, k, "points")
                return mask, points
            except _BAD_CONTENT as e:
                raise self._content_error(where, self.journal_path, e) from None
        if i not in self._base_proposals.get(stage, ()):
            return None, np.zeros((0, 3), np.int32)
        try:
            mask_ds, points_ds = proposal_group(self._base, stage, i)
            mask = None if mask_ds is None else codec.unpack_mask(mask_ds[()].tobytes(), shape)
            points = points_ds[()].astype(np.int32)
            check_points(points, shape, k, "points")
            return mask, points
        except _BAD_CONTENT as e:
            raise self._content_error(where, self.path, e) from None

    def proposal_stages(self) -> list[int]:
        return self._read(lambda: sorted(set(self._base_proposals) | {s for s, _ in self._proposals}))

    def effort(self, i: int) -> Effort:
        i = self._index(i)
        with self._lock:
            row = self._effort[i]
            return Effort(float(row[0]), int(row[1]), int(row[2]), int(row[3]))

    def history(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(self._history[s], stage=s) for s in sorted(self._history)]

    # ---- writing ---------------------------------------------------------------
    def save_labels(
        self,
        i: int,
        labels: np.ndarray,
        stage: np.ndarray | int,
        effort: dict[str, float] | None = None,
        effort_stage: int | None = None,
    ) -> None:
        """Store the full label state of image ``i``; returns once it is on disk.  ``labels``:
        integers, each a class id 0..K-1 or 255 (unlabeled); ``stage``: integers 0..255.
        Anything else raises ``ValueError`` and nothing is saved.  ``effort`` (deltas of
        ``EFFORT_FIELDS``, to ``effort_stage``'s totals too) goes in the same record: one
        fsync per edit."""
        i = self._index(i)
        entry = self.images[i]
        labels = np.asarray(labels)
        if labels.shape != (entry.height, entry.width):
            raise ValueError(
                f"labels for image {i} ({entry.path}) are {labels.shape[1] if labels.ndim > 1 else '?'}x"
                f"{labels.shape[0] if labels.ndim else '?'}, the image is {entry.width}x{entry.height}"
            )
        if labels.dtype.kind not in "iu":
            raise ValueError(
                f"labels for image {i} are {labels.dtype}; class ids must be integers (0..K-1, 255 = unlabeled)"
            )
        k = len(self.settings.classes) or 255
        bad = (labels != UNLABELED) & ((labels < 0) | (labels >= k))
        if bad.any():
            raise ValueError(
                f"labels for image {i} hold class id {int(labels[bad][0])}: allowed are 0..{k - 1} "
                f"(the project has {k} classes) and 255 = unlabeled"
            )
        labels = labels.astype(np.uint8)
        stage = np.asarray(stage)
        if stage.dtype.kind not in "iu" or (stage.size and (stage.min() < 0 or stage.max() > MAX_STAGE)):
            raise ValueError(f"stages for image {i} must be integers in 0..{MAX_STAGE}")
        try:
            stage = np.broadcast_to(stage, labels.shape)
        except ValueError:
            raise ValueError(f"stages for image {i} are {stage.shape}, the labels {labels.shape}") from None
        stage = np.where(labels == UNLABELED, 0, stage).astype(np.uint8)
        with self._lock:
            rec = self._effort_record(i, effort_stage, effort) if effort else None
            payload = codec.encode_labels(i, labels, stage, extra={"effort": rec} if rec else None)

            def commit(off: int, n: int) -> None:
                self._labels[i] = (off, n)
                (self._erased.discard if (labels != UNLABELED).any() else self._erased.add)(i)
                if rec:
                    self._apply_effort(i, rec)

            self._append(payload, commit)

    def save_proposal(self, stage: int, i: int, mask: np.ndarray | None, points: np.ndarray) -> None:
        stage, i = _stage(stage), self._index(i)
        entry = self.images[i]
        if mask is not None and np.shape(mask) != (entry.height, entry.width):
            raise ValueError(
                f"proposal mask for image {i} is {mask.shape[1]}x{mask.shape[0]}, the image is {entry.width}x{entry.height}"
            )
        pts = np.asarray(points)
        if pts.size and pts.dtype.kind not in "iu":
            raise ValueError(f"proposed points for image {i} must be integers (y, x, class)")
        pts = pts.astype(np.int32).reshape(-1, 3)
        try:
            check_points(pts, (entry.height, entry.width), len(self.settings.classes), f"image {i}")
        except Damaged as e:
            raise ValueError(str(e)) from None
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

    def add_effort(self, i: int, stage: int | None = None, **deltas: float) -> Effort:
        """Add to image ``i``'s effort counters (and to ``stage``'s totals when given)."""
        i = self._index(i)
        with self._lock:
            rec = self._effort_record(i, stage, deltas)
            self._append(codec.encode({"kind": "effort", "image": i, **rec}), lambda off, n: self._apply_effort(i, rec))
            return self.effort(i)

    def _effort_record(self, i: int, stage: int | None, deltas: dict[str, float]) -> dict[str, Any]:
        """Image ``i``'s effort counters (and ``stage``'s totals) after adding ``deltas``;
        ``ValueError`` for an unknown field or a counter that would turn negative or infinite."""
        unknown = set(deltas) - set(EFFORT_FIELDS)
        if unknown:
            raise ValueError(f"unknown effort fields {sorted(unknown)}; use {EFFORT_FIELDS}")
        stage = None if stage is None else _stage(stage)
        delta = np.array([deltas.get(name, 0) for name in EFFORT_FIELDS], np.float64)
        row = self._effort[i] + delta
        stage_row = None
        if stage is not None:
            stage_row = (np.array(self._stage_effort.get(stage, [0.0] * len(EFFORT_FIELDS))) + delta).tolist()
        if not np.isfinite(delta).all() or (row < 0).any() or (stage_row is not None and min(stage_row) < 0):
            raise ValueError(f"effort of image {i}: {deltas} would make a counter negative or not finite")
        rec: dict[str, Any] = {**{n: float(v) for n, v in zip(EFFORT_FIELDS, row)}, "stage": None}
        if stage is not None:
            rec.update(stage=stage, stage_row=stage_row)
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
        stage, i = _stage(stage), self._index(i)
        n = len(self.proposal(stage, i)[1])
        pts = sorted({int(k) for k in points})
        if any(not 0 <= k < n for k in pts):
            raise ValueError(f"unsure points {pts} of image {i}: stage {stage} proposed {n} points there")
        self._append(
            codec.encode({"kind": "unsure", "stage": stage, "image": i, "points": pts}),
            lambda off, n: self._unsure.setdefault(stage, {}).__setitem__(i, pts),
        )

    def record_stage(self, stage: int, entry: dict[str, Any]) -> None:
        """The stage's history entry (labels used, per-class IoU, timings, checkpoint path and hash)."""
        stage = _stage(stage)
        entry = json.loads(json.dumps(entry))  # plain JSON only
        if not isinstance(entry, dict):
            raise ValueError(f"the history entry of stage {stage} must be a dict")
        self._append(
            codec.encode({"kind": "history", "stage": stage, "entry": entry}),
            lambda off, n: self._history.__setitem__(stage, entry),
        )

    def update_settings(self, settings: ProjectSettings) -> None:
        settings.check()
        self._append(
            codec.encode({"kind": "settings", "settings": settings.to_dict()}),
            lambda off, n: setattr(self, "settings", settings),
        )

    def _append(self, payload: bytes, commit: Callable[[int, int], None]) -> None:
        with self._lock:
            if self._journal is None:
                why = f" ({self.damage.split(';')[0]})" if self.damage else ""
                raise SaveError(f"{self.path}: opened read-only{why}; nothing can be saved")
            try:
                off = self._journal.append(payload)
            except OSError as e:
                hint = "the disk is full" if e.errno == errno.ENOSPC else _reason(e)
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
            self._write_snapshot()
            self._journal.truncate(0)
            self._labels.clear()
            self._erased.clear()
            self._proposals.clear()

    def _write_snapshot(self) -> None:
        """The current state as a new snapshot (``generation`` + 1), reopened as the base.
        Every payload and every copied group is checked first: a damaged one stops it."""
        labels = {i: self._verified(rec, "labels", i) for i, rec in self._labels.items()}
        proposals = {key: self._verified(rec, "proposal", key[1]) for key, rec in self._proposals.items()}
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
                generation=self.generation + 1,
            )
        except Damaged as e:
            raise self._content_error("a stored object", self.path, e) from None
        except Exception as e:  # OSError; h5py raises RuntimeError on a full disk
            raise SaveError(
                f"{self.path}: could not compact the project ({_reason(e)}); "
                "nothing was lost, the journal still holds every save"
            ) from None
        assert self._base is not None  # the snapshot just replaced; open since _open_base
        self._base.close()
        self._base = None
        self._load_base(self._open_base())

    def _verified(self, rec: tuple[int, int], kind: str, image: int) -> bytes:
        try:
            return self._payload(rec, kind, image)[0]
        except StaleRecord as e:
            raise ProjectError(
                f"{e}; the journal was changed behind this program's back. Nothing was changed"
            ) from None


@dataclass(frozen=True)
class RepairReport:
    path: Path  # the repaired project
    kept: dict[str, Path]  # the originals, renamed beside it
    applied: int  # journal records applied
    skipped: int  # damaged stretches and invalid records left out
    damage: str | None  # what was wrong (None: the journal was intact)


def repair(path: str | os.PathLike[str]) -> RepairReport:
    """Write a new project from the snapshot and every intact journal record (resynchronising
    on the next valid frame after damage), keeping the originals beside it as
    ``NAME.labor.h5.before-repair-<time>`` (and ``.journal.before-repair-<time>``).
    Takes the lock: the project must not be open elsewhere.  A kill at any moment leaves
    either the old project or the repaired one plus the kept originals."""
    p = Project(Path(path), read_only=True)
    p.read_only = False  # hold the lock, but replay as salvage (nothing is cut or refused)
    try:
        refuse_link(p.path)
        if not p.path.is_file():
            raise ProjectError(f"{p.path}: no such project file; check the path")
        p._take_lock()
        if p._open_base() == 0:
            raise ProjectError(f"{p.path}: written by an older version; open it once to upgrade it, then repair")
        p._load_base(1)
        applied, skipped = p._replay(salvage=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept: dict[str, Path] = {}
        for name, src in (("project", p.path), ("journal", p.journal_path)):
            if os.path.lexists(src):
                dst = _free_name(src.with_name(f"{src.name}.before-repair-{stamp}"))
                kept[name] = dst
        try:
            _link_or_copy(p.path, kept["project"])  # the original snapshot stays; a new one replaces it
            p._write_snapshot()
            if "journal" in kept:
                os.replace(p.journal_path, kept["journal"])
        except ProjectError:
            raise
        except OSError as e:
            raise SaveError(
                f"{p.path}: could not write the repaired project ({_reason(e)}); nothing was lost"
            ) from None
        return RepairReport(p.path, kept, applied, skipped, p.damage)
    finally:
        p.close(compact=False)


def _free_name(path: Path) -> Path:
    candidate, k = path, 1
    while os.path.lexists(candidate):
        candidate, k = path.with_name(f"{path.name}.{k}"), k + 1
    return candidate


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _reason(e: Exception) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return (str(e).splitlines() or [type(e).__name__])[0][:160]


def _stage(stage: object) -> int:
    if not (_is_int(stage) or isinstance(stage, np.integer)) or not 0 <= int(stage) <= MAX_STAGE:
        raise ValueError(f"stage {stage!r} is not an integer in 0..{MAX_STAGE}")
    return int(stage)


def _effort_row(v: object) -> TypeGuard[list[float]]:
    return (
        isinstance(v, list)
        and len(v) == len(EFFORT_FIELDS)
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) and x >= 0 for x in v)
    )


def _unsure_table(d: object, n_images: int) -> dict[int, dict[int, list[int]]]:
    """The snapshot's unsure points: ``{stage: {image: [point, ...]}}``, every id checked."""
    if not isinstance(d, dict):
        raise ValueError("unsure is not a JSON object")
    out: dict[int, dict[int, list[int]]] = {}
    for s, per_image in d.items():
        if not isinstance(per_image, dict):
            raise ValueError(f"unsure of stage {s} is not a JSON object")
        stage = _stage(int(s))
        for i, ks in per_image.items():
            image = int(i)
            if not 0 <= image < n_images or not isinstance(ks, list) or not all(isinstance(k, int) for k in ks):
                raise ValueError(f"unsure of stage {stage}, image {i}: not a list of point indices")
            out.setdefault(stage, {})[image] = ks
    return out


def _is_table(v: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(v, dict)


def _stage_table(d: object, name: str, valid: Callable[[object], TypeGuard[_T]]) -> dict[int, _T]:
    """A ``{"<stage>": value}`` JSON attribute, checked."""
    if not isinstance(d, dict):
        raise Damaged(f"the {name} attribute is not a JSON object")
    out: dict[int, _T] = {}
    for k, v in d.items():
        if not (k.isdigit() and k.isascii() and int(k) <= MAX_STAGE) or not valid(v):
            raise Damaged(f"the {name} attribute holds an invalid entry {k!r}")
        out[int(k)] = v
    return out


def _relative(path: str, root: Path) -> str:
    p = Path(path)
    if not p.is_absolute():
        return str(p)
    try:
        return os.path.relpath(p, root)
    except ValueError:  # another drive
        return str(p)
