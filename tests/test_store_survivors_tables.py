"""A snapshot's tables at their exact edges: the survivors of the fresh mutation run of store/
(issue 21).  Each structural fault of a crafted snapshot (``check_tables``), each member name
(``_names``) and each per-stage attribute (``_stage_table``) is one exact message; the limits
themselves are allowed."""

import h5py
import numpy as np
import pytest

from labor_desktop.store.checks import Damaged, _names, check_tables
from labor_desktop.store.tables import _effort_row, _is_table, _stage_table


@pytest.fixture
def f():
    with h5py.File("mem.h5", "w", driver="core", backing_store=False) as f:
        yield f


def snapshot(f, n=3, heights=None, effort_shape=None, version=1):
    f.create_dataset("images/path", data=np.array([b"a.png"] * n))
    f.create_dataset("images/height", data=np.full(n if heights is None else heights, 20, np.int32))
    f.create_dataset("images/width", data=np.full(n, 30, np.int32))
    if version:
        f.create_dataset("effort", data=np.zeros(effort_shape or (n, 4)))
        f.create_group("labels")
        f.create_group("proposals")
    return f


def damage(fn, *args) -> str:
    with pytest.raises(Damaged) as e:
        fn(*args)
    return str(e.value)


def test_a_whole_snapshot_lists_its_images_labels_and_proposals(f):
    snapshot(f)
    f["labels"].create_group("2")
    f.create_group("proposals/4/0")
    assert check_tables(f, 1) == (3, {2}, {4: {0}})


def test_each_structural_fault_is_one_message(f):
    snapshot(f)
    f.create_group("extra")
    assert damage(check_tables, f, 1) == "/extra is not part of a project"
    del f["extra"]
    del f["images/height"]
    f.create_dataset("images/height", data=np.full(2, 20, np.int32))
    assert damage(check_tables, f, 1) == "/images/height has 2 entries, /images/path 3"
    del f["images/height"]
    f.create_dataset("images/height", data=np.full(3, 20.0))
    assert damage(check_tables, f, 1) == "/images/height is float64 with 1 dimensions, expected kind 'iu' with 1"


def test_missing_or_mistyped_image_tables_name_themselves(f):
    assert damage(check_tables, f, 1) == "/images is missing"
    f.create_dataset("images/path", data=np.zeros(3))
    assert damage(check_tables, f, 1) == "/images/path is float64 with 1 dimensions, expected kind 'OS' with 1"


def test_an_effort_table_of_the_wrong_shape_names_both(f):
    snapshot(f, effort_shape=(3, 3))
    assert damage(check_tables, f, 1) == "/effort is (3, 3), expected (3, 4)"


def test_max_images_is_allowed_and_one_more_is_not(f, monkeypatch):
    from labor_desktop.store import checks

    monkeypatch.setattr(checks, "MAX_IMAGES", 3)  # the rule at a size a test can build (it is 10**7)
    snapshot(f, n=3)
    assert check_tables(f, 1)[0] == 3
    del f["images/path"]
    f.create_dataset("images/path", data=np.array([b"a"] * 4))
    assert damage(check_tables, f, 1) == "/images/path lists 4 images (at most 3)"


def test_a_version_0_file_lists_its_labels_by_number(f):
    snapshot(f, version=0)
    assert check_tables(f, 0) == (3, set(), {})
    f.create_dataset("labels/2", data=np.zeros((20, 30), np.uint8))
    assert check_tables(f, 0) == (3, {2}, {})
    f.create_dataset("labels/3", data=np.zeros((20, 30), np.uint8))
    assert damage(check_tables, f, 0) == "/labels/3 is not a number in 0..2"


@pytest.mark.parametrize("name", ["3", "01", "x", "\u0663", "-1"])
def test_a_member_name_must_be_a_plain_number_below_the_limit(f, name):
    g = f.create_group("g")
    g.create_group("2")
    g.create_group(name)
    assert damage(_names, g, "/g", 3) == f"/g/{name} is not a number in 0..2"


def test_the_last_number_is_allowed_and_links_are_not(f):
    g = f.create_group("g")
    g.create_group("0")
    g.create_group("2")
    assert sorted(_names(g, "/g", 3)) == [0, 2]
    g["1"] = h5py.SoftLink("/g/0")
    assert damage(_names, g, "/g", 3) == "/g/1 is a link (links are not allowed)"


def test_a_member_name_that_is_no_utf8_is_shown_replaced(f):
    g = f.create_group("g")
    g.create_group(b"\xff1")
    assert damage(_names, g, "/g", 3) == "/g/\ufffd1 is not a number in 0..2"


@pytest.mark.parametrize(
    "table, message",
    [
        ([], "the history attribute is not a JSON object"),
        ({"256": {}}, "the history attribute holds an invalid entry '256'"),
        ({"x": {}}, "the history attribute holds an invalid entry 'x'"),
        ({"\u0663": {}}, "the history attribute holds an invalid entry '\u0663'"),
        ({"3": [1]}, "the history attribute holds an invalid entry '3'"),
    ],
)
def test_a_per_stage_attribute_names_its_invalid_entry(table, message):
    assert damage(_stage_table, table, "history", _is_table) == message


def test_a_per_stage_attribute_takes_stages_0_to_255():
    assert _stage_table({"0": {"a": 1}, "255": {}}, "history", _is_table) == {0: {"a": 1}, 255: {}}
    assert _stage_table({"1": [0, 1.5, 0, 0]}, "stage_effort", _effort_row) == {1: [0, 1.5, 0, 0]}


def remake(f, name, kind):
    del f[name]
    (f.create_group if kind == "group" else lambda n: f.create_dataset(n, data=np.zeros(2)))(name)


@pytest.mark.parametrize(
    "fault, message",
    [
        (lambda f: remake(f, "labels", "dataset"), "/labels is not a group"),
        (lambda f: f.create_group("labels/x"), "/labels/x is not a number in 0..2"),
        (lambda f: f.__delitem__("proposals"), "/proposals is missing"),
        (lambda f: f.create_group("proposals/256"), "/proposals/256 is not a number in 0..255"),
        (lambda f: f.create_dataset("proposals/4", data=np.zeros(2)), "/proposals/4 is not a group"),
        (lambda f: f.create_group("proposals/4/9"), "/proposals/4/9 is not a number in 0..2"),
    ],
)
def test_each_fault_of_the_label_and_proposal_groups_names_its_place(f, fault, message):
    snapshot(f)
    f.create_group("proposals/255/2")  # the last stage and the last image are allowed
    fault(f)
    assert damage(check_tables, f, 1) == message


def test_a_version_0_files_labels_are_a_group_of_datasets(f):
    snapshot(f, version=0)
    f.create_dataset("labels", data=np.zeros(2))
    assert damage(check_tables, f, 0) == "/labels is not a group"
    del f["labels"]
    f.create_group("labels/1")
    assert damage(check_tables, f, 0) == "/labels/1 is not a dataset"
