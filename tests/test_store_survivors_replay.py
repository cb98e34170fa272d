"""Replaying the journal and loading the snapshot at their exact edges: the survivors of the
fresh mutation run of store/ (issue 21).  A record whose frame holds but whose content does
not is damage with one exact message; read-only and repair apply every intact record after
it and count each skipped one; a header that runs past its record is never read from the
next bytes; older snapshots without the optional attributes open with their defaults."""

import errno
import json
import struct

import h5py
import numpy as np
import pytest
from store_support import labels_of, make, ten_saves, version_0_file

from labor_desktop.store import JournalDamaged, Project, ProjectError, codec, repair
from labor_desktop.store import project as project_mod
from labor_desktop.store.journal import frame, scan

EFFORT = {"active_seconds": 1.0, "brush_strokes": 0, "points_labeled": 0}


def effort_record(image, clicks):
    return codec.encode({"kind": "effort", "image": image, "clicks": clicks, **EFFORT})


def past_its_end(image, clicks):
    """A record whose header length is one byte more than the record: at the end of the file,
    the bytes it names stop at the record's end and would parse."""
    head = json.dumps({"kind": "effort", "image": image, "clicks": clicks, **EFFORT}).encode()
    return struct.pack("<I", len(head) + 1) + head


def damaged_message(journal, path, at, reason, later):
    return (
        f"{journal}: damaged at byte {at} ({reason}), {later} intact record(s) after it. "
        f"The files were left untouched; run `labor repair {path}` to write a repaired project from every "
        "intact record (the originals are kept beside it), or open the project read-only"
    )


def test_content_damage_refuses_writing_and_read_only_and_repair_take_every_intact_record(tmp_path):
    path, journal = ten_saves(tmp_path)
    at = journal.stat().st_size
    with open(journal, "ab") as f:
        f.write(frame(codec.encode({"kind": "what"})))
        f.write(frame(effort_record(7, 3)))
        f.write(frame(codec.encode({"kind": "what"})))
        f.write(frame(past_its_end(8, 4)))
    message = damaged_message(journal, path, at, "unknown record kind 'what'", 3)
    with pytest.raises(JournalDamaged) as e:
        Project.open(path)
    assert str(e.value) == message and e.value.offset == at
    with Project.open(path, read_only=True) as r:
        assert r.damage == message
        assert (r.effort(7).clicks, r.effort(8).clicks) == (3, 0)
        assert r.labeled_images() == list(range(10))
    report = repair(path)
    assert (report.applied, report.skipped) == (11, 3)


def test_a_header_running_past_its_record_is_damage_not_the_next_bytes(tmp_path):
    path, journal = ten_saves(tmp_path)
    at = journal.stat().st_size
    with open(journal, "ab") as f:
        f.write(frame(past_its_end(8, 4)))
    reason = "the record's header does not decode (the header runs past the end of the record)"
    with pytest.raises(JournalDamaged) as e:
        Project.open(path)
    assert str(e.value) == damaged_message(journal, path, at, reason, 0)


def test_a_long_reason_is_cut_at_120_characters(tmp_path):
    path, journal = ten_saves(tmp_path)
    at = journal.stat().st_size
    kind = "k" * 200
    with open(journal, "ab") as f:
        f.write(frame(codec.encode({"kind": kind})))
    with pytest.raises(JournalDamaged) as e:
        Project.open(path)
    assert str(e.value) == damaged_message(journal, path, at, f"unknown record kind '{kind}'"[:120], 0)


def test_repair_counts_nothing_skipped_on_an_intact_journal_and_nothing_at_all_without_one(tmp_path):
    path, journal = ten_saves(tmp_path)
    report = repair(path)
    assert (report.applied, report.skipped, report.damage) == (10, 0, None)
    assert not journal.exists()  # kept beside it as the original
    report = repair(path)
    assert (report.applied, report.skipped) == (0, 0)


