"""Compact encodings of the per-image arrays (sparse labels with their stages, masks as
packed bits) and of journal payloads (a JSON header followed by binary blobs).  The
HDF5 file stores the same blobs, so compaction copies bytes and never re-encodes."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import numpy as np

UNLABELED = 255  # the label of a pixel nobody has labelled (Cityscapes' ignore id); the one definition
_LEN = struct.Struct("<I")


def bbox(labeled: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) of the True pixels, or None."""
    rows, cols = np.flatnonzero(labeled.any(axis=1)), np.flatnonzero(labeled.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def pack_mask(mask: np.ndarray, level: int = 6) -> bytes:
    return zlib.compress(np.packbits(mask.astype(bool), axis=None).tobytes(), level)


class CodecError(ValueError):
    """Bytes that do not decode to what their header says (damaged or crafted)."""


def inflate(data: bytes, size: int) -> bytes:
    """Exactly ``size`` bytes from the whole zlib stream ``data``; never more (a crafted stream
    cannot make it allocate beyond ``size``), and never a stream cut before its end."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, size + 1)  # max_length 0 would mean "no limit"
    except zlib.error as e:
        raise CodecError(f"compressed data is damaged ({e})") from None
    if len(out) > size:  # the limit was reached: there is more
        raise CodecError(f"compressed data holds more bytes, {size} expected")
    if not d.eof:  # all input read, no output held back: the stream's end (and checksum) is missing
        raise CodecError("compressed data is damaged (the stream ends early)")
    if len(out) != size:
        raise CodecError(f"compressed data holds {len(out)} bytes, {size} expected")
    return out


def unpack_mask(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    n = int(shape[0]) * int(shape[1])
    bits = np.frombuffer(inflate(data, (n + 7) // 8), np.uint8)
    return np.unpackbits(bits, count=n).reshape(shape).astype(bool)


def encode(header: dict[str, Any], *blobs: bytes) -> bytes:
    """``len(json) | json | (len(blob) | blob)*``; the header lists nothing about blobs."""
    head = json.dumps(header, separators=(",", ":")).encode()
    parts = [_LEN.pack(len(head)), head]
    for blob in blobs:
        parts += [_LEN.pack(len(blob)), blob]
    return b"".join(parts)


def decode_header(data: bytes, offset: int = 0, length: int | None = None) -> dict[str, Any]:
    """Only the JSON header of the payload at ``offset`` (replay needs no blobs)."""
    try:
        n = _LEN.unpack_from(data, offset)[0]
        if length is not None and 4 + n > length:
            raise CodecError("the header runs past the end of the record")
        header = json.loads(data[offset + 4 : offset + 4 + n])
    except (struct.error, ValueError, RecursionError) as e:
        raise CodecError(f"the record's header does not decode ({e})") from None
    if not isinstance(header, dict):
        raise CodecError("the record's header is not a JSON object")
    return header


def decode(payload: bytes) -> tuple[dict[str, Any], list[bytes]]:
    try:
        n = _LEN.unpack_from(payload, 0)[0]
        header = json.loads(payload[4 : 4 + n])
        blobs, pos = [], 4 + n
        while pos < len(payload):
            m = _LEN.unpack_from(payload, pos)[0]
            if pos + 4 + m > len(payload):
                raise CodecError("a blob runs past the end of the record")
            blobs.append(payload[pos + 4 : pos + 4 + m])
            pos += 4 + m
    except (struct.error, ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise CodecError(f"the record does not decode ({e})") from None
    if not isinstance(header, dict):
        raise CodecError("the record's header is not a JSON object")
    return header, blobs


def encode_labels(
    image: int, labels: np.ndarray, stage: np.ndarray, level: int = 6, extra: dict[str, Any] | None = None
) -> bytes:
    """Sparse: within the labeled bounding box, the labeled-pixel bitmap (packed bits)
    and, in raster order, the class and the stage of each labeled pixel; each zlib-ed.
    A 1024x2048 map with 2 % of its pixels labeled takes about 20 KB."""
    box = bbox(labels != UNLABELED)
    header = {"kind": "labels", "image": image, "shape": list(labels.shape), "bbox": box, **(extra or {})}
    if box is None:
        return encode(header, b"", b"", b"")
    y0, y1, x0, x1 = box
    crop = labels[y0:y1, x0:x1]
    mask = crop != UNLABELED
    return encode(
        header,
        zlib.compress(np.packbits(mask, axis=None).tobytes(), level),
        zlib.compress(crop[mask].tobytes(), level),
        zlib.compress(stage[y0:y1, x0:x1][mask].tobytes(), level),
    )


def decode_labels(header: dict[str, Any], blobs: list[bytes], n_classes: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The header's shape and bbox must have been checked (``check_bbox``); the blobs are
    checked here: exact sizes, and classes below ``n_classes`` (when given)."""
    shape, box = tuple(header["shape"]), header["bbox"]
    labels = np.full(shape, UNLABELED, np.uint8)
    stage = np.zeros(shape, np.uint8)
    if box is None:
        return labels, stage
    if len(blobs) != 3:
        raise CodecError(f"{len(blobs)} label blobs, 3 expected")
    y0, y1, x0, x1 = box
    mask = unpack_mask(blobs[0], (y1 - y0, x1 - x0))
    count = int(mask.sum())
    classes = np.frombuffer(inflate(blobs[1], count), np.uint8)
    if n_classes and count and int(classes.max()) >= n_classes:
        raise CodecError(f"class id {int(classes.max())} in the labels, the project has {n_classes} classes")
    labels[y0:y1, x0:x1][mask] = classes
    stage[y0:y1, x0:x1][mask] = np.frombuffer(inflate(blobs[2], count), np.uint8)
    return labels, stage


def check_bbox(box: object, shape: tuple[int, int]) -> None:
    """``box`` is None or (y0, y1, x0, x1) with 0 <= y0 < y1 <= height, 0 <= x0 < x1 <= width."""
    if box is None:
        return
    if (
        not isinstance(box, (list, tuple))
        or len(box) != 4
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in box)
    ):
        raise CodecError(f"bounding box {box!r} is not four integers")
    y0, y1, x0, x1 = box
    if not (0 <= y0 < y1 <= shape[0] and 0 <= x0 < x1 <= shape[1]):
        raise CodecError(f"bounding box {list(box)} lies outside the {shape[1]}x{shape[0]} image")
