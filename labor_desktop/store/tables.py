"""Checks of the stage numbers and JSON tables the project reads from its snapshot or is
handed by callers: nothing read from disk is trusted, so each is checked before use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeGuard, TypeVar

import numpy as np

from .checks import Damaged
from .codec import CodecError
from .schema import EFFORT_FIELDS, MAX_STAGE, _is_int

_T = TypeVar("_T")
# What damaged content raises while it is checked or decoded: each becomes a one-line ProjectError.
_BAD_CONTENT = (
    Damaged,
    CodecError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    OverflowError,
    MemoryError,
    RecursionError,  # JSON nested deeper than the parser goes
)
# ... and what h5py raises when the bytes behind a checked structure are damaged (a bad chunk).
_UNREADABLE = (*_BAD_CONTENT, OSError, RuntimeError)


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
