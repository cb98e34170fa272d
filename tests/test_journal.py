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


# ---- the torn-tail rule at each of its boundaries (hand mutants of journal.py, issue 21) ----
def _tail(tmp_path, tail: bytes, payloads=(b"kept",)):
    path = tmp_path / "j"
    path.unlink(missing_ok=True)  # a new journal each time
    offsets = write(path, list(payloads))
    with open(path, "ab") as f:
        f.write(tail)
    return scan(path), offsets


def test_zeros_after_the_last_record_are_a_torn_tail(tmp_path):
    """A power loss can leave the file's new length with zeros in it: cut, never damage."""
    for n in (1, HEADER.size - 1, HEADER.size, 4096):
        result, offsets = _tail(tmp_path, b"\0" * n)
        assert result.torn and result.damage is None and result.offsets == [(offsets[0], 4)], n
        assert result.valid_end == HEADER.size + 4 and result.file_size == result.valid_end + n


def test_a_short_tail_is_torn_only_when_it_begins_a_frame(tmp_path):
    for tail, torn in ((MAGIC[:1], True), (MAGIC[:3], True), (MAGIC + b"\x05", True), (b"XYZ", False)):
        result, _ = _tail(tmp_path, tail)
        assert result.torn is torn and (result.damage is None) is torn, tail
        assert result.damage in (None, HEADER.size + 4)


def test_a_whole_header_with_no_payload_is_damage_only_when_its_length_is_zero(tmp_path):
    """Exactly HEADER.size bytes left: length 0 with a wrong CRC is a complete, damaged record;
    a length > 0 is a frame cut right after its header (torn)."""
    result, _ = _tail(tmp_path, HEADER.pack(MAGIC, 0, 1))
    assert not result.torn and result.damage == HEADER.size + 4
    result, _ = _tail(tmp_path, HEADER.pack(MAGIC, 10, zlib.crc32(b"0123456789")))
    assert result.torn and result.damage is None


def test_a_tail_without_the_magic_is_damage_even_when_its_length_runs_past_the_end(tmp_path):
    record = bytearray(frame(b"y" * 100))
    record[0] ^= 0x01
    result, _ = _tail(tmp_path, bytes(record[:-1]))
    assert not result.torn and result.damage == HEADER.size + 4


def test_a_whole_payload_that_is_not_in_parts_behind_a_damaged_length_is_damage(tmp_path):
    """The journal frames any bytes: a payload that is whole (its CRC holds on all the bytes
    left) is found however its bytes read as parts."""
    payload = b"hello, journal"  # read as parts, its first 'length' runs far past the end
    result, _ = _tail(tmp_path, HEADER.pack(MAGIC, len(payload) + 1000, zlib.crc32(payload)) + payload)
    assert not result.torn and result.damage == HEADER.size + 4


def test_records_after_damage_are_all_found_one_junk_byte_apart(tmp_path):
    """Damage, a run of intact records, one junk byte, more: every intact record is found
    (a repair keeps them) and the stretches counted exactly."""
    a, b, c, d = frame(b"first"), frame(b"second"), frame(b"third"), frame(b"fourth")
    data = a + b"junk" + b + b"!" + c + d
    path = tmp_path / "j"
    path.write_bytes(data)
    result = scan(path)
    starts = [len(a) + 4, len(a) + 4 + len(b) + 1, len(a) + 4 + len(b) + 1 + len(c)]
    assert result.damage == len(a) and result.offsets == [(HEADER.size, 5)]
    assert result.later == [(s + HEADER.size, n) for s, n in zip(starts, (6, 5, 6))]
    assert result.stretches == 2


def test_a_byte_put_into_the_last_header_is_damage_not_a_torn_tail(tmp_path):
    """Found by the fuzz test: one zero byte inserted after the last record's magic shifts its
    length (to 30,464) and CRC; the payload behind them is whole, so its acknowledged save
    must not be cut as a torn write."""
    from labor_desktop.store import codec

    payload = codec.encode({"kind": "effort", "image": 5, "active_seconds": 0.0, "clicks": 6.0})
    record = frame(payload)
    for at, inserted in ((4, b"\0"), (4, b"\0" * 7), (9, b"junk"), (11, b"\xff" * 40)):
        result, _ = _tail(tmp_path, record[:at] + inserted + record[at:])
        assert not result.torn and result.damage == HEADER.size + 4, (at, inserted)
    # the same record torn by a write cut short stays a torn tail, wherever it was cut
    for cut in range(1, len(record)):
        result, _ = _tail(tmp_path, record[:cut])
        assert result.torn and result.damage is None, cut


def test_a_labels_record_cut_anywhere_is_a_torn_tail(tmp_path):
    """Binary parts (compressed masks) never read as a whole payload shifted into a header."""
    import numpy as np

    from labor_desktop.store import codec

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 19, (12, 16)).astype(np.uint8)
    record = frame(codec.encode_labels(3, labels, np.ones_like(labels)))
    path = tmp_path / "j"
    for cut in range(1, len(record)):
        path.write_bytes(frame(b"kept") + record[:cut])
        result = scan(path)
        assert result.torn and result.damage is None and result.valid_end == HEADER.size + 4, cut


@pytest.mark.parametrize(
    "after",
    [
        (b'{"kind":"x"}', struct.pack("<I", 100) + b"abc"),  # its parts run past the end: a prefix
        (b'{"a":1}', b""),  # whole, but no record header (no "kind")
        (b"[1, 2]", b""),  # not an object
        (b"{not json", b""),
    ],
)
def test_a_shifted_payload_must_be_a_whole_record_to_count(tmp_path, after):
    """Bytes that only look like a payload shifted into a damaged header leave the tail torn."""
    head, rest = after
    tail = HEADER.pack(MAGIC, 10_000, 0) + b"\x07" + struct.pack("<I", len(head)) + head + rest
    result, _ = _tail(tmp_path, tail)
    assert result.torn and result.damage is None
