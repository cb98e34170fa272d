"""The demo's 19 Cityscapes classes read into a class table of one's own (``cityscapes_remap``),
as ``labor simulate --classes`` does: the five-group table exactly, single classes, and the
tables refused."""

import numpy as np
import pytest
from PIL import Image

from labor_desktop.data.class_table import DEMO_GROUPS, ClassTable, cityscapes_remap
from labor_desktop.data.classes import CLASS_NAMES
from labor_desktop.data.io import DataError
from labor_desktop.data.readers import Sample, read_sample_label, remapped

FIVE = "resources/classes/demo-five.toml"


def table(tmp_path, *names):
    text = "".join(f'[[classes]]\nname = "{n}"\ncolor = [{k}, 0, 0]\n' for k, n in enumerate(names))
    path = tmp_path / "t.toml"
    path.write_text(text)
    return ClassTable.load(path)


def test_the_five_groups_take_each_of_the_19_classes_once():
    assert sorted(c for group in DEMO_GROUPS.values() for c in group) == sorted(CLASS_NAMES)
    lut = cityscapes_remap(ClassTable.load(FIVE))
    # road sidewalk building wall fence pole light sign vegetation terrain sky person rider car truck bus train moto bike
    assert lut[:19].tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4]
    assert (lut[19:] == 255).all()  # 255 (not labelled) stays so, and nothing else is a train id


def test_a_table_of_cityscapes_classes_takes_those_and_leaves_the_rest_unlabelled(tmp_path):
    lut = cityscapes_remap(table(tmp_path, "Car", "sky", "road"))
    want = np.full(256, 255)
    want[CLASS_NAMES.index("car")], want[CLASS_NAMES.index("sky")], want[CLASS_NAMES.index("road")] = 0, 1, 2
    assert lut.tolist() == want.tolist()


def test_a_class_of_no_group_and_two_classes_taking_one_are_refused(tmp_path):
    with pytest.raises(DataError, match=r"t.toml: class 'banana' is no group of the demo's classes \(flat, "):
        cityscapes_remap(table(tmp_path, "road", "banana"))
    with pytest.raises(DataError, match=r"t.toml: classes 'car' and 'road user' both take 'car'"):
        cityscapes_remap(table(tmp_path, "car", "road user"))


def test_a_remapped_samples_label_is_read_in_the_tables_classes(tmp_path):
    ids = np.array([[0, 1, 2, 8], [10, 11, 18, 255]], np.uint8)  # train ids
    Image.fromarray(ids).save(tmp_path / "x_labelTrainIds.png")
    sample = Sample("x", tmp_path / "x.png", tmp_path / "x_labelTrainIds.png", "train_ids")
    [five] = remapped([sample], cityscapes_remap(ClassTable.load(FIVE)))
    assert read_sample_label(five).tolist() == [[0, 0, 1, 2], [3, 4, 4, 255]]
    assert read_sample_label(sample).tolist() == ids.tolist()  # the original is untouched
