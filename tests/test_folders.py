"""A plain folder as a data set: which files are images, upright pixels (EXIF), every
picture converted to 8-bit RGB, unreadable files collected with their reasons, and
the naming rules that pair images with label PNGs."""

import cv2
import numpy as np
import pytest
from folder_support import add_broken, make_images, make_val, scene, write_exif, write_rgb
from PIL import Image, ImageOps

from labor_desktop.data.class_table import ClassTable
from labor_desktop.data.datasets import load_pair
from labor_desktop.data.folders import label_for, labeled_folder_samples, list_images, scan_images
from labor_desktop.data.io import DataError, IdMap, image_size, orient, read_image, read_label


def test_images_are_found_recursively_in_any_case_without_hidden_files_or_outputs(tmp_path):
    sizes = make_images(tmp_path / "photos")
    scan = scan_images(tmp_path / "photos")
    assert [s.name for s in scan.samples] == list(sizes)  # sorted by path, case-insensitively
    assert dict(zip((s.name for s in scan.samples), scan.sizes)) == sizes
    assert scan.unreadable == []
    for s in scan.samples:  # every image reads as upright 8-bit RGB of the size the scan gave
        image = read_image(s.image)
        assert image.dtype == np.uint8 and image.shape == (*sizes[s.name], 3)


def test_exif_orientation_is_applied_to_pixels_and_sizes_for_all_eight_cases(tmp_path):
    stored = scene(24, 40, 0)
    stored[:6, :10] = (255, 0, 0)  # a red corner shows where the top-left went
    for orientation in range(1, 9):
        path = write_exif(tmp_path / f"o{orientation}.png", stored, orientation)
        expected = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
        assert np.array_equal(read_image(path), expected), orientation
        assert image_size(path) == expected.shape[:2]
        assert np.array_equal(orient(stored, orientation), expected)


def test_a_jpeg_turned_by_exif_is_read_upright(tmp_path):
    stored = np.zeros((40, 80, 3), np.uint8)
    stored[:20, :40] = (250, 250, 250)  # bright top-left quarter as stored
    path = write_exif(tmp_path / "t.jpg", stored, 6, quality=95)  # 6: turn 90 degrees clockwise to view
    image = read_image(path)
    assert image.shape == (80, 40, 3) and image_size(path) == (80, 40)
    assert image[:40, 20:].mean() > 240 and image[40:].mean() < 15  # now the top-right quarter


