"""The project's entry points at their exact edges: the survivors of the fresh mutation run of
store/ (issue 21).  Image indices, image sides, the snapshot's unsure table, a refused save's
message, the compaction threshold, create over a leftover journal, and an append that could
not be cut back."""

import errno
import os

import numpy as np
import pytest
from store_support import SETTINGS, H, W, labels_of, make, uncuttable_appends

from labor_desktop.store import ImageEntry, Project, ProjectError, SaveError
from labor_desktop.store import journal as journal_mod
from labor_desktop.store import writing as writing_mod
from labor_desktop.store.journal import JournalWriter, scan
from labor_desktop.store.tables import _unsure_table


def test_an_image_index_is_a_plain_integer_from_0_to_n_minus_1(tmp_path):
    with make(tmp_path) as p:
        assert p.labels(0)[0].shape == p.labels(9)[0].shape == (H, W)
        assert p.labels(np.int64(9))[0].shape == (H, W)
        for bad, kind in ((2.0, "float"), (True, "bool"), (np.bool_(True), "bool"), ("2", "str")):
            with pytest.raises(TypeError) as e:
                p.labels(bad)
            assert str(e.value) == f"an image index must be an integer, not {kind}"
        for bad in (10, -1):
            with pytest.raises(IndexError) as e:
                p.labels(bad)
            assert str(e.value) == f"image {bad} is not in this project (it has images 0..9)"


@pytest.mark.parametrize("side, ok", [(1, True), (65536, True), (0, False), (65537, False), (2**70, False)])
def test_an_image_side_is_1_to_65536_and_a_huge_one_is_a_message(tmp_path, side, ok):
    images = [ImageEntry("a.png", H, W), ImageEntry("b.png", side, 7)]
    if ok:
        Project.create(tmp_path / "p.labor.h5", SETTINGS, images).close()
        return
    with pytest.raises(ValueError) as e:
        Project.create(tmp_path / "p.labor.h5", SETTINGS, images)
    assert str(e.value) == f"image 1 is 7x{side} pixels (each side must be 1..65536)"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "table, message",
    [
        ([], "unsure is not a JSON object"),
        ({"1": [0]}, "unsure of stage 1 is not a JSON object"),
        ({"1": {"10": [0]}}, "unsure of stage 1, image 10: not a list of point indices"),
        ({"1": {"-1": [0]}}, "unsure of stage 1, image -1: not a list of point indices"),
        ({"1": {"2": "0"}}, "unsure of stage 1, image 2: not a list of point indices"),
        ({"1": {"2": [1.5]}}, "unsure of stage 1, image 2: not a list of point indices"),
    ],
)
def test_a_snapshot_unsure_table_names_what_is_wrong(table, message):
    with pytest.raises(ValueError) as e:
        _unsure_table(table, 10)
    assert str(e.value) == message


def test_a_snapshot_unsure_table_takes_images_0_to_n_minus_1():
    assert _unsure_table({"1": {"0": [3], "9": []}, "0": {}}, 10) == {1: {0: [3], 9: []}}


def test_a_read_only_project_refuses_saves_and_says_why(tmp_path):
    make(tmp_path).close()
    with Project.open(tmp_path / "p.labor.h5", read_only=True) as r:
        with pytest.raises(SaveError) as e:
            r.save_labels(0, labels_of(0), 1)
        assert str(e.value) == f"{r.path}: opened read-only; nothing can be saved"
        r.damage = "the journal is damaged at byte 7; open it read-only or run `labor repair`"
        with pytest.raises(SaveError) as e:
            r.add_effort(0, clicks=1)
        assert str(e.value) == f"{r.path}: opened read-only (the journal is damaged at byte 7); nothing can be saved"


@pytest.mark.parametrize("err, hint", [(errno.ENOSPC, "the disk is full"), (errno.EACCES, "Permission denied")])
def test_a_failed_save_says_why_and_keeps_the_edit_in_memory(tmp_path, monkeypatch, err, hint):
    p = make(tmp_path)

    def fail(fd, data):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(journal_mod.os, "write", fail)
    with pytest.raises(SaveError) as e:
        p.save_labels(0, labels_of(0), 1)
    assert str(e.value) == (
        f"{p.journal_path}: could not save ({hint}). Your edits are kept in memory; "
        "free space or fix the folder and they will be saved with the next change"
    )
    monkeypatch.undo()
    p.close()


def test_the_journal_is_compacted_only_when_it_grows_past_compact_bytes(tmp_path, monkeypatch):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    one = p._journal.size
    monkeypatch.setattr(writing_mod, "COMPACT_BYTES", 2 * one)
    p.save_labels(0, labels_of(0), 1)  # exactly COMPACT_BYTES: kept
    assert p._journal.size == 2 * one
    p.save_labels(0, labels_of(0), 1)  # one record past it: compacted
    assert p._journal.size == 0 and p.labeled_images() == [0]
    p.close()


def test_create_over_a_leftover_journal_empties_it_at_once(tmp_path):
    p = make(tmp_path)
    p.save_labels(3, labels_of(3), 1)
    p.close(compact=False)
    (tmp_path / "p.labor.h5").unlink()
    q = make(tmp_path)
    try:
        assert (tmp_path / "p.labor.h5.journal").stat().st_size == 0
        assert q.labeled_images() == []
    finally:
        q.close(compact=False)
    with Project.open(tmp_path / "p.labor.h5") as r:  # the leftover's descriptor (and its lock) went with q
        r.save_labels(1, labels_of(1), 1)


def test_an_append_that_could_not_be_cut_back_is_cut_before_the_next(tmp_path, monkeypatch):
    w = JournalWriter(tmp_path / "j")
    w.append(b"first")
    uncuttable_appends(monkeypatch)
    with pytest.raises(OSError):
        w.append(b"second")
    monkeypatch.undo()
    w.append(b"third")
    w.close()
    result = scan(tmp_path / "j")
    assert result.damage is None and len(result.offsets) == 2


def test_create_over_an_existing_file_needs_overwrite(tmp_path):
    make(tmp_path).close()
    before = (tmp_path / "p.labor.h5").read_bytes()
    with pytest.raises(ProjectError) as e:
        Project.create(tmp_path / "p.labor.h5", SETTINGS, [ImageEntry("a.png", H, W)])
    assert (
        str(e.value) == f"{tmp_path / 'p.labor.h5'}: a file of that name exists; choose another name or remove it first"
    )
    assert (tmp_path / "p.labor.h5").read_bytes() == before
