"""Writing a snapshot at its exact edges: the survivors of the fresh mutation run of store/
(issue 21).  What the last snapshot holds and no journal record replaces is carried into the
next one (proposals included); an erased image does not stop the images after it; the new
snapshot is written as NAME.labor.h5.tmp, the one name an open clears after a crash."""

import os

import numpy as np
from store_support import H, W, labels_of, make

from labor_desktop.store import Project
from labor_desktop.store import writer as writer_mod


def test_a_snapshots_proposals_and_labels_survive_a_compaction_that_does_not_touch_them(tmp_path):
    p = make(tmp_path)
    mask = np.zeros((H, W), bool)
    mask[3:5, 4:9] = True
    p.save_proposal(1, 4, mask, np.array([[3, 4, 1], [4, 8, 2]]), region_size=16)
    p.save_proposal(2, 6, None, np.array([[1, 1, 0]]))
    p.save_labels(7, labels_of(7), 1)
    p.close()  # all in the snapshot
    with Project.open(tmp_path / "p.labor.h5") as q:
        q.save_labels(0, labels_of(0), 2)
        q.save_proposal(2, 7, None, np.array([[2, 2, 0]]))
    assert (tmp_path / "p.labor.h5.journal").stat().st_size == 0  # compacted: nothing left to replay
    with Project.open(tmp_path / "p.labor.h5", read_only=True) as r:  # two compactions later
        assert r.generation == 2
        got_mask, points = r.proposal(1, 4)
        assert np.array_equal(got_mask, mask) and points.tolist() == [[3, 4, 1], [4, 8, 2]]
        assert r.proposal_region_size(1, 4) == 16
        assert r.proposal(2, 6)[1].tolist() == [[1, 1, 0]] and r.proposal(2, 7)[1].tolist() == [[2, 2, 0]]
        assert r.proposal_stages() == [1, 2]
        assert r.labeled_images() == [0, 7] and np.array_equal(r.labels(7)[0], labels_of(7))


def test_an_erased_image_does_not_stop_the_images_after_it(tmp_path):
    p = make(tmp_path)
    p.save_labels(2, labels_of(2), 1)
    p.close()
    with Project.open(tmp_path / "p.labor.h5") as q:
        q.save_labels(2, np.full((H, W), 255, np.uint8), 0)  # erased first,
        q.save_labels(5, labels_of(5), 1)  # then a new one
    assert (tmp_path / "p.labor.h5.journal").stat().st_size == 0
    with Project.open(tmp_path / "p.labor.h5", read_only=True) as r:
        assert r.labeled_images() == [5] and np.array_equal(r.labels(5)[0], labels_of(5))


def test_the_snapshot_is_written_under_the_name_an_open_clears(tmp_path, monkeypatch):
    p = make(tmp_path)
    p.save_labels(2, labels_of(2), 1)
    moves = []
    real = os.replace

    def replace(src, dst):
        moves.append((os.fspath(src), os.fspath(dst)))
        real(src, dst)

    monkeypatch.setattr(writer_mod.os, "replace", replace)
    p.compact()
    assert moves == [(str(p.path) + ".tmp", str(p.path))]
    p.close()
