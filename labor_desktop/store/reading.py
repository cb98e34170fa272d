"""The state of an open project and everything that reads it.  ``Project`` is split by what
its methods do: this base holds the in-memory state and the reads (any number of threads,
each call returns copies), ``writing.ProjectWriting`` adds the saves, ``project.Project``
the opening, replaying and closing; each part stays small enough to read whole."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from . import codec
from .checks import Damaged, check_points, check_record, label_group, proposal_group, proposal_region_size
from .codec import CodecError
from .files import _identity
from .journal import HEADER, JournalWriter, StaleRecord, read_payload
from .schema import EFFORT_FIELDS, Effort, ImageEntry, ProjectError, ProjectSettings
from .tables import _BAD_CONTENT, _T, _UNREADABLE, _stage


class ProjectReading:
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
        self._stopped: str | None = None  # why saving stopped (the journal was removed or replaced)

    if TYPE_CHECKING:  # defined by ``Project``: opening a snapshot and replaying the journal

        def _open_base(self) -> int: ...
        def _load_base(self, version: int) -> None: ...
        def _replay(self, salvage: bool = False) -> tuple[int, int]: ...

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
        payload = read_payload(self.journal_path, *rec, fd=None if self._journal is None else self._journal.fd)
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
        except _UNREADABLE as e:
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
            points = points_ds[()]
            check_points(points, shape, k, "points")  # before the cast: 2**32 + 3 must not pass as 3
            return mask, points.astype(np.int32)
        except _UNREADABLE as e:
            raise self._content_error(where, self.path, e) from None

    def proposal_region_size(self, stage: int, i: int) -> int | None:
        """The superpixel size a ``regions`` proposal's points stand for (one point per
        asked region); None for other proposals, none at all, or older projects."""
        i, stage = self._index(i), _stage(stage)
        return self._read(lambda: self._read_region_size(stage, i))

    def _read_region_size(self, stage: int, i: int) -> int | None:
        where = f"the stage {stage} proposal of image {i}"
        if (stage, i) in self._proposals:
            return self._payload(self._proposals[(stage, i)], "proposal", i)[1].get("region_size")
        if i not in self._base_proposals.get(stage, ()):
            return None
        try:
            return proposal_region_size(self._base, stage, i)
        except _UNREADABLE as e:
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
