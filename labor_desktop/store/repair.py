"""``labor repair``: a new project from every intact record of a damaged journal.  Kept
apart from ``Project`` because it is the one path that opens a project neither for
reading nor for writing but as salvage, and it only runs from the command line."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .files import _reason
from .journal import JournalWriter, refuse_link
from .locks import open_locked_journal
from .project import Project
from .schema import ProjectError, SaveError

__all__ = ["RepairReport", "repair"]


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
        fd = open_locked_journal(p.path, p.journal_path, create=False)  # a writer whose lock file was removed
        p._journal = None if fd is None else JournalWriter(p.journal_path, fd)
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
            try:
                p._write_snapshot()
            except BaseException as e:  # the project is unchanged, so its copy goes
                os.unlink(kept["project"])
                if not isinstance(e, SaveError):  # damage that even a repair cannot read past
                    raise
                raise SaveError(
                    f"{p.path}: could not write the repaired project ({e.reason}); "
                    "nothing was changed; fix that (is the disk full?) and run `labor repair` again"
                ) from None
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
        try:
            shutil.copy2(src, dst, follow_symlinks=False)
        except BaseException:
            if os.path.lexists(dst):
                os.unlink(dst)  # a partial copy is no kept original
            raise
