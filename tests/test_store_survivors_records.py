"""Stored labels and journal frames at their exact edges: the survivors of the fresh mutation
run of store/ (issue 21).  A class id one past the last is damage in the journal and in the
snapshot; a frame whose magic, length or CRC changed is stale, each alone; a record that
changed under a writer or in a compaction is one message naming the byte; labels of the
wrong rank or stages of the wrong shape say what they are; a failed compaction says why."""

import errno

import h5py
import numpy as np
import pytest
from store_support import SETTINGS, H, W, labels_of, make

from labor_desktop.store import Project, ProjectError, SaveError, codec
from labor_desktop.store.journal import HEADER, StaleRecord, frame, read_payload

K = len(SETTINGS.classes)


def fix(p):
    return f"; nothing was changed. Run `labor repair {p.path}` or restore the project from a backup"


def labels_with_class(c):
    lab = np.full((H, W), 255, np.uint8)
    lab[2, 3] = c
    return lab


def test_a_journal_label_of_class_k_is_damage_and_k_minus_1_is_not(tmp_path):
    p = make(tmp_path)
    for i, c in ((1, K - 1), (2, K)):
        payload = codec.encode_labels(i, labels_with_class(c), np.ones((H, W), np.uint8))
        p._append(payload, lambda off, n, i=i: p._labels.__setitem__(i, (off, n)))
    assert p.labels(1)[0][2, 3] == K - 1
    with pytest.raises(ProjectError) as e:
        p.labels(2)
    assert str(e.value) == (
        f"{p.journal_path}: the labels of image 2 is damaged (class id {K} in the labels, the project has {K} classes)"
        + fix(p)
    )
    p.close(compact=False)


def test_a_snapshot_label_of_class_k_is_damage(tmp_path):
    p = make(tmp_path)
    p.save_labels(2, labels_with_class(K - 1), 1)
    p.close()
    with h5py.File(p.path, "r+") as f:  # the one labelled pixel's class, zlib-ed, becomes K
        del f["labels/2/classes"]
        f["labels/2"].create_dataset("classes", data=np.frombuffer(__import__("zlib").compress(bytes([K])), np.uint8))
    with Project.open(p.path, read_only=True) as r, pytest.raises(ProjectError) as e:
        r.labels(2)
    assert str(e.value).startswith(f"{p.path}: the labels of image 2 is damaged (")
    assert f"class id {K} in the labels, the project has {K} classes" in str(e.value)


@pytest.fixture
def journal(tmp_path):
    path = tmp_path / "j"
    path.write_bytes(frame(b"0123456789"))
    return path


@pytest.mark.parametrize("at, what", [(0, "magic"), (4, "length"), (8, "crc")])
def test_a_frame_with_any_one_field_changed_is_stale(journal, at, what):
    assert read_payload(journal, HEADER.size, 10) == b"0123456789"
    data = bytearray(journal.read_bytes())
    data[at] ^= 1
    journal.write_bytes(bytes(data))
    with pytest.raises(StaleRecord) as e:
        read_payload(journal, HEADER.size, 10)
    assert str(e.value) == f"{journal}: the record at byte 0 changed since the journal was read"


def test_a_short_or_missing_journal_is_stale_and_names_the_byte(journal, tmp_path):
    with pytest.raises(StaleRecord) as e:
        read_payload(journal, HEADER.size, 11)
    assert str(e.value) == f"{journal}: journal shorter than expected at byte 0"
    gone = tmp_path / "gone"
    with pytest.raises(StaleRecord) as e:
        read_payload(gone, HEADER.size, 10)
    assert str(e.value).startswith(f"{gone}: cannot be read again (")


def test_a_writer_reads_its_records_through_its_descriptor_after_the_name_is_gone(tmp_path):
    p = make(tmp_path)
    p.save_labels(2, labels_of(2), 1)
    p.journal_path.unlink()  # no save since: nothing has put the journal back yet
    assert np.array_equal(p.labels(2)[0], labels_of(2))
    p.close(compact=False)


def test_a_record_that_is_not_the_one_remembered_names_its_byte(tmp_path):
    p = make(tmp_path)
    p.save_labels(2, labels_of(2), 1)
    p.save_labels(3, labels_of(3), 1)
    off3 = p._labels[3][0]
    p._labels[2] = p._labels[3]  # the record at image 2's place is image 3's
    with pytest.raises(ProjectError) as e:
        p.labels(2)
    assert str(e.value) == (
        f"{p.journal_path}: the record at byte {off3 - HEADER.size} is not the one expected; "
        "the journal was changed behind this program's back. Close and reopen the project"
    )
    with pytest.raises(ProjectError) as e:
        p.compact()
    assert str(e.value) == (
        f"{p.journal_path}: the record at byte {off3 - HEADER.size} is not the one expected; "
        "the journal was changed behind this program's back. Nothing was changed"
    )
    p._labels[2] = (off3, 3)  # and one that does not decode
    with pytest.raises(ProjectError, match=rf"the record at byte {off3 - HEADER.size} changed since"):
        p.labels(2)
    p.close(compact=False)


