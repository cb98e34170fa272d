"""Crafted project settings that used to open fine and then crash ``labor export``
(issue 21): ``extra.class_table = "x"``, ``extra.data = "folder"``, ``colors`` with 300
entries, a saved class table naming a class twice.  Each is one line naming the file."""

import json

import h5py
import numpy as np
import pytest

from labor_desktop.cli import main
from labor_desktop.data.class_table import ClassTable
from labor_desktop.store import ImageEntry, Project, ProjectError, ProjectSettings


def _project(tmp_path):
    table = ClassTable.cityscapes()
    settings = ProjectSettings(
        classes=list(table.names), colors=[list(c) for c in table.colors], extra={"class_table": table.to_dict()}
    )
    p = Project.create(tmp_path / "p.labor.h5", settings, [ImageEntry("a.png", 4, 4)])
    p.save_labels(0, np.zeros((4, 4), np.uint8), 1)
    p.close()
    return tmp_path / "p.labor.h5"


def _craft(path, change):
    with h5py.File(path, "r+") as f:
        settings = json.loads(f.attrs["settings"])
        change(settings)
        f.attrs["settings"] = json.dumps(settings)


def _set_extra(key, value):
    return lambda s: s["extra"].__setitem__(key, value)


def _table(change):
    return lambda s: change(s["extra"]["class_table"])


AT_OPEN = [
    (_set_extra("class_table", "x"), "setting extra.class_table = 'x': must be a table (JSON object)"),
    (_set_extra("data", "folder"), "setting extra.data = 'folder': must be a table (JSON object)"),
    (_set_extra("experiment", 3), "setting extra.experiment = 3: must be a table (JSON object)"),
    (lambda s: s.__setitem__("colors", [[0, 0, 0]] * 300), "setting colors = [[0, 0, 0], "),
]
AT_EXPORT = [
    (_table(lambda t: t["names"].__setitem__(1, t["names"][0])), "class 2 ('road'): the name 'road' is used twice"),
    (_table(lambda t: t["ids"].pop()), "the saved class table's ids must be a list with one entry per class"),
    (_table(lambda t: t.__setitem__("colors", "red")), "the saved class table's colors must be a list with one"),
    (_table(lambda t: t.pop("names")), "the saved class table's names must be a list with one entry per class"),
    (lambda s: s.__setitem__("classes", s["classes"][:5]), "it has 19 classes but the project 5"),
]


@pytest.mark.parametrize("change,message", AT_OPEN, ids=[m[:32] for _, m in AT_OPEN])
def test_settings_of_the_wrong_type_are_refused_at_open(tmp_path, capsys, change, message):
    path = _project(tmp_path)
    _craft(path, change)
    with pytest.raises(ProjectError, match="is damaged or not a LabOR Desktop project") as e:
        Project.open(path, read_only=True)
    assert message in str(e.value)
    assert main(["export", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and message in err and err.count("\n") == 1 and len(err) < 400


@pytest.mark.parametrize("change,message", AT_EXPORT, ids=[m[:32] for _, m in AT_EXPORT])
def test_a_damaged_saved_class_table_is_one_line_from_export(tmp_path, capsys, change, message):
    path = _project(tmp_path)
    _craft(path, change)
    assert main(["export", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: the class table saved in the project is damaged ({message}")
    assert err.endswith("); restore a copy of the project or make it again\n") and err.count("\n") == 1


def test_255_colours_are_accepted_and_256_refused(tmp_path):
    path = _project(tmp_path)
    _craft(path, lambda s: s.__setitem__("colors", [[0, 0, 0]] * 255))
    Project.open(path, read_only=True).close()
    _craft(path, lambda s: s.__setitem__("colors", [[0, 0, 0]] * 256))
    with pytest.raises(ProjectError, match="must be at most 255 colours, one per class"):
        Project.open(path, read_only=True)