def test_grey_and_16_bit_pictures_become_8_bit_rgb(tmp_path):
    grey = scene(40, 64, 1)[..., 0]
    cv2.imwrite(str(tmp_path / "grey.png"), grey)
    out = read_image(tmp_path / "grey.png")
    assert out.shape == (40, 64, 3) and np.array_equal(out[..., 0], grey) and np.array_equal(out[..., 2], grey)
    deep = np.linspace(0, 65535, 48 * 64).reshape(48, 64).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "deep.png"), deep)
    out = read_image(tmp_path / "deep.png")
    assert out.dtype == np.uint8 and out.shape == (48, 64, 3)
    assert np.abs(out[..., 1].astype(int) - deep.astype(int) / 257).max() <= 1  # the full range, scaled
    colour16 = np.dstack([deep, deep // 2, deep // 4])
    cv2.imwrite(str(tmp_path / "c16.png"), colour16)
    out = read_image(tmp_path / "c16.png")  # BGR on disk: blue holds ``deep``, red a quarter of it
    assert np.abs(out[..., 2].astype(int) - deep.astype(int) / 257).max() <= 1
    assert np.abs(out[..., 0].astype(int) - (deep // 4).astype(int) / 257).max() <= 1


def test_a_tiff_opencv_cannot_read_is_read_through_pillow(tmp_path):
    stored = scene(30, 50, 2)
    path = tmp_path / "t.tif"
    Image.fromarray(stored).save(path, tiffinfo={0x0112: 8})  # OpenCV 5 fails on this tag
    assert np.array_equal(read_image(path), np.ascontiguousarray(np.rot90(stored)))
    assert image_size(path) == (50, 30)
    deep = np.linspace(0, 65535, 30 * 50).reshape(30, 50).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "d.tif", tiffinfo={0x0112: 3})
    out = read_image(tmp_path / "d.tif")
    assert out.shape == (30, 50, 3) and np.abs(out[::-1, ::-1, 0] - deep / 257).max() <= 1


def test_unreadable_files_are_collected_with_their_reasons(tmp_path):
    make_images(tmp_path / "photos")
    bad = add_broken(tmp_path / "photos")
    write_rgb(tmp_path / "photos" / "tiny.png", scene(8, 8, 0))
    scan = scan_images(tmp_path / "photos")
    assert len(scan.samples) == 5
    reasons = {u.path.relative_to(tmp_path / "photos").as_posix(): u.reason for u in scan.unreadable}
    assert list(reasons) == [*bad, "tiny.png"]
    assert reasons["city/cut.jpg"].startswith("the JPEG is truncated (no end marker)")
    assert reasons["fake.png"].startswith("not an image, or in a format this program cannot read")
    assert reasons["tiny.png"].startswith("the image is only 8x8 pixels")
    message = scan.problem()
    assert message.splitlines()[0].endswith("photos: 3 of 8 images cannot be used:")
    assert "  city/cut.jpg: the JPEG is truncated" in message and "--skip-unreadable" in message


def test_an_empty_folder_and_a_missing_one_are_said(tmp_path):
    (tmp_path / "empty" / ".git").mkdir(parents=True)
    write_rgb(tmp_path / "empty" / ".git" / "x.png", scene(40, 40, 0))
    with pytest.raises(DataError, match=r"empty: no images found \(.png .jpg .jpeg .bmp .tif .tiff .webp"):
        scan_images(tmp_path / "empty")
    with pytest.raises(DataError, match="nowhere: folder not found"):
        list_images(tmp_path / "nowhere")


def test_validation_pairs_by_name_and_by_twin_tree(tmp_path):
    table = ClassTable(("a", "b"), ((1, 2, 3), (4, 5, 6)), (10, 20), ("1", "2"), ignore_id=0)
    val = make_val(tmp_path / "val", n=2)
    samples = labeled_folder_samples(val, table.id_map)
    assert [(s.name, s.label.name) for s in samples] == [("v0.png", "v0_label.png"), ("v1.png", "v1_label.png")]
    twin = tmp_path / "twin"
    write_rgb(twin / "images" / "sub" / "x.jpg", scene(40, 40, 0))
    twin.joinpath("labels", "sub").mkdir(parents=True)
    cv2.imwrite(str(twin / "labels" / "sub" / "x.png"), np.full((40, 40), 20, np.uint8))
    (s,) = labeled_folder_samples(twin, table.id_map)
    assert s.name == "sub/x.jpg" and label_for(twin, s.image) == twin / "labels" / "sub" / "x.png"
    image, label = load_pair(s)
    assert image.shape == (40, 40, 3) and (label == 1).all()
    (val / "v2.png").write_bytes((val / "v0.png").read_bytes())
    with pytest.raises(DataError, match=r"1 of 3 validation images have no label file \(NAME_label.png beside"):
        labeled_folder_samples(val, table.id_map)
    (val / "v2.png").unlink()
    (val / "lone_label.png").write_bytes((val / "v0_label.png").read_bytes())
    with pytest.raises(DataError, match=r"1 label files have no image \(e.g. lone_label.png\)"):
        labeled_folder_samples(val, table.id_map)


def test_labels_in_a_tables_ids_are_read_and_checked(tmp_path):
    ids = IdMap((10, 20, 30), 0)
    label = np.array([[10, 20, 30, 0]], np.uint8)
    cv2.imwrite(str(tmp_path / "ok.png"), label)
    assert read_label(tmp_path / "ok.png", "table", ids).tolist() == [[0, 1, 2, 255]]
    cv2.imwrite(str(tmp_path / "bad.png"), np.array([[10, 7, 31, 0]], np.uint8))
    with pytest.raises(DataError, match=r"bad.png: holds values \[7, 31\] that are no id of the class table "):
        read_label(tmp_path / "bad.png", "table", ids)


@pytest.mark.parametrize("h, w, ok", [(32, 32, True), (31, 32, False), (32, 31, False), (32, 400, True)])
def test_the_smallest_usable_image_is_32_pixels_a_side(tmp_path, h, w, ok):
    write_rgb(tmp_path / "a.png", scene(h, w, 0))
    scan = scan_images(tmp_path)
    if ok:
        assert scan.sizes == [(h, w)] and scan.unreadable == []
    else:
        assert scan.samples == [] and [u.reason for u in scan.unreadable] == [
            f"the image is only {w}x{h} pixels; at least 32 a side are needed"
        ]


def test_only_the_roots_labels_folder_is_the_twin_tree(tmp_path):
    for name in ("c.png", "labels/b.png", "sub/labels/a.png", "sub/x.png"):
        write_rgb(tmp_path / name, scene(40, 40, 0))
    assert [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path)] == [
        "c.png",
        "sub/labels/a.png",  # a folder named labels below the root holds images like any other
        "sub/x.png",
    ]


def test_export_folders_below_the_root_are_left_out_at_any_depth_but_not_the_root_itself(tmp_path):
    for name in ("a.png", "exp/x.png", "deep/er/exp2/y.png", "deep/er/z.png", "dirnamed/w.png"):
        write_rgb(tmp_path / name, scene(40, 40, 0))
    for manifest in ("labor-export.json", "exp/labor-export.json", "deep/er/exp2/labor-export.json"):
        (tmp_path / manifest).write_text("{}")
    (tmp_path / "dirnamed" / "labor-export.json").mkdir()  # a folder of that name is no manifest
    assert [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path)] == [
        "a.png",
        "deep/er/z.png",
        "dirnamed/w.png",
    ]
