"""Regression tests of issue 12's store defects (1-8): damage is never made worse, nothing is
read or written outside the project, every crafted content is one ProjectError."""

import errno
import json
import os

import h5py
import numpy as np
import pytest
from store_support import SETTINGS, H, W, labels_of, make, ten_saves, uncuttable_appends

from labor_desktop.store import (
    ImageEntry,
    JournalDamaged,
    Project,
    ProjectError,
    SaveError,
    codec,
    repair,
)
from labor_desktop.store.journal import HEADER, frame, scan


# ---- 1: a flipped byte in the middle is damage, not a torn tail -------------------------
def test_flip_in_the_middle_keeps_the_journal_and_repair_keeps_every_intact_record(tmp_path):
    path, journal = ten_saves(tmp_path)
    offsets = scan(journal).offsets
    data = bytearray(journal.read_bytes())
    off3 = offsets[3][0]
    data[off3 + 40] ^= 0xFF  # a flip inside record 3's payload
    journal.write_bytes(bytes(data))
    before = (path.read_bytes(), journal.read_bytes())
    with pytest.raises(JournalDamaged, match=rf"damaged at byte {off3 - HEADER.size} .*6 intact record.*labor repair"):
        Project.open(path)
    assert (path.read_bytes(), journal.read_bytes()) == before  # byte for byte
    with Project.open(path, read_only=True) as r:  # read-only works, says what is wrong
        assert "labor repair" in r.damage
        assert r.labeled_images() == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    assert (path.read_bytes(), journal.read_bytes()) == before
    report = repair(path)
    assert report.skipped == 1 and report.applied == 9
    assert report.kept["journal"].read_bytes() == before[1] and report.kept["project"].read_bytes() == before[0]
    with Project.open(path) as q:
        assert q.labeled_images() == [0, 1, 2, 4, 5, 6, 7, 8, 9]
        for i in q.labeled_images():
            assert np.array_equal(q.labels(i)[0], labels_of(i))


def test_only_a_torn_tail_is_cut(tmp_path):
    path, journal = ten_saves(tmp_path)
    full = journal.read_bytes()
    journal.write_bytes(full + frame(b"x" * 50)[:30])  # a record a kill cut short
    q = Project.open(path)
    assert q.labeled_images() == list(range(10)) and journal.read_bytes() == full
    q.close(compact=False)
    # a damaged *complete* last record is not a torn write: refused, kept
    data = bytearray(full)
    data[-3] ^= 1
    journal.write_bytes(bytes(data))
    with pytest.raises(JournalDamaged):
        Project.open(path)
    assert journal.read_bytes() == bytes(data)


# ---- 2: symbolic links are refused, never followed -----------------------------------------
@pytest.mark.parametrize("name", ["p.labor.h5.journal", "p.labor.h5.lock", "p.labor.h5.tmp", "p.labor.h5"])
def test_symlinked_project_files_are_refused(tmp_path, name):
    path, _ = ten_saves(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    link = tmp_path / name
    if os.path.lexists(link):
        os.replace(link, tmp_path / "moved")
    os.symlink(victim, link)
    if name == "p.labor.h5.tmp":  # a leftover tmp link is removed (not followed), compaction works
        p = Project.open(path if name != "p.labor.h5" else tmp_path / "moved")
        p.save_labels(0, labels_of(3), 1)
        p.close()
    else:
        with pytest.raises(ProjectError, match="symbolic link"):
            Project.open(path)
        with pytest.raises(ProjectError, match="symbolic link"):
            Project.open(path, read_only=True) if name != "p.labor.h5.lock" else Project.open(path)
    assert victim.read_bytes() == b"precious"


# ---- 3: HDF5 external storage, virtual datasets and links are refused ----------------------------
def _craft(path, how, secret):
    with h5py.File(path, "r+") as f:
        if how == "external":
            del f["effort"]
            f.create_dataset("effort", (10, 4), np.float64, external=[(str(secret), 0, 320)])
        elif how == "virtual":
            layout = h5py.VirtualLayout((10, 4), np.float64)
            layout[:] = h5py.VirtualSource(str(secret.with_suffix(".h5")), "x", shape=(10, 4))
            del f["effort"]
            f.create_virtual_dataset("effort", layout)
        elif how == "external_link":
            f["labels/7"] = h5py.ExternalLink(str(secret.with_suffix(".h5")), "/g")
        elif how == "soft_link":
            f["labels/7"] = h5py.SoftLink("/labels/1")
        elif how == "label_external":
            g = f["labels/1"]
            n = g["classes"].shape[0]
            del g["classes"]
            g.create_dataset("classes", (n,), np.uint8, external=[(str(secret), 0, n)])
        elif how == "bad_key":
            f["labels"].create_group("x1")
        elif how == "missing_paths":
            del f["images/path"]
        elif how == "settings_json":
            f.attrs["settings"] = "{not json"
        elif how == "stages_huge":
            s = json.loads(f.attrs["settings"])
            s["stages"] = 10**12
            f.attrs["settings"] = json.dumps(s)
        elif how == "huge_image":
            f["images/height"][0] = 10**9


@pytest.mark.parametrize(
    "how",
    [
        "external",
        "virtual",
        "external_link",
        "soft_link",
        "label_external",
        "bad_key",
        "missing_paths",
        "settings_json",
        "stages_huge",
        "huge_image",
    ],
)
def test_crafted_snapshots_are_refused_untouched(tmp_path, how):
    p = make(tmp_path)
    for i in range(3):
        p.save_labels(i, labels_of(i), 1)
    p.close()
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"SECRET" * 100)
    with h5py.File(secret.with_suffix(".h5"), "w") as f:
        f["x"] = np.ones((10, 4))
        f.create_group("g")
    _craft(tmp_path / "p.labor.h5", how, secret)
    before = (tmp_path / "p.labor.h5").read_bytes()
    if how == "label_external":  # found when the group is read or copied
        with Project.open(tmp_path / "p.labor.h5") as q:
            with pytest.raises(ProjectError, match="labels of image 1 is damaged.*external file"):
                q.labels(1)
            with pytest.raises(ProjectError, match="external file"):
                q.compact()
            q.close(compact=False)
    else:
        with pytest.raises(ProjectError, match=r"p\.labor\.h5: is damaged or not a LabOR Desktop project"):
            Project.open(tmp_path / "p.labor.h5")
    assert (tmp_path / "p.labor.h5").read_bytes() == before


