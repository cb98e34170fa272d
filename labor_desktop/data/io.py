"""Reading images and label maps, with errors that name the file and the fix.

OpenCV decodes a truncated JPEG without complaint (grey bottom rows) and some
truncated PNGs too; a quick look at the file's end marker catches both before a
half image silently trains the model.  Label maps are read with Pillow, which keeps
the indices of palette PNGs (GTA5 ships its labels that way) where OpenCV would
expand them to colours.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from .classes import ID_TO_TRAIN, IGNORE, LABEL_IDS, NUM_CLASSES

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


class DataError(ValueError):
    """Bad input data; the message names the file and what to do."""


def _check_complete(path: Path) -> None:
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            f.seek(max(0, size - 12))
            tail = f.read()
    except OSError as e:
        raise DataError(f"{path}: cannot be opened ({e.strerror}); check that it exists and is readable") from None
    if size == 0:
        raise DataError(f"{path}: the file is empty; replace it or remove it from the data set")
    if suffix == ".png" and head.startswith(b"\x89PNG") and b"IEND" not in tail:
        raise DataError(f"{path}: the PNG is truncated (no end chunk); replace it or remove it from the data set")
    if suffix in (".jpg", ".jpeg") and head.startswith(b"\xff\xd8") and not tail.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise DataError(f"{path}: the JPEG is truncated (no end marker); replace it or remove it from the data set")


def read_image(path: str | Path) -> np.ndarray:
    """RGB uint8 ``[H, W, 3]``."""
    path = Path(path)
    _check_complete(path)
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise DataError(f"{path}: cannot be decoded as an image (damaged or not an image); replace it or remove it")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def read_label(path: str | Path, kind: str = "label_ids") -> np.ndarray:
    """Train-id map uint8 ``[H, W]`` (255 = ignore) from a label-id map
    (``kind="label_ids"``: Cityscapes ``*_labelIds.png``, GTA5 ``labels/``) or a
    train-id map (``kind="train_ids"``: ``*_labelTrainIds.png``)."""
    path = Path(path)
    _check_complete(path)
    try:  # Pillow, not OpenCV: OpenCV expands palette PNGs (GTA5's labels) to colours
        with Image.open(path) as im:
            raw = np.array(im)
    except Image.DecompressionBombError:
        raise DataError(_too_large(path)) from None
    except (OSError, ValueError, SyntaxError):
        raise DataError(f"{path}: cannot be decoded as a label map (damaged or not an image); replace it") from None
    if raw.ndim == 3:
        raise DataError(
            f"{path}: is a {raw.shape[2]}-channel (colour) picture; expected a single-channel map of "
            f"{'label ids' if kind == 'label_ids' else 'train ids'} (use the *_labelIds.png files, not *_color.png)"
        )
    if raw.dtype != np.uint8:
        if raw.max() > 255:
            raise DataError(f"{path}: holds values up to {int(raw.max())}; label maps hold values 0-255")
        raw = raw.astype(np.uint8)
    values = np.unique(raw)
    if kind == "label_ids":
        unknown = sorted(set(values.tolist()) - set(LABEL_IDS))
        if unknown:
            raise DataError(
                f"{path}: holds values {unknown[:8]} that are no Cityscapes label id (0-33); "
                "is this a train-id or colour map? Train-id maps must be named *_labelTrainIds.png"
            )
        return ID_TO_TRAIN[raw]
    if kind == "train_ids":
        unknown = sorted(v for v in values.tolist() if v >= NUM_CLASSES and v != IGNORE)
        if unknown:
            raise DataError(f"{path}: holds values {unknown[:8]} outside the train ids 0-{NUM_CLASSES - 1} and 255")
        return raw
    raise ValueError(f"unknown label kind {kind!r}")


def image_size(path: str | Path) -> tuple[int, int]:
    """(height, width) from the file header, without decoding the pixels."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            w, h = im.size
    except FileNotFoundError:
        raise DataError(f"{path}: image file not found") from None
    except Image.DecompressionBombError:
        raise DataError(_too_large(path)) from None
    except OSError as e:
        raise DataError(f"{path}: not a readable image ({e}); replace or remove the file") from None
    return h, w


def _too_large(path: Path) -> str:
    limit = Image.MAX_IMAGE_PIXELS
    assert limit is not None  # PIL raises DecompressionBombError only while a limit is set
    return (
        f"{path}: the image is larger than {limit * 2 // 1_000_000} million pixels, more than "
        "this program reads (a damaged or hostile header, or a huge image); resize it or remove it from the data set"
    )


def check_same_size(image: np.ndarray, label: np.ndarray, image_path, label_path) -> None:
    if image.shape[:2] != label.shape[:2]:
        (ih, iw), (lh, lw) = image.shape[:2], label.shape[:2]
        raise DataError(
            f"{label_path}: the label map is {lw}x{lh} but its image {image_path} is {iw}x{ih}; "
            "labels must have the image's exact size (regenerate or replace the label file)"
        )


def write_png(path: str | Path, array: np.ndarray, rgb: bool = False) -> None:
    """Write a PNG (RGB arrays converted for OpenCV); fails loudly."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = cv2.cvtColor(array, cv2.COLOR_RGB2BGR) if rgb else array
    if not cv2.imwrite(str(path), data):
        raise OSError(f"{path}: could not be written; is the folder writable and the disk not full?")
