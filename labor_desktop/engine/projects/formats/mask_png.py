"""CVAT's "Segmentation mask 1.1" layout (a Pascal VOC segmentation variant):
``labelmap.txt`` (``# label:color_rgb:parts:actions``, one ``name:r,g,b::`` line per label),
``ImageSets/Segmentation/default.txt`` (the item names, no extension) and
``SegmentationClass/<item>.png``.  The masks are indexed PNGs whose index is the class's
position (255 = not labelled) and whose palette holds the project's colours, so a
trainer reading indices and CVAT reading colours both get the classes.  Not labelled is
CVAT's ``background`` (0, 0, 0): partial labels stay partial."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from ....data.io import DataError, _check_complete
from ....store import UNLABELED

LABELMAP = "labelmap.txt"
IMAGE_SET = "ImageSets/Segmentation/default.txt"
MASKS = "SegmentationClass"
BACKGROUND = "background"
HEADER = "# label:color_rgb:parts:actions"


class UnknownClass(DataError):
    """A label file uses a class the project's table lacks (``name``)."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


def check_colors(names: list[str], colors: np.ndarray) -> None:
    """Colours are how CVAT reads a mask: each class needs its own, and none may be black
    (CVAT's background, here: not labelled)."""
    seen: dict[tuple[int, ...], str] = {}
    for name, color in zip(names, colors.tolist()):
        key = tuple(color)
        if key == (0, 0, 0):
            raise ValueError(
                f"class {name!r} is black (0,0,0), the colour of not labelled in mask-png; give it another"
            )
        if key in seen:
            raise ValueError(f"classes {seen[key]!r} and {name!r} share the colour {key}; mask-png needs one per class")
        seen[key] = name
        if ":" in name or "\n" in name:
            raise ValueError(f"class {name!r} holds ':' or a line break, which labelmap.txt cannot hold")


def labelmap_text(names: list[str], colors: np.ndarray) -> str:
    lines = [HEADER, f"{BACKGROUND}:0,0,0::"]
    lines += [f"{name}:{','.join(str(v) for v in color)}::" for name, color in zip(names, colors.tolist())]
    return "\n".join(lines) + "\n"


def encode_mask(labels: np.ndarray, colors: np.ndarray) -> bytes:
    """An indexed PNG: index = class position, 255 = not labelled (black)."""
    palette = np.zeros((256, 3), np.uint8)
    palette[: len(colors)] = colors
    image = Image.fromarray(labels.astype(np.uint8), mode="P")
    image.putpalette(palette.ravel().tolist())
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def read_labelmap(
    path: Path, names: list[str]
) -> tuple[dict[tuple[int, int, int], int], dict[tuple[int, int, int], str]]:
    """(colour -> class position or 255 for background, colour -> label name not in the class table)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: not found; a Segmentation mask 1.1 folder has a labelmap.txt") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot be read ({e}); save it as UTF-8 text") from None
    lookup = {n.lower(): k for k, n in enumerate(names)}
    colors: dict[tuple[int, int, int], int] = {}
    unknown: dict[tuple[int, int, int], str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split(":")
        try:
            rgb = tuple(int(v) for v in fields[1].split(","))
            if len(fields) < 2 or len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
                raise ValueError
        except (ValueError, IndexError):
            raise DataError(f"{path}: line {n} is not 'name:r,g,b::' ({line[:60]!r}); fix the labelmap") from None
        name, key = fields[0].strip(), (rgb[0], rgb[1], rgb[2])
        if name.lower() == BACKGROUND:
            k = UNLABELED
        elif name.lower() in lookup:
            k = lookup[name.lower()]
        else:
            unknown[key] = name
            continue
        if key in colors and colors[key] != k:
            raise DataError(f"{path}: line {n}: the colour {key} is also another label's; each label needs its own")
        colors[key] = k
    return colors, unknown


def read_mask(
    path: Path, colors: dict[tuple[int, int, int], int], unknown: dict[tuple[int, int, int], str]
) -> np.ndarray:
    """Class positions (255 = background) from a mask's colours; a colour the labelmap
    does not name, or names with a label the class table lacks, is refused."""
    _check_complete(path)
    try:
        with Image.open(path) as im:
            rgb = np.array(im.convert("RGB"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise DataError(f"{path}: cannot be decoded as a PNG (damaged or not an image); replace it") from None
    code = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    values, inverse = np.unique(code, return_inverse=True)
    lut = np.empty(len(values), np.uint8)
    for j, v in enumerate(values.tolist()):
        key = (v >> 16, (v >> 8) & 255, v & 255)
        if key in unknown:
            raise UnknownClass(
                f"{path}: holds label {unknown[key]!r} (colour {key}), which is not in the project's class table; "
                "add the class to the table or map it to one in labelmap.txt",
                unknown[key],
            )
        if key not in colors:
            raise DataError(f"{path}: holds the colour {key}, which labelmap.txt does not name; add it or fix the mask")
        lut[j] = colors[key]
    return lut[inverse.reshape(code.shape)]
