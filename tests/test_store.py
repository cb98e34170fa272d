"""The project store: round trips of every field, bad files, migration, failing disks."""

import errno
import json
import os

import h5py
import numpy as np
import pytest

from labor_desktop.store import Effort, ImageEntry, Project, ProjectError, ProjectSettings, SaveError
from labor_desktop.store import journal as journal_mod

SETTINGS = ProjectSettings(
    classes=[f"class{i}" for i in range(19)],
    colors=[[i, 2 * i, 3 * i] for i in range(19)],
    source_root="../gta",
    target_root="/data/cityscapes",
    strategy="spl",
    stages=3,
    model={"backbone": "resnet18", "num_classes": 19},
    seed=7,
    extra={"budget": {"points": 15}},
)


def make(tmp_path, n=3, h=40, w=60):
    images = [ImageEntry(str(tmp_path / "imgs" / f"im{i}.png"), h, w) for i in range(n)]
    return Project.create(tmp_path / "p.labor.h5", SETTINGS, images)


def some_labels(h=40, w=60, seed=0, share=0.1):
    rng = np.random.default_rng(seed)
    lab = np.full((h, w), 255, np.uint8)
    m = rng.random((h, w)) < share
    lab[m] = rng.integers(0, 19, int(m.sum()))
    return lab


@pytest.mark.parametrize("compact", [False, True])
def test_round_trip_of_every_field(tmp_path, compact):
    p = make(tmp_path)
    lab0, lab2 = some_labels(seed=0), some_labels(seed=2)
    stage0 = np.where(lab0 != 255, 1, 0).astype(np.uint8)
    stage0[:20] = np.where(lab0[:20] != 255, 2, 0)
    p.save_labels(0, lab0, stage0)
    p.save_labels(2, lab2, 3)
    mask = np.random.default_rng(5).random((40, 60)) < 0.2
    p.save_proposal(1, 0, mask, np.array([[3, 4, 5], [10, 11, 18]]))
    p.save_proposal(2, 1, None, np.array([[1, 1, 1]]))
    p.add_effort(0, active_seconds=12.5, clicks=4)
    p.add_effort(0, stage=1, brush_strokes=2, points_labeled=3, clicks=1)
    p.add_effort(1, stage=1, active_seconds=1.5)
    p.add_effort(1, stage=2, clicks=7)
    p.record_stage(
        1,
        {
            "pixel_share": 0.021,
            "points_per_image": 14.5,
            "iou": [0.5] * 19,
            "miou": 0.5,
            "seconds": {"retrain": 30.0},
            "checkpoint": {"path": "stage1.pt", "sha256": "ab" * 32},
        },
    )
    new_settings = ProjectSettings(**{**SETTINGS.to_dict(), "strategy": "ppl"})
    p.update_settings(new_settings)
    if compact:
        p.compact()
        assert os.path.getsize(p.journal_path) == 0
    p.close(compact=compact)
    q = Project.open(tmp_path / "p.labor.h5")
    assert q.settings == new_settings
    assert q.images[0] == ImageEntry("imgs/im0.png", 40, 60)  # stored relative to the project folder
    assert q.image_path(0) == (tmp_path / "imgs" / "im0.png").resolve()
    got, stage = q.labels(0)
    assert np.array_equal(got, lab0) and np.array_equal(stage, stage0 * (lab0 != 255))
    assert np.array_equal(q.labels(2)[1], np.where(lab2 != 255, 3, 0))
    assert np.array_equal(q.labels(1)[0], np.full((40, 60), 255)) and q.labeled_images() == [0, 2]
    m, pts = q.proposal(1, 0)
    assert np.array_equal(m, mask) and pts.tolist() == [[3, 4, 5], [10, 11, 18]]
    assert q.proposal(2, 1)[0] is None and q.proposal(2, 1)[1].tolist() == [[1, 1, 1]]
    assert q.proposal(3, 0)[0] is None and q.proposal_stages() == [1, 2]
    assert q.effort(0) == Effort(12.5, 5, 2, 3) and q.effort(1) == Effort(1.5, 7, 0, 0) and q.effort(2) == Effort()
    assert q.stage_effort(1) == Effort(1.5, 1, 2, 3) and q.stage_effort(2) == Effort(0.0, 7, 0, 0)
    assert q.stage_effort(3) == Effort()
    h = q.history()
    assert h[0]["stage"] == 1 and h[0]["checkpoint"]["sha256"] == "ab" * 32 and h[0]["seconds"]["retrain"] == 30.0
    q.close()


def test_erasing_everything_and_overwriting(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, some_labels(), 1)
    p.save_labels(0, np.full((40, 60), 255, np.uint8), 1)
    assert p.labeled_images() == []
    p.compact()
    assert 0 not in p.labeled_images() and (p.labels(0)[0] == 255).all()
    p.close()


def test_bad_label_maps_are_refused(tmp_path):
    p = make(tmp_path)
    with pytest.raises(ValueError, match=r"labels for image 1 .*im1\.png\) are 30x20, the image is 60x40"):
        p.save_labels(1, np.zeros((20, 30), np.uint8), 1)
    with pytest.raises(ValueError, match=r"class id 19: allowed are 0\.\.18"):
        p.save_labels(1, np.full((40, 60), 19, np.uint8), 1)
    p.close()


