"""What a project file and a journal record must look like before anything is read from
them.  A crafted or damaged file must never make the store read outside the project
(HDF5 external raw storage, virtual datasets, external links), allocate without bound,
or edit an object other than the one it names: every check here raises ``Damaged``
with what is wrong, and the project turns that into one ``ProjectError`` line.

The snapshot is checked in two steps so that opening stays fast: the tables read at open
(attributes, ``images``, ``effort``, the names under ``labels`` and ``proposals``) are
checked at open; each label or proposal group is checked when it is read or copied.
"""

from __future__ import annotations

import math
import mmap
from pathlib import Path
from typing import Any, NoReturn

import h5py
import numpy as np

from .codec import CodecError, check_bbox
from .schema import EFFORT_FIELDS, MAX_REGION_SIZE, MAX_STAGE, _is_int

MAX_IMAGES = 10_000_000
MAX_SIDE = 1 << 16  # pixels per image side
_LAYOUTS = (h5py.h5d.COMPACT, h5py.h5d.CONTIGUOUS, h5py.h5d.CHUNKED)
LABEL_BLOBS = ("mask", "classes", "stages")


class Damaged(ValueError):
    """A file or record that is not what the schema says; the message says what."""


def _link(group: h5py.Group, name: str, where: str) -> object:
    """The object ``group[name]`` if it is reached through a hard link, else ``Damaged``."""
    link = group.get(name, getlink=True)
    if link is None:
        raise Damaged(f"{where} is missing")
    if not isinstance(link, h5py.HardLink):
        raise Damaged(f"{where} is a {type(link).__name__} (links are not allowed)")
    return group[name]


def _group(group: h5py.Group, name: str, where: str) -> h5py.Group:
    obj = _link(group, name, where)
    if not isinstance(obj, h5py.Group):
        raise Damaged(f"{where} is not a group")
    return obj


def dataset(group: h5py.Group, name: str, where: str, kinds: str, ndim: int) -> h5py.Dataset:
    """A plain dataset: its data inside this file (no external storage, not virtual), of one
    of the dtype ``kinds`` and ``ndim`` dimensions."""
    ds = _link(group, name, where)
    if not isinstance(ds, h5py.Dataset):
        raise Damaged(f"{where} is not a dataset")
    dcpl = ds.id.get_create_plist()
    if dcpl.get_layout() not in _LAYOUTS:
        raise Damaged(f"{where} is a virtual dataset (its data lies in other files)")
    if dcpl.get_external_count():
        raise Damaged(f"{where} keeps its data in an external file")
    if dcpl.get_nfilters():  # the store never compresses through HDF5 (its blobs are zlib streams)
        raise Damaged(f"{where} is stored through an HDF5 filter (compressed), which LabOR Desktop never writes")
    if ds.dtype.kind not in kinds or ds.ndim != ndim:
        raise Damaged(f"{where} is {ds.dtype} with {ds.ndim} dimensions, expected kind {kinds!r} with {ndim}")
    return ds


def _names(group: h5py.Group, where: str, limit: int) -> list[int]:
    """The member names of ``group``: decimal numbers below ``limit``, each a hard link."""
    links: list[tuple[bytes, int]] = []
    group.id.links.iterate(lambda raw, info: links.append((raw, info.type)), info=True)  # one pass, no lookups
    out = []
    for raw, kind in links:
        name = raw.decode("utf-8", "replace")
        if not (name.isdigit() and name.isascii()) or int(name) >= limit or name != str(int(name)):
            raise Damaged(f"{where}/{name} is not a number in 0..{limit - 1}")
        if kind != h5py.h5l.TYPE_HARD:
            raise Damaged(f"{where}/{name} is a link (links are not allowed)")
        out.append(int(name))
    return out


def _has_variable_length_strings(f: h5py.File) -> bool:
    """Whether the snapshot keeps strings in HDF5's global heap (files before issue 21 did)."""
    dtypes = [f.attrs.get_id(name).dtype for name in f.attrs]
    images = f.get("images", getlink=True)
    if isinstance(images, h5py.HardLink) and isinstance(f["images"], h5py.Group):
        if isinstance(f["images"].get("path", getlink=True), h5py.HardLink):
            dtypes.append(f["images/path"].dtype)
    return any((info := h5py.check_string_dtype(dt)) is not None and info.length is None for dt in dtypes)


_GCOL_HEADER = 16  # "GCOL", version 1, 3 reserved bytes, the collection's size (8 bytes)


