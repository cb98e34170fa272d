import csv

import cv2
import numpy as np

from labor_desktop.cli import main
from labor_desktop.data.classes import CLASS_COLORS
from labor_desktop.engine.export import export_name
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
    train_ids = cv2.imread(str(tmp_path / "out" / "a_000000_000019_gtFine_labelTrainIds.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(train_ids, lab)
    color = cv2.cvtColor(cv2.imread(str(tmp_path / "out" / "a_000000_000019_gtFine_color.png")), cv2.COLOR_BGR2RGB)
    assert (
        color[1, 1].tolist() == [0, 0, 142]
        and color[0, 0].tolist() == [128, 64, 128]
        and color[2, 2].tolist() == [0, 0, 0]
    )
    assert not (tmp_path / "out" / "plain_gtFine_labelTrainIds.png").exists()
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
