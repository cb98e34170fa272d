"""``labor export``: a project's labels as Cityscapes ``*_gtFine_labelTrainIds.png``
(255 = unlabeled) and colour PNGs, and CSVs of the budget and effort per image and
per stage.  Reads the project read-only, so it also works while the application
has it open.  Label values are the class table's ids (Cityscapes' table: the train
ids) and its ignore id where nothing is labelled.

A project over a plain folder mirrors that folder instead: ``<relative path>_label.png``
and ``<relative path>_label_color.png`` (the naming rule ``data.folders`` reads, so an
export can serve as a validation set or be exported into the images folder itself).

The label files keep the Cityscapes tree (``gtFine/<split>/<city>/<name>_gtFine_labelTrainIds.png``;
images outside that layout keep their folders under ``gtFine/``), so two images with
the same name never share a file.  Every file is written under a temporary name and
renamed; ``labor-export.json`` lists what the export wrote, and the next export of the
folder removes the files it listed that are no longer labelled (and nothing else)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from ...data.classes import CLASS_COLORS
from ...data.folders import LABEL_COLOR_SUFFIX, LABEL_SUFFIX
from ...data.io import write_png
from ...store import UNLABELED, Project
from ...store.schema import EFFORT_FIELDS
from .folder_data import project_table

SUFFIXES = ("_leftImg8bit", "_gtFine_labelIds", "_gtFine_labelTrainIds")


def export_name(image_path: str) -> str:
    """``aachen_000000_000019`` from ``.../aachen_000000_000019_leftImg8bit.png``."""
    stem = Path(image_path).stem
    for suffix in SUFFIXES:
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


MANIFEST = "labor-export.json"
LABEL_SUFFIXES = ("_gtFine_labelTrainIds.png", "_gtFine_color.png")
FOLDER_SUFFIXES = (LABEL_SUFFIX, LABEL_COLOR_SUFFIX)


def export_stem(image_path: str) -> str:
    """Where an image's label files go, relative to the export folder and without their
    suffix: ``gtFine/train/aachen/aachen_000000_000019`` for a Cityscapes image
    (``.../leftImg8bit/<split>/<city>/<name>_leftImg8bit.png``), else ``gtFine/`` plus the
    image's own folders (``..`` and drive letters dropped)."""
    parts = [x for x in PureWindowsPath(image_path).parts if x not in ("..", ".") and not x.endswith(("/", "\\", ":"))]
    name = export_name(image_path)
    if "leftImg8bit" in parts[:-1]:
        k = len(parts) - 1 - parts[::-1].index("leftImg8bit")
        if len(parts) - k == 4:  # leftImg8bit / split / city / file
            return str(PurePosixPath("gtFine", parts[k + 1], parts[k + 2], name))
    return str(PurePosixPath("gtFine", *parts[:-1], name))


def folder_stem(image_path: str, root: str) -> str:
    """``sub/dir/NAME`` for ``ROOT/sub/dir/NAME.jpg``: the images folder's tree, mirrored."""
    try:
        rel = PurePosixPath(Path(image_path).resolve().relative_to(Path(root).resolve()).as_posix())
    except ValueError:  # not under the root (cannot happen for a folder project's pool)
        return export_stem(image_path)
    return str(rel.with_suffix(""))


