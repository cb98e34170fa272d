"""The store's checks at their exact edges: the survivors of the fresh mutation run of store/
(issue 21).  The global-heap walk (``_heap_loops``) on collections built byte by byte, whose
outcome is worked out by hand from HDF5's rule; the number and effort-row predicates on each
kind of value they must refuse."""

import h5py
import numpy as np
import pytest

from labor_desktop.store.checks import (
    LABEL_BLOBS,
    Damaged,
    _heap_loops,
    _number,
    check_points,
    check_record,
    label_group,
    proposal_group,
)
from labor_desktop.store.schema import EFFORT_FIELDS
from labor_desktop.store.tables import _effort_row

WRAP = 1 << 64


def obj(index: int, n: int, data: bytes = b"", refcount: int = 0) -> bytes:
    """One heap object: index (2), reference count (2), reserved (4), size (8), data."""
    return index.to_bytes(2, "little") + refcount.to_bytes(2, "little") + bytes(4) + n.to_bytes(8, "little") + data


def heap(*objects: bytes, size: int | None = None, after: bytes = b"") -> tuple[bytes, int]:
    """A collection at byte 0: its 16-byte header, the objects, zero padding up to ``size``,
    then ``after`` (bytes past the collection's end that the walk must never read)."""
    body = b"".join(objects)
    size = 16 + len(body) if size is None else size
    data = b"GCOL\x01\0\0\0" + size.to_bytes(8, "little") + body
    return data + bytes(size - len(data)) + after, size


def loops(objects, **kw) -> bool:
    data, size = heap(*objects, **kw)
    return _heap_loops(data, 0, size)


def test_a_well_formed_collection_ends():
    # object 1: 5 bytes padded to 8 (a step of 24); object 2: 16 bytes (32); free space to the end
    one, two = obj(1, 5, b"\xff" * 8), obj(2, 16, b"\xee" * 16)
    assert loops([one, two, obj(0, 4096 - 16 - 24 - 32)], size=4096) is False


def test_a_step_that_wraps_to_zero_in_64_bits_loops():
    # 16 + ((2**64 - 16 + 7) & ~7) == 2**64: HDF5's size_t pointer does not move
    assert loops([obj(1, WRAP - 16, b"\x01" * 8)], size=4096) is True


def test_a_free_space_object_of_size_zero_loops_and_its_reference_count_is_not_its_index():
    assert loops([obj(0, 0)], size=64) is True
    # index 0 with a non-zero reference count is still free space: its step is n (0), not 16
    assert loops([obj(0, 0, refcount=1), obj(0, 64 - 32)], size=64) is True


def test_padding_rounds_the_object_size_up_to_8():
    # object 1 of 5 bytes steps 24; stepping 8 would land on its zero data, a size-0 free object
    assert loops([obj(1, 5, bytes(8)), obj(0, 64 - 16 - 24)], size=64) is False


def test_an_object_header_exactly_at_the_end_is_read_and_one_past_is_not():
    # the last 16 bytes hold a looping header: read (p + 16 == end)
    assert loops([obj(1, 8, b"\x07" * 8), obj(0, 0)], size=16 + 24 + 16) is True
    # only 8 bytes left: the walk stops there, though with the 8 bytes past the end (a size that
    # wraps) they would make a looping header
    past = (WRAP - 16).to_bytes(8, "little") + bytes(24)
    assert loops([obj(1, 8, b"\x07" * 8), b"\x09" * 8], size=16 + 24 + 8, after=past) is False


@pytest.mark.parametrize(
    "value, ok",
    [
        (0, True),
        (0.0, True),
        (2.5, True),
        (-1, False),
        (-0.5, False),
        (float("inf"), False),
        (float("nan"), False),
        (True, False),
        ("1", False),
        (None, False),
    ],
)
def test_a_counter_is_a_finite_non_negative_number_and_not_a_bool(value, ok):
    assert _number(value) is ok


N = len(EFFORT_FIELDS)


@pytest.mark.parametrize(
    "row, ok",
    [
        ([0.0] * N, True),
        ([1, 2.5, 0, 3], True),
        ([0.0] * (N - 1), False),
        ([0.0] * (N + 1), False),
        (tuple([0.0] * N), False),
        ([0.0] * (N - 1) + [-1], False),
        ([0.0] * (N - 1) + [-0.5], False),
        ([0.0] * (N - 1) + [True], False),
        ([0.0] * (N - 1) + [float("inf")], False),
    ],
)
def test_an_effort_row_is_a_list_of_exactly_n_counters(row, ok):
    assert bool(_effort_row(row)) is ok


