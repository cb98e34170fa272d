"""The cold start (issue 22): images and a class table of one's own, a checkpoint trained on
other classes (or an ImageNet ResNet), no source data.  ``labor new`` takes the path by
itself and says so in one line; the checkpoints it cannot use are refused saying why; the
simulated annotator runs the same path headless (``labor simulate --classes``)."""

import json

import numpy as np
import pytest
import torch
from folder_support import make_all, make_checkpoint

from labor_desktop.cli import main
from labor_desktop.core.checkpoint import FORMAT, load_model
from labor_desktop.core.model import DeepLabV2, ModelConfig
from labor_desktop.engine.projects.new_project import PlanError, plan_project
from labor_desktop.engine.workflow import ProjectWorkflow
from labor_desktop.store import Project

COLD_LINE = (
    "cold start: nineteen.pt: its classifier has 19 classes, the class table 5; the model is its backbone with a "
    "new head for the 5 classes (initialised fresh), stage 1 asks for points chosen to cover the images, "
    "LabOR's selector from stage 2"
)


def plan(tmp_path, d, **choices):
    base = dict(images=str(d["images"]), classes=str(d["table"]), preset_name="smoke", file=str(tmp_path / "p"))
    return plan_project(**{**base, **choices})


def test_labor_new_from_a_19_class_checkpoint_without_source_starts_cold_and_says_so_in_one_line(tmp_path, capsys):
    d = make_all(tmp_path)
    nineteen = make_checkpoint(tmp_path / "nineteen.pt", classes=19)
    path = tmp_path / "own.labor.h5"
    args = ["new", str(path), "--images", str(d["images"]), "--classes", str(d["table"]), "--preset", "smoke"]
    assert main([*args, "--checkpoint", str(nineteen)]) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("note: cold")] == [f"note: {COLD_LINE}"]
    with Project.open(path, read_only=True) as p:
        cold = p.settings.extra["cold_start"]
        assert cold == {
            "backbone_from": str(nineteen.resolve()),
            "head": "new, 5 classes, initialised fresh",
            "note": COLD_LINE,
        }
        start = p.history()[0]
        assert start["cold_start"]["head"] == "new, 5 classes, initialised fresh"
        points = [p.proposal(1, i)[1] for i in range(len(p.images))]
        assert sum(len(x) for x in points) == 8 * 5  # the smoke budget (8 points) x 5 images, over the pool
        for x in points:  # distinct pixels, in raster order, inside the image
            assert len({(int(y), int(xx)) for y, xx, _ in x}) == len(x)
            assert [tuple(r[:2]) for r in x.tolist()] == sorted(tuple(r[:2]) for r in x.tolist())
        model = load_model(start["checkpoint"])
    old = load_model(nineteen)
    assert model.cfg.num_classes == 5 and model.layer5.conv2d_list[0].weight.shape[0] == 5
    assert torch.equal(model.layer4[1].conv2.weight, old.layer4[1].conv2.weight)  # the backbone is the checkpoint's


def test_an_imagenet_resnet_starts_cold_and_a_checkpoint_that_fits_does_not(tmp_path):
    d = make_all(tmp_path)
    net = DeepLabV2(ModelConfig(backbone="resnet18", num_classes=5, freeze_bn=False, output_stride=16))
    sd = {k: v for k, v in net.state_dict().items() if not k.startswith("layer5.")}
    sd["fc.weight"], sd["fc.bias"] = torch.zeros(1000, 512), torch.zeros(1000)  # torchvision's classifier
    torch.save(sd, tmp_path / "resnet18-imagenet.pth")
    got = plan(tmp_path, d, checkpoint=str(tmp_path / "resnet18-imagenet.pth"))
    assert got.notes[0].startswith("cold start: resnet18-imagenet.pth: it has no classifier; the model is its backbone")
    assert got.cold_start is not None and got.cfg.model.num_classes == 5
    seen = []
    with Project.open(got.create()) as project:  # stage 1 as the window prepares it, each proposal seen
        ProjectWorkflow(project).bootstrap(on_proposal=lambda i, mask, points: seen.append((i, len(points))))
        assert [i for i, _ in seen] == list(range(5)) and sum(n for _, n in seen) == 8 * 5
        assert seen == [(i, len(project.proposal(1, i)[1])) for i in range(5)]
    fit = plan(tmp_path, d, checkpoint=str(d["checkpoint"]), file=str(tmp_path / "q"))  # 5 classes: used as it is
    assert fit.cold_start is None and not any(n.startswith("cold start") for n in fit.notes)


