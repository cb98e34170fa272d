"""Regression tests of issue 21's damaged snapshot contents: zero bytes that made HDF5 loop
forever, JSON nested past the parser's depth, HDF5-compressed datasets with a damaged chunk,
damaged link storage.  Each is one ProjectError line naming the file, and changes nothing."""

import json
import struct
import subprocess
import sys

import h5py
import numpy as np
import pytest

from labor_desktop.store import ImageEntry, JournalDamaged, Project, ProjectError, ProjectSettings, repair
from labor_desktop.store.journal import frame

SETTINGS = ProjectSettings(classes=[f"c{i}" for i in range(19)])
H, W = 20, 30
DEEP = "[" * 200_000 + "]" * 200_000


def labels_of(i):
    lab = np.full((H, W), 255, np.uint8)
    lab[i, : i + 1] = i % 19
    return lab


def compacted(tmp_path):
    """A closed 10-image project with labels and a history entry, all in its snapshot."""
    path = tmp_path / "p.labor.h5"
    p = Project.create(path, SETTINGS, [ImageEntry(f"im{i}.png", H, W) for i in range(10)])
    for i in range(10):
        p.save_labels(i, labels_of(i), 1)
    p.record_stage(1, {"miou": 0.5})
    p.close()
    return path


def as_before_issue_21(path):
    """Rewrite the snapshot's strings as variable-length, as every file before issue 21 had them."""
    with h5py.File(path, "r+") as f:
        for k in ("format", "settings", "history", "stage_effort", "unsure"):
            v = f.attrs[k]
            del f.attrs[k]
            f.attrs[k] = v.decode()
        paths = [x.decode() for x in f["images/path"][()]]
        del f["images/path"]
        f["images/path"] = np.array(paths, dtype=h5py.string_dtype())


# ---- 12: a damaged file never hangs ---------------------------------------------------------
def test_new_snapshots_keep_no_string_in_the_global_heap(tmp_path):
    path = compacted(tmp_path)
    assert b"GCOL" not in path.read_bytes()  # the one HDF5 metadata without a checksum
    with h5py.File(path, "r") as f:
        strings = {n: h5py.check_string_dtype(f.attrs.get_id(n).dtype) for n in f.attrs}
        assert sorted(n for n, s in strings.items() if s is not None) == [
            "format", "history", "settings", "stage_effort", "unsure"
        ]  # fmt: skip
        assert [n for n, s in strings.items() if s is not None and s.length is None] == []  # none variable-length
        assert h5py.check_string_dtype(f["images/path"].dtype).length == len("im0.png")
    with Project.open(path) as q:  # and they read back as they were written
        assert [e.path for e in q.images] == [f"im{i}.png" for i in range(10)]
        assert q.history() == [{"miou": 0.5, "stage": 1}] and q.settings.classes == SETTINGS.classes


@pytest.mark.heavy
@pytest.mark.parametrize(("at", "width"), [(16, 16), (16, 32), (16, 64), (48, 32)])
def test_zero_bytes_in_an_old_snapshots_global_heap_are_damage_not_a_hang(tmp_path, at, width):
    """These bytes made ``Project.open(read_only=True)`` loop forever inside HDF5 (with the GIL
    held), so the open runs in a child process that the test can give up on."""
    path = compacted(tmp_path)
    as_before_issue_21(path)
    with Project.open(path, read_only=True) as r:  # an intact old file still reads
        assert r.labeled_images() == list(range(10))
    data = bytearray(path.read_bytes())
    heap = data.find(b"GCOL")
    data[heap + at : heap + at + width] = bytes(width)
    path.write_bytes(bytes(data))
    code = (  # SIGALRM's default action ends a child left behind when a runner kills this test
        "import signal, sys\nsignal.alarm(150)\nfrom labor_desktop.store import Project, ProjectError\n"
        "try:\n    Project.open(sys.argv[1], read_only=True)\n"
        "except ProjectError as e:\n    print(e)\n    sys.exit(3)\n"
    )
    try:
        child = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("Project.open hung on zero bytes in the global heap")
    assert child.returncode == 3, child.stderr
    assert child.stdout.strip() == (
        f"{path}: is damaged or not a LabOR Desktop project (the global heap at byte {heap} is damaged "
        "(HDF5 would never finish reading it)). The file was left untouched; restore it from a backup or "
        "choose another file"
    )
    assert path.read_bytes() == bytes(data)