# ---- a snapshot's label and proposal groups: each wrong shape is one exact message -----------
@pytest.fixture
def f():
    with h5py.File("mem.h5", "w", driver="core", backing_store=False) as f:
        f.create_group("labels")
        f.create_group("proposals/1")
        yield f


def label(f, box=(0, 2, 0, 3), blobs=LABEL_BLOBS, blob_dtype=np.uint8):
    g = f["labels"].create_group("3")
    for name in blobs:
        g.create_dataset(name, data=np.zeros(4, blob_dtype))
    if box is not None:
        g.attrs["bbox"] = np.asarray(box)
    return g


def damage(fn, *args) -> str:
    with pytest.raises(Damaged) as e:
        fn(*args)
    return str(e.value)


def test_a_label_group_that_is_whole_reads(f):
    label(f)
    box, blobs = label_group(f, 3, (20, 30))
    assert box == [0, 2, 0, 3] and [b.name for b in blobs] == [
        "/labels/3/mask",
        "/labels/3/classes",
        "/labels/3/stages",
    ]


def test_a_label_that_is_no_group_names_its_place(f):
    f["labels"].create_dataset("3", data=np.zeros(2))
    assert damage(label_group, f, 3, (20, 30)) == "/labels/3 is not a group"


def test_a_label_group_with_another_member_lists_them(f):
    label(f, blobs=(*LABEL_BLOBS, "extra"))
    assert (
        damage(label_group, f, 3, (20, 30))
        == "/labels/3 holds ['classes', 'extra', 'mask', 'stages'], expected ['mask', 'classes', 'stages']"
    )


@pytest.mark.parametrize("box", [None, (0, 2, 0), (0.0, 2.0, 0.0, 3.0)])
def test_a_missing_short_or_float_bbox_is_no_valid_bbox(f, box):
    label(f, box=box)
    assert damage(label_group, f, 3, (20, 30)) == "/labels/3 has no valid bbox attribute"


def test_a_bbox_outside_the_image_names_it(f):
    label(f, box=(0, 21, 0, 3))
    assert damage(label_group, f, 3, (20, 30)) == "/labels/3: bounding box [0, 21, 0, 3] lies outside the 30x20 image"


def test_a_float_label_blob_names_the_kind_expected(f):
    label(f, blob_dtype=np.float32)
    assert (
        damage(label_group, f, 3, (20, 30)) == "/labels/3/mask is float32 with 1 dimensions, expected kind 'u' with 1"
    )


def proposal(f, members=None):
    g = f["proposals/1"].create_group("3")
    for name, data in (members or {"mask": np.zeros(4, np.uint8), "points": np.zeros((2, 3), np.int32)}).items():
        g.create_dataset(name, data=data)
    return g


def test_a_proposal_group_that_is_whole_reads(f):
    proposal(f)
    mask, points = proposal_group(f, 1, 3)
    assert mask.name == "/proposals/1/3/mask" and points.shape == (2, 3)
    f["proposals/1/3"].__delitem__("mask")
    assert proposal_group(f, 1, 3)[0] is None


def test_a_proposal_that_is_no_group_names_its_place(f):
    f["proposals/1"].create_dataset("3", data=np.zeros(2))
    assert damage(proposal_group, f, 1, 3) == "/proposals/1/3 is not a group"


@pytest.mark.parametrize(
    "members, listed",
    [
        ({"mask": np.zeros(4, np.uint8)}, "['mask']"),
        ({"points": np.zeros((2, 3), np.int32), "other": np.zeros(1)}, "['other', 'points']"),
    ],
)
def test_a_proposal_group_without_points_or_with_another_member_lists_them(f, members, listed):
    proposal(f, members)
    assert damage(proposal_group, f, 1, 3) == f"/proposals/1/3 holds {listed}, expected points and an optional mask"


def test_float_proposal_data_and_a_points_table_not_n_by_3_name_what_is_wrong(f):
    proposal(f, {"mask": np.zeros(4), "points": np.zeros((2, 3), np.int32)})
    assert (
        damage(proposal_group, f, 1, 3) == "/proposals/1/3/mask is float64 with 1 dimensions, expected kind 'u' with 1"
    )
    del f["proposals/1/3"]
    proposal(f, {"points": np.zeros((2, 3))})
    assert (
        damage(proposal_group, f, 1, 3)
        == "/proposals/1/3/points is float64 with 2 dimensions, expected kind 'iu' with 2"
    )
    del f["proposals/1/3"]
    proposal(f, {"points": np.zeros((2, 4), np.int32)})
    assert damage(proposal_group, f, 1, 3) == "/proposals/1/3/points is (2, 4), expected (N, 3)"


