"""An append-only journal of self-checking records, the crash-safe half of a project.

Record layout: ``MAGIC (4) | length (4, little endian) | crc32 (4) | payload``.  A
save is acknowledged only after its record is written and ``fsync``-ed, so a
record that a kill tore in half was never acknowledged: ``scan`` accepts the intact
records up to the first one whose length or checksum does not hold.  Only a *torn
tail* may be cut: a bad record at the end that is a prefix of a frame (or zeros), i.e.
one frame whose declared length runs past the end of the file *and* whose bytes are not the whole
payload its CRC names (a complete record with a damaged length field is damage: its save
was acknowledged).
A bad record followed by intact ones is damage, not a torn write: ``scan`` reports
its offset and resynchronises on the next valid frame, so a repair can keep every
intact record.  Every file is opened with ``O_NOFOLLOW``: a journal that is a
symbolic link is refused, never followed.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .schema import ProjectError

MAGIC = b"LBRJ"
HEADER = struct.Struct("<4sII")
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_BINARY = getattr(os, "O_BINARY", 0)  # Windows
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a named pipe must not wait for a writer


def refuse_link(path: Path) -> None:
    """Raise ``ProjectError`` when ``path`` is a symbolic link (the project's own names never are)."""
    if os.path.islink(path):
        raise ProjectError(
            f"{path}: is a symbolic link; LabOR Desktop never follows links in a project's own files. "
            "Remove the link (or open the file it points to directly)"
        )


def open_nofollow(path: Path, flags: int, mode: int = 0o644) -> int:
    """``os.open`` that refuses a symbolic link (``ProjectError``); other failures stay ``OSError``."""
    try:
        return os.open(path, flags | O_NOFOLLOW | O_BINARY, mode)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.EMLINK) or os.path.islink(path):
            refuse_link(path)
        raise


def open_regular(path: Path, flags: int, mode: int = 0o644) -> int:
    """``open_nofollow`` that never blocks and refuses anything but a regular file (a named
    pipe, a device or a folder at a project's name would hang or crash the reads)."""
    try:
        fd = open_nofollow(path, flags | O_NONBLOCK, mode)
    except IsADirectoryError:
        fd = -1
    st = None if fd < 0 else os.fstat(fd)
    if st is None or not stat.S_ISREG(st.st_mode):
        if fd >= 0:
            os.close(fd)
        raise ProjectError(
            f"{path}: is {'a folder' if st is None or stat.S_ISDIR(st.st_mode) else 'not a regular file'}, "
            "not a file LabOR Desktop wrote; move it away, then open the project again"
        )
    return fd