def test_damaged_link_storage_is_one_line(tmp_path):
    path = compacted(tmp_path)
    data = bytearray(path.read_bytes())
    block = data.find(b"FHDB")  # the /labels group's links (a checksummed fractal heap block)
    assert block > 0
    data[block + 8 : block + 40] = bytes(32)
    path.write_bytes(bytes(data))
    for read_only in (True, False):
        with pytest.raises(ProjectError, match=rf"^{path}: is damaged or not a LabOR Desktop project \(.*checksum"):
            Project.open(path, read_only=read_only)
    assert path.read_bytes() == bytes(data)


# ---- JSON nested past the parser's depth ---------------------------------------------------
def test_a_journal_record_nesting_200000_arrays_is_damage(tmp_path):
    path = compacted(tmp_path)
    head = ('{"kind":"history","stage":2,"entry":{"x":' + DEEP + "}}").encode()
    journal = tmp_path / "p.labor.h5.journal"
    journal.write_bytes(frame(struct.pack("<I", len(head)) + head))
    with pytest.raises(JournalDamaged, match=r"damaged at byte 0 \(the record's header does not decode"):
        Project.open(path)
    with Project.open(path, read_only=True) as r:
        assert r.history() == [{"miou": 0.5, "stage": 1}]


def test_a_history_attribute_nesting_200000_arrays_is_one_line(tmp_path):
    path = compacted(tmp_path)
    with h5py.File(path, "r+") as f:
        f.attrs["history"] = np.bytes_(('{"1": ' + DEEP + "}").encode())
    before = path.read_bytes()
    with pytest.raises(ProjectError, match=rf"^{path}: is damaged or not a LabOR Desktop project"):
        Project.open(path, read_only=True)
    assert path.read_bytes() == before


# ---- HDF5-compressed datasets (never written by the store), with a damaged chunk -----------
def _gzip_with_a_damaged_chunk(path, name):
    with h5py.File(path, "r+") as f:
        values = f[name][()]
        del f[name]
        ds = f.create_dataset(name, data=values, compression="gzip", chunks=values.shape)
        offset = ds.id.get_chunk_info(0).byte_offset
    data = bytearray(path.read_bytes())
    data[offset + 2 : offset + 10] = b"\xff" * 8
    path.write_bytes(bytes(data))


def test_a_compressed_effort_table_is_refused_with_its_name(tmp_path):
    path = compacted(tmp_path)
    _gzip_with_a_damaged_chunk(path, "effort")
    before = path.read_bytes()
    message = (
        f"{path}: is damaged or not a LabOR Desktop project (/effort is stored through an HDF5 filter "
        "(compressed), which LabOR Desktop never writes). The file was left untouched; restore it from a "
        "backup or choose another file"
    )
    for attempt in (lambda: Project.open(path, read_only=True), lambda: Project.open(path), lambda: repair(path)):
        with pytest.raises(ProjectError) as e:
            attempt()
        assert str(e.value) == message
    assert path.read_bytes() == before


def test_a_compressed_label_blob_is_refused_with_its_name(tmp_path):
    path = compacted(tmp_path)
    _gzip_with_a_damaged_chunk(path, "labels/3/mask")
    before = path.read_bytes()
    with Project.open(path, read_only=True) as r:
        assert np.array_equal(r.labels(2)[0], labels_of(2))
        with pytest.raises(ProjectError) as e:
            r.labels(3)
        assert str(e.value).startswith(
            f"{path}: the labels of image 3 is damaged (/labels/3/mask is stored through an HDF5 filter"
        )
    listing = sorted(tmp_path.iterdir())
    with pytest.raises(ProjectError, match=rf"^{path}: a stored object is damaged \(/labels/3/mask is stored"):
        repair(path)
    assert path.read_bytes() == before and sorted(tmp_path.iterdir()) == listing  # no copy left behind
    assert json.loads(h5py.File(path, "r").attrs["settings"])["classes"] == SETTINGS.classes