def test_checkpoints_a_cold_start_cannot_use_are_refused_saying_why(tmp_path):
    d = make_all(tmp_path)
    torch.save({"layer1.0.conv1.weight": torch.zeros(2, 2, 1, 1)}, tmp_path / "odd.pt")
    with pytest.raises(PlanError) as e:
        plan(tmp_path, d, checkpoint=str(tmp_path / "odd.pt"))
    assert e.value.field == "checkpoint"
    assert str(e.value) == (
        f"{tmp_path / 'odd.pt'}: holds no ResNet backbone this program knows (blocks per layer (1, 0, 0, 0)); "
        "give a DeepLab-v2 checkpoint or a torchvision ResNet-18/34/50/101"
    )
    (tmp_path / "cut.pt").write_bytes(make_checkpoint(tmp_path / "whole.pt", 19).read_bytes()[:5000])
    with pytest.raises(PlanError, match=r"cut.pt: not a readable PyTorch checkpoint"):
        plan(tmp_path, d, checkpoint=str(tmp_path / "cut.pt"))
    crafted = {"format": FORMAT, "format_version": 1, "config": {"num_classes": 10**12}, "state_dict": {}}
    torch.save(crafted, tmp_path / "crafted.pt")
    with pytest.raises(PlanError) as e:  # refused before anything is built from it
        plan(tmp_path, d, checkpoint=str(tmp_path / "crafted.pt"))
    assert str(e.value) == (
        f"{tmp_path / 'crafted.pt'}: a damaged or crafted LabOR Desktop checkpoint (config num_classes = "
        "1000000000000 is not in 2..254); it was not loaded. Use a checkpoint this program wrote"
    )
    nineteen = make_checkpoint(tmp_path / "nineteen.pt", classes=19)
    wrong = torch.load(nineteen, weights_only=True)
    wrong["config"]["backbone"] = "resnet34"  # a header that does not match its weights
    torch.save(wrong, tmp_path / "wrong.pt")
    with pytest.raises(
        PlanError,
        match=r"wrong.pt: does not fit this model: it is a resnet18 but the model is configured as resnet34\.$",
    ):
        plan(tmp_path, d, checkpoint=str(tmp_path / "wrong.pt"))
    with pytest.raises(PlanError) as e:
        plan(tmp_path, d, checkpoint=str(nineteen), strategy="regions")
    assert e.value.field == "strategy"
    assert str(e.value) == "a cold start asks for points at stage 1: choose a point or pixel strategy, not regions"


@pytest.mark.slow
def test_simulate_with_own_classes_runs_the_cold_start_headless(tmp_path, tiny_data, capsys):
    nineteen = make_checkpoint(tmp_path / "nineteen.pt", classes=19)
    out = tmp_path / "run"
    args = ["simulate", "--data", str(tiny_data), "--preset", "smoke", "--strategy", "ppl", "--stages", "2"]
    args += ["--classes", "resources/classes/demo-five.toml", "--from", str(nineteen), "--out", str(out)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("cold start:")] == [
        f"cold start: the backbone of {nineteen} with a new head for the 5 classes of "
        "resources/classes/demo-five.toml; stage 1: points chosen by kcentre, then ppl"
    ]
    history = json.loads((out / "history.json").read_text())
    assert [h["stage"] for h in history] == [0, 1, 2] and all(0 <= h["miou"] <= 1 for h in history)
    with Project.open(out / "project.labor.h5", read_only=True) as p:
        assert p.settings.classes == ["flat", "construction", "nature", "sky", "road user"]
        assert p.settings.extra["cold_start"]["head"] == "new, 5 classes, initialised fresh"
        n = len(p.images)
        assert sum(len(p.proposal(1, i)[1]) for i in range(n)) == 8 * n  # k-centre: the budget over the pool
        labels = [p.labels(i)[0] for i in p.labeled_images()]
    values = np.unique(np.concatenate([lab.ravel() for lab in labels]))
    assert set(values.tolist()) <= {0, 1, 2, 3, 4, 255}  # the annotator answered in the five classes
    state = json.loads((out / "state.json").read_text())
    assert "selector-1" not in json.dumps(state) and "selector-2" in json.dumps(state)  # LabOR's from stage 2


def test_a_style_names_its_backbone_a_foreign_file_of_another_is_refused_not_started_cold(tmp_path):
    """IAST writes ResNet-101s: a ResNet-18 of 5 classes given as IAST's is refused naming
    both backbones, with or without source data, and the dialog's line stays empty; the same
    file as this program's style is used (its classes fit) or starts cold (they do not)."""
    from labor_desktop.engine.projects.new_project import describe_start

    d = make_all(tmp_path)
    net = DeepLabV2(ModelConfig(backbone="resnet18", num_classes=19, freeze_bn=False, output_stride=16))
    torch.save(net.state_dict(), tmp_path / "r18.pth")  # foreign: a bare state dict
    want = (
        f"{tmp_path / 'r18.pth'}: holds a resnet18 backbone, but checkpoints written by iast are resnet101; "
        "choose the program that wrote it (or this program's)"
    )
    for source in ("", str(tmp_path / "anything")):
        with pytest.raises(PlanError) as e:
            plan(tmp_path, d, checkpoint=str(tmp_path / "r18.pth"), style="IAST", source=source)
        assert (e.value.field, str(e.value)) == ("checkpoint", want)
    assert describe_start(str(tmp_path / "r18.pth"), "IAST", str(d["table"]), "") == ""
    line = describe_start(str(tmp_path / "r18.pth"), "this program's", str(d["table"]), "")
    assert line.startswith("cold start: r18.pth: its classifier has 19 classes, the class table 5;")