@pytest.mark.parametrize(
    "point, ok",
    [
        ((0, 0, 0), True),
        ((19, 29, 18), True),
        ((-1, 0, 0), False),
        ((0, -1, 0), False),
        ((20, 0, 0), False),
        ((0, 30, 0), False),
        ((0, 0, -1), False),
        ((0, 0, 19), False),
    ],
)
def test_a_point_lies_in_the_image_with_a_class_in_0_to_k_minus_1(point, ok):
    points = np.array([point], np.int64)
    if ok:
        check_points(points, (20, 30), 19, "pts")
    else:
        assert (
            damage(check_points, points, (20, 30), 19, "pts")
            == "pts: a proposed point lies outside the image or has no valid class"
        )


# ---- a journal record's header: each wrong field is one exact message ------------------------
COUNTERS = {"active_seconds": 1.0, "clicks": 2, "brush_strokes": 0, "points_labeled": 0}
LABELS = {"kind": "labels", "image": 1, "shape": [20, 30], "bbox": None}
PROPOSAL = {"kind": "proposal", "image": 1, "stage": 1, "has_mask": False}
UNSURE = {"kind": "unsure", "image": 1, "stage": 1, "points": [0]}


@pytest.mark.parametrize(
    "header, message",
    [
        ({**LABELS, "effort": "x"}, "labels record: effort is not a JSON object"),
        (
            {**LABELS, "effort": {**COUNTERS, "clicks": -1}},
            "labels record: effort counters must be finite numbers >= 0",
        ),
        ({**LABELS, "effort": {**COUNTERS, "stage": "x"}}, "labels record: stage 'x' is not in 0..255"),
        ({"kind": "effort", "image": 1, **COUNTERS, "stage": 256}, "effort record: stage 256 is not in 0..255"),
        (
            {"kind": "effort", "image": 1, **COUNTERS, "stage": 1, "stage_row": [1, 2, 3]},
            "effort record: stage_row must be four finite numbers >= 0",
        ),
        (
            {"kind": "effort", "image": 1, **COUNTERS, "stage": 1, "stage_row": 5},
            "effort record: stage_row must be four finite numbers >= 0",
        ),
        ({**LABELS, "shape": [20, 31]}, "labels record: shape [20, 31] is not image 1's [20, 30]"),
        ({**LABELS, "bbox": [0, 99, 0, 5]}, "labels record: bounding box [0, 99, 0, 5] lies outside the 30x20 image"),
        ({**PROPOSAL, "has_mask": 1}, "proposal record: has_mask is not true or false"),
        ({**PROPOSAL, "region_size": 0}, "proposal record: region_size 0 is not in 1..4096"),
        ({**PROPOSAL, "region_size": 4097}, "proposal record: region_size 4097 is not in 1..4096"),
        ({**PROPOSAL, "region_size": 1.5}, "proposal record: region_size 1.5 is not in 1..4096"),
        ({**UNSURE, "points": 3}, "unsure record: points is not a list of point indices"),
        ({**UNSURE, "points": [1.0]}, "unsure record: points is not a list of point indices"),
        ({**UNSURE, "points": [-1]}, "unsure record: points is not a list of point indices"),
        ({**UNSURE, "points": [100_000]}, "unsure record: points is not a list of point indices"),
        ({"kind": "history", "stage": 1, "entry": [1]}, "history record: entry is not a JSON object"),
        ({"kind": "settings", "settings": "x"}, "settings record: settings is not a JSON object"),
    ],
)
def test_a_record_header_with_one_wrong_field_names_it(header, message):
    assert damage(check_record, header, [(20, 30)] * 10) == message


@pytest.mark.parametrize(
    "header",
    [
        {**LABELS, "effort": {**COUNTERS, "stage": 1, "stage_row": [0, 0, 0, 0]}},
        {"kind": "effort", "image": 1, **COUNTERS, "stage": 0, "stage_row": [1.5, 2, 0, 0]},
        {**LABELS, "bbox": [0, 20, 0, 30]},
        {**PROPOSAL, "region_size": 1},
        {**PROPOSAL, "region_size": 4096},
        {**UNSURE, "points": [0, 99_999]},
    ],
)
def test_a_record_header_at_its_edges_is_valid(header):
    check_record(header, [(20, 30)] * 10)
