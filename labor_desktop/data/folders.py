"""A plain folder of images as a data set: the images a person wants labelled, and
folders of images with label PNGs (a validation set, a source domain).

Which files are images: every ``.png .jpg .jpeg .tif .tiff .webp .bmp`` (any case) in the
folder and its subfolders, except hidden files and folders (a name starting with "."),
this program's own output (label files ``*_label.png`` / ``*_label_color.png``, the
Cityscapes-style ``*_gtFine_*.png`` an export writes, an export folder below the root,
``*.labor.run`` folders) and a ``labels/`` folder at the root (the labels' twin tree).

Which file is an image's label (the naming rule, ``label_for``): ``NAME_label.png`` beside
``NAME.<ext>``; or, when the root holds a ``labels/`` folder, ``labels/<sub>/NAME.png`` for
``<sub>/NAME.<ext>`` (``<sub>`` relative to ``images/`` when the images live there).

A scan reads each file's header and end marker only (about 0.3 ms an image), so a folder
of thousands is listed in seconds; each file that cannot be used is collected with its
reason rather than stopping at the first.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .io import IMAGE_SUFFIXES, DataError, IdMap, _check_complete, image_size
from .readers import Sample

LABEL_SUFFIX = "_label.png"
LABEL_COLOR_SUFFIX = "_label_color.png"
EXPORT_MANIFEST = "labor-export.json"
MIN_SIDE = 32  # the model downsamples 8x: smaller images give no usable prediction
OUTPUT_NAMES = (
    LABEL_SUFFIX,
    LABEL_COLOR_SUFFIX,
    "_gtFine_labelTrainIds.png",
    "_gtFine_labelIds.png",
    "_gtFine_color.png",
)


@dataclass(frozen=True)
class Unreadable:
    path: Path
    reason: str


@dataclass
class FolderScan:
    root: Path
    samples: list[Sample]
    sizes: list[tuple[int, int]]  # (height, width) upright, per sample
    unreadable: list[Unreadable] = field(default_factory=list)

    def problem(self, option: str = "--skip-unreadable") -> str:
        """One message naming every file that cannot be used and why."""
        lines = [
            f"{self.root}: {len(self.unreadable)} of {len(self.samples) + len(self.unreadable)} images cannot be used:"
        ]
        lines += [f"  {printable(_rel(u.path, self.root))}: {u.reason}" for u in self.unreadable]
        lines.append(f"Replace or remove them, or leave them out of the project ({option}).")
        return "\n".join(lines)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def image_root(root: Path) -> Path:
    """Where a folder's images are: ``images/`` beside a ``labels/`` twin tree, else the root."""
    return root / "images" if (root / "labels").is_dir() and (root / "images").is_dir() else root


def _walk(root: Path, top: Path):
    """Every file under ``top`` that is not hidden, outside ``labels/`` at ``root``, an
    export folder below the root and ``*.labor.run`` folders."""
    for folder, dirs, files in os.walk(top):
        here = Path(folder)
        keep = []
        for d in dirs:
            if d.startswith(".") or d.endswith(".labor.run") or (here == root and d == "labels"):
                continue
            if (here / d / EXPORT_MANIFEST).is_file():  # an export of a project, below the root
                continue
            keep.append(d)
        dirs[:] = sorted(keep)
        yield from (here / name for name in files if not name.startswith("."))


def list_images(root: str | Path) -> list[Path]:
    """Every image file under ``root`` by the rules above, sorted by relative path."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: folder not found; choose the folder that holds your images")
    top = image_root(root)
    found = [
        p
        for p in _walk(root, top)
        if p.name.lower().endswith(IMAGE_SUFFIXES) and not p.name.lower().endswith(OUTPUT_NAMES)
    ]
    return sorted(found, key=lambda p: _rel(p, top).lower())


def printable(path: str | Path) -> str:
    """A file name for a message: bytes that are not UTF-8 shown as ``\\xff``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def check_image(path: Path) -> tuple[int, int]:
    """(height, width) upright; ``DataError`` when the file cannot be used as an image
    (a name that is not UTF-8 too: the project file stores names as UTF-8 text)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = printable(path)
        raise DataError(
            f"{path}: the file name is not UTF-8 text ({shown}), which a project cannot hold; rename the file"
        ) from None
    _check_complete(path)
    h, w = image_size(path)
    if min(h, w) < MIN_SIDE:
        raise DataError(f"{path}: the image is only {w}x{h} pixels; at least {MIN_SIDE} a side are needed")
    return h, w


def scan_images(
    root: str | Path, progress: Callable[[int, int], None] | None = None, files: list[Path] | None = None
) -> FolderScan:
    """The folder's images (``files`` if given, else ``list_images``), each checked; the
    ones that cannot be used are in ``unreadable`` with their reason."""
    root = Path(root)
    paths = list_images(root) if files is None else files
    if not paths:
        raise DataError(
            f"{root}: no images found ({' '.join(IMAGE_SUFFIXES)}, in any subfolder); choose the folder that holds them"
        )
    top = image_root(root)
    scan = FolderScan(root, [], [])
    for n, path in enumerate(paths):
        try:
            size = check_image(path)
        except DataError as e:
            scan.unreadable.append(Unreadable(path, str(e).removeprefix(f"{path}: ")))
        else:
            scan.samples.append(Sample(_rel(path, top), path))
            scan.sizes.append(size)
        if progress is not None:
            progress(n + 1, len(paths))
    return scan


def label_for(root: Path, image: Path) -> Path:
    """Where the naming rule puts ``image``'s label file (it may not exist)."""
    if (root / "labels").is_dir():
        rel = image.relative_to(image_root(root)).with_suffix(".png")
        return root / "labels" / rel
    return image.with_name(image.stem + LABEL_SUFFIX)


def labeled_folder_samples(root: str | Path, id_map: IdMap, what: str = "validation") -> list[Sample]:
    """Images with their label PNGs (values in a class table's ids) by the naming rule;
    every image must have one and every label file an image."""
    root = Path(root)
    images = list_images(root)
    if not images:
        raise DataError(f"{root}: no images found for the {what} set")
    samples, missing = [], []
    top = image_root(root)
    for path in images:
        label = label_for(root, path)
        if label.is_file():
            samples.append(Sample(_rel(path, top), path, label, "table", id_map))
        else:
            missing.append(_rel(path, root))
    if missing:
        rule = "labels/<same path>.png" if (root / "labels").is_dir() else "NAME_label.png beside NAME.jpg"
        raise DataError(
            f"{root}: {len(missing)} of {len(images)} {what} images have no label file ({rule}), e.g. "
            f"{', '.join(missing[:3])}; add their labels or remove the images"
        )
    used = {s.label for s in samples}
    if (root / "labels").is_dir():
        orphans = [p for p in _walk(root, root / "labels") if p.suffix.lower() == ".png" and p not in used]
    else:
        orphans = [p for p in _walk(root, root) if p.name.endswith(LABEL_SUFFIX) and p not in used]
    if orphans:
        raise DataError(
            f"{root}: {len(orphans)} label files have no image (e.g. "
            f"{', '.join(_rel(p, root) for p in sorted(orphans)[:3])}); add the images or remove the labels"
        )
    return samples
