"""Reading a proposal, exactly: the survivors of the fresh mutation run of store/ (issue 21).
A damaged proposal is one message naming the file, the proposal and the fix; an absent one
is an empty (0, 3) int32 table; a class id one past the end is damage, in the journal and in
the snapshot alike."""

import h5py
import numpy as np
import pytest
from store_support import SETTINGS, H, W, make

from labor_desktop.store import ProjectError, codec

K = len(SETTINGS.classes)


def damaged(where, proposal, reason, project):
    return (
        f"{where}: {proposal} is damaged ({reason}); nothing was changed. "
        f"Run `labor repair {project}` or restore the project from a backup"
    )


def append_proposal(p, stage, i, header_stage, blobs):
    header = {"kind": "proposal", "stage": header_stage, "image": i, "has_mask": False}
    p._append(codec.encode(header, *blobs), lambda off, n: p._proposals.__setitem__((stage, i), (off, n)))


GOOD_POINTS = np.array([[1, 2, 3]], np.int32).tobytes()


@pytest.mark.parametrize(
    "header_stage, blobs",
    [
        (2, (b"", GOOD_POINTS)),  # the record names another stage
        (1, (b"",)),  # no points table
        (1, (b"", GOOD_POINTS, b"")),  # a third blob
        (1, (b"", GOOD_POINTS[:-1])),  # a points table that is not whole rows
    ],
)
def test_a_damaged_proposal_record_is_one_message_naming_the_journal(tmp_path, header_stage, blobs):
    p = make(tmp_path)
    append_proposal(p, 1, 4, header_stage, blobs)
    with pytest.raises(ProjectError) as e:
        p.proposal(1, 4)
    reason = "the record does not hold a mask and a points table"
    assert str(e.value) == damaged(p.journal_path, "the stage 1 proposal of image 4", reason, p.path)
    p.close(compact=False)


def test_a_journal_proposal_point_of_class_k_is_damage_and_k_minus_1_is_not(tmp_path):
    p = make(tmp_path)
    append_proposal(p, 1, 4, 1, (b"", np.array([[H - 1, W - 1, K - 1]], np.int32).tobytes()))
    mask, points = p.proposal(1, 4)
    assert mask is None and points.tolist() == [[H - 1, W - 1, K - 1]] and points.dtype == np.int32
    append_proposal(p, 1, 5, 1, (b"", np.array([[0, 0, K]], np.int32).tobytes()))
    with pytest.raises(ProjectError) as e:
        p.proposal(1, 5)
    reason = "points: a proposed point lies outside the image or has no valid class"
    assert str(e.value) == damaged(p.journal_path, "the stage 1 proposal of image 5", reason, p.path)
    p.close(compact=False)


def test_no_proposal_is_an_empty_int32_table(tmp_path):
    p = make(tmp_path)
    p.save_proposal(1, 0, None, np.array([[1, 1, 0]]))
    mask, points = p.proposal(1, 3)  # the stage has proposals, image 3 has none
    assert mask is None and points.shape == (0, 3) and points.dtype == np.int32
    mask, points = p.proposal(7, 0)  # a stage with none at all
    assert mask is None and points.shape == (0, 3) and points.dtype == np.int32
    p.close()


def compacted_with_points(tmp_path, points):
    p = make(tmp_path)
    p.save_proposal(1, 4, None, np.array([[1, 2, 3]]))
    p.close()  # into the snapshot
    with h5py.File(p.path, "r+") as f:
        del f["proposals/1/4/points"]
        f["proposals/1/4"].create_dataset("points", data=points)
    return p.path


def test_a_snapshot_proposal_reads_back_as_int32_and_class_k_minus_1_is_valid(tmp_path):
    from labor_desktop.store import Project

    path = compacted_with_points(tmp_path, np.array([[H - 1, W - 1, K - 1]], np.int64))
    with Project.open(path, read_only=True) as r:
        mask, points = r.proposal(1, 4)
    assert mask is None and points.tolist() == [[H - 1, W - 1, K - 1]] and points.dtype == np.int32


def test_a_snapshot_proposal_point_of_class_k_is_one_message_naming_the_project(tmp_path):
    from labor_desktop.store import Project

    path = compacted_with_points(tmp_path, np.array([[0, 0, K]], np.int64))
    with Project.open(path, read_only=True) as r, pytest.raises(ProjectError) as e:
        r.proposal(1, 4)
    reason = "points: a proposed point lies outside the image or has no valid class"
    assert str(e.value) == damaged(path, "the stage 1 proposal of image 4", reason, path)


def snapshot_with_region_size(tmp_path, size):
    p = make(tmp_path)
    p.save_proposal(1, 4, None, np.array([[1, 2, 3]]), region_size=16)
    p.close()
    with h5py.File(p.path, "r+") as f:
        f["proposals/1/4"].attrs["region_size"] = size
    return p.path


@pytest.mark.parametrize("size", [1, 4096, np.int64(7), np.uint16(4096)])
def test_a_snapshot_region_size_from_1_to_4096_reads(tmp_path, size):
    from labor_desktop.store import Project

    with Project.open(snapshot_with_region_size(tmp_path, size), read_only=True) as r:
        assert r.proposal_region_size(1, 4) == int(size)


@pytest.mark.parametrize(
    "size, shown",
    [(0, "0"), (4097, "4097"), (2.0, "2.0"), (np.array([3, 4]), "[3, 4]")],
)
def test_a_snapshot_region_size_outside_1_to_4096_or_not_one_integer_is_one_message(tmp_path, size, shown):
    from labor_desktop.store import Project

    path = snapshot_with_region_size(tmp_path, size)
    with Project.open(path, read_only=True) as r, pytest.raises(ProjectError) as e:
        r.proposal_region_size(1, 4)
    reason = f"/proposals/1/4: region_size {shown} is not an integer in 1..4096"
    assert str(e.value) == damaged(path, "the stage 1 proposal of image 4", reason, path)
