"""Export in every format, then import into a fresh project: identical labels, pixel for
pixel (unlabelled pixels and several classes included); COCO read back by pycocotools;
CVAT's Segmentation mask 1.1 layout; the points CSV; re-export replacing the previous."""

import contextlib
import csv
import io
import json

import numpy as np
import pytest
from PIL import Image

from labor_desktop.cli import main
from labor_desktop.data.classes import CLASS_COLORS
from labor_desktop.engine.projects.export import MANIFEST, export_project
from labor_desktop.store import ImageEntry, Project, ProjectSettings

NAMES = [f"c{i}" for i in range(19)]
IMAGES = [
    ImageEntry("leftImg8bit/train/a/a_000000_000019_leftImg8bit.png", 4, 6),
    ImageEntry("leftImg8bit/train/b/b_000001_000019_leftImg8bit.png", 5, 3),
    ImageEntry("plain.jpg", 3, 3),
]


def labels_of(shape, seed):
    rng = np.random.default_rng(seed)
    lab = rng.integers(0, 19, shape).astype(np.uint8)
    lab[rng.random(shape) < 0.4] = 255  # unlabelled pixels stay unlabelled
    return lab


def make(path, labelled=True):
    settings = ProjectSettings(classes=NAMES, colors=CLASS_COLORS.tolist(), stages=2)
    p = Project.create(path, settings, IMAGES)
    if labelled:
        for i in (0, 1):
            lab = labels_of((IMAGES[i].height, IMAGES[i].width), i)
            stage = np.where(lab != 255, 1 + i, 0).astype(np.uint8)
            p.save_labels(i, lab, stage)
    p.close()
    return path


def read(path):
    with Project.open(path, read_only=True) as p:
        return {i: p.labels(i) for i in range(len(p.images))}


@pytest.mark.parametrize("fmt", ["cityscapes", "mask-png", "coco"])
def test_round_trip_is_exact(tmp_path, fmt, capsys):
    src = make(tmp_path / "src.labor.h5")
    assert main(["export", str(src), "--out", str(tmp_path / "out"), "--format", fmt]) == 0
    dst = make(tmp_path / "dst.labor.h5", labelled=False)
    assert main(["import", str(dst), "--from", str(tmp_path / "out"), "--format", fmt]) == 0
    out = capsys.readouterr().out
    before, after = read(src), read(dst)
    for i in range(3):
        assert np.array_equal(before[i][0], after[i][0]), (fmt, i)
        labelled = after[i][0] != 255
        assert (after[i][1][labelled] == 0).all()  # imported as stage 0, "prior"
    n = sum(int((before[i][0] != 255).sum()) for i in range(3))
    assert f"imported {n} pixels on 2 images as prior (stage 0) labels (2 matched, 0 unmatched)" in out


def test_import_into_a_chosen_stage_keeps_what_was_labelled_here(tmp_path, capsys):
    src = make(tmp_path / "src.labor.h5")
    export_project(src, tmp_path / "out")
    dst = make(tmp_path / "dst.labor.h5", labelled=False)
    with Project.open(dst) as p:
        mine = np.full((4, 6), 255, np.uint8)
        mine[0, 0] = 18
        p.save_labels(0, mine, 5)
    assert main(["import", str(dst), "--from", str(tmp_path / "out"), "--format", "cityscapes", "--stage", "3"]) == 0
    lab, stage = read(dst)[0]
    want = read(src)[0][0]
    assert lab[0, 0] == 18 and stage[0, 0] == 5  # never written over
    rest = np.ones_like(lab, bool)
    rest[0, 0] = False
    assert np.array_equal(lab[rest], want[rest]) and (stage[rest & (want != 255)] == 3).all()
    kept = int(want[0, 0] != 255)
    assert ("already labelled in the project and kept" in capsys.readouterr().out) == bool(kept)


def test_coco_reads_back_with_pycocotools(tmp_path):
    from pycocotools.coco import COCO

    src = make(tmp_path / "src.labor.h5")
    export_project(src, tmp_path / "out", fmt="coco")
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(tmp_path / "out" / "annotations" / "instances_default.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == NAMES
    assert [c["id"] for c in coco.loadCats(coco.getCatIds())] == list(range(1, 20))
    labels = read(src)
    files = {im["file_name"]: im for im in coco.loadImgs(coco.getImgIds())}
    assert sorted(files) == ["train/a/a_000000_000019_leftImg8bit.png", "train/b/b_000001_000019_leftImg8bit.png"]
    for i, name in ((0, "train/a/a_000000_000019_leftImg8bit.png"), (1, "train/b/b_000001_000019_leftImg8bit.png")):
        im = files[name]
        assert (im["height"], im["width"]) == (IMAGES[i].height, IMAGES[i].width)
        got = np.full((im["height"], im["width"]), 255, np.uint8)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[im["id"]]))
        assert len(anns) == len(set(np.unique(labels[i][0]).tolist()) - {255})  # one per image and class
        for ann in anns:
            mask = coco.annToMask(ann).astype(bool)
            assert not (got[mask] != 255).any() and ann["iscrowd"] == 0 and ann["area"] == int(mask.sum())
            got[mask] = ann["category_id"] - 1
        assert np.array_equal(got, labels[i][0])