def test_sparse_labels_are_small(tmp_path):
    images = [ImageEntry("big.png", 1024, 2048)]
    p = Project.create(tmp_path / "big.labor.h5", SETTINGS, images)
    yy, xx = np.mgrid[0:1024, 0:2048]
    field = np.sin(xx / 90.0) + np.cos(yy / 70.0) + 0.3 * np.sin((xx + yy) / 33.0)
    m = np.abs(field) < 0.028
    assert 0.015 < m.mean() < 0.03
    lab = np.full((1024, 2048), 255, np.uint8)
    lab[m] = (xx[m] // 200 + yy[m] // 150) % 19
    before = os.path.getsize(tmp_path / "big.labor.h5")
    p.save_labels(0, lab, 1)
    p.close()
    assert os.path.getsize(tmp_path / "big.labor.h5") - before <= 50_000


def test_missing_damaged_truncated_and_foreign_files(tmp_path):
    with pytest.raises(ProjectError, match=r"nope\.labor\.h5: no such project file"):
        Project.open(tmp_path / "nope.labor.h5")
    make(tmp_path).close()
    data = (tmp_path / "p.labor.h5").read_bytes()
    (tmp_path / "cut.labor.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(
        ProjectError, match=r"cut\.labor\.h5: is damaged or not a LabOR Desktop project.*left untouched"
    ):
        Project.open(tmp_path / "cut.labor.h5")
    assert (tmp_path / "cut.labor.h5").read_bytes() == data[: len(data) // 2]  # never overwritten
    (tmp_path / "text.labor.h5").write_text("hello")
    with pytest.raises(ProjectError, match=r"text\.labor\.h5: is damaged or not"):
        Project.open(tmp_path / "text.labor.h5")
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(ProjectError, match=r"foreign\.h5: is an HDF5 file but not a LabOR Desktop project"):
        Project.open(tmp_path / "foreign.h5")


def test_newer_format_is_refused(tmp_path):
    make(tmp_path).close()
    with h5py.File(tmp_path / "p.labor.h5", "r+") as f:
        f.attrs["version"] = 99
    with pytest.raises(ProjectError, match=r"written by a newer LabOR Desktop \(format 99"):
        Project.open(tmp_path / "p.labor.h5")


def write_v0(path):
    """The first prototype's layout: full-resolution label maps, settings attribute only."""
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "labor-desktop-project"
        f.attrs["version"] = 0
        f.attrs["settings"] = json.dumps({"classes": ["a", "b", "c"], "strategy": "spl", "seed": 3})
        f["images/path"] = np.array(["x.png", "y.png"], dtype=h5py.string_dtype())
        f["images/height"] = np.array([4, 5])
        f["images/width"] = np.array([6, 7])
        lab = np.full((4, 6), 255, np.uint8)
        lab[1, 2], lab[3, 5] = 2, 0
        f["labels/0"] = lab
    return lab


def test_version_0_is_migrated_after_a_backup(tmp_path):
    path = tmp_path / "old.labor.h5"
    lab = write_v0(path)
    original = path.read_bytes()
    with pytest.raises(ProjectError, match="older version; open it once for writing"):
        Project.open(path, read_only=True)
    p = Project.open(path)
    assert p.migrated_from[0] == 0 and p.migrated_from[1].read_bytes() == original
    assert p.settings.classes == ["a", "b", "c"] and p.settings.seed == 3
    got, stage = p.labels(0)
    assert np.array_equal(got, lab) and np.array_equal(stage, np.where(lab != 255, 1, 0))
    assert p.images[1] == ImageEntry("y.png", 5, 7) and p.effort(1) == Effort()
    p.close()
    with h5py.File(path) as f:
        assert f.attrs["version"] == 1


def test_second_writer_is_refused_but_readers_are_welcome(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, some_labels(), 1)
    with pytest.raises(ProjectError, match="is open in another LabOR Desktop window or process"):
        Project.open(tmp_path / "p.labor.h5")
    r = Project.open(tmp_path / "p.labor.h5", read_only=True)
    assert r.labeled_images() == [0]
    with pytest.raises(SaveError, match="opened read-only"):
        r.save_labels(1, some_labels(), 1)
    r.close()
    p.close()


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_failing_disk_fails_loudly_and_leaves_no_half_record(tmp_path, monkeypatch, err):
    p = make(tmp_path)
    good = some_labels(seed=1)
    p.save_labels(0, good, 1)
    size = os.path.getsize(p.journal_path)
    real_write = os.write

    def half_then_fail(fd, data):
        real_write(fd, data[: len(data) // 2])
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(journal_mod.os, "write", half_then_fail)
    with pytest.raises(SaveError, match=r"could not save .*Your edits are kept in memory"):
        p.save_labels(0, some_labels(seed=9), 1)
    assert os.path.getsize(p.journal_path) == size
    monkeypatch.setattr(journal_mod.os, "write", real_write)
    assert np.array_equal(p.labels(0)[0], good)  # the failed save changed nothing
    p.save_labels(1, good, 2)  # the disk is back: saving works again
    p.close()
    q = Project.open(tmp_path / "p.labor.h5")
    assert np.array_equal(q.labels(0)[0], good) and np.array_equal(q.labels(1)[0], good)
    q.close()


def test_many_labels_are_checked_before_the_first_is_written(tmp_path):
    p = make(tmp_path)
    size = os.path.getsize(p.journal_path)
    bad = some_labels(seed=2)
    bad[0, 0] = 19  # one past the last class of the third save
    with pytest.raises(ValueError, match="image 2 hold class id 19"):
        p.save_many_labels([(0, some_labels(seed=0), 1), (1, some_labels(seed=1), 1), (2, bad, 1)])
    assert os.path.getsize(p.journal_path) == size and p.labeled_images() == []
    bad[0, 0] = 18  # the last class: all three are saved
    p.save_many_labels([(0, some_labels(seed=0), 1), (1, some_labels(seed=1), 2), (2, bad, 3)])
    p.close(compact=False)
    with Project.open(tmp_path / "p.labor.h5", read_only=True) as q:
        assert q.labeled_images() == [0, 1, 2]
        assert np.array_equal(q.labels(2)[0], bad) and q.labels(1)[1].max() == 2


@pytest.mark.parametrize("cut_fails", [False, True])
def test_many_labels_on_a_failing_disk_keep_none(tmp_path, monkeypatch, cut_fails):
    """The third write fails: the two written before are cut back, in memory and on disk; when
    even the cut fails, the next save cuts them first."""
    p = make(tmp_path, n=4)
    p.save_labels(3, some_labels(seed=3), 1)
    size = os.path.getsize(p.journal_path)
    real_write, writes = os.write, []

    def third_fails(fd, data):
        writes.append(len(data))
        if len(writes) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    def no_cut(fd, n):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(journal_mod.os, "write", third_fails)
    if cut_fails:
        monkeypatch.setattr(journal_mod.os, "ftruncate", no_cut)
    with pytest.raises(SaveError, match="could not save .the disk is full"):
        p.save_many_labels([(i, some_labels(seed=i), 1) for i in range(3)])
    assert p.labeled_images() == [3]
    assert os.path.getsize(p.journal_path) > size if cut_fails else os.path.getsize(p.journal_path) == size
    monkeypatch.undo()
    p.save_labels(0, some_labels(seed=7), 2)  # the disk is back
    p.close(compact=False)
    with Project.open(tmp_path / "p.labor.h5", read_only=True) as q:
        assert q.labeled_images() == [0, 3] and np.array_equal(q.labels(0)[0], some_labels(seed=7))
        assert q.damage is None


def test_failed_compaction_loses_nothing(tmp_path, monkeypatch):
    from labor_desktop.store import writer

    p = make(tmp_path)
    p.save_labels(0, some_labels(), 1)
    before = (tmp_path / "p.labor.h5").read_bytes()

    def full_disk(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer.os, "replace", full_disk)
    with pytest.raises(SaveError, match="could not compact.*nothing was lost"):
        p.compact()
    assert (tmp_path / "p.labor.h5").read_bytes() == before and not (tmp_path / "p.labor.h5.tmp").exists()
    assert p.labeled_images() == [0]
    p.close(compact=False)
    monkeypatch.undo()
    assert Project.open(tmp_path / "p.labor.h5").labeled_images() == [0]


def test_torn_journal_tail_is_dropped(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, some_labels(), 1)
    p.close(compact=False)
    with open(tmp_path / "p.labor.h5.journal", "ab") as f:
        f.write(b"LBRJ\xff\x00\x00\x00garbage")  # a record a kill cut short
    q = Project.open(tmp_path / "p.labor.h5")
    assert q.labeled_images() == [0]
    q.save_labels(1, some_labels(), 1)
    q.close(compact=False)
    assert Project.open(tmp_path / "p.labor.h5").labeled_images() == [0, 1]


def test_create_refuses_to_overwrite(tmp_path):
    make(tmp_path).close()
    with pytest.raises(ProjectError, match="a file of that name exists"):
        make(tmp_path)


def test_open_decodes_no_label_data(tmp_path, monkeypatch):
    from labor_desktop.store import codec

    p = make(tmp_path, n=50)
    for i in range(10):
        p.save_labels(i, some_labels(seed=i), 1)
    p.compact()
    for i in range(10, 20):
        p.save_labels(i, some_labels(seed=i), 2)
    p.close(compact=False)

    def forbidden(*a, **k):
        raise AssertionError("label data decoded while opening")

    monkeypatch.setattr(codec, "decode_labels", forbidden)
    monkeypatch.setattr(codec, "unpack_mask", forbidden)
    q = Project.open(tmp_path / "p.labor.h5")
    assert q.labeled_images() == list(range(20))
    monkeypatch.undo()
    assert np.array_equal(q.labels(15)[0], some_labels(seed=15))
    q.close()
