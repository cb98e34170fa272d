"""Regression tests of issue 21's store defects: a damaged length field is not a torn tail,
files removed or replaced under a running writer, special files at the project's names,
damaged repairs counted exactly, and proposal points checked before any cast."""

import os
import stat
import struct
import threading

import numpy as np
import pytest
from store_support import SETTINGS, H, W, labels_of, make, ten_saves

from labor_desktop.store import ImageEntry, JournalDamaged, Project, ProjectError, SaveError, repair
from labor_desktop.store.journal import HEADER, scan


# ---- 1: a damaged length field in the last complete record is damage ---------------------
@pytest.mark.parametrize("length", [lambda n: n + 1000, lambda n: 0xFFFFFFFF, lambda n: n + 1])
def test_a_damaged_length_in_the_last_complete_record_is_not_cut(tmp_path, length):
    path, journal = ten_saves(tmp_path)
    off, n = scan(journal).offsets[-1]
    data = bytearray(journal.read_bytes())
    struct.pack_into("<I", data, off - HEADER.size + 4, length(n))
    journal.write_bytes(bytes(data))
    before = journal.read_bytes()
    with pytest.raises(JournalDamaged, match=rf"damaged at byte {off - HEADER.size} .*labor repair"):
        Project.open(path)
    assert journal.read_bytes() == before  # the acknowledged record is still there, byte for byte
    with Project.open(path, read_only=True) as r:
        assert r.damage is not None and r.labeled_images() == list(range(9))
    assert journal.read_bytes() == before


def test_a_damaged_length_with_bytes_after_the_whole_payload_is_not_cut(tmp_path):
    path, journal = ten_saves(tmp_path)
    off, n = scan(journal).offsets[-1]
    data = bytearray(journal.read_bytes())
    struct.pack_into("<I", data, off - HEADER.size + 4, n + 1000)
    journal.write_bytes(bytes(data) + b"\x07" * 9)  # the payload is whole, then stray bytes
    before = journal.read_bytes()
    with pytest.raises(JournalDamaged):
        Project.open(path)
    assert journal.read_bytes() == before


def test_a_garbled_header_before_a_torn_record_is_damage(tmp_path):
    """Found by the fuzz test: a byte inserted into record 8's length field, then record 9 torn.
    Record 8's payload is still whole in the file: cutting from it would lose an acknowledged save."""
    path, journal = ten_saves(tmp_path)
    off8 = scan(journal).offsets[8][0] - HEADER.size
    data = journal.read_bytes()[:-5]  # record 9 torn
    journal.write_bytes(data[: off8 + 4] + b"\0" + data[off8 + 4 :])
    before = journal.read_bytes()
    with pytest.raises(JournalDamaged, match=rf"damaged at byte {off8} "):
        Project.open(path)
    assert journal.read_bytes() == before


def test_a_record_cut_one_byte_short_is_still_a_torn_tail(tmp_path):
    path, journal = ten_saves(tmp_path)
    full = journal.read_bytes()
    off, n = scan(journal).offsets[-1]
    journal.write_bytes(full[:-1])  # the last payload one byte short: its CRC cannot hold
    with Project.open(path) as q:
        assert q.labeled_images() == list(range(9))
        assert journal.stat().st_size == off - HEADER.size  # cut back to the end of record 8


# ---- 8: repair counts damaged stretches exactly -------------------------------------------
@pytest.mark.parametrize(("damaged", "stretches"), [([1], 1), ([1, 7], 2), ([1, 2], 1), ([9], 1), ([0, 9], 2)])
def test_repair_counts_every_damaged_stretch(tmp_path, damaged, stretches):
    path, journal = ten_saves(tmp_path)
    offsets = scan(journal).offsets
    data = bytearray(journal.read_bytes())
    for r in damaged:
        data[offsets[r][0] + 10] ^= 0x10
    journal.write_bytes(bytes(data))
    assert scan(journal).stretches == stretches
    report = repair(path)
    assert (report.applied, report.skipped) == (10 - len(damaged), stretches)
    with Project.open(path) as q:
        assert q.labeled_images() == [i for i in range(10) if i not in damaged]


# ---- 2: the journal removed or replaced under a running writer -----------------------------
def test_a_journal_removed_under_the_writer_stops_it_and_writes_its_saves_back(tmp_path):
    p = make(tmp_path)
    for i in range(3):
        p.save_labels(i, labels_of(i), 1)
    journal = p.journal_path
    before = journal.read_bytes()
    journal.unlink()
    stop = (
        f"{journal}: was removed or replaced while the project was open, so nothing more is saved; "
        f"the saves it held were written back to {journal}. Close the project and open it again"
    )
    for i in (3, 4):  # stopped: the save is refused, and stays refused
        with pytest.raises(SaveError) as e:
            p.save_labels(i, labels_of(i), 1)
        assert str(e.value) == stop
    assert journal.read_bytes() == before
    assert np.array_equal(p.labels(2)[0], labels_of(2))  # reads still work (through the open file)
    with pytest.raises(SaveError, match="was removed or replaced"):
        p.compact()
    p.close()  # no compaction, no traceback
    assert journal.read_bytes() == before
    with Project.open(tmp_path / "p.labor.h5") as q:
        assert q.labeled_images() == [0, 1, 2]