def test_mask_png_has_cvats_layout(tmp_path):
    src = make(tmp_path / "src.labor.h5")
    export_project(src, tmp_path / "out", fmt="mask-png")
    out = tmp_path / "out"
    lines = (out / "labelmap.txt").read_text().splitlines()
    assert lines[0] == "# label:color_rgb:parts:actions" and lines[1] == "background:0,0,0::"
    assert lines[2] == "c0:128,64,128::" and len(lines) == 2 + 19
    assert all(len(line.split(":")) == 4 for line in lines[1:])  # label : colour : parts : actions
    assert (out / "ImageSets" / "Segmentation" / "default.txt").read_text().splitlines() == [
        "train/a/a_000000_000019_leftImg8bit",
        "train/b/b_000001_000019_leftImg8bit",
    ]
    mask = out / "SegmentationClass" / "train" / "a" / "a_000000_000019_leftImg8bit.png"
    with Image.open(mask) as im:
        assert im.mode == "P"
        index, rgb = np.array(im), np.array(im.convert("RGB"))
    assert np.array_equal(index, read(src)[0][0])  # a trainer reading indices gets the classes, 255 = none
    assert np.array_equal(rgb[index == 255], np.zeros(((index == 255).sum(), 3), np.uint8))
    assert np.array_equal(rgb[index != 255], CLASS_COLORS[index[index != 255]])


def test_points_csv_lists_every_labelled_pixel(tmp_path):
    src = make(tmp_path / "src.labor.h5")
    with Project.open(src) as p:
        p.save_proposal(2, 1, None, np.array([[0, 0, 0], [4, 2, 0]]))
        p.set_unsure(2, 1, [1])
    export_project(src, tmp_path / "out", fmt="points")
    rows = list(csv.DictReader(open(tmp_path / "out" / "points.csv")))
    labels = read(src)
    want = []
    for i in (0, 1):
        lab, stage = labels[i]
        for y, x in zip(*np.nonzero(lab != 255)):
            unsure = int(i == 1 and (y, x) == (4, 2) and stage[y, x] == 2)
            want.append([str(v) for v in (i, IMAGES[i].path, y, x, f"c{lab[y, x]}", lab[y, x], stage[y, x], unsure)])
    assert [list(r.values()) for r in rows] == want
    assert list(rows[0]) == ["image", "path", "y", "x", "class", "class_id", "stage", "unsure"]
    assert labels[1][0][4, 2] != 255 and sum(r["unsure"] == "1" for r in rows) == 1


def test_re_export_in_another_format_replaces_the_previous(tmp_path):
    src = make(tmp_path / "src.labor.h5")
    export_project(src, tmp_path / "out", fmt="mask-png")
    export_project(src, tmp_path / "out", fmt="coco")
    names = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert names == ["annotations/instances_default.json", "budget_per_image.csv", "budget_per_stage.csv", MANIFEST]
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text())
    assert manifest["format"] == "coco" and manifest["files"] == ["annotations/instances_default.json"]


def test_prior_labels_are_counted_apart_in_the_csvs(tmp_path):
    src = make(tmp_path / "src.labor.h5")
    export_project(src, tmp_path / "out")
    dst = make(tmp_path / "dst.labor.h5", labelled=False)
    assert main(["import", str(dst), "--from", str(tmp_path / "out"), "--format", "cityscapes"]) == 0
    export_project(dst, tmp_path / "again")
    rows = list(csv.DictReader(open(tmp_path / "again" / "budget_per_image.csv")))
    n0 = int((read(src)[0][0] != 255).sum())
    assert rows[0]["prior_pixels"] == str(n0) and rows[0]["stage1_pixels"] == "0"
    stages = list(csv.DictReader(open(tmp_path / "again" / "budget_per_stage.csv")))
    assert [s["stage"] for s in stages] == ["0", "1", "2"] and stages[0]["images_labeled"] == "2"
    plain = list(csv.DictReader(open(tmp_path / "again" / "../out/budget_per_image.csv")))
    assert "prior_pixels" not in plain[0]  # no prior labels: today's columns
