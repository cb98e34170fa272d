"""Each bad input to ``labor import``: one clear line naming the file, and nothing written;
the dry run lists matched / unmatched / ambiguous images and unknown classes."""

import json

import numpy as np
import pytest
from PIL import Image

from labor_desktop.cli import main
from labor_desktop.engine.projects.export import export_project
from labor_desktop.store import ImageEntry, Project, ProjectSettings

COLORS = [[255, 0, 0], [0, 255, 0], [0, 0, 255]]


def project(tmp_path, images=None, labelled=False):
    settings = ProjectSettings(classes=["road", "car", "sky"], colors=COLORS, stages=1)
    images = images or [ImageEntry("img/a.png", 4, 5), ImageEntry("img/b.png", 4, 5)]
    path = tmp_path / ("src" if labelled else "p") / "p.labor.h5"
    path.parent.mkdir(exist_ok=True)
    p = Project.create(path, settings, images)
    if labelled:
        lab = np.full((4, 5), 255, np.uint8)
        lab[0, :3], lab[3, 4] = [0, 1, 2], 1
        p.save_labels(0, lab, 1)
    p.close()
    return path


def nothing_written(path):
    with Project.open(path, read_only=True) as p:
        return p.labeled_images() == []


def run_import(path, source, fmt, capsys, *extra):
    code = main(["import", str(path), "--from", str(source), "--format", fmt, *extra])
    return code, capsys.readouterr()


def refused(path, source, fmt, capsys, needle):
    code, out = run_import(path, source, fmt, capsys)
    errors = [
        line for line in out.err.splitlines() if line.startswith("error: ") and "nothing was imported" not in line
    ]
    assert code == 1 and len(errors) == 1, out.err
    assert needle in errors[0], errors[0]
    assert nothing_written(path)
    return errors[0]


def coco_doc(**image):
    im = {"id": 1, "file_name": "a.png", "height": 4, "width": 5, **image}
    return {"images": [im], "categories": [{"id": 1, "name": "car"}], "annotations": []}


def write_json(path, doc):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def test_a_mask_of_the_wrong_size(tmp_path, capsys):
    p = project(tmp_path)
    Image.fromarray(np.zeros((3, 5), np.uint8)).save(tmp_path / "a_label.png")
    line = refused(p, tmp_path, "cityscapes", capsys, "a_label.png: the mask is 5x3, but img/a.png is 5x4")
    assert line.endswith("labels must have the image's exact size")


def test_a_value_not_in_the_class_table(tmp_path, capsys):
    p = project(tmp_path)
    Image.fromarray(np.full((4, 5), 7, np.uint8)).save(tmp_path / "a_label.png")
    refused(p, tmp_path, "cityscapes", capsys, "a_label.png: holds values [7] that are no id of the class table")


def test_a_colour_not_in_the_labelmap(tmp_path, capsys):
    src = project(tmp_path, labelled=True)
    export_project(src, tmp_path / "out", fmt="mask-png")
    mask = next((tmp_path / "out" / "SegmentationClass").rglob("*.png"))
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[1, 1] = (9, 9, 9)
    Image.fromarray(rgb).save(mask)
    refused(
        project(tmp_path), tmp_path / "out", "mask-png", capsys, "a.png: holds the colour (9, 9, 9), which labelmap"
    )


def test_a_label_of_the_labelmap_not_in_the_class_table(tmp_path, capsys):
    src = project(tmp_path, labelled=True)
    export_project(src, tmp_path / "out", fmt="mask-png")
    labelmap = tmp_path / "out" / "labelmap.txt"
    labelmap.write_text(labelmap.read_text().replace("car:", "truck:"))
    line = refused(project(tmp_path), tmp_path / "out", "mask-png", capsys, "a.png: holds label 'truck' (colour")
    assert "which is not in the project's class table" in line


def test_an_unused_unknown_label_is_no_problem(tmp_path, capsys):
    src = project(tmp_path, labelled=True)
    export_project(src, tmp_path / "out", fmt="mask-png")
    labelmap = tmp_path / "out" / "labelmap.txt"
    labelmap.write_text(labelmap.read_text() + "tree:1,2,3::\n")
    code, out = run_import(project(tmp_path), tmp_path / "out", "mask-png", capsys)
    assert code == 0 and "imported 4 pixels on 1 images" in out.out


def test_a_category_not_in_the_class_table(tmp_path, capsys):
    doc = coco_doc()
    doc["categories"].append({"id": 2, "name": "tree"})
    doc["annotations"] = [{"id": 1, "image_id": 1, "category_id": 2, "segmentation": [[0, 0, 2, 0, 2, 2]]}]
    f = write_json(tmp_path / "c" / "coco.json", doc)
    refused(project(tmp_path), f, "coco", capsys, "the class 'tree' is used there but is not in the project's")


