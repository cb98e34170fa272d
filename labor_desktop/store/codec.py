"""Compact encodings of the per-image arrays (sparse labels with their stages, masks as
packed bits) and of journal payloads (a JSON header followed by binary blobs).  The
HDF5 file stores the same blobs, so compaction copies bytes and never re-encodes."""

from __future__ import annotations

import json
import struct
import zlib

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


def unpack_mask(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    bits = np.frombuffer(zlib.decompress(data), np.uint8)
    return np.unpackbits(bits, count=shape[0] * shape[1]).reshape(shape).astype(bool)


def encode(header: dict, *blobs: bytes) -> bytes:
    """``len(json) | json | (len(blob) | blob)*``; the header lists nothing about blobs."""
    head = json.dumps(header, separators=(",", ":")).encode()
    parts = [_LEN.pack(len(head)), head]
    for blob in blobs:
        parts += [_LEN.pack(len(blob)), blob]
    return b"".join(parts)


def decode_header(data: bytes, offset: int = 0) -> dict:
    """Only the JSON header of the payload at ``offset`` (replay needs no blobs)."""
    n = _LEN.unpack_from(data, offset)[0]
    return json.loads(data[offset + 4 : offset + 4 + n])


def decode(payload: bytes) -> tuple[dict, list[bytes]]:
    n = _LEN.unpack_from(payload, 0)[0]
    header = json.loads(payload[4 : 4 + n])
    blobs, pos = [], 4 + n
    while pos < len(payload):
        m = _LEN.unpack_from(payload, pos)[0]
        blobs.append(payload[pos + 4 : pos + 4 + m])
        pos += 4 + m
    return header, blobs


def encode_labels(
    image: int, labels: np.ndarray, stage: np.ndarray, level: int = 6, extra: dict | None = None
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


def decode_labels(header: dict, blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    shape, box = tuple(header["shape"]), header["bbox"]
    labels = np.full(shape, UNLABELED, np.uint8)
    stage = np.zeros(shape, np.uint8)
    if box is None:
        return labels, stage
    y0, y1, x0, x1 = box
    mask = unpack_mask(blobs[0], (y1 - y0, x1 - x0))
    labels[y0:y1, x0:x1][mask] = np.frombuffer(zlib.decompress(blobs[1]), np.uint8)
    stage[y0:y1, x0:x1][mask] = np.frombuffer(zlib.decompress(blobs[2]), np.uint8)
    return labels, stage
