"""The journal's record framing on its own: every check ``scan`` makes ends the intact
prefix where it fails, and a record is found exactly where ``append`` says it is."""

import os
import struct
import zlib

import pytest

from labor_desktop.store.journal import HEADER, MAGIC, JournalWriter, StaleRecord, frame, read_payload, scan

PAYLOADS = [b"first record", b"", b"x" * 1000, b"last"]


def write(path, payloads=PAYLOADS):
    w = JournalWriter(path)
    offsets = [w.append(p) for p in payloads]
    w.close()
    return offsets


def test_frame_is_magic_length_crc_payload():
    record = frame(b"abc")
    assert record == MAGIC + struct.pack("<II", 3, zlib.crc32(b"abc")) + b"abc"
    assert HEADER.size == 12


def test_append_returns_the_payload_offset_and_scan_finds_every_record(tmp_path):
    path = tmp_path / "j"
    offsets = write(path)
    result = scan(path)
    assert result.offsets == [(o, len(p)) for o, p in zip(offsets, PAYLOADS)]
    assert offsets[0] == HEADER.size and result.valid_end == result.file_size == os.path.getsize(path)
    assert not result.torn and result.data == path.read_bytes()
    assert [read_payload(path, o, n) for o, n in result.offsets] == PAYLOADS


def test_a_writer_reopened_appends_after_the_existing_records(tmp_path):
    path = tmp_path / "j"
    write(path, PAYLOADS[:2])
    w = JournalWriter(path)
    assert w.size == 2 * HEADER.size + len(PAYLOADS[0])
    assert w.append(b"more") == w.size - len(b"more")
    w.close()
    w.close()  # closing twice is harmless
    assert [read_payload(path, o, n) for o, n in scan(path).offsets] == [*PAYLOADS[:2], b"more"]


def _corrupt(path, pos, value):
    data = bytearray(path.read_bytes())
    data[pos] = value
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("where", ["payload", "crc", "magic", "length"])
def test_a_damaged_record_ends_the_intact_prefix(tmp_path, where):
    """A bad record followed by an intact one is damage, not a torn tail: nothing may be cut,
    and the intact record after it is found again (a repair keeps it)."""
    path = tmp_path / "j"
    offsets = write(path)
    third = offsets[2] - HEADER.size  # the record of b"x" * 1000
    pos = {"payload": offsets[2] + 500, "crc": third + 8, "magic": third, "length": third + 4}[where]
    _corrupt(path, pos, path.read_bytes()[pos] ^ 0x01)  # one bit: the length stays within the file
    result = scan(path)
    assert result.offsets == [(offsets[0], len(PAYLOADS[0])), (offsets[1], 0)]
    assert result.valid_end == third and result.damage == third and not result.torn
    assert result.later == [(offsets[3], len(PAYLOADS[3]))]


def test_a_length_past_the_end_of_the_file_is_a_torn_tail(tmp_path):
    path = tmp_path / "j"
    offsets = write(path, [b"kept"])
    with open(path, "ab") as f:
        f.write(HEADER.pack(MAGIC, 100, zlib.crc32(b"y" * 100)) + b"y" * 99)  # one byte short
    result = scan(path)
    assert result.offsets == [(offsets[0], 4)] and result.valid_end == HEADER.size + 4 and result.torn


def test_a_header_cut_short_is_a_torn_tail(tmp_path):
    path = tmp_path / "j"
    write(path, [b"kept"])
    with open(path, "ab") as f:
        f.write(frame(b"next")[: HEADER.size - 1])
    result = scan(path)
    assert (
        len(result.offsets) == 1 and result.valid_end == HEADER.size + 4 and result.file_size == result.valid_end + 11
    )


def test_truncate_cuts_the_journal_and_later_appends_follow_it(tmp_path):
    path = tmp_path / "j"
    w = JournalWriter(path)
    w.append(b"one")
    end = w.size
    w.append(b"two")
    w.truncate(end)
    assert w.size == end == os.path.getsize(path)
    assert w.append(b"three") == end + HEADER.size
    w.close()
    assert [read_payload(path, o, n) for o, n in scan(path).offsets] == [b"one", b"three"]


def test_a_failed_append_leaves_no_partial_record(tmp_path, monkeypatch):
    from labor_desktop.store import journal

    path = tmp_path / "j"
    w = JournalWriter(path)
    w.append(b"one")
    size = w.size
    real_write = os.write

    def half_then_fail(fd, data):
        if len(data) > 8:
            return real_write(fd, data[:8])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal.os, "write", half_then_fail)
    with pytest.raises(OSError, match="No space"):
        w.append(b"a longer record")
    monkeypatch.undo()
    assert w.size == size == os.path.getsize(path)
    w.close()


def test_read_payload_refuses_a_short_read(tmp_path):
    path = tmp_path / "j"
    write(path, [b"abc"])
    assert read_payload(path, HEADER.size, 3) == b"abc"
    with pytest.raises(StaleRecord, match="journal shorter than expected"):
        read_payload(path, HEADER.size, 4)


def test_an_empty_last_record_is_found(tmp_path):
    path = tmp_path / "j"
    offsets = write(path, [b"abc", b""])
    result = scan(path)
    assert result.offsets == [(offsets[0], 3), (offsets[1], 0)] and not result.torn


def test_the_journal_is_created_rw_for_its_owner_and_closed_once(tmp_path):
    path = tmp_path / "j"
    umask = os.umask(0o022)
    try:
        w = JournalWriter(path)
    finally:
        os.umask(umask)
    assert w.path == path and os.stat(path).st_mode & 0o777 == 0o644
    w.close()
    assert w.fd < 0  # a second close() must not close whatever file took the number
