"""Writing a file whole or not at all, and never through a link someone placed.

Every file the engine and the command line write (ledger, checkpoints, selector,
exports, reports, figures) goes through :func:`replace_atomically`: the bytes go to a
new temporary file in the target's folder, created with ``O_CREAT|O_EXCL|O_NOFOLLOW``
under an unpredictable name (``tempfile.mkstemp``), so a link or file planted at a
temporary name is never opened; the temporary is then fsync-ed and renamed over the
target, which replaces a link at the target itself and never writes what it points to.
A top-level module (no layer), so every layer may import it; standard library only.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would give a new file (mkstemp makes 0600)


def replace_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], object], fsync: bool = True) -> None:
    """Call ``write`` with a new, empty temporary file beside ``path``, then rename it
    over ``path``.  On any failure the temporary is removed and ``path`` is unchanged."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), _MODE)
            write(f)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_bytes_atomically(path: str | os.PathLike, data: bytes, fsync: bool = True) -> None:
    replace_atomically(path, lambda f: f.write(data), fsync)


def write_text_atomically(path: str | os.PathLike, text: str, fsync: bool = True) -> None:
    write_bytes_atomically(path, text.encode("utf-8"), fsync)