# ---- 4: a reader during a compaction never returns another image's labels ----------------
def test_reader_notices_compaction_and_reloads(tmp_path):
    p = make(tmp_path)
    for i in range(5):
        p.save_labels(i, labels_of(i), 1)
    r = Project.open(tmp_path / "p.labor.h5", read_only=True)
    gen = r.generation
    p.compact()
    for i in (7, 8, 9, 6, 5):  # new records at the offsets the reader remembers for 0..4
        p.save_labels(i, labels_of(i), 1)
    for i in range(5):
        assert np.array_equal(r.labels(i)[0], labels_of(i))
    assert r.generation == gen + 1
    assert r.labeled_images() == list(range(10))
    r.close()
    p.close()


def test_payload_reads_check_crc_and_image(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    p.save_labels(1, labels_of(1), 1)
    p._labels[0] = p._labels[1]  # a stale offset: the record of image 1
    with pytest.raises(ProjectError, match="not the one expected"):
        p.labels(0)
    p.close(compact=False)


# ---- 5: close on a full disk lets go of the lock and the journal ---------------------------
def test_close_on_full_disk_releases_the_project(tmp_path, monkeypatch):
    from labor_desktop.store import writer

    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)

    def h5py_full(*a, **k):
        raise RuntimeError("Can't write data (file write failed: errno = 28, No space left on device)")

    monkeypatch.setattr(writer.h5py, "File", h5py_full)
    p.close()  # the compaction fails; the journal keeps the save
    monkeypatch.undo()
    with Project.open(tmp_path / "p.labor.h5") as q:  # not "open in another window"
        assert q.labeled_images() == [0]


# ---- 6: labels must be integers 0..K-1 or 255 ---------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [np.full((H, W), 256), np.full((H, W), -1), np.full((H, W), 511), np.full((H, W), np.nan), np.full((H, W), 3.7)],
)
def test_labels_are_checked_before_the_cast(tmp_path, bad):
    p = make(tmp_path)
    with pytest.raises(ValueError, match="labels for image 0"):
        p.save_labels(0, bad, 1)
    assert p.labeled_images() == [] and os.path.getsize(p.journal_path) == 0
    with pytest.raises(ValueError, match="stages for image 0"):
        p.save_labels(0, labels_of(0), 300)
    with pytest.raises(IndexError, match="image -1 is not in this project"):
        p.save_labels(-1, labels_of(0), 1)
    p.save_labels(0, labels_of(0).astype(np.int64), 1)  # any integer dtype is fine
    p.close()


