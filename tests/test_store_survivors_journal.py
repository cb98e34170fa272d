"""The journal's torn-tail rule at its exact edges: the survivors of the fresh mutation run of
store/ (issue 21).  Where a payload could end (``_part_ends``), whether a whole payload sits
behind a damaged header (``_shifted_payload``: from the second byte on, at most SHIFT_LIMIT
bytes in, its header part a JSON object with a kind, its parts ending exactly at the end)."""

import struct

import pytest

from labor_desktop.store import codec
from labor_desktop.store.journal import SHIFT_LIMIT, _is_torn_tail, _part_ends, _shifted_payload

PAYLOAD = codec.encode({"kind": "effort", "image": 3}, b"ab", b"")  # its last part is empty: 4 zero bytes
LE = struct.Struct("<I")


def ends(body: bytes) -> set[int]:
    return set(_part_ends(memoryview(body)))  # a set: only membership is ever read


def test_part_ends_are_the_end_and_each_whole_part():
    body = LE.pack(2) + b"ab" + LE.pack(0) + LE.pack(3) + b"xyz"
    assert ends(body) == {6, 10, 17}
    # bytes after the parts: the end of the bytes, and of each whole part before them
    assert ends(body + b"\x05\x06\x07") == {6, 10, 17, 20}
    assert ends(body + LE.pack(1) + b"q" + b"\x09") == {6, 10, 17, 22, 23}
    # a length past the end ends the list; a big-endian reading would see 0x02000000
    assert ends(LE.pack(9) + b"ab" + LE.pack(0)) == {10}
    assert ends(LE.pack(2) + b"ab" + LE.pack(0x01000000)) == {6, 10}


def test_a_payload_shifted_by_one_byte_is_found():
    assert _shifted_payload(memoryview(b"\x07" + PAYLOAD)) is True


def test_a_payload_at_the_first_byte_is_not_a_shifted_one():
    assert _shifted_payload(memoryview(PAYLOAD)) is False


def test_a_payload_after_bytes_that_do_not_parse_is_found():
    assert _shifted_payload(memoryview(b"\xff" * 5 + PAYLOAD)) is True


@pytest.mark.parametrize("shift, found", [(SHIFT_LIMIT - 1, True), (SHIFT_LIMIT, False)])
def test_a_payload_is_looked_for_up_to_shift_limit_bytes_in(shift, found):
    assert _shifted_payload(memoryview(b"\xff" * shift + PAYLOAD)) is found


def test_the_header_part_must_start_with_a_brace_and_name_a_kind():
    spaced = b' {"kind":"effort"}'
    assert _shifted_payload(memoryview(b"\x07" + LE.pack(len(spaced)) + spaced + LE.pack(0))) is False
    kindless = b'{"image":3}'
    assert _shifted_payload(memoryview(b"\x07" + LE.pack(len(kindless)) + kindless + LE.pack(0))) is False


def test_a_start_whose_parts_do_not_end_at_the_end_does_not_stop_the_search():
    # from byte 1: a one-byte header part "{" whose parts run past the end; the payload is at 7
    decoy = b"\x00" + LE.pack(1) + b"{" + b"\x09"
    assert _shifted_payload(memoryview(decoy + PAYLOAD)) is True


def test_a_start_whose_header_is_no_json_does_not_stop_the_search():
    # from byte 1: a one-byte header part "{" (no JSON) whose parts end exactly at the end
    decoy = b"\x00" + LE.pack(1) + b"{"
    assert _shifted_payload(memoryview(decoy + PAYLOAD)) is True


@pytest.mark.parametrize(
    "rest, torn",
    [(b"", True), (bytes(40), True), (b"LBR", True), (b"LBRX", False), (b"XXXXXXXX", False), (b"\0X\0", False)],
)
def test_zeros_and_a_prefix_of_the_magic_are_a_torn_tail_and_other_bytes_are_not(rest, torn):
    assert _is_torn_tail(rest) is torn
