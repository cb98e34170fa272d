"""The global-heap guard and the snapshot's first checks at their exact edges: the survivors
of the fresh mutation run of store/ (issue 21), which the subprocess tests of the hanging
bytes (marked heavy) no longer reach per mutant.  ``check_global_heaps`` on files built byte
by byte: every collection is walked, from byte 0 to one that ends at the file's end, at the
minimum size HDF5 writes (4096); one cut short by the file's end is left alone."""

import h5py
import numpy as np
import pytest
from store_support import make

from labor_desktop.store import Project, ProjectError
from labor_desktop.store.checks import Damaged, _has_variable_length_strings, check_effort, check_global_heaps


def obj(index: int, n: int) -> bytes:
    return index.to_bytes(2, "little") + bytes(6) + n.to_bytes(8, "little")


def collection(looping: bool, size: int = 4096) -> bytes:
    body = obj(0, 0) if looping else obj(0, size - 16)  # a free-space object of size 0 never moves
    return b"GCOL\x01\0\0\0" + size.to_bytes(8, "little") + body + bytes(size - 16 - len(body))


@pytest.fixture
def vlen():
    with h5py.File("mem.h5", "w", driver="core", backing_store=False) as f:
        f.attrs["note"] = "a variable-length string"  # h5py's default for str
        yield f


def scan_bytes(tmp_path, vlen, data: bytes):
    path = tmp_path / "heaps.bin"
    path.write_bytes(data)
    check_global_heaps(vlen, path)


def refused(tmp_path, vlen, data: bytes) -> str:
    with pytest.raises(Damaged) as e:
        scan_bytes(tmp_path, vlen, data)
    return str(e.value)


def message(at: int) -> str:
    return f"the global heap at byte {at} is damaged (HDF5 would never finish reading it)"


def test_a_looping_collection_at_byte_0_that_ends_at_the_files_end_is_found(tmp_path, vlen):
    assert refused(tmp_path, vlen, collection(True)) == message(0)


def test_every_collection_is_walked_not_only_the_first_or_the_last(tmp_path, vlen):
    good, bad = collection(False), collection(True)
    assert refused(tmp_path, vlen, b"x" * 100 + bad + good) == message(100)
    assert refused(tmp_path, vlen, good + bad + good) == message(4096)
    scan_bytes(tmp_path, vlen, good + good + good)


def test_only_version_1_collections_of_4096_bytes_or_more_are_walked(tmp_path, vlen):
    assert refused(tmp_path, vlen, collection(True, 4096) + bytes(10)) == message(0)
    version2 = bytearray(collection(True))
    version2[4] = 2
    scan_bytes(tmp_path, vlen, bytes(version2))
    small = bytearray(collection(True, 4096))
    small[8:16] = (4095).to_bytes(8, "little")
    scan_bytes(tmp_path, vlen, bytes(small))


def test_a_collection_cut_short_by_the_files_end_is_left_to_hdf5(tmp_path, vlen):
    scan_bytes(tmp_path, vlen, collection(True)[:4000])
    scan_bytes(tmp_path, vlen, b"x" * 200 + collection(True)[:4000])  # not at byte 0 either


def test_a_file_without_variable_length_strings_is_not_scanned(tmp_path):
    with h5py.File("mem2.h5", "w", driver="core", backing_store=False) as f:
        f.attrs["fixed"] = np.bytes_("fixed length")
        f.attrs["number"] = 3
        assert _has_variable_length_strings(f) is False
        path = tmp_path / "heaps.bin"
        path.write_bytes(collection(True))
        check_global_heaps(f, path)  # the bytes would be refused if scanned


def test_variable_length_strings_are_found_in_attributes_and_in_the_path_table():
    with h5py.File("mem3.h5", "w", driver="core", backing_store=False) as f:
        f.attrs["number"] = 3
        f.create_dataset("images/path", data=np.array([b"a.png"]))
        assert _has_variable_length_strings(f) is False
        del f["images/path"]
        f.create_dataset("images/path", data=["a.png"], dtype=h5py.string_dtype())
        assert _has_variable_length_strings(f) is True
        f.attrs["note"] = "vlen"
        assert _has_variable_length_strings(f) is True


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_an_effort_table_with_one_bad_number_is_damage(bad):
    effort = np.zeros((3, 4))
    check_effort(effort)
    effort[1, 2] = bad
    with pytest.raises(Damaged) as e:
        check_effort(effort)
    assert str(e.value) == "/effort holds negative or non-finite numbers"


def damaged(path, reason):
    return (
        f"{path}: is damaged or not a LabOR Desktop project ({reason}). "
        "The file was left untouched; restore it from a backup or choose another file"
    )


def test_a_snapshot_without_a_version_or_with_a_version_that_is_no_number_says_so(tmp_path):
    p = make(tmp_path)
    p.close()
    with h5py.File(p.path, "r+") as f:
        del f.attrs["version"]
    with pytest.raises(ProjectError) as e:
        Project.open(p.path, read_only=True)
    assert str(e.value) == f"{p.path}: has no format version; it is damaged and was left untouched"
    with h5py.File(p.path, "r+") as f:
        f.attrs["version"] = "x"
    with pytest.raises(ProjectError) as e:
        Project.open(p.path, read_only=True)
    assert str(e.value) == damaged(p.path, "invalid literal for int() with base 10: 'x'")


def test_a_file_hdf5_cannot_open_names_hdf5s_reason(tmp_path):
    path = tmp_path / "p.labor.h5"
    path.write_bytes(b"not HDF5 at all" * 100)
    with pytest.raises(ProjectError) as e:
        Project.open(path, read_only=True)
    assert str(e.value).startswith(f"{path}: is damaged or not a LabOR Desktop project (Unable to ")
    assert "file signature not found" in str(e.value)