def test_an_image_that_matches_two_project_images(tmp_path, capsys):
    p = project(tmp_path, [ImageEntry("x/a.png", 4, 5), ImageEntry("y/a.png", 4, 5)])
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / "a_label.png")
    line = refused(p, tmp_path, "cityscapes", capsys, "a_label.png: matches 2 project images (x/a.png, y/a.png)")
    assert line.endswith("give the label file the image's folders, or import those separately")


def test_folders_tell_two_images_of_one_name_apart(tmp_path, capsys):
    p = project(tmp_path, [ImageEntry("x/a.png", 4, 5), ImageEntry("y/a.png", 4, 5)])
    (tmp_path / "y").mkdir()
    Image.fromarray(np.ones((4, 5), np.uint8)).save(tmp_path / "y" / "a_label.png")
    code, out = run_import(p, tmp_path, "cityscapes", capsys)
    assert code == 0
    with Project.open(p, read_only=True) as project_:
        assert project_.labeled_images() == [1]


def test_two_label_files_for_one_image(tmp_path, capsys):
    p = project(tmp_path)
    (tmp_path / "l").mkdir()
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / "l" / "a_label.png")
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / "l" / "a_gtFine_labelTrainIds.png")
    refused(p, tmp_path / "l", "cityscapes", capsys, "labels the image img/a.png that ")


def test_a_coco_file_with_a_wrong_image_size(tmp_path, capsys):
    f = write_json(tmp_path / "c" / "coco.json", coco_doc(height=8))
    refused(project(tmp_path), f, "coco", capsys, "coco.json (a.png): says the image is 5x8, but img/a.png is 5x4")


def test_a_coco_polygon_outside_the_image(tmp_path, capsys):
    doc = coco_doc()
    doc["annotations"] = [{"id": 3, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 5.5, 0, 2, 2]]}]
    f = write_json(tmp_path / "c" / "coco.json", doc)
    refused(project(tmp_path), f, "coco", capsys, "annotation 3 has a polygon outside the 5x4 image")


def test_a_coco_polygon_on_the_border_is_inside(tmp_path, capsys):
    doc = coco_doc()
    doc["annotations"] = [{"id": 3, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 5, 0, 5, 4, 0, 4]]}]
    f = write_json(tmp_path / "c" / "coco.json", doc)
    code, out = run_import(project(tmp_path), f, "coco", capsys)
    assert code == 0 and "imported 20 pixels on 1 images" in out.out


def test_a_labelme_polygon_outside_the_image(tmp_path, capsys):
    shape = {"label": "sky", "points": [[0, 0], [5, 0], [5, 4.01]], "shape_type": "polygon"}
    doc = {"imagePath": "a.png", "imageHeight": 4, "imageWidth": 5, "shapes": [shape]}
    write_json(tmp_path / "lm" / "a.json", doc)
    refused(project(tmp_path), tmp_path / "lm", "labelme", capsys, "a.json: shape 0 ('sky') lies outside the 5x4 image")


def test_labelme_shapes_are_filled(tmp_path, capsys):
    shapes = [
        {"label": "road", "points": [[0, 0], [5, 4]], "shape_type": "rectangle"},
        {"label": "Sky", "points": [[0, 0], [2, 0], [2, 2], [0, 2]], "shape_type": "polygon"},
    ]
    write_json(tmp_path / "lm" / "b.json", {"imagePath": "b.png", "imageHeight": 4, "imageWidth": 5, "shapes": shapes})
    p = project(tmp_path)
    code, out = run_import(p, tmp_path / "lm", "labelme", capsys, "--stage", "2")
    assert code == 0, out.err
    with Project.open(p, read_only=True) as project_:
        lab, stage = project_.labels(1)
    want = np.zeros((4, 5), np.uint8)
    want[:2, :2] = 2  # the 2x2 square, as pycocotools fills a COCO polygon
    assert np.array_equal(lab, want) and (stage == 2).all()


@pytest.mark.parametrize("fmt", ["cityscapes", "mask-png"])
def test_a_damaged_png(tmp_path, capsys, fmt):
    src = project(tmp_path, labelled=True)
    export_project(src, tmp_path / "out", fmt=fmt)
    pattern = "*_gtFine_labelTrainIds.png" if fmt == "cityscapes" else "SegmentationClass/**/*.png"
    png = next((tmp_path / "out").glob(pattern) if fmt == "mask-png" else (tmp_path / "out").rglob(pattern))
    png.write_bytes(png.read_bytes()[:30] + b"\0" * 40 + png.read_bytes()[70:])
    refused(project(tmp_path), tmp_path / "out", fmt, capsys, f"{png.name}: ")


