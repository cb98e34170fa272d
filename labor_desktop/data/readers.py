"""Listing the samples of the three layouts: Cityscapes, GTA5, a plain folder.

A reader only pairs files and checks the layout; pixels are read lazily by the
datasets, so listing 25,000 GTA5 images is instant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .io import IMAGE_SUFFIXES, DataError, IdMap, read_label

CS_IMAGE_SUFFIX = "_leftImg8bit.png"


@dataclass(frozen=True)
class Sample:
    name: str  # unique within its data set, e.g. "aachen/aachen_000000_000019" or "00001"
    image: Path
    label: Path | None = None
    label_kind: str = "label_ids"  # or "train_ids", or "table" (values in ``id_map``'s ids)
    id_map: IdMap | None = None
    remap: tuple[int, ...] | None = (
        None  # 256 entries: a read class -> the project's (``class_table.cityscapes_remap``)
    )


def read_sample_label(sample: Sample) -> np.ndarray:
    """A labelled sample's class map (255: not labelled), in the project's classes."""
    assert sample.label is not None  # only labelled samples are read
    label = read_label(sample.label, sample.label_kind, sample.id_map)
    return label if sample.remap is None else np.asarray(sample.remap, np.uint8)[label]


def remapped(samples: list[Sample], lut: np.ndarray) -> list[Sample]:
    """The samples, their labels read through ``lut`` (256 entries: e.g.
    ``class_table.cityscapes_remap``) by ``read_sample_label``."""
    table = tuple(int(v) for v in lut)
    return [replace(s, remap=table) for s in samples]


def _require_dir(path: Path, what: str, hint: str) -> None:
    if not path.is_dir():
        raise DataError(f"{path}: missing folder ({what}); {hint}")


def _examples(items, n=3) -> str:
    items = sorted(str(i) for i in items)
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def cityscapes_samples(root: str | Path, split: str = "train", require_labels: bool = False) -> list[Sample]:
    """``leftImg8bit/<split>/<city>/<name>_leftImg8bit.png`` with
    ``gtFine/<split>/<city>/<name>_gtFine_labelTrainIds.png`` (preferred) or ``_labelIds.png``.
    Without a ``gtFine/<split>`` folder the split is unlabeled (allowed unless ``require_labels``)."""
    root = Path(root)
    hint = "point to the Cityscapes root, the folder that holds leftImg8bit/ and gtFine/"
    _require_dir(root, "Cityscapes root", hint)
    img_dir = root / "leftImg8bit" / split
    _require_dir(img_dir, f"Cityscapes images of split '{split}'", hint)
    images = sorted(img_dir.glob(f"*/*{CS_IMAGE_SUFFIX}"))
    if not images:
        raise DataError(f"{img_dir}: no <city>/*{CS_IMAGE_SUFFIX} images found; {hint}")
    gt_dir = root / "gtFine" / split
    if not gt_dir.is_dir():
        if require_labels:
            raise DataError(
                f"{gt_dir}: missing folder (labels of split '{split}'); add gtFine/{split} with *_gtFine_labelIds.png"
            )
        return [Sample(f"{p.parent.name}/{p.name[: -len(CS_IMAGE_SUFFIX)]}", p) for p in images]
    samples, missing = [], []
    for p in images:
        stem = p.name[: -len(CS_IMAGE_SUFFIX)]
        base = gt_dir / p.parent.name / stem
        train_ids, label_ids = Path(f"{base}_gtFine_labelTrainIds.png"), Path(f"{base}_gtFine_labelIds.png")
        if train_ids.is_file():
            samples.append(Sample(f"{p.parent.name}/{stem}", p, train_ids, "train_ids"))
        elif label_ids.is_file():
            samples.append(Sample(f"{p.parent.name}/{stem}", p, label_ids, "label_ids"))
        else:
            missing.append(p)
    if missing:
        raise DataError(
            f"{gt_dir}: {len(missing)} images have no label file (e.g. {_examples(missing, 2)}); "
            "add their *_gtFine_labelIds.png or remove the images"
        )
    stems = {(p.parent.name, p.name[: -len(CS_IMAGE_SUFFIX)]) for p in images}
    orphans = [
        q for q in gt_dir.glob("*/*_gtFine_label*Ids.png") if (q.parent.name, q.name.split("_gtFine_")[0]) not in stems
    ]
    if orphans:
        raise DataError(
            f"{gt_dir}: {len(orphans)} label files have no image (e.g. {_examples(orphans, 2)}); "
            f"add the images under {img_dir} or remove the labels"
        )
    return samples


def gta5_samples(root: str | Path) -> list[Sample]:
    """``images/<name>.png`` with ``labels/<name>.png`` holding Cityscapes label ids."""
    root = Path(root)
    hint = "point to the GTA5 root, the folder that holds images/ and labels/"
    _require_dir(root, "GTA5 root", hint)
    _require_dir(root / "images", "GTA5 images", hint)
    _require_dir(root / "labels", "GTA5 labels", hint)
    images = {p.stem: p for p in (root / "images").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    labels = {p.stem: p for p in (root / "labels").iterdir() if p.suffix.lower() == ".png"}
    if not images:
        raise DataError(f"{root / 'images'}: no images found; {hint}")
    no_label = set(images) - set(labels)
    if no_label:
        raise DataError(
            f"{root / 'labels'}: {len(no_label)} images have no label (e.g. {_examples(images[n].name for n in no_label)}); "
            "add labels/<name>.png or remove the images"
        )
    no_image = set(labels) - set(images)
    if no_image:
        raise DataError(
            f"{root / 'images'}: {len(no_image)} labels have no image (e.g. {_examples(labels[n].name for n in no_image)}); "
            "add the images or remove the labels"
        )
    return [Sample(stem, images[stem], labels[stem], "label_ids") for stem in sorted(images)]


def folder_samples(root: str | Path) -> list[Sample]:
    """Every image in a folder (not recursive): an unlabeled target domain."""
    root = Path(root)
    _require_dir(root, "image folder", "choose the folder that holds the target images")
    images = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise DataError(f"{root}: no images ({', '.join(IMAGE_SUFFIXES)}) found; choose the folder that holds them")
    return [Sample(p.stem, p) for p in images]


def detect_layout(root: str | Path) -> str:
    """'cityscapes', 'gta5' or 'folder', from the folder's contents."""
    root = Path(root)
    if (root / "leftImg8bit").is_dir():
        return "cityscapes"
    if (root / "images").is_dir() and (root / "labels").is_dir():
        return "gta5"
    return "folder"