def test_a_read_only_open_leaves_a_torn_tail_alone(tmp_path):
    path, journal = ten_saves(tmp_path)
    with open(journal, "ab") as f:
        f.write(frame(effort_record(7, 3))[:9])  # a write cut short
    before = journal.read_bytes()
    with Project.open(path, read_only=True) as r:
        assert r.damage is None and r.labeled_images() == list(range(10))
    assert journal.read_bytes() == before
    with Project.open(path) as p:  # a writer cuts it
        assert p.effort(7).clicks == 0
    assert scan(journal).torn is False


def test_a_journal_that_cannot_be_read_says_so(tmp_path, monkeypatch):
    path, journal = ten_saves(tmp_path)

    def denied(p):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(project_mod, "scan", denied)
    with pytest.raises(ProjectError) as e:
        Project.open(path, read_only=True)
    assert str(e.value) == f"{journal}: cannot be read (Permission denied); check its permissions"


def compacted(tmp_path):
    p = make(tmp_path)
    p.save_labels(2, labels_of(2), 1, {"clicks": 1}, 1)
    p.close()
    return p.path


def test_a_snapshot_without_its_optional_attributes_opens_with_the_defaults(tmp_path):
    path = compacted(tmp_path)
    with h5py.File(path, "r+") as f:
        for name in ("stage_effort", "unsure", "generation"):
            del f.attrs[name]
    with Project.open(path, read_only=True) as r:
        assert r.generation == 0 and r.unsure_count(1) == 0 and r.stage_effort(1).clicks == 0
        assert r.labeled_images() == [2]


def test_an_integer_effort_table_takes_fractional_seconds(tmp_path):
    path = compacted(tmp_path)
    with h5py.File(path, "r+") as f:
        effort = f["effort"][()].astype(np.int64)
        del f["effort"]
        f.create_dataset("effort", data=effort)
    with Project.open(path) as p:
        p.add_effort(2, active_seconds=1.5)
        assert p.effort(2).active_seconds == 1.5 and p.effort(2).clicks == 1


@pytest.mark.parametrize("attr", ["stage_effort", "history"])
def test_a_damaged_per_stage_attribute_names_itself(tmp_path, attr):
    path = compacted(tmp_path)
    with h5py.File(path, "r+") as f:
        f.attrs[attr] = json.dumps({"999": {}})
    with pytest.raises(ProjectError) as e:
        Project.open(path, read_only=True)
    assert f"(the {attr} attribute holds an invalid entry '999')" in str(e.value)
    assert str(e.value).startswith(f"{path}: is damaged or not a LabOR Desktop project (")


def test_a_second_writer_is_refused_before_it_touches_the_first_ones_compaction(tmp_path):
    path, journal = ten_saves(tmp_path)
    a = Project.open(path)
    try:
        path.with_name(path.name + ".lock").unlink()  # the first writer's lock file removed
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(b"the first writer's compaction in progress")
        with pytest.raises(ProjectError, match="open in another"):
            Project.open(path)
        assert tmp.read_bytes() == b"the first writer's compaction in progress"
        tmp.unlink()
    finally:
        a.close(compact=False)


def test_a_file_that_is_no_project_gets_no_journal_beside_it(tmp_path):
    path = tmp_path / "p.labor.h5"
    path.write_bytes(b"not HDF5 at all" * 100)
    with pytest.raises(ProjectError):
        Project.open(path)
    assert not path.with_name(path.name + ".journal").exists()
    assert path.read_bytes() == b"not HDF5 at all" * 100


def test_a_version_0_label_map_of_the_wrong_size_is_refused_not_migrated(tmp_path):
    path = version_0_file(tmp_path / "old.labor.h5", {"0": np.zeros((3, 3), np.uint8)})
    before = path.read_bytes()
    with pytest.raises(ProjectError) as e:
        Project.open(path)
    assert str(e.value) == (
        f"{path}: is damaged or not a LabOR Desktop project (/labels/0 is 3x3, image 0 is 6x4). "
        "The file was left untouched; restore it from a backup or choose another file"
    )
    assert path.read_bytes() == before
    assert not path.with_name(path.name + ".v0.bak").exists()  # refused before anything was written
