"""The embedded two-domain benchmark: determinism, layout, read back through the readers."""

import hashlib

import numpy as np
import pytest

from labor_desktop.cli import main
from labor_desktop.data.classes import CLASS_NAMES, NUM_CLASSES
from labor_desktop.data.datasets import load_pair
from labor_desktop.data.demo_generator import FORCE_PERIOD, DemoDataConfig, generate_demo_data, make_image
from labor_desktop.data.readers import cityscapes_samples, gta5_samples

SMALL = DemoDataConfig(size=(64, 128), n_source=FORCE_PERIOD, n_target=FORCE_PERIOD, n_val=4, seed=7)


def digest(root):
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    meta = generate_demo_data(root, SMALL)
    return root, meta


def test_layout_is_gta5_and_cityscapes(demo):
    root, meta = demo
    assert sorted(p.name for p in (root / "source" / "images").iterdir())[:2] == ["00000.png", "00001.png"]
    assert len(list((root / "source" / "labels").iterdir())) == SMALL.n_source
    train = cityscapes_samples(root / "target", "train", require_labels=True)
    val = cityscapes_samples(root / "target", "val", require_labels=True)
    assert len(train) == SMALL.n_target and len(val) == SMALL.n_val
    assert all(s.label.name.endswith("_gtFine_labelIds.png") for s in train)
    assert {s.name.split("/")[0] for s in train}.isdisjoint({s.name.split("/")[0] for s in val})
    assert meta["config"]["seed"] == 7 and (root / "demo-data.json").exists()


def test_same_arguments_give_identical_bytes(demo, tmp_path):
    root, _ = demo
    generate_demo_data(tmp_path, SMALL)
    assert digest(tmp_path) == digest(root)
    other = DemoDataConfig(size=(64, 128), n_source=2, n_target=1, n_val=1, seed=8)
    generate_demo_data(tmp_path / "other", other)
    assert (tmp_path / "other/source/images/00000.png").read_bytes() != (root / "source/images/00000.png").read_bytes()


def test_a_larger_set_keeps_the_first_images(tmp_path):
    small = DemoDataConfig(size=(48, 96), n_source=2, n_target=3, n_val=1, seed=7)
    large = DemoDataConfig(size=(48, 96), n_source=4, n_target=5, n_val=3, seed=7)
    generate_demo_data(tmp_path / "small", small)
    generate_demo_data(tmp_path / "large", large)
    first, more = (
        sorted(p.relative_to(root) for p in root.rglob("*.png")) for root in (tmp_path / "small", tmp_path / "large")
    )
    assert len(first) == 2 * (2 + 3 + 1) and len(more) == 2 * (4 + 5 + 3)
    assert set(first) < set(more)  # the same names, and more of them
    for rel in first:  # byte for byte: growing the set changes none of the first images
        assert (tmp_path / "large" / rel).read_bytes() == (tmp_path / "small" / rel).read_bytes(), rel


@pytest.mark.parametrize("domain", ["source", "target"])
def test_read_back_every_class_present_with_realistic_imbalance(demo, domain):
    root, _ = demo
    samples = gta5_samples(root / "source") if domain == "source" else cityscapes_samples(root / "target", "train")
    counts = np.zeros(256, np.int64)
    for s in samples:
        image, label = load_pair(s)
        assert image.shape == (64, 128, 3) and label.shape == (64, 128)
        counts += np.bincount(label.ravel(), minlength=256)
    present = [CLASS_NAMES[c] for c in range(NUM_CLASSES) if counts[c] > 0]
    assert present == list(CLASS_NAMES)
    share = counts[:NUM_CLASSES] / counts[:NUM_CLASSES].sum()
    big = {CLASS_NAMES[i] for i in np.argsort(share)[::-1][:5]}
    assert {"road", "building"} <= big
    for rare in ("train", "motorcycle", "rider"):
        assert share[CLASS_NAMES.index(rare)] < 0.01


def test_domains_differ_in_appearance_and_layout():
    src = [make_image("source", "train", i, (64, 128), 0) for i in range(10)]
    tgt = [make_image("target", "train", i, (64, 128), 0) for i in range(10)]

    def sat(ims):
        return np.mean([(im.max(2).astype(int) - im.min(2)).mean() for im, _ in ims])

    assert sat(src) > 1.5 * sat(tgt)  # rendered source: saturated; photographic target: muted

    def sky_rows(ims):
        return np.mean([np.mean([(lab[:, c] == 23).sum() for c in range(128)]) for _, lab in ims])

    assert sky_rows(src) > sky_rows(tgt)  # higher horizon and buildings differ
    hood = [(lab == 1).any() for _, lab in tgt]
    assert all(hood) and not any((lab == 1).any() for _, lab in src)  # the ego vehicle is ignore (255) in training


def test_cli_demo_data(tmp_path, capsys):
    assert (
        main(
            [
                "demo-data",
                "--out",
                str(tmp_path),
                "--size",
                "48x96",
                "--n-source",
                "2",
                "--n-target",
                "2",
                "--n-val",
                "1",
            ]
        )
        == 0
    )
    assert "wrote 5 images" in capsys.readouterr().out
    assert len(gta5_samples(tmp_path / "source")) == 2
    with pytest.raises(SystemExit):
        main(["demo-data", "--out", str(tmp_path), "--size", "big"])
