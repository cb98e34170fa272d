"""Locks, links and closing at their exact edges: the survivors of the fresh mutation run of
store/ (issue 21).  Each refusal is its exact message; a journal replaced by a link to
itself is a replaced journal; a stray byte before a record costs no record; closing an
unchanged project rewrites nothing; image sides are checked on both sides of each limit."""

import errno
import os

import h5py
import numpy as np
import pytest
from store_support import SETTINGS, H, W, labels_of, make, ten_saves

from labor_desktop.store import ImageEntry, Project, ProjectError, SaveError
from labor_desktop.store import locks as locks_mod
from labor_desktop.store.checks import Damaged, check_image_table, dataset


def deny_opening(monkeypatch, suffix):
    """The lock module cannot open files whose name ends with ``suffix`` (as for another user)."""
    real = locks_mod.open_regular

    def denied(path, flags, *a):
        if str(path).endswith(suffix):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(path, flags, *a)

    monkeypatch.setattr(locks_mod, "open_regular", denied)


def test_a_second_writer_is_told_the_project_is_open_elsewhere(tmp_path):
    p = make(tmp_path)
    try:
        with pytest.raises(ProjectError) as e:
            Project.open(p.path)
        assert str(e.value) == (f"{p.path}: is open in another LabOR Desktop window or process; close it there first")
    finally:
        p.close()


def test_a_folder_where_no_lock_file_can_be_made_says_so(tmp_path, monkeypatch):
    make(tmp_path).close()
    deny_opening(monkeypatch, ".lock")
    path = tmp_path / "p.labor.h5"
    with pytest.raises(ProjectError) as e:
        Project.open(path)
    assert str(e.value) == (
        f"{path}: cannot write next to the project (Permission denied); "
        "open it read-only or move it to a writable folder"
    )


def test_a_journal_that_cannot_be_written_says_what_to_do(tmp_path, monkeypatch):
    path, journal = ten_saves(tmp_path)
    deny_opening(monkeypatch, ".journal")
    with pytest.raises(ProjectError) as e:
        Project.open(path)
    assert str(e.value) == (
        f"{journal}: cannot be written (Permission denied); "
        "open the project read-only, or make the file and its folder writable"
    )


def test_a_project_path_that_is_a_link_is_refused_with_the_fix(tmp_path):
    path, _ = ten_saves(tmp_path)
    link = tmp_path / "link.labor.h5"
    os.symlink(path, link)
    with pytest.raises(ProjectError) as e:
        Project.open(link, read_only=True)
    assert str(e.value) == (
        f"{link}: is a symbolic link; LabOR Desktop never follows links in a project's own files. "
        "Remove the link (or open the file it points to directly)"
    )


def test_a_journal_replaced_by_a_link_to_itself_is_a_replaced_journal(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    moved = tmp_path / "moved.journal"
    os.replace(p.journal_path, moved)
    os.symlink(moved, p.journal_path)
    with pytest.raises(SaveError, match="was removed or replaced while the project was open"):
        p.save_labels(1, labels_of(1), 1)
    p.close(compact=False)


def test_a_stray_byte_before_a_record_costs_no_record(tmp_path):
    from labor_desktop.store.journal import HEADER, scan

    path, journal = ten_saves(tmp_path)
    data = journal.read_bytes()
    at = scan(journal).offsets[5][0] - HEADER.size
    journal.write_bytes(data[:at] + b"\x07" + data[at:])
    with Project.open(path, read_only=True) as r:
        assert r.labeled_images() == list(range(10))
        assert r.damage is not None and "9 intact record(s) after it" not in r.damage
        assert "5 intact record(s) after it" in r.damage


def test_closing_an_unchanged_project_rewrites_nothing(tmp_path):
    p = make(tmp_path)
    p.save_labels(0, labels_of(0), 1)
    p.close()
    before = (tmp_path / "p.labor.h5").read_bytes()
    with Project.open(tmp_path / "p.labor.h5") as q:
        generation = q.generation
    assert (tmp_path / "p.labor.h5").read_bytes() == before
    with Project.open(tmp_path / "p.labor.h5", read_only=True) as r:
        assert r.generation == generation


@pytest.mark.parametrize(
    "height, width, ok",
    [(1, 1, True), (65536, 65536, True), (0, 5, False), (5, 0, False), (65537, 5, False), (5, 65537, False)],
)
def test_each_image_side_is_checked_at_both_limits(height, width, ok):
    heights, widths = np.array([H, height]), np.array([W, width])
    if ok:
        check_image_table(heights, widths)
        return
    with pytest.raises(Damaged) as e:
        check_image_table(heights, widths)
    assert str(e.value) == f"image 1 is {width}x{height} pixels (each side must be 1..65536)"


def test_a_missing_member_a_link_and_a_group_for_a_dataset_each_name_themselves():
    with h5py.File("mem.h5", "w", driver="core", backing_store=False) as f:
        g = f.create_group("g")
        with pytest.raises(Damaged, match=r"^/g/x is missing$"):
            dataset(g, "x", "/g/x", "u", 1)
        g["soft"] = h5py.SoftLink("/g")
        with pytest.raises(Damaged, match=r"^/g/soft is a SoftLink \(links are not allowed\)$"):
            dataset(g, "soft", "/g/soft", "u", 1)
        g.create_group("sub")
        with pytest.raises(Damaged, match=r"^/g/sub is not a dataset$"):
            dataset(g, "sub", "/g/sub", "u", 1)


def test_a_virtual_dataset_is_refused(tmp_path):
    src = tmp_path / "src.h5"
    with h5py.File(src, "w") as s:
        s["d"] = np.zeros(4, np.uint8)
    with h5py.File(tmp_path / "v.h5", "w") as f:
        layout = h5py.VirtualLayout(shape=(4,), dtype=np.uint8)
        layout[:] = h5py.VirtualSource(str(src), "d", shape=(4,))
        f.create_virtual_dataset("v", layout)
        with pytest.raises(Damaged) as e:
            dataset(f, "v", "/v", "u", 1)
        assert str(e.value) == "/v is a virtual dataset (its data lies in other files)"


def test_images_of_the_create_call_are_checked_the_same_way(tmp_path):
    with pytest.raises(ValueError, match=r"^image 0 is 0x5 pixels"):
        Project.create(tmp_path / "p.labor.h5", SETTINGS, [ImageEntry("a.png", 5, 0)])


def test_a_new_projects_files_are_0644(tmp_path):
    old = os.umask(0o022)
    try:
        p = make(tmp_path)
        p.save_labels(0, labels_of(0), 1)
        p.close(compact=False)
    finally:
        os.umask(old)
    for name in ("p.labor.h5.journal", "p.labor.h5.lock"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name


def test_a_folder_opened_for_writing_is_named_a_folder(tmp_path):
    from labor_desktop.store.journal import open_regular

    folder = tmp_path / "x.journal"
    folder.mkdir()
    for flags in (os.O_RDWR, os.O_RDONLY):
        with pytest.raises(ProjectError) as e:
            open_regular(folder, flags)
        assert (
            str(e.value)
            == f"{folder}: is a folder, not a file LabOR Desktop wrote; move it away, then open the project again"
        )


def test_a_missing_file_stays_an_os_error_not_a_link(tmp_path):
    from labor_desktop.store.journal import open_nofollow

    with pytest.raises(FileNotFoundError):
        open_nofollow(tmp_path / "missing", os.O_RDONLY)