def export_project(
    project_path: str | Path, out_dir: str | Path, progress: Callable[[int, int], None] | None = None
) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    progress = progress or (lambda step, total: None)
    written: list[str] = []
    taken: set[str] = set()
    with Project.open(project_path, read_only=True) as project:
        warning = project.damage
        colors = np.array(project.settings.colors or CLASS_COLORS.tolist(), np.uint8)
        lut = np.zeros((256, 3), np.uint8)
        lut[: len(colors)] = colors
        to_ids = project_table(project.settings).class_to_id()
        root = project.settings.target_root
        mirror = project.settings.extra.get("data", {}).get("layout") == "folder"
        suffixes = FOLDER_SUFFIXES if mirror else LABEL_SUFFIXES
        n_stages = max([project.settings.stages, *[h["stage"] for h in project.history()]], default=0)
        per_stage = np.zeros((n_stages + 1, 2), np.int64)  # pixels, images
        rows, labeled = [], set(project.labeled_images())
        for i, entry in enumerate(project.images):
            labels, stage = project.labels(i) if i in labeled else (None, None)
            pixels = 0 if labels is None else int((labels != UNLABELED).sum())
            stem = ""
            if pixels:
                stem = folder_stem(str(project.image_path(i)), root) if mirror else export_stem(entry.path)
                if stem.lower() in taken:  # e.g. a.png and a.jpg in one folder
                    stem = f"{stem}_image{i}"
                taken.add(stem.lower())
            row = {
                "image": i,
                "path": entry.path,
                "label_file": f"{stem}{suffixes[0]}" if pixels else "",
                "height": entry.height,
                "width": entry.width,
                "labeled_pixels": pixels,
                "pixel_share": pixels / (entry.height * entry.width),
            }
            if pixels:
                assert labels is not None and stage is not None  # pixels only on a labeled image
                counts = np.bincount(stage[labels != UNLABELED], minlength=n_stages + 1)
            else:
                counts = np.zeros(n_stages + 1, np.int64)
            for s in range(1, n_stages + 1):
                row[f"stage{s}_pixels"] = int(counts[s]) if s < len(counts) else 0
            for s in range(len(counts)):
                if s <= n_stages and counts[s]:
                    per_stage[s] += (counts[s], 1)
            effort = project.effort(i)
            row.update({name: getattr(effort, name) for name in EFFORT_FIELDS})
            rows.append(row)
            if pixels:
                assert labels is not None  # pixels only on a labeled image
                for suffix, array, rgb in ((suffixes[0], to_ids[labels], False), (suffixes[1], lut[labels], True)):
                    _replace(out / f"{stem}{suffix}", partial(write_png, array=array, rgb=rgb))
                    written.append(f"{stem}{suffix}")
            progress(i + 1, len(project.images))
        total_pixels = sum(e.height * e.width for e in project.images) or 1
        history = {h["stage"]: h for h in project.history()}
        stages = [
            {
                "stage": s,
                "images_labeled": int(per_stage[s, 1]),
                "labeled_pixels": int(per_stage[s, 0]),
                "pixel_share": per_stage[s, 0] / total_pixels,
                "miou": _blank(history.get(s, {}).get("miou")),
                # without a validation set: what can be known instead (engine.no_truth)
                "inconsistency_share": _blank(history.get(s, {}).get("inconsistency_share")),
                "agreement_with_previous": _blank(history.get(s, {}).get("agreement")),
                **{name: getattr(project.stage_effort(s), name) for name in EFFORT_FIELDS},
            }
            for s in range(1, n_stages + 1)
        ]
    _replace(out / "budget_per_image.csv", lambda tmp: _write_csv(tmp, rows))
    _replace(out / "budget_per_stage.csv", lambda tmp: _write_csv(tmp, stages))
    removed = _remove_stale(out, set(written))
    manifest = {"project": str(Path(project_path).resolve()), "files": written}
    _replace(out / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1)))
    return {
        "images": len(rows),
        "labeled_images": sum(1 for r in rows if r["labeled_pixels"]),
        "out": str(out),
        "removed": removed,
        "warning": warning,
    }


def _blank(value):
    """A CSV cell: empty where nothing was measured (never a made-up number)."""
    return "" if value is None else value


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` whole or not at all: to a temporary name, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _remove_stale(out: Path, keep: set[str]) -> int:
    """Remove the label files the previous export listed and this one did not write.  Only
    names an export writes, inside ``out``, are ever removed (the manifest is not trusted)."""
    try:
        old = json.loads((out / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    removed = 0
    for name in old if isinstance(old, list) else []:
        if not isinstance(name, str) or name in keep or not name.endswith(LABEL_SUFFIXES + FOLDER_SUFFIXES):
            continue
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or "\\" in name or ":" in name:
            continue
        if name.endswith(LABEL_SUFFIXES) and rel.parts[:1] != ("gtFine",):
            continue
        target = out.joinpath(*rel.parts)
        if os.path.isfile(target) or os.path.islink(target):
            os.unlink(target)  # a link itself, never what it points to
            removed += 1
            folder = target.parent
            while folder != out and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
    return removed


def _write_csv(path: Path, rows: list[dict]) -> None:
    if not rows:
        path.write_text("")
        return
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