def check_global_heaps(f: h5py.File, path: Path) -> None:
    """HDF5's global heap collections (where variable-length strings live) carry no checksum,
    and HDF5 2.0 loops forever on an object there whose size makes no progress (a few zero
    bytes do it).  Walk every collection as HDF5 does, before HDF5 reads one."""
    if not _has_variable_length_strings(f):
        return
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        pos = data.find(b"GCOL")
        while pos >= 0:
            head = data[pos : pos + _GCOL_HEADER]
            size = int.from_bytes(head[8:16], "little")
            if head[4:8] == b"\1\0\0\0" and 4096 <= size <= len(data) - pos and _heap_loops(data, pos, size):
                raise Damaged(f"the global heap at byte {pos} is damaged (HDF5 would never finish reading it)")
            pos = data.find(b"GCOL", pos + 1)


def _heap_loops(data: mmap.mmap, start: int, size: int) -> bool:
    """HDF5's walk over a collection's objects (``H5HG__cache_heap_deserialize``), in 64-bit
    pointer arithmetic: True when a step does not move forward."""
    p, end, wrap = start + _GCOL_HEADER, start + size, 1 << 64
    while p < end and p + _GCOL_HEADER <= end:
        index = int.from_bytes(data[p : p + 2], "little")
        n = int.from_bytes(data[p + 8 : p + 16], "little")
        need = (_GCOL_HEADER + ((n + 7) & ~7)) % wrap if index else n
        nxt = (p + need) % wrap
        if nxt <= p:
            return True
        p = nxt
    return False


def check_tables(f: h5py.File, version: int) -> tuple[int, set[int], dict[int, set[int]]]:
    """Check the parts read at open; returns (images, labeled image ids, proposal ids per stage)."""
    for name in f:
        if name not in ("images", "effort", "labels", "proposals"):
            raise Damaged(f"/{name} is not part of a project")
    images = _group(f, "images", "/images")
    paths = dataset(images, "path", "/images/path", "OS", 1)
    n = paths.shape[0]
    if n > MAX_IMAGES:
        raise Damaged(f"/images/path lists {n} images (at most {MAX_IMAGES})")
    for name in ("height", "width"):
        ds = dataset(images, name, f"/images/{name}", "iu", 1)
        if ds.shape[0] != n:
            raise Damaged(f"/images/{name} has {ds.shape[0]} entries, /images/path {n}")
    labels: set[int] = set()
    proposals: dict[int, set[int]] = {}
    if version == 0:
        if "labels" in f:
            for i in _names(_group(f, "labels", "/labels"), "/labels", n):
                dataset(f["labels"], str(i), f"/labels/{i}", "iu", 2)
                labels.add(i)
        return n, labels, proposals
    effort = dataset(f, "effort", "/effort", "fiu", 2)
    if effort.shape != (n, len(EFFORT_FIELDS)):
        raise Damaged(f"/effort is {effort.shape}, expected ({n}, {len(EFFORT_FIELDS)})")
    labels = set(_names(_group(f, "labels", "/labels"), "/labels", n))
    props = _group(f, "proposals", "/proposals")
    for s in _names(props, "/proposals", MAX_STAGE + 1):
        proposals[s] = set(_names(_group(props, str(s), f"/proposals/{s}"), f"/proposals/{s}", n))
    return n, labels, proposals


def check_image_table(heights: np.ndarray, widths: np.ndarray) -> None:
    bad = np.flatnonzero((heights < 1) | (widths < 1) | (heights > MAX_SIDE) | (widths > MAX_SIDE))
    if bad.size:
        i = int(bad[0])
        raise Damaged(f"image {i} is {int(widths[i])}x{int(heights[i])} pixels (each side must be 1..{MAX_SIDE})")


def check_effort(effort: np.ndarray) -> None:
    if not np.isfinite(effort).all() or (effort < 0).any():
        raise Damaged("/effort holds negative or non-finite numbers")


def label_group(f: h5py.File, i: int, shape: tuple[int, int]) -> tuple[list[int], list[h5py.Dataset]]:
    """``labels/<i>``: its bbox and its three blobs, checked."""
    where = f"/labels/{i}"
    g = _group(f["labels"], str(i), where)
    if set(g) != set(LABEL_BLOBS):
        raise Damaged(f"{where} holds {sorted(g)}, expected {list(LABEL_BLOBS)}")
    box = g.attrs.get("bbox")
    if box is None or np.asarray(box).shape != (4,) or np.asarray(box).dtype.kind not in "iu":
        raise Damaged(f"{where} has no valid bbox attribute")
    box = [int(v) for v in box]
    try:
        check_bbox(box, shape)
    except CodecError as e:
        raise Damaged(f"{where}: {e}") from None
    return box, [dataset(g, name, f"{where}/{name}", "u", 1) for name in LABEL_BLOBS]