def test_a_read_only_reader_gives_up_on_a_record_that_stays_stale_with_one_message(tmp_path):
    p = make(tmp_path)
    p.save_labels(2, labels_of(2), 1)
    p.save_labels(3, labels_of(3), 1)
    p.close(compact=False)
    r = Project.open(tmp_path / "p.labor.h5", read_only=True)
    real_reload = r._reload

    def reload_and_break():  # every reload finds image 2's place holding image 3's record
        real_reload()
        r._labels[2] = r._labels[3]

    r._reload = reload_and_break
    r._labels[2] = r._labels[3]
    off3 = r._labels[3][0]
    with pytest.raises(ProjectError) as e:
        r.labels(2)
    assert str(e.value) == (
        f"{r.journal_path}: the record at byte {off3 - HEADER.size} is not the one expected; "
        "the journal was changed behind this program's back. Close and reopen the project"
    )
    r.close()


@pytest.mark.parametrize(
    "labels, shown",
    [(np.zeros(W, np.uint8), f"?x{W}"), (np.zeros((), np.uint8), "?x?"), (np.zeros((H, 5), np.uint8), f"5x{H}")],
)
def test_labels_of_the_wrong_rank_or_size_say_what_they_are(tmp_path, labels, shown):
    with make(tmp_path) as p:
        with pytest.raises(ValueError) as e:
            p.save_labels(2, labels, 1)
        assert str(e.value) == f"labels for image 2 (im2.png) are {shown}, the image is {W}x{H}"


def test_stages_of_the_wrong_shape_say_both_shapes(tmp_path):
    with make(tmp_path) as p:
        with pytest.raises(ValueError) as e:
            p.save_labels(2, labels_of(2), np.ones((H, 5), np.uint8))
        assert str(e.value) == "stages for image 2 are (20, 5), the labels (20, 30)"


def test_a_failed_compaction_says_why_and_loses_nothing(tmp_path, monkeypatch):
    from labor_desktop.store import writer

    p = make(tmp_path)
    p.save_labels(2, labels_of(2), 1)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer.h5py, "File", full)
    with pytest.raises(SaveError) as e:
        p.compact()
    assert str(e.value) == (
        f"{p.path}: could not compact the project (No space left on device); "
        "nothing was lost, the journal still holds every save"
    )
    monkeypatch.undo()
    assert np.array_equal(p.labels(2)[0], labels_of(2))
    p.close()
    with Project.open(tmp_path / "p.labor.h5", read_only=True) as r:
        assert r.labeled_images() == [2]


def test_a_read_only_reader_reloads_once_when_a_record_went_stale_and_never_when_nothing_changed(tmp_path):
    p = make(tmp_path)
    p.save_labels(2, labels_of(2), 1)
    p.save_labels(3, labels_of(3), 1)
    p.close(compact=False)
    with Project.open(tmp_path / "p.labor.h5", read_only=True) as r:
        reloads = []
        real_reload = r._reload
        r._reload = lambda: (reloads.append(1), real_reload())[1]
        for _ in range(3):
            assert np.array_equal(r.labels(2)[0], labels_of(2))
        assert reloads == []  # nothing changed: no journal re-read
        r._labels[2] = r._labels[3]  # stale: the reload finds the right record again
        assert np.array_equal(r.labels(2)[0], labels_of(2))
        assert reloads == [1]


def test_a_remembered_record_that_does_not_decode_or_check_is_one_message(tmp_path):
    p = make(tmp_path)
    p._append(b"\x05\x00\x00\x00[1,2", lambda off, n: p._labels.__setitem__(2, (off, n)))
    off = p._labels[2][0]
    with pytest.raises(ProjectError) as e:
        p.labels(2)
    assert str(e.value).startswith(
        f"{p.journal_path}: the record at byte {off - HEADER.size} the record does not decode ("
    )
    assert str(e.value).endswith("; the journal was changed behind this program's back. Close and reopen the project")
    header = {"kind": "labels", "image": 3, "shape": [H, W + 1], "bbox": None}
    p._append(codec.encode(header, b"", b"", b""), lambda off, n: p._labels.__setitem__(3, (off, n)))
    with pytest.raises(ProjectError) as e:
        p.labels(3)
    assert str(e.value) == (
        f"{p.journal_path}: the labels record of image 3 is damaged "
        f"(labels record: shape [{H}, {W + 1}] is not image 3's [{H}, {W}])" + fix(p)
    )
    p.close(compact=False)