def test_a_journal_replaced_under_the_writer_is_left_alone_and_its_saves_go_beside_it(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    journal = p.journal_path
    before = journal.read_bytes()
    journal.unlink()
    journal.write_bytes(b"")  # another file took the name
    (tmp_path / "p.labor.h5.journal.rescued-1").write_bytes(b"taken")
    with pytest.raises(SaveError) as e:
        p.add_effort(0, clicks=1)
    rescued = tmp_path / "p.labor.h5.journal.rescued-2"
    assert str(e.value).endswith(
        f"the saves it held were written to {rescued} (another file has taken its name). "
        f"Close the project and open it again after moving {rescued} to {journal}"
    )
    assert rescued.read_bytes() == before and journal.read_bytes() == b""
    p.close()
    os.replace(rescued, journal)
    with Project.open(tmp_path / "p.labor.h5") as q:
        assert q.labeled_images() == [0] and q.effort(0).clicks == 0


# ---- 3: a removed lock file lets no second writer in ---------------------------------------
def test_a_removed_lock_file_keeps_a_second_writer_out(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    path, lock = tmp_path / "p.labor.h5", tmp_path / "p.labor.h5.lock"
    lock.unlink()
    snapshot = path.read_bytes()
    busy = f"{path}: is open in another LabOR Desktop window or process; close it there first"
    for attempt in (
        lambda: Project.open(path),
        lambda: Project.create(path, SETTINGS, [ImageEntry("x.png", H, W)], overwrite=True),
        lambda: repair(path),
    ):
        with pytest.raises(ProjectError) as e:
            attempt()
        assert str(e.value) == busy
        assert path.read_bytes() == snapshot  # nothing written before the refusal
    p.save_labels(1, labels_of(1), 1)  # the first writer goes on, nothing of it lost
    p.close()
    with Project.open(path) as q:
        assert q.labeled_images() == [0, 1] and len(q.images) == 10


# ---- 11: special files at the project's names are refused, never waited on -----------------
def _opened_in_a_thread(fn):
    """``fn()``'s exception, from a thread (a test that hangs must fail, not hang the suite)."""
    result, done = [], threading.Event()

    def run():
        try:
            fn()
        except BaseException as e:
            result.append(e)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done, result


@pytest.mark.parametrize("read_only", [True, False])
@pytest.mark.parametrize("name", ["p.labor.h5.journal", "p.labor.h5.lock"])
def test_a_named_pipe_at_a_project_name_is_refused(tmp_path, read_only, name):
    path, _ = ten_saves(tmp_path)
    fifo = tmp_path / name
    if fifo.exists():
        fifo.unlink()
    os.mkfifo(fifo)
    done, result = _opened_in_a_thread(lambda: Project.open(path, read_only=read_only).close(compact=False))
    try:
        assert done.wait(60), "Project.open waited on a named pipe"
    finally:  # release a reader stuck on the pipe (old code)
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    if name.endswith(".lock") and read_only:
        assert result == []  # a read-only open takes no lock
        return
    assert len(result) == 1 and isinstance(result[0], ProjectError)
    assert str(result[0]) == (
        f"{fifo}: is not a regular file, not a file LabOR Desktop wrote; move it away, then open the project again"
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # left alone


def test_a_folder_at_the_temporary_name_is_one_line(tmp_path):
    path, _ = ten_saves(tmp_path)
    tmp = tmp_path / "p.labor.h5.tmp"
    tmp.mkdir()
    (tmp / "inside").write_bytes(b"kept")
    msg = f"{tmp}: is a folder where the project writes its next snapshot; move it away and try again"
    with pytest.raises(ProjectError) as e:
        Project.open(path)
    assert str(e.value) == msg
    with Project.open(path, read_only=True) as r:  # a reader never touches it
        assert r.labeled_images() == list(range(10))
    assert (tmp / "inside").read_bytes() == b"kept"


def test_a_folder_at_the_journal_name_is_one_line(tmp_path):
    path, journal = ten_saves(tmp_path)
    journal.unlink()
    journal.mkdir()
    for read_only in (True, False):
        with pytest.raises(ProjectError) as e:
            Project.open(path, read_only=read_only)
        assert str(e.value) == (
            f"{journal}: is a folder, not a file LabOR Desktop wrote; move it away, then open the project again"
        )


# ---- repair on a full disk: one line, nothing left behind ---------------------------------
def test_repair_on_a_full_disk_is_one_line_and_leaves_no_copy(tmp_path, monkeypatch):
    from labor_desktop.store import writer

    path, journal = ten_saves(tmp_path)
    data = bytearray(journal.read_bytes())
    data[scan(journal).offsets[4][0] + 10] ^= 1
    journal.write_bytes(bytes(data))
    before = sorted(os.listdir(tmp_path)), path.read_bytes(), journal.read_bytes()

    real = writer.h5py.File

    def h5py_full(name, mode="r", **k):
        if mode == "r":
            return real(name, mode, **k)
        raise RuntimeError(
            "Can't write data (file write failed: errno = 28, No space left on device)\n  H5FD_sec2_write internals"
        )

    monkeypatch.setattr(writer.h5py, "File", h5py_full)
    with pytest.raises(SaveError) as e:
        repair(path)
    assert str(e.value) == (
        f"{path}: could not write the repaired project (Can't write data (file write failed: errno = 28, No space "
        "left on device)); nothing was changed; fix that (is the disk full?) and run `labor repair` again"
    )
    assert (sorted(os.listdir(tmp_path)), path.read_bytes(), journal.read_bytes()) == before
    monkeypatch.undo()
    assert repair(path).applied == 9
