"""Class tables: Cityscapes' by default, a TOML file with names, colours, ids and keys,
checked with messages that name the file and the entry; saved and read back."""

import re

import numpy as np
import pytest
from folder_support import TABLE_TOML

from labor_desktop.data.class_table import WINDOW_KEYS, ClassTable, table_from_settings
from labor_desktop.data.classes import CLASS_COLORS, CLASS_NAMES
from labor_desktop.data.io import DataError


def test_cityscapes_is_the_default_table():
    t = ClassTable.cityscapes()
    assert t.names == CLASS_NAMES and t.colors_array.tolist() == CLASS_COLORS.tolist()
    assert t.ids == tuple(range(19)) and t.ignore_id == 255 and t.is_cityscapes()
    assert t.keys[:3] == ("1", "2", "3") and t.keys[9] == "0" and t.keys[10] == "Alt+1" and t.keys[18] == "Alt+9"


def test_a_five_class_table_with_its_own_ids_and_keys(tmp_path):
    path = tmp_path / "five.toml"
    path.write_text(TABLE_TOML)
    t = ClassTable.load(path)
    assert t.names == ("road", "car", "tree", "sky", "person") and len(t) == 5 and not t.is_cityscapes()
    assert t.colors[0] == (128, 64, 128) and t.colors[1] == (0, 0, 142)
    assert t.ids == (10, 20, 30, 40, 50) and t.ignore_id == 0
    assert t.keys == ("R", "C", "1", "2", "3")  # the rest take the default keys in order
    lut = t.id_map.lut()
    assert lut[[10, 20, 50, 0, 7]].tolist() == [0, 1, 4, 255, 255]
    assert t.class_to_id()[[0, 4, 255]].tolist() == [10, 50, 0]
    assert ClassTable.from_dict(t.to_dict()) == t  # saved in a project, read back the same


def test_a_key_that_takes_a_default_moves_the_defaults_along(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(
        '[[classes]]\nname = "a"\ncolor = [1, 1, 1]\n[[classes]]\nname = "b"\ncolor = [2, 2, 2]\nkey = "1"\n'
    )
    assert ClassTable.load(path).keys == ("2", "1")


BAD = [
    ("ignore_id = 300\n" + TABLE_TOML.replace("ignore_id = 0\n", ""), "ignore_id = 300; must be an integer 0-255"),
    (TABLE_TOML.replace("id = 20", "id = 10"), "class 2 ('car'): id = 10 is also class 1's id"),
    (TABLE_TOML.replace("id = 30", "id = 0"), "class 3 ('tree'): id = 0 is the ignore_id"),
    (TABLE_TOML.replace('key = "C"', 'key = "P"'), "class 2 ('car'): key 'P' is the window's own key"),
    (TABLE_TOML.replace('key = "C"', 'key = "r"'), "class 2 ('car'): key 'R' is also class 1's key"),
    (TABLE_TOML.replace('key = "C"', 'key = "Ctrl+C"'), "class 2 ('car'): key = 'Ctrl+C'; give one letter or digit"),
    (TABLE_TOML.replace("[0, 0, 142]", "[0, 0, 300]"), "class 2 ('car'): color = [0, 0, 300]; give [r, g, b]"),
    (TABLE_TOML.replace('name = "sky"', 'name = "Road"'), "class 4 ('Road'): the name 'Road' is used twice"),
    (TABLE_TOML.replace('name = "sky"', "shade = 1"), "class 4: unknown key(s) ['shade']"),
    ('[[classes]]\nname = "only"\ncolor = [1, 2, 3]\n', "1 classes; a class table has 2 to 254"),
    ("ignore_id = 0\n", 'no [[classes]] entries; each class is a [[classes]] table with name = "..."'),
    ("[[classes]\n", "not valid TOML"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_tables_are_refused_naming_the_file_and_the_entry(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(DataError, match=re.escape(f"{path}: {message}")):
        ClassTable.load(path)


def test_a_missing_table_file_is_said(tmp_path):
    with pytest.raises(DataError, match="nope.toml: class table not found"):
        ClassTable.load(tmp_path / "nope.toml")


def test_projects_made_before_tables_read_as_their_names_at_their_positions():
    t = table_from_settings(["a", "b", "c"], [[1, 1, 1], [2, 2, 2], [3, 3, 3]], None)
    assert t.ids == (0, 1, 2) and t.ignore_id == 255 and t.keys == ("1", "2", "3")
    assert np.array_equal(t.class_to_id()[[0, 2, 255]], [0, 2, 255])


def test_the_window_keys_a_table_may_not_take_are_the_windows_own():
    from labor_desktop.gui.keymap import BINDINGS, class_of_action

    single = {
        key
        for b in BINDINGS
        if class_of_action(b.action) is None
        for key in b.keys
        if re.fullmatch(r"(Alt\+)?[A-Z0-9]", key)
    }
    assert single == WINDOW_KEYS


def _toml(n: int, **key_of) -> str:
    """``n`` classes named c0, c1, ... (ids = positions), ``key_of``: {name: key}."""
    text = ""
    for k in range(n):
        text += f'[[classes]]\nname = "c{k}"\ncolor = [{k % 256}, 0, 0]\n'
        if f"c{k}" in key_of:
            text += f'key = "{key_of[f"c{k}"]}"\n'
    return text


def test_254_classes_are_the_most_a_table_holds(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(_toml(254))
    t = ClassTable.load(path)
    assert len(t) == 254 and t.ids[-1] == 253 and t.ignore_id == 255
    path.write_text(_toml(255))
    with pytest.raises(DataError, match=re.escape(f"{path}: 255 classes; a class table has 2 to 254")):
        ClassTable.load(path)


def test_two_classes_are_the_fewest(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(_toml(2))
    assert len(ClassTable.load(path)) == 2


def test_the_19th_class_gets_the_last_default_key_and_the_20th_none(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(_toml(20))
    keys = ClassTable.load(path).keys
    assert keys[8:11] == ("9", "0", "Alt+1") and keys[18] == "Alt+9" and keys[19] == ""
    path.write_text(_toml(20, c0="R"))  # a key of its own: the 19 defaults still go to the next 19
    keys = ClassTable.load(path).keys
    assert keys[0] == "R" and keys[1] == "1" and keys[19] == "Alt+9"
    path.write_text(_toml(20, c19="1"))  # the 20th takes "1": the first 18 keyless get 2 ... Alt+9
    keys = ClassTable.load(path).keys
    assert keys[0] == "2" and keys[17] == "Alt+9" and keys[18] == "" and keys[19] == "1"


def test_a_project_made_before_tables_keys_its_first_19_classes_only():
    names = [f"c{k}" for k in range(20)]
    t = table_from_settings(names, [[k, 0, 0] for k in range(20)], None)
    assert t.keys[9] == "0" and t.keys[10] == "Alt+1" and t.keys[18] == "Alt+9" and t.keys[19] == ""
