"""Issue 21's store boundaries: each test sits at an exact boundary (one past the end, the
last allowed value) that a mutant of the code survived, and case 9 (points checked before
their cast)."""

import importlib

import h5py
import numpy as np
import pytest
from store_support import version_0_file

from labor_desktop.store import ImageEntry, Project, ProjectError, ProjectSettings, codec, repair
from labor_desktop.store.checks import Damaged, check_points, check_record
from labor_desktop.store.codec import CodecError, check_bbox
from labor_desktop.store.journal import frame, scan

K, H, W = 19, 20, 30
SETTINGS = ProjectSettings(classes=[f"c{i}" for i in range(K)])


def make(tmp_path, n=10):
    return Project.create(tmp_path / "p.labor.h5", SETTINGS, [ImageEntry(f"im{i}.png", H, W) for i in range(n)])


def labels_of(i):
    lab = np.full((H, W), 255, np.uint8)
    lab[i, : i + 1] = i % K
    return lab


# ---- 9: proposal points are checked before any cast ------------------------------------------
@pytest.mark.parametrize("bad", [[[2**32 + 3, 0, 1]], [[0, 2**32 + 3, 1]], [[0, 0, 2**32 + 3]], [[-(2**32) + 3, 0, 1]]])
def test_points_that_wrap_in_int32_are_refused(tmp_path, bad):
    p = make(tmp_path)
    with pytest.raises(ValueError, match="image 0: a proposed point lies outside the image or has no valid class"):
        p.save_proposal(1, 0, None, np.array(bad, np.int64))
    assert p.proposal_stages() == []
    p.close()


def test_snapshot_points_that_wrap_in_int32_are_damage(tmp_path):
    p = make(tmp_path)
    p.save_proposal(1, 0, None, np.array([[1, 2, 3]]))
    p.close()
    with h5py.File(tmp_path / "p.labor.h5", "r+") as f:
        del f["proposals/1/0/points"]
        f["proposals/1/0/points"] = np.array([[2**32 + 1, 2, 3]], np.int64)
    with Project.open(tmp_path / "p.labor.h5", read_only=True) as r:
        with pytest.raises(ProjectError, match="stage 1 proposal of image 0 is damaged"):
            r.proposal(1, 0)


@pytest.mark.parametrize(
    ("point", "ok"),
    [([H - 1, W - 1, K - 1], True), ([H, 0, 0], False), ([0, W, 0], False), ([0, 0, K], False), ([-1, 0, 0], False)],
)
def test_point_bounds_one_past_the_end(point, ok):
    pts = np.array([point])
    if ok:
        check_points(pts, (H, W), K, "here")
    else:
        with pytest.raises(Damaged, match="here: a proposed point"):
            check_points(pts, (H, W), K, "here")


# ---- record, bbox, label and stage bounds --------------------------------------------------
@pytest.mark.parametrize(
    ("box", "ok"),
    [
        ([0, H, 0, W], True),
        ([H - 1, H, W - 1, W], True),
        ([0, H + 1, 0, W], False),
        ([0, H, 0, W + 1], False),
        ([3, 3, 0, W], False),
        ([0, H, 5, 5], False),
        ([-1, H, 0, W], False),
    ],
)
def test_bbox_bounds_one_past_the_end(box, ok):
    if ok:
        check_bbox(box, (H, W))
    else:
        with pytest.raises(CodecError, match="lies outside"):
            check_bbox(box, (H, W))


@pytest.mark.parametrize(("image", "ok"), [(0, True), (9, True), (10, False), (-1, False)])
def test_record_image_bounds_one_past_the_end(image, ok):
    shapes = [(H, W)] * 10
    header = {"kind": "proposal", "image": image, "stage": 255, "has_mask": False}
    if ok:
        check_record(header, shapes)
    else:
        with pytest.raises(Damaged, match=rf"image {image} is not in 0..9"):
            check_record(header, shapes)


def test_stage_255_is_the_last_allowed(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 255)
    p.save_proposal(255, 1, None, np.zeros((0, 3)))
    p.record_stage(255, {"miou": 0.25})
    with pytest.raises(ValueError, match=r"stages for image 0 must be integers in 0..255"):
        p.save_labels(0, labels_of(0), 256)
    with pytest.raises(ValueError, match=r"stage 256 is not an integer in 0..255"):
        p.record_stage(256, {})
    p.close()
    with Project.open(tmp_path / "p.labor.h5") as q:
        assert int(q.labels(0)[1][0, 0]) == 255 and q.proposal_stages() == [255]
        assert q.history() == [{"miou": 0.25, "stage": 255}]
    header = {"kind": "history", "stage": 256, "entry": {}}
    with pytest.raises(Damaged, match="stage 256 is not in 0..255"):
        check_record(header, [(H, W)])


