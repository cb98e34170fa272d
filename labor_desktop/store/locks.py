"""Keeping a second writer out, and noticing when the files a writer holds are removed.

A lock on ``NAME.labor.h5.lock`` alone is not enough: anyone can unlink that name, and a
second process then locks a new file of the same name.  So the writer also locks the
journal's own descriptor (the file it appends to, which a second writer must open too),
and checks before each save that the journal's name still leads to that file.  When it
does not (removed or replaced), the saves the writer's descriptor still holds are written
back to a file beside the project, and the writer stops."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .files import _reason
from .journal import O_NOFOLLOW, open_regular, pread, same_file
from .schema import ProjectError

if sys.platform == "win32":  # msvcrt's byte-range lock plays the role of fcntl's flock
    import msvcrt
else:
    import fcntl


def _busy(project: Path) -> ProjectError:
    return ProjectError(f"{project}: is open in another LabOR Desktop window or process; close it there first")


def _flock(fd: int) -> bool:
    try:
        if sys.platform == "win32":
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def take_lock_file(project: Path) -> int:
    """The locked descriptor of ``NAME.labor.h5.lock`` (its name checked to lead to it)."""
    lock_path = project.with_name(project.name + ".lock")
    try:
        fd = open_regular(lock_path, os.O_RDWR | os.O_CREAT)
    except OSError as e:
        raise ProjectError(
            f"{project}: cannot write next to the project ({_reason(e)}); "
            "open it read-only or move it to a writable folder"
        ) from None
    if not _flock(fd) or not same_file(fd, lock_path):  # locked elsewhere, or unlinked as we took it
        os.close(fd)
        raise _busy(project)
    return fd


def drop_lock_file(project: Path, fd: int) -> None:
    """Remove ``NAME.labor.h5.lock`` while ``fd`` still locks it (a create that failed leaves
    nothing behind); a name that leads elsewhere by now is someone else's and stays."""
    lock_path = project.with_name(project.name + ".lock")
    if same_file(fd, lock_path):
        try:
            os.unlink(lock_path)
        except OSError:
            pass  # left as it was: a lock file is harmless, the next open takes it


def lock_journal(project: Path, fd: int) -> None:
    """Lock the journal's descriptor ``fd`` (closed and ``ProjectError`` if another writer holds it)."""
    if sys.platform != "win32" and not _flock(fd):  # Windows: the lock file's region lock suffices
        os.close(fd)
        raise _busy(project)


def open_locked_journal(project: Path, journal: Path, create: bool) -> int | None:
    """The journal opened for appending and locked; None when there is none and not ``create``."""
    if not create and not os.path.lexists(journal):
        return None
    try:
        fd = open_regular(journal, os.O_RDWR | os.O_APPEND | (os.O_CREAT if create else 0))
    except OSError as e:
        raise ProjectError(
            f"{journal}: cannot be written ({_reason(e)}); "
            "open the project read-only, or make the file and its folder writable"
        ) from None
    lock_journal(project, fd)
    return fd


def rescue_journal(fd: int, journal: Path) -> Path | None:
    """Write the records of the journal open as ``fd`` (its name removed or replaced) to the
    journal's name if it is free, else beside it; returns where, or None if that failed."""
    data = pread(fd, os.fstat(fd).st_size, 0)
    target, k = journal, 0
    while os.path.lexists(target):
        k += 1
        target = journal.with_name(f"{journal.name}.rescued-{k}")
    try:
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(out, view) :]
            os.fsync(out)
        finally:
            os.close(out)
    except OSError:
        return None
    return target


def stop_message(journal: Path, rescued: Path | None) -> str:
    """What a writer whose journal was removed or replaced says from then on."""
    if rescued == journal:
        where = f"the saves it held were written back to {journal}"
    elif rescued is not None:
        where = f"the saves it held were written to {rescued} (another file has taken its name)"
    else:
        where = "the saves it held could not be written back (keep this window open and copy your work)"
    return (
        f"{journal}: was removed or replaced while the project was open, so nothing more is saved; {where}. "
        "Close the project and open it again"
        + (f" after moving {rescued} to {journal}" if rescued is not None and rescued != journal else "")
    )
