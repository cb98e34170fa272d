"""Crafted LabOR checkpoints: the header's types and ranges are checked before any model
is built from it, and each is one line naming the file (issue 21: ``num_classes`` a
string or 10**12, ``format_version`` a string, ``config`` an int, a tensor inside
``config``, a 0-d or 1-d classifier weight)."""

import pytest
import torch
from folder_support import make_all, make_checkpoint

from labor_desktop.cli import main
from labor_desktop.core.checkpoint import MAX_CLASSES, CheckpointError, load_model
from labor_desktop.engine.projects.new_project import PlanError, plan_project

CRAFTED = "a damaged or crafted LabOR Desktop checkpoint"
TAIL = "; it was not loaded. Use a checkpoint this program wrote"
HEAD = "layer5.conv2d_list.0.weight"


def _config(key, value):
    return lambda obj: obj["config"].__setitem__(key, value)


CASES = [
    (_config("num_classes", "19"), f"{CRAFTED} (config num_classes = '19' is not an integer){TAIL}"),
    (_config("num_classes", 10**12), f"{CRAFTED} (config num_classes = 1000000000000 is not in 2..254){TAIL}"),
    (_config("num_classes", MAX_CLASSES + 1), f"{CRAFTED} (config num_classes = 255 is not in 2..254){TAIL}"),
    (_config("num_classes", 1), f"{CRAFTED} (config num_classes = 1 is not in 2..254){TAIL}"),
    (_config("num_classes", True), f"{CRAFTED} (config num_classes = True is not an integer){TAIL}"),
    (_config("freeze_bn", 1), f"{CRAFTED} (config freeze_bn = 1 is not true or false){TAIL}"),
    (_config("backbone", torch.zeros(3)), f"{CRAFTED} (config backbone = a Tensor is not a name){TAIL}"),
    (_config("backbone", "resnet7"), f"{CRAFTED} (config: unknown backbone 'resnet7'; choose one of "),
    (_config("colour", 3), f"{CRAFTED} (config has an unknown key 'colour'){TAIL}"),
    (
        lambda obj: obj.__setitem__("format_version", "1"),
        f"{CRAFTED} (format_version = '1' is not a version number){TAIL}",
    ),
    (
        lambda obj: obj.__setitem__("format_version", -1),
        f"{CRAFTED} (format_version = -1 is not a version number){TAIL}",
    ),
    (lambda obj: obj.__setitem__("config", 7), f"{CRAFTED} (config is 7, not a table of model settings){TAIL}"),
    (lambda obj: obj.__setitem__("extra", [1]), f"{CRAFTED} (extra is a list, not a table){TAIL}"),
    (lambda obj: obj.__setitem__("state_dict", 3), f"{CRAFTED} (state_dict is 3, not a table of weights){TAIL}"),
    (
        lambda obj: obj["state_dict"].__setitem__(HEAD, torch.tensor(1.0)),
        f"its classifier weight {HEAD} has shape (), not (classes, channels, 3, 3); the file is damaged",
    ),
    (
        lambda obj: obj["state_dict"].__setitem__(HEAD, torch.zeros(5)),
        f"its classifier weight {HEAD} has shape (5,), not (classes, channels, 3, 3); the file is damaged",
    ),
]


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return torch.load(make_checkpoint(tmp_path_factory.mktemp("ck") / "five.pt"), weights_only=True)


def _crafted(tmp_path, good, craft):
    obj = {**good, "config": dict(good["config"]), "state_dict": dict(good["state_dict"])}
    craft(obj)
    torch.save(obj, tmp_path / "crafted.pt")
    return tmp_path / "crafted.pt"


@pytest.mark.parametrize("craft,message", CASES, ids=[m[len(CRAFTED) :][:40] for _, m in CASES])
def test_inspect_checkpoint_refuses_a_crafted_header_in_one_line(tmp_path, capsys, good, craft, message):
    path = _crafted(tmp_path, good, craft)
    assert main(["inspect-checkpoint", str(path)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"error: {path}: ") and message in err and err.count("\n") == 1
    with pytest.raises(CheckpointError) as e:
        load_model(path)
    assert message in str(e.value)


@pytest.mark.parametrize("craft,message", [CASES[1], CASES[6], CASES[11], CASES[14]])
def test_new_with_a_crafted_checkpoint_is_refused_naming_it(tmp_path, good, craft, message):
    d = make_all(tmp_path)
    path = _crafted(tmp_path, good, craft)
    with pytest.raises(PlanError) as e:
        plan_project(
            images=str(d["images"]),
            classes=str(d["table"]),
            checkpoint=str(path),
            preset_name="smoke",
            file=str(tmp_path / "x.labor.h5"),
        )
    assert e.value.field == "checkpoint" and message in str(e.value)


def test_the_largest_class_count_is_accepted(tmp_path, good):
    path = _crafted(tmp_path, good, _config("num_classes", MAX_CLASSES))
    with pytest.raises(CheckpointError, match="its classifier has 5 classes but the project has 254"):
        load_model(path)  # the header passes; the weights do not fit 254 classes
