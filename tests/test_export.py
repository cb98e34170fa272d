import csv

import cv2
import numpy as np

from labor_desktop.cli import main
from labor_desktop.data.classes import CLASS_COLORS
from labor_desktop.engine.projects.export import export_name, export_project, export_stem
from labor_desktop.store import ImageEntry, Project, ProjectSettings


def test_export_writes_cityscapes_pngs_and_budget_csvs(tmp_path, capsys):
    settings = ProjectSettings(classes=[str(i) for i in range(19)], colors=CLASS_COLORS.tolist(), stages=2)
    images = [ImageEntry("leftImg8bit/train/a/a_000000_000019_leftImg8bit.png", 4, 6), ImageEntry("plain.jpg", 3, 3)]
    p = Project.create(tmp_path / "e.labor.h5", settings, images)
    lab = np.full((4, 6), 255, np.uint8)
    lab[0, 0], lab[1, 1], lab[3, 5] = 0, 13, 10
    stage = np.zeros((4, 6), np.uint8)
    stage[0, 0], stage[1, 1], stage[3, 5] = 1, 2, 2
    p.save_labels(0, lab, stage)
    p.add_effort(0, stage=2, active_seconds=3.5, clicks=3, points_labeled=3)
    p.record_stage(1, {"miou": 0.41})
    p.close(compact=False)  # export reads the journal too
    assert main(["export", str(tmp_path / "e.labor.h5"), "--out", str(tmp_path / "out")]) == 0
    assert "exported 1 labeled of 2 images" in capsys.readouterr().out
    city = tmp_path / "out" / "gtFine" / "train" / "a"
    train_ids = cv2.imread(str(city / "a_000000_000019_gtFine_labelTrainIds.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(train_ids, lab)
    color = cv2.cvtColor(cv2.imread(str(city / "a_000000_000019_gtFine_color.png")), cv2.COLOR_BGR2RGB)
    assert (
        color[1, 1].tolist() == [0, 0, 142]
        and color[0, 0].tolist() == [128, 64, 128]
        and color[2, 2].tolist() == [0, 0, 0]
    )
    assert not list((tmp_path / "out").rglob("plain_gtFine_labelTrainIds.png"))
    rows = list(csv.DictReader(open(tmp_path / "out" / "budget_per_image.csv")))
    assert rows[0]["labeled_pixels"] == "3" and rows[0]["stage1_pixels"] == "1" and rows[0]["stage2_pixels"] == "2"
    assert float(rows[0]["pixel_share"]) == 3 / 24 and rows[0]["active_seconds"] == "3.5" and rows[0]["clicks"] == "3"
    assert rows[1]["labeled_pixels"] == "0"
    stages = list(csv.DictReader(open(tmp_path / "out" / "budget_per_stage.csv")))
    assert [(s["stage"], s["labeled_pixels"], s["images_labeled"]) for s in stages] == [
        ("1", "1", "1"),
        ("2", "2", "1"),
    ]
    assert float(stages[1]["pixel_share"]) == 2 / 33 and stages[0]["miou"] == "0.41"
    assert (stages[0]["clicks"], stages[1]["clicks"], stages[1]["active_seconds"]) == ("0", "3", "3.5")


def test_export_of_a_bad_project_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "x.labor.h5").write_text("nope")
    assert main(["export", str(tmp_path / "x.labor.h5"), "--out", str(tmp_path / "out")]) == 1
    assert "x.labor.h5: is damaged or not a LabOR Desktop project" in capsys.readouterr().err


def test_export_names():
    assert export_name("a/b/zurich_000001_000019_leftImg8bit.png") == "zurich_000001_000019"
    assert export_name("00042.png") == "00042"


def test_export_stem_keeps_the_cityscapes_tree():
    assert export_stem("../cs/leftImg8bit/val/zurich/zurich_000001_000019_leftImg8bit.png") == (
        "gtFine/val/zurich/zurich_000001_000019"
    )
    assert export_stem("../../imgs/night/a.png") == "gtFine/imgs/night/a"
    assert export_stem("/abs/x/y.jpg") == "gtFine/abs/x/y"


def _labels(h, w, cls):
    lab = np.full((h, w), 255, np.uint8)
    lab[0, 0] = cls
    return lab


def test_same_names_in_different_cities_do_not_collide(tmp_path):
    """Issue 12, defect 9: 11 labelled images had become 8 files."""
    images = [
        ImageEntry(f"leftImg8bit/train/{city}/same_{k}_leftImg8bit.png", 4, 4)
        for city in ("cityA", "cityB", "cityC")
        for k in range(3)
    ] + [ImageEntry("plain/x.png", 4, 4), ImageEntry("plain/x.jpg", 4, 4)]
    p = Project.create(tmp_path / "e.labor.h5", ProjectSettings(classes=[str(i) for i in range(19)]), images)
    for i in range(len(images)):
        p.save_labels(i, _labels(4, 4, i % 19), 1)
    p.close()
    result = export_project(tmp_path / "e.labor.h5", tmp_path / "out")
    files = sorted((tmp_path / "out").rglob("*_gtFine_labelTrainIds.png"))
    assert result["labeled_images"] == len(files) == 11
    assert (tmp_path / "out/gtFine/train/cityB/same_1_gtFine_labelTrainIds.png").exists()
    rows = list(csv.DictReader(open(tmp_path / "out" / "budget_per_image.csv")))
    for i, row in enumerate(rows):
        got = cv2.imread(str(tmp_path / "out" / row["label_file"]), cv2.IMREAD_UNCHANGED)
        assert got[0, 0] == i % 19


def test_reexport_removes_what_is_no_longer_labelled_and_nothing_else(tmp_path):
    """Issue 12, defect 10: erased labels left their old PNGs behind."""
    images = [ImageEntry(f"leftImg8bit/train/c/c_{k}_leftImg8bit.png", 4, 4) for k in range(3)]
    p = Project.create(tmp_path / "e.labor.h5", ProjectSettings(classes=[str(i) for i in range(19)]), images)
    for i in range(3):
        p.save_labels(i, _labels(4, 4, 1), 1)
    out = tmp_path / "out"
    export_project(tmp_path / "e.labor.h5", out)
    mine = out / "gtFine" / "train" / "c" / "notes_gtFine_labelTrainIds.png"
    mine.write_bytes(b"the user's own file")
    p.save_labels(1, np.full((4, 4), 255, np.uint8), 1)  # erased
    p.close()
    result = export_project(tmp_path / "e.labor.h5", out)
    names = sorted(f.name for f in out.rglob("*_gtFine_labelTrainIds.png"))
    assert names == ["c_0_gtFine_labelTrainIds.png", "c_2_gtFine_labelTrainIds.png", mine.name]
    assert result["removed"] == 2 and not list(out.rglob("c_1_*"))
    assert not list(out.rglob(".*tmp*"))
    (out / "labor-export.json").write_text(
        '{"files": ["../e.labor.h5", "/etc/passwd", "gtFine/../../x_gtFine_color.png"]}'
    )
    export_project(tmp_path / "e.labor.h5", out)  # a crafted manifest removes nothing outside
    assert (tmp_path / "e.labor.h5").exists()
