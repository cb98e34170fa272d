"""Every save of a project: one fsync-ed journal record each, and the compaction that folds
the journal into a new snapshot.  A base class of ``Project`` (on top of the reading half)
so the checks of what callers hand in live apart from the opening and replaying."""

from __future__ import annotations

import errno
import json
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from . import codec
from .checks import Damaged, check_points
from .codec import UNLABELED
from .files import _reason
from .journal import StaleRecord, same_file
from .locks import rescue_journal, stop_message
from .reading import ProjectReading
from .schema import EFFORT_FIELDS, MAX_REGION_SIZE, MAX_STAGE, Effort, ProjectError, ProjectSettings, SaveError, _is_int
from .tables import _stage
from .writer import write_project

COMPACT_BYTES = 64 << 20  # journal size that triggers a compaction after a save


class ProjectWriting(ProjectReading):
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
        with self._lock:
            self._append_all([self._labels_record(i, labels, stage, effort, effort_stage)])

    def save_many_labels(self, saves: Iterable[tuple[int, np.ndarray, np.ndarray | int]]) -> None:
        """``save_labels`` for each (image, labels, stages), all or none: every one is checked
        before the first is written, and a failed write (a full disk) cuts the journal back to
        where it was, so an import never leaves half its images saved.  (A process killed
        in the middle keeps the images written so far, each whole.)"""
        with self._lock:
            self._append_all([self._labels_record(i, labels, stage) for i, labels, stage in saves])

    def _labels_record(
        self,
        i: int,
        labels: np.ndarray,
        stage: np.ndarray | int,
        effort: dict[str, float] | None = None,
        effort_stage: int | None = None,
    ) -> tuple[bytes, Callable[[int, int], None]]:
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
        rec = self._effort_record(i, effort_stage, effort) if effort else None
        payload = codec.encode_labels(i, labels, stage, extra={"effort": rec} if rec else None)

        labelled = bool((labels != UNLABELED).any())  # not the array: a batch holds only payloads

        def commit(off: int, n: int) -> None:
            self._labels[i] = (off, n)
            (self._erased.discard if labelled else self._erased.add)(i)
            if rec:
                self._apply_effort(i, rec)

        return payload, commit

    def save_proposal(
        self, stage: int, i: int, mask: np.ndarray | None, points: np.ndarray, region_size: int | None = None
    ) -> None:
        """``region_size``: the points are one pixel of each asked superpixel of that size (a
        ``regions`` strategy), so the window can outline and queue the regions themselves."""
        stage, i = _stage(stage), self._index(i)
        if region_size is not None and not (_is_int(region_size) and 1 <= region_size <= MAX_REGION_SIZE):
            raise ValueError(f"region_size of image {i}'s proposal must be an integer in 1..{MAX_REGION_SIZE}")
        entry = self.images[i]
        if mask is not None and np.shape(mask) != (entry.height, entry.width):
            raise ValueError(
                f"proposal mask for image {i} is {mask.shape[1]}x{mask.shape[0]}, the image is {entry.width}x{entry.height}"
            )
        pts = np.asarray(points)
        if pts.size and pts.dtype.kind not in "iu":
            raise ValueError(f"proposed points for image {i} must be integers (y, x, class)")
        pts = pts.reshape(-1, 3)
        try:  # before the cast: 2**32 + 3 must not pass as 3
            check_points(pts, (entry.height, entry.width), len(self.settings.classes), f"image {i}")
        except Damaged as e:
            raise ValueError(str(e)) from None
        pts = pts.astype(np.int32)
        header: dict[str, Any] = {
            "kind": "proposal",
            "stage": int(stage),
            "image": int(i),
            "has_mask": mask is not None,
        }
        if region_size is not None:  # absent otherwise: the record reads as before
            header["region_size"] = int(region_size)
        payload = codec.encode(
            header,
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

    def _apply_effort(self, i: int, rec: dict[str, Any]) -> None:
        self._effort[i] = [rec[k] for k in EFFORT_FIELDS]
        if rec.get("stage") is not None:
            self._stage_effort[int(rec["stage"])] = rec["stage_row"]

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
        self._append_all([(payload, commit)])

    def _append_all(self, records: list[tuple[bytes, Callable[[int, int], None]]]) -> None:
        """Write every record, then commit each to memory; on a failed write none is kept."""
        with self._lock:
            if self._journal is None:
                why = f" ({self.damage.split(';')[0]})" if self.damage else ""
                raise SaveError(f"{self.path}: opened read-only{why}; nothing can be saved")
            self._check_journal()
            try:
                offsets = self._journal.append_all([payload for payload, _ in records])
            except OSError as e:
                hint = "the disk is full" if e.errno == errno.ENOSPC else _reason(e)
                raise SaveError(
                    f"{self.journal_path}: could not save ({hint}). Your edits are kept in memory; "
                    "free space or fix the folder and they will be saved with the next change"
                ) from None
            for (payload, commit), off in zip(records, offsets):
                commit(off, len(payload))
            if self._journal.size > COMPACT_BYTES:
                try:
                    self.compact()
                except SaveError:
                    pass  # the save itself is on disk; the journal keeps growing until a compaction works

    def _check_journal(self) -> None:
        """``SaveError`` (and saving stops) once the journal's name no longer leads to the file
        this writer appends to: its records are written back first, so none is lost."""
        assert self._journal is not None  # a writer
        if self._stopped is None and not same_file(self._journal.fd, self.journal_path):
            self._stopped = stop_message(self.journal_path, rescue_journal(self._journal.fd, self.journal_path))
        if self._stopped is not None:
            raise SaveError(self._stopped)

    # ---- compaction ------------------------------------------------------------
    def compact(self) -> None:
        """Fold the journal into a new HDF5 file that replaces the old one atomically."""
        with self._lock:
            if self._journal is None:
                return
            self._check_journal()
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
                "nothing was lost, the journal still holds every save",
                _reason(e),
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