# ---- 7: crafted journal records --------------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    [
        {"kind": "effort", "image": -1, "active_seconds": 5.0, "clicks": 1, "brush_strokes": 0, "points_labeled": 0},
        {"kind": "effort", "image": 99, "active_seconds": 5.0, "clicks": 1, "brush_strokes": 0, "points_labeled": 0},
        {"kind": "labels", "image": 2, "shape": [H, W], "bbox": [0, 99, 0, 5]},
        {"kind": "labels", "image": "2", "shape": [H, W], "bbox": None},
        {"kind": "settings", "settings": {"stages": 10**12}},
        {"kind": "what"},
        "not an object",
    ],
)
def test_crafted_records_are_refused_and_change_nothing(tmp_path, header):
    path, journal = ten_saves(tmp_path)
    with open(journal, "ab") as f:
        f.write(frame(codec.encode(header) if isinstance(header, dict) else b"\x05\x00\x00\x00" + b"[1,2"))
    before = journal.read_bytes()
    with pytest.raises(JournalDamaged, match="0 intact record"):
        Project.open(path)
    with Project.open(path, read_only=True) as r:
        assert r.effort(9).clicks == 0 and r.settings.stages == SETTINGS.stages
        assert r.labeled_images() == list(range(10))
    assert journal.read_bytes() == before


def test_damaged_blobs_raise_project_error(tmp_path):
    p = make(tmp_path)
    lab = labels_of(5)
    header, blobs = codec.decode(codec.encode_labels(5, lab, np.ones_like(lab)))
    bomb = __import__("zlib").compress(b"\0" * 10**7)
    p._append(codec.encode(header, blobs[0], bomb, blobs[2]), lambda off, n: p._labels.__setitem__(5, (off, n)))
    with pytest.raises(ProjectError, match="labels of image 5 is damaged"):
        p.labels(5)
    p.close(compact=False)


# ---- 8: create takes the lock before it touches anything ---------------------------------------
def test_create_never_deletes_a_live_writers_journal(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    before = p.journal_path.read_bytes()
    with pytest.raises(ProjectError, match="is open in another"):
        Project.create(tmp_path / "p.labor.h5", SETTINGS, [ImageEntry("x.png", H, W)], overwrite=True)
    assert p.journal_path.read_bytes() == before
    p.close()
    with Project.open(tmp_path / "p.labor.h5") as q:
        assert q.labeled_images() == [0] and len(q.images) == 10


# ---- 16: a read-only journal is one clear message ------------------------------------------------
def test_read_only_journal_is_a_clear_message(tmp_path, monkeypatch):
    from labor_desktop.store import journal as journal_mod

    path, journal = ten_saves(tmp_path)
    real_open = os.open

    def read_only_journal(p, flags, *a):  # what chmod 444 does for a user other than root
        if str(p).endswith(".journal") and flags & os.O_RDWR:
            raise PermissionError(errno.EACCES, "Permission denied", str(p))
        return real_open(p, flags, *a)

    monkeypatch.setattr(journal_mod.os, "open", read_only_journal)
    with pytest.raises(
        ProjectError, match=r"journal: cannot be written \(Permission denied\).*open the project read-only"
    ):
        Project.open(path)
    with Project.open(path, read_only=True) as r:
        assert r.labeled_images() == list(range(10))


def test_failed_append_that_cannot_be_cut_is_cut_before_the_next(tmp_path, monkeypatch):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    uncuttable_appends(monkeypatch)
    with pytest.raises(SaveError):
        p.save_labels(1, labels_of(1), 1)
    monkeypatch.undo()
    p.save_labels(2, labels_of(2), 1)
    p.close(compact=False)
    assert scan(tmp_path / "p.labor.h5.journal").damage is None
    with Project.open(tmp_path / "p.labor.h5") as q:
        assert q.labeled_images() == [0, 2]


def test_labor_repair_command(tmp_path, capsys):
    from labor_desktop.cli import main

    path, journal = ten_saves(tmp_path)
    data = bytearray(journal.read_bytes())
    data[scan(journal).offsets[5][0] + 10] ^= 4
    journal.write_bytes(bytes(data))
    assert main(["export", str(path), "--out", str(tmp_path / "out")]) == 0  # read-only: works, and warns
    assert "labor repair" in capsys.readouterr().err
    assert main(["repair", str(path)]) == 0
    out = capsys.readouterr().out
    assert "repaired from 9 intact journal record(s), 1 damaged" in out and "before-repair" in out
    with Project.open(path) as q:
        assert q.labeled_images() == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert main(["repair", str(tmp_path / "none.labor.h5")]) == 1
    assert "no such project file" in capsys.readouterr().err
