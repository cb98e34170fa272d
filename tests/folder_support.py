"""Folders of a person's own images, made in a test's tmp_path: nested folders, a JPEG
turned by EXIF, mixed sizes, a grey and a 16-bit PNG, files to ignore, a broken file;
a 5-class table with its own ids and keys; a checkpoint that fits it."""

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

# Class table: ids 10..50 in label PNGs, 0 = not labelled, two keys of its own.
TABLE_TOML = """
ignore_id = 0

[[classes]]
name = "road"
color = "#804080"
id = 10
key = "R"

[[classes]]
name = "car"
color = [0, 0, 142]
id = 20
key = "C"

[[classes]]
name = "tree"
color = [107, 142, 35]
id = 30

[[classes]]
name = "sky"
color = [70, 130, 180]
id = 40

[[classes]]
name = "person"
color = [220, 20, 60]
id = 50
"""
TABLE_IDS = (10, 20, 30, 40, 50)


def scene(h: int, w: int, seed: int) -> np.ndarray:
    """A picture with structure (sky, trees, road bands) and noise, RGB uint8."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 3] = (70, 130, 180)
    img[h // 3 : 2 * h // 3] = (60, 120, 40)
    img[2 * h // 3 :] = (110, 100, 110)
    noise = rng.integers(-20, 20, img.shape)
    return np.clip(img.astype(int) + noise, 0, 255).astype(np.uint8)


def write_rgb(path: Path, rgb: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def write_exif(path: Path, rgb: np.ndarray, orientation: int, **save) -> Path:
    """``rgb`` as stored in the file; a viewer shows it turned by ``orientation``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgb).save(path, exif=exif, **save)
    return path


def make_images(root: Path) -> dict[str, tuple[int, int]]:
    """The images folder; returns each usable image's name and upright (height, width)."""
    write_exif(root / "city" / "day" / "turned.jpg", scene(48, 80, 1), 6, quality=95)  # stored 80 wide
    write_rgb(root / "city" / "wide.png", scene(64, 96, 2))
    write_rgb(root / "RAW" / "UPPER.PNG", scene(40, 72, 3))
    grey = scene(40, 64, 4)[..., 1]
    root.joinpath("mono").mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(root / "mono" / "grey.png"), grey)
    deep = (scene(48, 64, 5)[..., 0].astype(np.uint16) * 257).astype(np.uint16)
    assert cv2.imwrite(str(root / "mono" / "deep16.png"), deep)
    # Ignored: hidden files and folders, this program's output, other files.
    write_rgb(root / ".thumbs" / "t.png", scene(40, 40, 6))
    write_rgb(root / ".hidden.png", scene(40, 40, 7))
    write_rgb(root / "run.labor.run" / "panel.png", scene(40, 40, 8))
    cv2.imwrite(str(root / "city" / "wide_label.png"), np.full((64, 96), 10, np.uint8))  # its ground truth
    (root / "notes.txt").write_text("not an image")
    return {
        "city/day/turned.jpg": (80, 48),
        "city/wide.png": (64, 96),
        "mono/deep16.png": (48, 64),
        "mono/grey.png": (40, 64),
        "RAW/UPPER.PNG": (40, 72),
    }


def add_broken(root: Path) -> list[str]:
    """A truncated JPEG and a text file named like a picture."""
    data = (root / "city" / "day" / "turned.jpg").read_bytes()
    (root / "city" / "cut.jpg").write_bytes(data[: len(data) // 2])
    (root / "fake.png").write_text("this is text")
    return ["city/cut.jpg", "fake.png"]


def make_val(root: Path, n: int = 3) -> Path:
    """NAME.png + NAME_label.png in the table's ids (and 0 = not labelled)."""
    for i in range(n):
        write_rgb(root / f"v{i}.png", scene(48, 64, 20 + i))
        label = np.zeros((48, 64), np.uint8)
        label[:16], label[16:32], label[32:] = 40, 30, 10
        label[:, :4] = 0
        cv2.imwrite(str(root / f"v{i}_label.png"), label)
    return root


def make_checkpoint(path: Path, classes: int = 5) -> Path:
    """A smoke-sized model (the smoke preset's architecture) with ``classes`` outputs."""
    import torch

    from labor_desktop.core.checkpoint import save_checkpoint
    from labor_desktop.core.model import DeepLabV2, ModelConfig

    torch.manual_seed(0)
    model = DeepLabV2(ModelConfig(backbone="resnet18", num_classes=classes, freeze_bn=False, output_stride=16))
    save_checkpoint(path, model, {"job": "test"})
    return path


def make_all(tmp: Path) -> dict:
    images = tmp / "photos"
    sizes = make_images(images)
    table = tmp / "classes.toml"
    table.write_text(TABLE_TOML)
    return {"images": images, "sizes": sizes, "table": table, "checkpoint": make_checkpoint(tmp / "five.pt")}