def pread(fd: int, n: int, offset: int) -> bytes:
    """``n`` bytes at ``offset`` of ``fd`` (``os.pread``; Windows has none: seek and read)."""
    if hasattr(os, "pread"):
        return os.pread(fd, n, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # appends go to the end whatever the position (O_APPEND)
    return os.read(fd, n)


def same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (not removed, not replaced)."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


@dataclass(frozen=True)
class ScanResult:
    offsets: list[tuple[int, int]]  # (payload offset, payload length) of every intact record before any damage
    valid_end: int  # where the intact prefix ends
    file_size: int
    data: bytes  # the file as read, so the caller need not read it again
    damage: int | None = None  # offset of the first bad bytes when they are not a torn tail
    later: list[tuple[int, int]] = field(default_factory=list)  # intact records found after the damage
    stretches: int = 0  # damaged stretches: runs of bad bytes between intact records (0 when intact or torn)

    @property
    def torn(self) -> bool:
        """A torn tail only: safe to cut (it was never acknowledged)."""
        return self.damage is None and self.valid_end < self.file_size


def frame(payload: bytes) -> bytes:
    return HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def _run(data: bytes, pos: int) -> tuple[list[tuple[int, int]], int]:
    """The consecutive intact records from ``pos``, and where they end."""
    offsets = []
    while pos + HEADER.size <= len(data):
        magic, length, crc = HEADER.unpack_from(data, pos)
        start, end = pos + HEADER.size, pos + HEADER.size + length
        if magic != MAGIC or end > len(data) or zlib.crc32(data[start:end]) != crc:
            break
        offsets.append((start, length))
        pos = end
    return offsets, pos


def _is_torn_tail(rest: bytes) -> bool:
    """A write cut short leaves a prefix of a frame (or, after a power loss, zeros)."""
    if not rest.strip(b"\0"):
        return True
    if len(rest) < HEADER.size:
        return MAGIC.startswith(rest[:4])
    magic, length, crc = HEADER.unpack_from(rest, 0)
    if magic != MAGIC or HEADER.size + length <= len(rest):
        return False
    # a payload that is whole (its CRC holds) behind a length past the end: the length field is damaged
    body = memoryview(rest)[HEADER.size :]
    if any(zlib.crc32(body[:end]) == crc for end in _part_ends(body)):
        return False
    return not _shifted_payload(body)


SHIFT_LIMIT = 64  # bytes: how far into a damaged header a whole payload is looked for


def _shifted_payload(body: memoryview) -> bool:
    """Bytes put into the header (or a header field overwritten) shift the length and CRC
    fields, so neither can be trusted; the payload may still be whole behind them.  A torn
    write never leaves that: its bytes after the header are a prefix of the payload, which
    cannot parse, from one of the first bytes *after* the first, into a JSON header part and
    parts ending exactly at the end of the file."""
    for start in range(1, min(SHIFT_LIMIT, len(body) - 4)):
        n = int.from_bytes(body[start : start + 4], "little")
        head = body[start + 4 : start + 4 + n]
        if len(head) < n or not n or bytes(head[:1]) != b"{":
            continue
        pos = start + 4 + n
        while pos + 4 <= len(body):
            pos += 4 + int.from_bytes(body[pos : pos + 4], "little")
        if pos != len(body):
            continue
        try:
            header = json.loads(bytes(head))
        except ValueError:
            continue
        if isinstance(header, dict) and "kind" in header:
            return True
    return False


def _part_ends(body: memoryview) -> list[int]:
    """Where a payload could end: the end of the bytes, and the end of each of its parts (a
    payload is ``len | bytes`` parts, ``codec.encode``), so bytes after it do not hide it."""
    ends, pos = [len(body)], 0
    while pos + 4 <= len(body):
        pos += 4 + int.from_bytes(body[pos : pos + 4], "little")
        if pos > len(body):
            break
        ends.append(pos)
    return ends


def scan_bytes(data: bytes) -> ScanResult:
    offsets, pos = _run(data, 0)
    if pos == len(data):
        return ScanResult(offsets, pos, len(data), data)
    later: list[tuple[int, int]] = []
    stretches, q = 1, pos + 1
    while (q := data.find(MAGIC, q)) >= 0:
        found, end = _run(data, q)
        if found:
            later += found
            stretches += end < len(data)  # bad bytes again after this run of intact records
            q = end + 1
        else:
            q += 1
    if not later and data.find(MAGIC, pos + 1) < 0 and _is_torn_tail(data[pos:]):  # a torn write is one frame
        return ScanResult(offsets, pos, len(data), data)
    return ScanResult(offsets, pos, len(data), data, pos, later, stretches)


def scan(path: Path) -> ScanResult:
    """Read the journal once, checking every record."""
    fd = open_regular(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as f:
        data = f.read()
    return scan_bytes(data)


class JournalWriter:
    """Appends records durably. One writer per journal (the project holds a lock file)."""

    def __init__(self, path: Path, fd: int | None = None) -> None:
        self.path = path
        self.fd = open_regular(path, os.O_RDWR | os.O_CREAT | os.O_APPEND) if fd is None else fd
        self.size = os.fstat(self.fd).st_size
        self._cut_pending = False  # a failed append whose partial record could not be cut back yet

    def append(self, payload: bytes) -> int:
        """Write one record and fsync it; returns its payload offset.  On failure the
        journal is cut back to its previous end, so no partial record stays behind
        (if even that fails, the next append cuts it first, or fails too)."""
        record = frame(payload)
        before = self.size
        try:
            if self._cut_pending:
                os.ftruncate(self.fd, before)
                self._cut_pending = False
            written = 0
            while written < len(record):
                written += os.write(self.fd, record[written:])
            os.fsync(self.fd)
        except OSError:
            try:
                os.ftruncate(self.fd, before)
            except OSError:
                self._cut_pending = True  # never append after a partial record: that would be damage
            raise
        self.size = before + len(record)
        return before + HEADER.size

    def append_all(self, payloads: list[bytes]) -> list[int]:
        """``append`` each, all or none: a failure cuts the journal back to its size before
        the first (or, if even that fails, the next append does)."""
        start, offsets = self.size, []
        try:
            for payload in payloads:
                offsets.append(self.append(payload))
        except OSError:
            self.size = start
            try:
                os.ftruncate(self.fd, start)
                os.fsync(self.fd)
            except OSError:
                self._cut_pending = True
            raise
        return offsets

    def truncate(self, size: int) -> None:
        os.ftruncate(self.fd, size)
        os.fsync(self.fd)
        self.size = size

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class StaleRecord(Exception):
    """The bytes at a remembered offset are not the record expected there (the journal was
    compacted by another process, or damaged since it was scanned)."""


def read_payload(path: Path, offset: int, length: int, fd: int | None = None) -> bytes:
    """The payload at ``offset``, its frame checked again (magic, length, CRC).  A writer reads
    through its own descriptor ``fd``: the file it appends to, even if the name was removed."""
    if fd is not None:
        data = pread(fd, HEADER.size + length, offset - HEADER.size)
    else:
        try:
            fd = open_regular(path, os.O_RDONLY)
        except (OSError, ProjectError) as e:
            raise StaleRecord(f"{path}: cannot be read again ({e})") from None
        with os.fdopen(fd, "rb") as f:
            f.seek(offset - HEADER.size)
            data = f.read(HEADER.size + length)
    if len(data) != HEADER.size + length:
        raise StaleRecord(f"{path}: journal shorter than expected at byte {offset - HEADER.size}")
    magic, n, crc = HEADER.unpack_from(data, 0)
    payload = data[HEADER.size :]
    if magic != MAGIC or n != length or zlib.crc32(payload) != crc:
        raise StaleRecord(f"{path}: the record at byte {offset - HEADER.size} changed since the journal was read")
    return payload
