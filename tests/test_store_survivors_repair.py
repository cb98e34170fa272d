"""Repair and re-reading at their exact edges: the survivors of the fresh mutation run of
store/ (issue 21).  The report names the project and the damage; the originals are kept
under the clock's name (then .1, .2, ...); a file system without hard links gets a copy, and
a copy that fails leaves nothing behind; a reader that reloads after a compaction holds no
stale handle and no stale damage; long reasons are cut at exactly 160 characters."""

import datetime
import errno
import importlib
import os
import re

import numpy as np
import pytest
from store_support import H, W, labels_of, make, ten_saves

from labor_desktop.store import ImageEntry, Project, ProjectError, SaveError, repair
from labor_desktop.store.files import _reason
from labor_desktop.store.journal import scan
from labor_desktop.store.repair import _free_name


def damaged_project(tmp_path):
    path, journal = ten_saves(tmp_path)
    data = bytearray(journal.read_bytes())
    data[scan(journal).offsets[4][0] + 10] ^= 1
    journal.write_bytes(bytes(data))
    with Project.open(path, read_only=True) as r:
        damage = r.damage
    assert damage
    return path, journal, damage


def test_the_report_names_the_project_the_damage_and_originals_kept_under_the_clock(tmp_path):
    path, journal, damage = damaged_project(tmp_path)
    original = path.read_bytes(), journal.read_bytes()
    report = repair(path)
    assert report.path == path and report.damage == damage
    assert sorted(report.kept) == ["journal", "project"]
    stamps = set()
    for name, original_bytes in zip(("project", "journal"), original, strict=True):
        kept = report.kept[name]
        m = re.fullmatch(
            re.escape(f"{path.name}{'.journal' * (name == 'journal')}") + r"\.before-repair-(\d{8}-\d{6})", kept.name
        )
        assert m, kept.name
        stamps.add(m.group(1))
        assert kept.read_bytes() == original_bytes
    (stamp,) = stamps
    when = datetime.datetime.strptime(stamp, "%Y%m%d-%H%M%S")
    assert abs((datetime.datetime.now() - when).total_seconds()) < 3600
    with Project.open(path) as q:
        assert q.labeled_images() == [0, 1, 2, 3, 5, 6, 7, 8, 9]


def test_a_free_name_counts_up_from_1(tmp_path):
    base = tmp_path / "p.labor.h5.before-repair-x"
    assert _free_name(base) == base
    base.write_bytes(b"")
    assert _free_name(base) == tmp_path / "p.labor.h5.before-repair-x.1"
    (tmp_path / "p.labor.h5.before-repair-x.1").write_bytes(b"")
    assert _free_name(base) == tmp_path / "p.labor.h5.before-repair-x.2"
    (tmp_path / "p.labor.h5.before-repair-x.2").write_bytes(b"")
    assert _free_name(base) == tmp_path / "p.labor.h5.before-repair-x.3"


def no_hard_links(monkeypatch):
    repair_mod = importlib.import_module("labor_desktop.store.repair")  # the module, not the function

    def link(src, dst, **kw):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(repair_mod.os, "link", link)
    return repair_mod


def test_without_hard_links_the_original_is_kept_as_a_copy(tmp_path, monkeypatch):
    path, journal, _ = damaged_project(tmp_path)
    original = path.read_bytes()
    no_hard_links(monkeypatch)
    report = repair(path)
    assert report.kept["project"].read_bytes() == original
    assert not os.path.samefile(report.kept["project"], path)


def test_a_copy_that_fails_half_way_leaves_no_kept_file_and_says_so(tmp_path, monkeypatch):
    path, journal, _ = damaged_project(tmp_path)
    before = sorted(os.listdir(tmp_path)), path.read_bytes(), journal.read_bytes()
    repair_mod = no_hard_links(monkeypatch)

    def copy_half(src, dst, **kw):
        with open(dst, "wb") as f:
            f.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(repair_mod.shutil, "copy2", copy_half)
    with pytest.raises(SaveError) as e:
        repair(path)
    assert str(e.value) == f"{path}: could not write the repaired project (No space left on device); nothing was lost"
    assert (sorted(os.listdir(tmp_path)), path.read_bytes(), journal.read_bytes()) == before


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_reader_reloading_after_compactions_holds_no_old_handle_and_no_old_damage(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    p.close(compact=False)
    r = Project.open(tmp_path / "p.labor.h5", read_only=True)
    try:
        assert r.damage is None and r.labeled_images() == [0]
        fds = open_fds()
        for i in range(1, 6):
            w = Project.open(tmp_path / "p.labor.h5")
            w.save_labels(i, labels_of(i), 1)
            w.close()  # compacts: the snapshot is replaced
            assert r.labeled_images() == list(range(i + 1))  # the reader reloaded
            assert r.damage is None
        assert open_fds() == fds  # each reload closed the snapshot it replaced
    finally:
        r.close()


def test_a_snapshot_of_chosen_images_reads_exactly_those(tmp_path):
    path, _ = ten_saves(tmp_path)
    with Project.open(path, read_only=True) as r:
        every = r.labels_snapshot()
        assert sorted(every) == list(range(10))
        chosen = r.labels_snapshot([7, 2])
        assert list(chosen) == [7, 2]
        for i in (2, 7):
            assert np.array_equal(chosen[i][0], labels_of(i)) and np.array_equal(chosen[i][0], every[i][0])
        with pytest.raises(IndexError):
            r.labels_snapshot([10])


def test_an_absolute_image_path_is_kept_and_a_relative_one_is_beside_the_project(tmp_path):
    elsewhere = (tmp_path / "elsewhere" / "a.png").resolve()
    from store_support import SETTINGS

    with Project.create(
        tmp_path / "p.labor.h5", SETTINGS, [ImageEntry(str(elsewhere), H, W), ImageEntry("b.png", H, W)]
    ) as p:
        assert p.image_path(0) == elsewhere
        assert p.image_path(1) == tmp_path.resolve() / "b.png"


def test_reasons_are_cut_at_exactly_160_characters(tmp_path):
    long = "x" * 159 + "yz"
    assert _reason(ValueError(long)) == "x" * 159 + "y"
    assert _reason(ValueError("")) == "ValueError"
    assert _reason(OSError(errno.ENOSPC, "No space left on device")) == "No space left on device"
    p = make(tmp_path)
    try:
        assert str(p._damaged(long)) == (
            f"{p.path}: is damaged or not a LabOR Desktop project ({'x' * 159}y). "
            "The file was left untouched; restore it from a backup or choose another file"
        )
        assert str(p._content_error("the labels of image 1", p.journal_path, ValueError(long))) == (
            f"{p.journal_path}: the labels of image 1 is damaged ({'x' * 159}y); nothing was changed. "
            f"Run `labor repair {p.path}` or restore the project from a backup"
        )
    finally:
        p.close()
    assert isinstance(p._damaged("a\nb"), ProjectError) and "(a)" in str(p._damaged("a\nb"))
