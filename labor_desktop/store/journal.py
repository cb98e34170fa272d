"""An append-only journal of self-checking records, the crash-safe half of a project.

Record layout: ``MAGIC (4) | length (4, little endian) | crc32 (4) | payload``.  A
save is acknowledged only after its record is written and ``fsync``-ed, so a
record that a kill tore in half was never acknowledged: ``scan`` stops at the first
record whose length or checksum does not hold, and the journal is cut back there.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"LBRJ"
HEADER = struct.Struct("<4sII")


@dataclass(frozen=True)
class ScanResult:
    offsets: list[tuple[int, int]]  # (payload offset, payload length) of every intact record
    valid_end: int  # where the intact prefix ends
    file_size: int
    data: bytes  # the file as read, so the caller need not read it again

    @property
    def torn(self) -> bool:
        return self.valid_end < self.file_size


def frame(payload: bytes) -> bytes:
    return HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def scan(path: Path) -> ScanResult:
    """Read the journal once, checking every record."""
    offsets, pos = [], 0
    with open(path, "rb") as f:
        data = f.read()
    while pos + HEADER.size <= len(data):
        magic, length, crc = HEADER.unpack_from(data, pos)
        start, end = pos + HEADER.size, pos + HEADER.size + length
        if magic != MAGIC or end > len(data) or zlib.crc32(data[start:end]) != crc:
            break
        offsets.append((start, length))
        pos = end
    return ScanResult(offsets, pos, len(data), data)


class JournalWriter:
    """Appends records durably. One writer per journal (the project holds a lock file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        self.size = os.fstat(self.fd).st_size

    def append(self, payload: bytes) -> int:
        """Write one record and fsync it; returns its payload offset.  On failure the
        journal is cut back to its previous end, so no partial record stays behind."""
        record = frame(payload)
        before = self.size
        try:
            written = 0
            while written < len(record):
                written += os.write(self.fd, record[written:])
            os.fsync(self.fd)
        except OSError:
            try:
                os.ftruncate(self.fd, before)
            except OSError:
                pass  # scan() drops a torn tail on the next open anyway
            raise
        self.size = before + len(record)
        return before + HEADER.size

    def truncate(self, size: int) -> None:
        os.ftruncate(self.fd, size)
        os.fsync(self.fd)
        self.size = size

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def read_payload(path: Path, offset: int, length: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read(length)
    if len(data) != length:
        raise OSError(f"{path}: journal shorter than expected")
    return data