@pytest.mark.parametrize(("cls", "ok"), [(K - 1, True), (K, False), (254, False), (255, True)])
def test_class_id_bounds_one_past_the_end(tmp_path, cls, ok):
    p = make(tmp_path)
    lab = np.full((H, W), 255, np.int64)
    lab[0, 0] = cls
    if ok:
        p.save_labels(0, lab, 1)
        assert int(p.labels(0)[0][0, 0]) == cls
    else:
        with pytest.raises(ValueError, match=rf"hold class id {cls}: allowed are 0..{K - 1}"):
            p.save_labels(0, lab, 1)
    p.close()


def test_a_labels_blob_with_class_id_k_is_damage():
    lab = np.full((H, W), 255, np.uint8)
    lab[2, 3] = K - 1
    header, blobs = codec.decode(codec.encode_labels(0, lab, np.ones_like(lab)))
    assert int(codec.decode_labels(header, blobs, K)[0][2, 3]) == K - 1
    with pytest.raises(CodecError, match=f"class id {K - 1} in the labels, the project has {K - 1} classes"):
        codec.decode_labels(header, blobs, K - 1)


# ---- effort: exactly zero is allowed, below zero never reaches the disk ----------------------
def test_effort_down_to_exactly_zero_and_not_below(tmp_path):
    p = make(tmp_path)
    p.add_effort(0, stage=1, clicks=2, active_seconds=1.5)
    assert p.add_effort(0, stage=1, clicks=-2, active_seconds=-1.5).clicks == 0
    with pytest.raises(ValueError, match="would make a counter negative"):
        p.add_effort(0, clicks=-1)
    with pytest.raises(ValueError, match="would make a counter negative"):
        p.add_effort(1, stage=1, active_seconds=-0.5)  # the image's row would be negative too
    p.add_effort(1, stage=2, clicks=1)
    with pytest.raises(ValueError, match="would make a counter negative"):
        p.add_effort(2, stage=2, clicks=-1)
    p.close()
    with Project.open(tmp_path / "p.labor.h5") as q:  # the next open works
        assert q.effort(0).clicks == 0 and q.stage_effort(1).clicks == 0 and q.stage_effort(2).clicks == 1


# ---- create over a leftover journal, and repair's names and messages -----------------------
def test_create_over_a_leftover_journal_starts_empty(tmp_path):
    p = make(tmp_path)
    p.save_labels(3, labels_of(3), 1)
    p.close(compact=False)
    (tmp_path / "p.labor.h5").unlink()  # the journal of the removed project stays
    with make(tmp_path) as q:
        assert q.labeled_images() == [] and q.effort(3).clicks == 0
    assert (tmp_path / "p.labor.h5.journal").stat().st_size == 0


def test_two_repairs_in_one_second_keep_both_originals(tmp_path, monkeypatch):
    repair_mod = importlib.import_module("labor_desktop.store.repair")
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    p.close(compact=False)
    journal = tmp_path / "p.labor.h5.journal"
    journal.write_bytes(journal.read_bytes() + b"\x01" * 20)  # damage after the record
    monkeypatch.setattr(repair_mod.time, "strftime", lambda fmt: "20261202-040000")
    first = repair(tmp_path / "p.labor.h5")
    stamp = "before-repair-20261202-040000"
    assert first.kept == {
        "project": tmp_path / f"p.labor.h5.{stamp}",
        "journal": tmp_path / f"p.labor.h5.journal.{stamp}",
    }
    with open(tmp_path / "p.labor.h5.journal", "ab") as f:
        f.write(frame(b"\x02\x00\x00\x00{}"))  # damage again (a header that is no record)
    kept_journal = first.kept["journal"].read_bytes()
    second = repair(tmp_path / "p.labor.h5")
    assert second.kept == {
        "project": tmp_path / f"p.labor.h5.{stamp}.1",
        "journal": tmp_path / f"p.labor.h5.journal.{stamp}.1",
    }
    assert first.kept["journal"].read_bytes() == kept_journal  # the first originals are untouched


def test_repair_of_a_version_0_file_says_to_open_it_first(tmp_path):
    path = version_0_file(tmp_path / "old.labor.h5")
    before = path.read_bytes()
    with pytest.raises(ProjectError) as e:
        repair(path)
    assert str(e.value) == f"{path}: written by an older version; open it once to upgrade it, then repair"
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [
        "old.labor.h5",
        "old.labor.h5.lock",
    ]


# ---- reading checks the record's kind, and a reader follows every compaction -----------------
def test_a_remembered_offset_of_another_kind_is_refused(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    p.add_effort(0, clicks=1)
    records = scan(p.journal_path).offsets
    p._labels[0] = records[1]  # image 0's effort record, where its labels record was
    with pytest.raises(ProjectError, match="is not the one expected"):
        p.labels(0)
    p.close(compact=False)


def test_a_reader_follows_two_compactions_in_a_row(tmp_path):
    path = tmp_path / "p.labor.h5"
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    r = Project.open(path, read_only=True)
    for version in (labels_of(5), labels_of(7)):  # each save then compaction replaces the snapshot
        p.save_labels(0, version, 1)
        p.compact()
        assert np.array_equal(r.labels(0)[0], version)
    assert r.generation == p.generation == 2
    r.close()
    p.close()
