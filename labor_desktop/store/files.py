"""Facts about files the project needs: a snapshot's identity (to notice a compaction by
another process), image paths relative to the project's folder (so the folder can move),
and one-line reasons for OS errors (for messages that say what to do)."""

from __future__ import annotations

import os
from pathlib import Path


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


def _relative(path: str, root: Path) -> str:
    p = Path(path)
    if not p.is_absolute():
        return str(p)
    try:
        return os.path.relpath(p, root)
    except ValueError:  # another drive
        return str(p)
