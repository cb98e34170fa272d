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

import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from . import codec
from .checks import Damaged, check_effort, check_global_heaps, check_image_table, check_record, check_tables
from .files import _identity, _reason, _relative
from .journal import HEADER, JournalWriter, refuse_link, scan
from .locks import drop_lock_file, open_locked_journal, take_lock_file
from .schema import (
    EFFORT_FIELDS,
    FORMAT,
    VERSION,
    ImageEntry,
    JournalDamaged,
    ProjectError,
    ProjectSettings,
    SaveError,
    migrate_v0,
)
from .tables import _BAD_CONTENT, _UNREADABLE, _effort_row, _is_table, _stage_table, _unsure_table
from .writer import remove_leftover, write_project
from .writing import ProjectWriting


class Project(ProjectWriting):
    """An open project: the reads (``reading``), the saves (``writing``) and, here, opening,
    replaying the journal and closing."""

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
        try:  # Python ints (object arrays): a side of 2**70 is a message, not an OverflowError
            check_image_table(np.array([e.height for e in rel], object), np.array([e.width for e in rel], object))
        except Damaged as e:
            raise ValueError(str(e)) from None
        n = len(rel)
        project = cls(path, read_only=False)
        made_lock = not os.path.lexists(path.with_name(path.name + ".lock"))
        try:
            project._take_lock()
            stale = open_locked_journal(path, project.journal_path, create=False)  # refused if a writer holds it
            project._journal = None if stale is None else JournalWriter(project.journal_path, stale)
            try:
                write_project(path, settings, rel, np.zeros((n, len(EFFORT_FIELDS))), {}, {}, {})
            except Exception as e:
                raise SaveError(
                    f"{path}: could not create the project ({_reason(e)}); is the folder writable and the disk not full?"
                ) from None
            if project._journal is not None:
                project._journal.truncate(0)  # a stale journal of a removed project must not replay into this one
            project._open(locked=True)
        except BaseException:
            if made_lock and project._lockfile is not None:  # no project: no lock file beside it
                drop_lock_file(path, project._lockfile)
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
            if self._journal is None:  # (``create`` holds it already)
                fd = open_locked_journal(p, self.journal_path, create=False)  # a writer whose lock file was removed
                self._journal = None if fd is None else JournalWriter(self.journal_path, fd)
            remove_leftover(tmp)  # an interrupted compaction; the old file and journal are intact
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
        if not self.read_only and self._journal is None:
            self._journal = JournalWriter(self.journal_path, open_locked_journal(p, self.journal_path, create=True))
        self._replay()

    def _take_lock(self) -> None:
        self._lockfile = take_lock_file(self.path)

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
            check_global_heaps(self._base, p)  # files written before issue 21 keep strings there
            attrs = self._base.attrs
            fmt = attrs.get("format")
            fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
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
        except _UNREADABLE as e:
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
        later, skipped = list(result.later), result.stretches
        for k, (off, length) in enumerate(result.offsets):
            try:
                self._apply(codec.decode_header(result.data, off, length), off, length, shapes)
                applied += 1
            except _BAD_CONTENT as e:
                damage, reason = off - HEADER.size, str(e)
                later, skipped = result.offsets[k + 1 :] + later, skipped + 1
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
