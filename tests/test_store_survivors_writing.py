"""Writing at its exact edges: the survivors of the fresh mutation run of store/ (issue 21).
Effort deltas and proposals that are refused say exactly why; a stage with no unsure points
counts 0; a journal rescued after its removal is a plain 0644 file created only where no
file or link is, so a link that appears at the rescue name in the meantime is never written
through."""

import os
from pathlib import Path

import numpy as np
import pytest
from store_support import H, W, labels_of, make

from labor_desktop.store import Project, SaveError
from labor_desktop.store import locks as locks_mod
from labor_desktop.store.locks import stop_message


def test_an_unknown_effort_field_is_named_with_the_fields_allowed(tmp_path):
    with make(tmp_path) as p:
        with pytest.raises(ValueError) as e:
            p.add_effort(0, taps=1, clicks=1)
        assert str(e.value) == (
            "unknown effort fields ['taps']; use ('active_seconds', 'clicks', 'brush_strokes', 'points_labeled')"
        )
        assert p.effort(0).clicks == 0


def test_an_effort_delta_that_is_no_number_is_a_value_error_and_changes_nothing(tmp_path):
    with make(tmp_path) as p:
        with pytest.raises(ValueError):
            p.add_effort(0, clicks="many")
        p.add_effort(0, clicks=2, active_seconds=1.5)
        assert (p.effort(0).clicks, p.effort(0).active_seconds) == (2, 1.5)


def test_a_stage_with_no_unsure_points_counts_zero(tmp_path):
    with make(tmp_path) as p:
        assert p.unsure_count(1) == 0
        p.save_proposal(1, 2, None, np.array([[1, 1, 0], [2, 2, 0], [3, 3, 0]]))
        p.set_unsure(1, 2, [0, 2])
        assert (p.unsure_count(1), p.unsure_count(2)) == (2, 0)


def test_a_proposal_mask_of_the_wrong_size_and_float_points_say_what_is_wrong(tmp_path):
    with make(tmp_path) as p:
        with pytest.raises(ValueError) as e:
            p.save_proposal(1, 2, np.zeros((H, W + 1), bool), np.zeros((0, 3), np.int32))
        assert str(e.value) == f"proposal mask for image 2 is {W + 1}x{H}, the image is {W}x{H}"
        with pytest.raises(ValueError) as e:
            p.save_proposal(1, 2, None, np.array([[1.0, 2.0, 0.0]]))
        assert str(e.value) == "proposed points for image 2 must be integers (y, x, class)"
        with pytest.raises(ValueError) as e:
            p.save_proposal(1, 2, None, np.array([[1, 2, 0]]), region_size=0)
        assert str(e.value) == "region_size of image 2's proposal must be an integer in 1..4096"
        assert p.proposal(1, 2)[1].shape == (0, 3)


def removed_journal(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    before = p.journal_path.read_bytes()
    p.journal_path.unlink()
    return p, before


def test_a_rescued_journal_is_a_0644_file(tmp_path):
    old = os.umask(0o022)
    try:
        p, before = removed_journal(tmp_path)
        with pytest.raises(SaveError):
            p.add_effort(0, clicks=1)
    finally:
        os.umask(old)
    assert p.journal_path.read_bytes() == before
    assert p.journal_path.stat().st_mode & 0o777 == 0o644
    p.close()


def test_a_link_that_appears_at_the_rescue_name_is_not_written_through(tmp_path, monkeypatch):
    p, before = removed_journal(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not yours")
    os.symlink(outside, p.journal_path)  # placed after the rescue looked at the name
    real = os.path.lexists
    monkeypatch.setattr(locks_mod.os.path, "lexists", lambda q: False if Path(q) == p.journal_path else real(q))
    with pytest.raises(SaveError) as e:
        p.add_effort(0, clicks=1)
    assert str(e.value) == stop_message(p.journal_path, None)
    assert outside.read_bytes() == b"not yours"
    p.close()


def test_a_rescue_that_failed_says_to_keep_the_window_open():
    journal = Path("/data/p.labor.h5.journal")
    assert stop_message(journal, None) == (
        f"{journal}: was removed or replaced while the project was open, so nothing more is saved; "
        "the saves it held could not be written back (keep this window open and copy your work). "
        "Close the project and open it again"
    )


def test_an_erase_replayed_from_the_journal_hides_the_snapshots_labels(tmp_path):
    p = make(tmp_path)
    for i in (2, 3):
        p.save_labels(i, labels_of(i), 1)
    p.close()  # 2 and 3 in the snapshot
    with Project.open(tmp_path / "p.labor.h5") as q:
        q.save_labels(2, np.full((H, W), 255, np.uint8), 0)  # erased
        q.save_labels(4, labels_of(4), 1)
        q.close(compact=False)  # the erase stays a journal record
    with Project.open(tmp_path / "p.labor.h5", read_only=True) as r:
        assert r.labeled_images() == [3, 4]
        assert (r.labels(2)[0] == 255).all()


def test_effort_replayed_from_a_labels_record_is_booked_to_that_image_only(tmp_path):
    p = make(tmp_path)
    p.save_labels(3, labels_of(3), 1, {"clicks": 2, "active_seconds": 1.5}, 1)
    p.close(compact=False)
    with Project.open(tmp_path / "p.labor.h5", read_only=True) as r:
        assert [r.effort(i).clicks for i in range(10)] == [0, 0, 0, 2, 0, 0, 0, 0, 0, 0]
        assert r.effort(3).active_seconds == 1.5


def test_stage_0_is_a_stage_and_256_is_not(tmp_path):
    with make(tmp_path) as p:
        p.save_proposal(0, 1, None, np.array([[1, 1, 0]]))
        assert p.proposal(0, 1)[1].tolist() == [[1, 1, 0]]
        p.record_stage(0, {"miou": 0.25})
        with pytest.raises(ValueError) as e:
            p.record_stage(256, {})
        assert str(e.value) == "stage 256 is not an integer in 0..255"
        with pytest.raises(ValueError) as e:
            p.record_stage(1, [1, 2])
        assert str(e.value) == "the history entry of stage 1 must be a dict"
