"""A ``Project.create`` that fails leaves the folder as it was (issue 21, unclear: a name
the file cannot hold, or a full disk, left ``NAME.labor.h5.lock`` behind): no project, no
snapshot temporary, no lock file; a lock file it did not make (an earlier project's, or
another writer's) is never removed."""

import errno
import os

import pytest

from labor_desktop.store import ImageEntry, Project, ProjectError, ProjectSettings, SaveError
from labor_desktop.store import writer as writer_mod

SETTINGS = ProjectSettings(classes=["a", "b"])
GOOD = [ImageEntry("im0.png", 20, 30)]


def test_a_name_the_project_cannot_hold_leaves_nothing(tmp_path):
    with pytest.raises(SaveError, match=r"p\.labor\.h5: could not create the project \(.*surrogates not allowed"):
        Project.create(tmp_path / "p.labor.h5", SETTINGS, [ImageEntry("\udcff\udcfe.jpg", 20, 30)])
    assert os.listdir(tmp_path) == []


def test_a_full_disk_at_create_leaves_nothing(tmp_path, monkeypatch):
    def full_disk(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer_mod.os, "replace", full_disk)
    with pytest.raises(SaveError, match=r"could not create the project \(No space left on device\)"):
        Project.create(tmp_path / "p.labor.h5", SETTINGS, GOOD)
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    Project.create(tmp_path / "p.labor.h5", SETTINGS, GOOD).close()  # the disk is back: it is made
    assert sorted(os.listdir(tmp_path)) == ["p.labor.h5", "p.labor.h5.journal", "p.labor.h5.lock"]


def test_a_failed_overwrite_keeps_the_earlier_projects_files(tmp_path, monkeypatch):
    path = tmp_path / "p.labor.h5"
    Project.create(path, SETTINGS, GOOD).close()
    before = {n: (tmp_path / n).read_bytes() for n in os.listdir(tmp_path)}
    assert sorted(before) == ["p.labor.h5", "p.labor.h5.journal", "p.labor.h5.lock"]
    monkeypatch.setattr(writer_mod.os, "replace", lambda *a: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    with pytest.raises(SaveError, match="could not create the project"):
        Project.create(path, SETTINGS, [ImageEntry("other.png", 40, 50)], overwrite=True)
    assert {n: (tmp_path / n).read_bytes() for n in os.listdir(tmp_path)} == before
    monkeypatch.undo()
    with Project.open(path, read_only=True) as p:
        assert [e.path for e in p.images] == ["im0.png"]


def test_a_create_refused_by_another_writer_leaves_its_lock_file(tmp_path):
    path = tmp_path / "p.labor.h5"
    with Project.create(path, SETTINGS, GOOD):
        lock = os.stat(tmp_path / "p.labor.h5.lock").st_ino
        with pytest.raises(ProjectError, match="is open in another LabOR Desktop window or process"):
            Project.create(path, SETTINGS, GOOD, overwrite=True)
        assert os.stat(tmp_path / "p.labor.h5.lock").st_ino == lock  # still the one the writer holds
        with pytest.raises(ProjectError, match="is open in another LabOR Desktop window or process"):
            Project.open(path)  # so a second writer is still kept out


def test_a_lock_file_replaced_during_the_failed_create_is_not_removed(tmp_path, monkeypatch):
    lock = tmp_path / "p.labor.h5.lock"

    def replaced_then_full(*a, **k):  # someone's own file took the lock's name meanwhile
        lock.unlink()
        lock.write_text("not ours")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer_mod.os, "replace", replaced_then_full)
    with pytest.raises(SaveError, match="could not create the project"):
        Project.create(tmp_path / "p.labor.h5", SETTINGS, GOOD)
    assert os.listdir(tmp_path) == ["p.labor.h5.lock"] and lock.read_text() == "not ours"
