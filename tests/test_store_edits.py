"""What the window writes per edit: one journal record for the labels and the effort
of an edit, and the points the annotator marked unsure, both surviving reopen and
compaction."""

import numpy as np
import pytest
from test_store import make, some_labels

from labor_desktop.store import UNLABELED, Project
from labor_desktop.store.journal import scan


@pytest.mark.parametrize("compact", [False, True])
def test_labels_and_effort_of_an_edit_are_one_record(tmp_path, compact):
    p = make(tmp_path)
    p.save_proposal(1, 0, None, np.array([[1, 2, 3], [4, 5, 6]]))
    before = len(scan(p.journal_path).offsets)
    lab = some_labels()
    p.save_labels(0, lab, 1, effort={"clicks": 1, "points_labeled": 1, "active_seconds": 2.5}, effort_stage=1)
    assert len(scan(p.journal_path).offsets) == before + 1  # one fsync-ed record, not two
    assert p.effort(0).clicks == 1 and p.effort(0).points_labeled == 1
    assert p.stage_effort(1).points_labeled == 1 and p.stage_effort(1).active_seconds == 2.5
    p.close(compact=compact)
    with Project.open(p.path, read_only=True) as again:
        assert np.array_equal(again.labels(0)[0], lab)
        assert again.effort(0).clicks == 1 and again.stage_effort(1).points_labeled == 1


@pytest.mark.parametrize("compact", [False, True])
def test_unsure_points_per_stage_and_image(tmp_path, compact):
    p = make(tmp_path)
    p.save_proposal(1, 2, None, np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))
    p.set_unsure(1, 2, [2, 0, 2])
    assert p.unsure(1, 2) == [0, 2] and p.unsure(1, 0) == [] and p.unsure(2, 2) == []
    assert p.unsure_count(1) == 2
    with pytest.raises(ValueError, match="proposed 3 points"):
        p.set_unsure(1, 2, [3])  # no such point: refused, nothing written
    p.close(compact=compact)
    with Project.open(p.path) as again:
        assert again.unsure(1, 2) == [0, 2]
        again.set_unsure(1, 2, [])
        assert again.unsure_count(1) == 0


def test_labels_keep_unlabeled_as_the_one_constant(tmp_path):
    p = make(tmp_path)
    lab = np.full((40, 60), UNLABELED, np.uint8)
    lab[3, 4] = 7
    p.save_labels(0, lab, 2)
    labels, stage = p.labels(0)
    assert labels[3, 4] == 7 and stage[3, 4] == 2 and (stage[labels == UNLABELED] == 0).all()
    p.close()
