"""Readers on small folders the tests make, including every bad-input case."""

import shutil

import cv2
import numpy as np
import pytest

from labor_desktop.data.datasets import EvalSet, TrainAugment, TrainSet, load_pair
from labor_desktop.data.io import DataError, read_image, read_label
from labor_desktop.data.readers import cityscapes_samples, detect_layout, folder_samples, gta5_samples


def img(h=20, w=30, seed=0):
    return np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)


def ids(h=20, w=30, values=(7, 8, 11, 26, 0)):
    return np.random.default_rng(1).choice(values, (h, w)).astype(np.uint8)


def put(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), array)


def make_cityscapes(root, split="train", cities=("aachen", "bonn"), n=2, train_ids=False):
    for city in cities:
        for i in range(n):
            stem = f"{city}_{i:06d}_000019"
            put(root / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png", img(seed=i))
            put(root / "gtFine" / split / city / f"{stem}_gtFine_labelIds.png", ids())
            if train_ids:
                put(
                    root / "gtFine" / split / city / f"{stem}_gtFine_labelTrainIds.png", np.full((20, 30), 13, np.uint8)
                )
    return root


def make_gta(root, n=3):
    for i in range(n):
        put(root / "images" / f"{i:05d}.png", img(seed=i))
        put(root / "labels" / f"{i:05d}.png", ids())
    return root


def test_cityscapes_pairs_and_maps_label_ids(tmp_path):
    root = make_cityscapes(tmp_path / "cs")
    samples = cityscapes_samples(root, "train", require_labels=True)
    assert [s.name for s in samples] == [
        "aachen/aachen_000000_000019",
        "aachen/aachen_000001_000019",
        "bonn/bonn_000000_000019",
        "bonn/bonn_000001_000019",
    ]
    image, label = load_pair(samples[0])
    assert image.shape == (20, 30, 3)
    assert set(np.unique(label)) <= {0, 1, 2, 13, 255}  # road, sidewalk, building, car, unlabeled->255
    assert detect_layout(root) == "cityscapes"


def test_cityscapes_prefers_train_id_files(tmp_path):
    root = make_cityscapes(tmp_path / "cs", train_ids=True)
    s = cityscapes_samples(root, "train")[0]
    assert s.label_kind == "train_ids" and s.label.name.endswith("_labelTrainIds.png")
    assert np.unique(load_pair(s)[1]).tolist() == [13]


def test_cityscapes_without_gtfine_is_unlabeled_unless_required(tmp_path):
    root = make_cityscapes(tmp_path / "cs", split="val")
    assert all(s.label is not None for s in cityscapes_samples(root, "val"))
    shutil.rmtree(root / "gtFine")
    samples = cityscapes_samples(root, "val")
    assert all(s.label is None for s in samples)
    assert np.unique(load_pair(samples[0])[1]).tolist() == [255]
    with pytest.raises(DataError, match=r"gtFine/val: missing folder \(labels of split 'val'\)"):
        cityscapes_samples(root, "val", require_labels=True)


def test_cityscapes_missing_folders(tmp_path):
    with pytest.raises(DataError, match=r"nowhere: missing folder \(Cityscapes root\); point to the Cityscapes root"):
        cityscapes_samples(tmp_path / "nowhere")
    (tmp_path / "cs" / "leftImg8bit" / "train").mkdir(parents=True)
    with pytest.raises(DataError, match=r"leftImg8bit/val: missing folder"):
        cityscapes_samples(tmp_path / "cs", "val")
    with pytest.raises(DataError, match=r"no <city>/\*_leftImg8bit.png images found"):
        cityscapes_samples(tmp_path / "cs", "train")


def test_cityscapes_image_without_label_and_label_without_image(tmp_path):
    root = make_cityscapes(tmp_path / "cs")
    (root / "gtFine/train/bonn/bonn_000001_000019_gtFine_labelIds.png").unlink()
    with pytest.raises(
        DataError, match=r"1 images have no label file \(e\.g\. .*bonn_000001_000019_leftImg8bit\.png\); add"
    ):
        cityscapes_samples(root)
    root = make_cityscapes(tmp_path / "cs2")
    put(root / "gtFine/train/bonn/bonn_000009_000019_gtFine_labelIds.png", ids())
    with pytest.raises(
        DataError, match=r"1 label files have no image \(e\.g\. .*bonn_000009_000019_gtFine_labelIds\.png\)"
    ):
        cityscapes_samples(root)


def test_gta5_pairs_and_errors(tmp_path):
    root = make_gta(tmp_path / "gta")
    samples = gta5_samples(root)
    assert [s.name for s in samples] == ["00000", "00001", "00002"] and detect_layout(root) == "gta5"
    (root / "labels" / "00001.png").unlink()
    with pytest.raises(DataError, match=r"labels: 1 images have no label \(e\.g\. 00001\.png\)"):
        gta5_samples(root)
    root = make_gta(tmp_path / "gta2")
    (root / "images" / "00002.png").unlink()
    with pytest.raises(DataError, match=r"images: 1 labels have no image \(e\.g\. 00002\.png\)"):
        gta5_samples(root)
    (tmp_path / "gta3").mkdir()
    with pytest.raises(DataError, match=r"gta3/images: missing folder \(GTA5 images\)"):
        gta5_samples(tmp_path / "gta3")


def test_plain_folder(tmp_path):
    put(tmp_path / "f" / "b.jpg", img())
    put(tmp_path / "f" / "a.png", img())
    (tmp_path / "f" / "notes.txt").write_text("x")
    assert [s.name for s in folder_samples(tmp_path / "f")] == ["a", "b"]
    assert detect_layout(tmp_path / "f") == "folder"
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty: no images"):
        folder_samples(tmp_path / "empty")


def test_unreadable_truncated_and_empty_images(tmp_path):
    put(tmp_path / "ok.png", img(64, 64))
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.png: the PNG is truncated"):
        read_image(tmp_path / "cut.png")
    put(tmp_path / "ok.jpg", img(64, 64))
    data = (tmp_path / "ok.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.jpg: the JPEG is truncated"):
        read_image(tmp_path / "cut.jpg")
    (tmp_path / "garbage.png").write_bytes(b"\x89PNG this is not really an image IEND")
    with pytest.raises(DataError, match=r"garbage\.png: cannot be decoded"):
        read_image(tmp_path / "garbage.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.png: the file is empty"):
        read_image(tmp_path / "empty.png")
    with pytest.raises(DataError, match=r"missing\.png: cannot be opened"):
        read_image(tmp_path / "missing.png")
    assert read_image(tmp_path / "ok.png").shape == (64, 64, 3)


def test_bad_label_maps(tmp_path):
    put(tmp_path / "colour.png", img())
    with pytest.raises(DataError, match=r"colour\.png: is a 3-channel \(colour\) picture"):
        read_label(tmp_path / "colour.png")
    bad = ids()
    bad[0, 0] = 40
    put(tmp_path / "unknown.png", bad)
    with pytest.raises(DataError, match=r"unknown\.png: holds values \[40\] that are no Cityscapes label id"):
        read_label(tmp_path / "unknown.png")
    tid = np.full((5, 5), 3, np.uint8)
    tid[0, 0] = 19
    put(tmp_path / "tid.png", tid)
    with pytest.raises(DataError, match=r"tid\.png: holds values \[19\] outside the train ids 0-18 and 255"):
        read_label(tmp_path / "tid.png", "train_ids")


def test_label_of_the_wrong_size(tmp_path):
    root = make_gta(tmp_path / "gta", n=1)
    put(root / "labels" / "00000.png", ids(10, 15))
    with pytest.raises(DataError, match=r"00000\.png: the label map is 15x10 but its image .*00000\.png is 30x20"):
        load_pair(gta5_samples(root)[0])


def test_train_set_crops_flips_and_is_seeded(tmp_path):
    samples = gta5_samples(make_gta(tmp_path / "gta", n=3))
    ds = TrainSet(samples, TrainAugment(crop=(16, 24), scale=(0.8, 1.6)), seed=3)
    image, label, index = ds[1]
    assert image.shape == (3, 16, 24) and label.shape == (16, 24) and index == 1
    assert image.dtype.is_floating_point and 0 <= float(image.min()) and float(image.max()) <= 1
    again = TrainSet(samples, TrainAugment(crop=(16, 24), scale=(0.8, 1.6)), seed=3)[1]
    assert np.array_equal(image.numpy(), again[0].numpy()) and np.array_equal(label.numpy(), again[1].numpy())
    ds.set_epoch(1)
    assert not np.array_equal(ds[1][0].numpy(), image.numpy())
    # crops larger than the image are padded with ignored labels
    big = TrainSet(samples, TrainAugment(crop=(40, 50), scale=(1.0, 1.0), flip=False))[0]
    assert big[0].shape == (3, 40, 50) and (big[1][20:] == 255).all() and (big[1][:, 30:] == 255).all()


def test_eval_set_resizes_images_but_keeps_labels_full_size(tmp_path):
    root = make_cityscapes(tmp_path / "cs", split="val")
    ds = EvalSet(cityscapes_samples(root, "val"), size=(10, 16))
    image, label, _ = ds[0]
    assert image.shape == (3, 10, 16) and label.shape == (20, 30)


def test_palette_label_pngs_read_as_indices(tmp_path):
    """GTA5 ships labels as palette PNGs; the palette colours must not be taken for labels."""
    from PIL import Image

    values = ids()
    im = Image.fromarray(values, mode="P")
    im.putpalette([c for i in range(256) for c in ((i * 3) % 256, (i * 7) % 256, (i * 11) % 256)])
    im.save(tmp_path / "pal.png")
    from labor_desktop.data.classes import ID_TO_TRAIN

    assert np.array_equal(read_label(tmp_path / "pal.png"), ID_TO_TRAIN[values])