def proposal_group(f: h5py.File, stage: int, i: int) -> tuple[h5py.Dataset | None, h5py.Dataset]:
    where = f"/proposals/{stage}/{i}"
    g = _group(f["proposals"][str(stage)], str(i), where)
    if not set(g) <= {"mask", "points"} or "points" not in g:
        raise Damaged(f"{where} holds {sorted(g)}, expected points and an optional mask")
    mask = dataset(g, "mask", f"{where}/mask", "u", 1) if "mask" in g else None
    points = dataset(g, "points", f"{where}/points", "iu", 2)
    if points.shape[1] != 3:
        raise Damaged(f"{where}/points is {points.shape}, expected (N, 3)")
    return mask, points


def proposal_region_size(f: h5py.File, stage: int, i: int) -> int | None:
    """The ``region_size`` attribute of a snapshot's proposal group (None: a point or pixel
    proposal, or one written before regions were stored)."""
    where = f"/proposals/{stage}/{i}"
    size = _group(f["proposals"][str(stage)], str(i), where).attrs.get("region_size")
    if size is None:
        return None
    if not (np.ndim(size) == 0 and np.asarray(size).dtype.kind in "iu" and 1 <= int(size) <= MAX_REGION_SIZE):
        raise Damaged(f"{where}: region_size {np.asarray(size).tolist()!r} is not an integer in 1..{MAX_REGION_SIZE}")
    return int(size)


def check_points(points: np.ndarray, shape: tuple[int, int], n_classes: int, where: str) -> None:
    if points.size and (
        (points[:, :2] < 0).any()
        or (points[:, 0] >= shape[0]).any()
        or (points[:, 1] >= shape[1]).any()
        or (points[:, 2] < 0).any()
        or (n_classes and (points[:, 2] >= n_classes).any())
    ):
        raise Damaged(f"{where}: a proposed point lies outside the image or has no valid class")


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


def check_record(h: dict[str, Any], shapes: list[tuple[int, int]]) -> None:
    """A journal record's header: its kind, and every id it names in range, before it is applied."""
    kind = h.get("kind")

    def fail(what: str) -> NoReturn:
        raise Damaged(f"{kind} record: {what}")

    def need(ok: bool, what: str) -> None:
        if not ok:
            fail(what)

    def image() -> int:
        i = h.get("image")
        if not (_is_int(i) and 0 <= i < len(shapes)):
            fail(f"image {i!r} is not in 0..{len(shapes) - 1}")
        return i

    def stage(v: object) -> None:
        need(_is_int(v) and 0 <= v <= MAX_STAGE, f"stage {v!r} is not in 0..{MAX_STAGE}")

    def effort(rec: object) -> None:
        if not isinstance(rec, dict):
            fail("effort is not a JSON object")
        need(all(_number(rec.get(k)) for k in EFFORT_FIELDS), "effort counters must be finite numbers >= 0")
        if rec.get("stage") is not None:
            stage(rec["stage"])
            row = rec.get("stage_row")
            need(
                isinstance(row, list) and len(row) == len(EFFORT_FIELDS) and all(_number(v) for v in row),
                "stage_row must be four finite numbers >= 0",
            )

    if kind == "labels":
        i = image()
        need(h.get("shape") == list(shapes[i]), f"shape {h.get('shape')!r} is not image {i}'s {list(shapes[i])}")
        try:
            check_bbox(h.get("bbox"), shapes[i])
        except CodecError as e:
            need(False, str(e))
        if h.get("effort") is not None:  # the edit's effort, written with it
            effort(h["effort"])
    elif kind == "proposal":
        image()
        stage(h.get("stage"))
        need(isinstance(h.get("has_mask"), bool), "has_mask is not true or false")
        size = h.get("region_size")  # optional (written by the regions strategies)
        need(
            size is None or (_is_int(size) and 1 <= size <= MAX_REGION_SIZE),
            f"region_size {size!r} is not in 1..{MAX_REGION_SIZE}",
        )
    elif kind == "effort":
        image()
        effort(h)
    elif kind == "unsure":
        image()
        stage(h.get("stage"))
        pts = h.get("points")
        need(
            isinstance(pts, list) and all(_is_int(k) and 0 <= k < 100_000 for k in pts),
            "points is not a list of point indices",
        )
    elif kind == "history":
        stage(h.get("stage"))
        need(isinstance(h.get("entry"), dict), "entry is not a JSON object")
    elif kind == "settings":
        need(isinstance(h.get("settings"), dict), "settings is not a JSON object")
    else:
        raise Damaged(f"unknown record kind {kind!r}")
