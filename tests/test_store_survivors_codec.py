"""The record codec at its exact edges: the survivors of the fresh mutation run of store/
(issue 21).  A compressed blob inflates to exactly its size or is refused with what it holds
(and a bomb never allocates beyond the size); a record's parts and header decode exactly or
are one message; a bounding box is four plain integers inside the image; a journal is read
the same way where the system has no ``pread``."""

import os
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

from labor_desktop.store import codec
from labor_desktop.store.codec import CodecError, check_bbox, decode, decode_header, decode_labels, inflate
from labor_desktop.store.journal import pread

LE = struct.Struct("<I")


def refused(fn, *args) -> str:
    with pytest.raises(CodecError) as e:
        fn(*args)
    return str(e.value)


def test_a_stream_of_exactly_its_size_inflates():
    assert inflate(zlib.compress(b"abc"), 3) == b"abc"
    assert inflate(zlib.compress(b""), 0) == b""


@pytest.mark.parametrize(
    "data, message",
    [
        (b"abcd", "compressed data holds more bytes, 3 expected"),
        (b"abcdefgh" * 100, "compressed data holds more bytes, 3 expected"),
        (b"ab", "compressed data holds 2 bytes, 3 expected"),
    ],
)
def test_a_stream_of_another_size_says_what_it_holds(data, message):
    assert refused(inflate, zlib.compress(data), 3) == message


def test_a_stream_cut_before_its_end_is_damaged_even_when_its_bytes_are_all_there():
    whole = zlib.compress(b"abc")
    assert refused(inflate, whole[:-4], 3) == "compressed data is damaged (the stream ends early)"  # no checksum
    assert refused(inflate, whole[:-1], 3) == "compressed data is damaged (the stream ends early)"


def test_a_damaged_stream_names_zlibs_reason():
    assert refused(inflate, b"\x78\x9c\xff\xff", 3).startswith("compressed data is damaged (Error -3 ")


def test_a_bomb_never_allocates_beyond_its_size():
    bomb = zlib.compress(bytes(100 * 2**20))  # 100 MiB of zeros in about 100 KB
    tracemalloc.start()
    try:
        assert refused(inflate, bomb, 3) == "compressed data holds more bytes, 3 expected"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_a_record_decodes_into_its_header_and_exact_parts():
    assert decode(codec.encode({"kind": "x"}, b"ab", b"", b"cde")) == ({"kind": "x"}, [b"ab", b"", b"cde"])


@pytest.mark.parametrize("short", [1, 4, 9])
def test_a_part_running_past_the_end_is_one_message(short):
    record = codec.encode({"kind": "x"}, b"ab", b"0123456789")[:-short]
    assert refused(decode, record) == "the record does not decode (a blob runs past the end of the record)"


def test_a_part_length_beyond_the_whole_record_is_refused():
    record = codec.encode({"kind": "x"}) + LE.pack(2**32 - 1) + b"ab"
    assert refused(decode, record) == "the record does not decode (a blob runs past the end of the record)"


def test_a_header_that_is_no_json_object_is_one_message():
    assert refused(decode, LE.pack(3) + b"[1]") == "the record's header is not a JSON object"
    assert refused(decode_header, LE.pack(3) + b"[1]") == "the record's header is not a JSON object"
    assert refused(decode, LE.pack(3) + b"abc") == (
        "the record does not decode (Expecting value: line 1 column 1 (char 0))"
    )


def test_a_header_is_read_only_within_its_record():
    record = codec.encode({"kind": "x"})
    assert decode_header(record, 0, len(record)) == {"kind": "x"}
    # the length field says one byte more than the record holds; the next bytes would parse
    data = LE.pack(len(record) - 3) + record[4:] + b" "
    assert refused(decode_header, data, 0, len(record)) == (
        "the record's header does not decode (the header runs past the end of the record)"
    )
    assert decode_header(data) == {"kind": "x"}  # no length given: read to where it says


def test_labels_without_a_box_are_unlabelled_uint8_maps_and_blobs_are_three():
    labels, stage = decode_labels({"shape": [2, 3], "bbox": None}, [])
    assert labels.dtype == np.uint8 and (labels == 255).all() and labels.shape == (2, 3)
    assert stage.dtype == np.uint8 and (stage == 0).all()
    header = {"shape": [2, 3], "bbox": [0, 1, 0, 1]}
    assert refused(decode_labels, header, [b"", b""]) == "2 label blobs, 3 expected"


def test_labels_without_a_class_count_take_any_class():
    lab = np.full((2, 3), 255, np.uint8)
    lab[1, 2] = 200
    header, blobs = decode(codec.encode_labels(0, lab, np.ones_like(lab)))
    labels, stage = decode_labels(header, blobs)
    assert labels[1, 2] == 200 and labels.dtype == np.uint8 and stage[1, 2] == 1


@pytest.mark.parametrize(
    "box",
    [[0, 1, 2], [0, 1, 0, 1, 0], {0: 0, 1: 1, 2: 2, 3: 3}, [0.0, 1.0, 0.0, 1.0], [0, True, 0, 1], "0101"],
)
def test_a_box_is_four_plain_integers(box):
    assert refused(check_bbox, box, (20, 30)) == f"bounding box {box!r} is not four integers"


def test_pread_without_os_pread_reads_the_same_bytes(tmp_path, monkeypatch):
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    fd = os.open(path, os.O_RDWR | os.O_APPEND)
    try:
        assert pread(fd, 4, 3) == b"3456"
        monkeypatch.delattr(os, "pread")  # as on Windows
        assert pread(fd, 4, 3) == b"3456"
        assert pread(fd, 20, 8) == b"89"
    finally:
        os.close(fd)
