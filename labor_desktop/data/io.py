"""Reading images and label maps, with errors that name the file and the fix.

OpenCV decodes a truncated JPEG without complaint (grey bottom rows) and some
truncated PNGs too; a quick look at the file's end marker catches both before a
half image silently trains the model.  Label maps are read with Pillow, which keeps
the indices of palette PNGs (GTA5 ships its labels that way) where OpenCV would
expand them to colours.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .classes import ID_TO_TRAIN, IGNORE, LABEL_IDS, NUM_CLASSES

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
EXIF_ORIENTATION = 0x0112


class DataError(ValueError):
    """Bad input data; the message names the file and what to do."""


class IdMap(NamedTuple):
    """A class table's label-PNG values: ``ids[k]`` is class ``k``'s, ``ignore`` means not labelled."""

    ids: tuple[int, ...]
    ignore: int = IGNORE

    def lut(self) -> np.ndarray:
        """256-entry lookup: a value -> class position (255 for the ignore id and unknown values)."""
        out = np.full(256, IGNORE, np.uint8)
        out[list(self.ids)] = np.arange(len(self.ids), dtype=np.uint8)
        return out


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
    """RGB uint8 ``[H, W, 3]``, upright (EXIF orientation applied), whatever the file holds:
    grey, palette, alpha, 16-bit (scaled to 8 bits) or float pictures are converted."""
    path = Path(path)
    _check_complete(path)
    # Orientation applied here, not by OpenCV, so ``image_size`` and the pixels agree; TIFFs
    # go through Pillow: OpenCV 5 turns them whatever it is told, and fails on orientations 5-8.
    if path.suffix.lower() in (".tif", ".tiff"):
        return _read_with_pillow(path)
    img = cv2.imread(str(path), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if img is None:
        return _read_with_pillow(path)
    return orient(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), _orientation(path))


def _read_with_pillow(path: Path) -> np.ndarray:
    """TIFFs and what OpenCV cannot decode, through Pillow, upright (Pillow 13 turns a
    TIFF as it loads it; ``exif_transpose`` turns the rest, once)."""
    try:
        with Image.open(path) as opened:
            im = ImageOps.exif_transpose(opened)
            if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                raw = np.asarray(im).astype(np.float64)
                scale = 257.0 if im.mode.startswith("I;16") else max(1.0, float(raw.max()) / 255.0)
                grey = np.clip(raw / scale, 0, 255).astype(np.uint8)
                return np.repeat(grey[..., None], 3, axis=2)
            return np.asarray(im.convert("RGB"))
    except Image.DecompressionBombError:
        raise DataError(_too_large(path)) from None
    except (OSError, ValueError, SyntaxError):
        raise DataError(
            f"{path}: cannot be decoded as an image (damaged or not an image); replace it or remove it"
        ) from None


def _orientation(path: Path) -> int:
    """The EXIF orientation (1-8; 1 = upright) of an image file."""
    try:
        with Image.open(path) as im:
            value = im.getexif().get(EXIF_ORIENTATION, 1)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """``image`` as a viewer shows a file with this EXIF orientation (the standard's 8 cases)."""
    if orientation in (5, 6, 7, 8):
        image = image.swapaxes(0, 1)  # transpose; then flips make the rotations
    flip = {2: (False, True), 3: (True, True), 4: (True, False), 6: (False, True), 7: (True, True), 8: (True, False)}
    rows, cols = flip.get(orientation, (False, False))
    if rows:
        image = image[::-1]
    if cols:
        image = image[:, ::-1]
    return np.ascontiguousarray(image)


def read_label(path: str | Path, kind: str = "label_ids", id_map: IdMap | None = None) -> np.ndarray:
    """Train-id map uint8 ``[H, W]`` (255 = ignore) from a label-id map
    (``kind="label_ids"``: Cityscapes ``*_labelIds.png``, GTA5 ``labels/``), a
    train-id map (``kind="train_ids"``: ``*_labelTrainIds.png``), or a map in a class
    table's ids (``kind="table"``, with the table's ``id_map``; a value that is neither
    a class's id nor the ignore id is refused)."""
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
    if kind == "table" and id_map is not None:
        unknown = sorted(set(values.tolist()) - set(id_map.ids) - {id_map.ignore})
        if unknown:
            raise DataError(
                f"{path}: holds values {unknown[:8]} that are no id of the class table (ids "
                f"{_ranges(sorted(id_map.ids))}, not labelled {id_map.ignore}); fix the label file or the table's ids"
            )
        return id_map.lut()[raw]
    raise ValueError(f"unknown label kind {kind!r}")


def _ranges(values: list[int]) -> str:
    """``[0, 1, 2, 7]`` -> ``0-2, 7``."""
    out: list[str] = []
    for v in values:
        if out and out[-1].split("-")[-1] == str(v - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{v}"
        else:
            out.append(str(v))
    return ", ".join(out)


def image_size(path: str | Path) -> tuple[int, int]:
    """(height, width) from the file header, without decoding the pixels; upright, as
    ``read_image`` returns the pixels (EXIF orientation 5-8 swaps the sides)."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            w, h = im.size
            tags = getattr(im, "tag_v2", None)
            if im.format == "TIFF" and tags is not None:  # Pillow 13 reports a turned TIFF's size upright
                w, h = tags.get(256, w), tags.get(257, h)  # the stored one, turned below like the rest
            turned = im.getexif().get(EXIF_ORIENTATION, 1) in (5, 6, 7, 8)
    except FileNotFoundError:
        raise DataError(f"{path}: image file not found") from None
    except Image.DecompressionBombError:
        raise DataError(_too_large(path)) from None
    except UnidentifiedImageError:
        raise DataError(
            f"{path}: not an image, or in a format this program cannot read; replace or remove it"
        ) from None
    except OSError as e:
        raise DataError(f"{path}: not a readable image ({e}); replace or remove the file") from None
    return (w, h) if turned else (h, w)


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


def encode_png(array: np.ndarray, rgb: bool = False) -> bytes:
    """A PNG's bytes, encoded in memory: the caller writes them (safe_files), so a full
    disk is an ``OSError`` of its own and never libpng's stray line on stderr."""
    ok, data = cv2.imencode(".png", cv2.cvtColor(array, cv2.COLOR_RGB2BGR) if rgb else array)
    if not ok:
        raise ValueError(f"an array of shape {array.shape} and type {array.dtype} cannot be a PNG")
    return data.tobytes()


def read_json(path: Path, what: str):
    """The JSON document at ``path``, or one ``DataError`` line naming it (``what``: the
    kind of file it should be, said in the fix)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror}); check the path") from None
    except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
        raise DataError(f"{path}: is not valid JSON ({str(e)[:80]}); replace it with an intact {what}") from None