@pytest.mark.parametrize("fmt", ["coco", "labelme"])
def test_a_damaged_json(tmp_path, capsys, fmt):
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "a.json").write_text('{"images": [')
    refused(project(tmp_path), tmp_path / "j", fmt, capsys, "a.json: is not valid JSON")


def test_a_stage_out_of_range_is_refused_before_reading(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["import", str(project(tmp_path)), "--from", str(tmp_path), "--format", "coco", "--stage", "256"])
    assert "a stage is 0..255 (0 = prior), not 256" in capsys.readouterr().err


def test_the_dry_run_lists_and_writes_nothing(tmp_path, capsys):
    p = project(tmp_path, [ImageEntry("x/a.png", 4, 5), ImageEntry("y/a.png", 4, 5), ImageEntry("c.png", 4, 5)])
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / "a_label.png")
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / "c_label.png")
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / "zz_label.png")
    code, out = run_import(p, tmp_path, "cityscapes", capsys, "--dry-run")
    lines = out.out.splitlines()
    assert code == 1 and not (tmp_path / "p" / "p.labor.h5.journal").stat().st_size
    assert lines[:2] == ["matched: 1", f"  {tmp_path / 'c_label.png'} -> c.png"]
    assert lines[2:4] == ["unmatched (no project image of that name): 1", f"  {tmp_path / 'zz_label.png'}"]
    assert lines[4:6] == ["ambiguous (more than one project image): 1", f"  {tmp_path / 'a_label.png'}"]
    assert lines[6] == "unknown classes: 0" and lines[7].startswith("problem: ")
    assert lines[-1] == "dry run: nothing written; the import would be refused (problems above)"
    assert nothing_written(p)


@pytest.mark.parametrize(
    "colors, needle",
    [
        ([[255, 0, 0], [0, 0, 0], [0, 0, 255]], "class 'car' is black (0,0,0), the colour of not labelled in mask-png"),
        ([[255, 0, 0], [0, 0, 255], [0, 0, 255]], "classes 'car' and 'sky' share the colour (0, 0, 255)"),
    ],
)
def test_mask_png_export_refuses_colours_cvat_cannot_tell_apart(tmp_path, capsys, colors, needle):
    settings = ProjectSettings(classes=["road", "car", "sky"], colors=colors, stages=1)
    p = Project.create(tmp_path / "c.labor.h5", settings, [ImageEntry("a.png", 4, 5)])
    p.save_labels(0, np.zeros((4, 5), np.uint8), 1)
    p.close()
    assert main(["export", str(tmp_path / "c.labor.h5"), "--out", str(tmp_path / "out"), "--format", "mask-png"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and needle in err[0]
    assert not list((tmp_path / "out").rglob("*.png"))


def test_a_full_disk_half_way_imports_no_image(tmp_path, capsys, monkeypatch):
    """All images or none: the disk fills up after the first image's record is written."""
    import errno
    import os

    from labor_desktop.store import journal as journal_mod

    src = project(tmp_path, labelled=True)
    with Project.open(src) as p:
        lab = np.full((4, 5), 255, np.uint8)
        lab[1, 1] = 2
        p.save_labels(1, lab, 1)
    export_project(src, tmp_path / "out")
    path = project(tmp_path)
    journal = path.with_name(path.name + ".journal")
    size = journal.stat().st_size if journal.exists() else 0
    real_write, writes = os.write, []

    def second_fails(fd, data):
        writes.append(len(data))
        if len(writes) == 2:
            real_write(fd, data[:7])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(journal_mod.os, "write", second_fails)
    code, out = run_import(path, tmp_path / "out", "cityscapes", capsys)
    monkeypatch.undo()
    assert code == 1 and len(writes) == 2
    assert "could not save (the disk is full)" in out.err and str(journal) in out.err
    assert (journal.stat().st_size if journal.exists() else 0) == size  # the first image's record is cut too
    assert nothing_written(path)
    code, out = run_import(path, tmp_path / "out", "cityscapes", capsys)  # the disk is back
    assert code == 0, out.err
    with Project.open(path, read_only=True) as p:
        assert p.labeled_images() == [0, 1] and p.labels(1)[0][1, 1] == 2 and p.labels(1)[1][1, 1] == 0
