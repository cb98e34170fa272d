"""A ``regions`` proposal remembers its superpixel size (issue 24): the window outlines and
queues the asked regions themselves.  Optional: older records and snapshots read as None."""

import h5py
import numpy as np
import pytest

from labor_desktop.store import ImageEntry, Project, ProjectError, ProjectSettings

SETTINGS = ProjectSettings(classes=[f"c{i}" for i in range(5)])


def make(tmp_path):
    return Project.create(tmp_path / "p.labor.h5", SETTINGS, [ImageEntry(f"im{i}.png", 20, 30) for i in range(2)])


@pytest.mark.parametrize("compact", [False, True])
def test_region_size_round_trips_and_is_none_for_other_proposals(tmp_path, compact):
    p = make(tmp_path)
    p.save_proposal(1, 0, np.ones((20, 30), bool), np.array([[3, 4, 1]]), region_size=32)
    p.save_proposal(1, 1, None, np.array([[1, 1, 1]]))
    assert p.proposal_region_size(1, 0) == 32 and p.proposal_region_size(1, 1) is None
    p.close(compact=compact)
    with Project.open(tmp_path / "p.labor.h5") as q:
        assert q.proposal_region_size(1, 0) == 32
        assert q.proposal_region_size(1, 1) is None
        assert q.proposal_region_size(2, 0) is None  # no proposal at all
        assert q.proposal(1, 0)[1].tolist() == [[3, 4, 1]]  # the proposal itself reads as before
        q.save_proposal(2, 0, None, np.array([[2, 2, 0]]))  # compacted again with a new record
    with Project.open(tmp_path / "p.labor.h5") as r:
        assert r.proposal_region_size(1, 0) == 32 and r.proposal_region_size(2, 0) is None


@pytest.mark.parametrize("size", [1, 4096])
def test_region_size_bounds_are_accepted(tmp_path, size):
    p = make(tmp_path)
    p.save_proposal(1, 0, None, np.array([[3, 4, 1]]), region_size=size)
    assert p.proposal_region_size(1, 0) == size
    p.close()


@pytest.mark.parametrize("size", [0, 4097, 2.5, True])
def test_a_bad_region_size_is_refused_and_nothing_is_written(tmp_path, size):
    p = make(tmp_path)
    with pytest.raises(ValueError, match="region_size"):
        p.save_proposal(1, 0, None, np.array([[3, 4, 1]]), region_size=size)
    assert p.proposal_stages() == []
    p.close()


def test_a_damaged_region_size_in_the_snapshot_is_one_clear_error(tmp_path):
    p = make(tmp_path)
    p.save_proposal(1, 0, None, np.array([[3, 4, 1]]), region_size=16)
    p.close(compact=True)
    with h5py.File(tmp_path / "p.labor.h5", "r+") as f:
        f["proposals"]["1"]["0"].attrs["region_size"] = -3
    with Project.open(tmp_path / "p.labor.h5") as q:
        with pytest.raises(ProjectError, match="region_size"):
            q.proposal_region_size(1, 0)
        assert q.proposal(1, 0)[1].tolist() == [[3, 4, 1]]  # the rest still reads
