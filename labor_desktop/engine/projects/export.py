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
folder removes the files it listed that are no longer labelled (and nothing else).

Nothing outside the export folder is ever written or removed: temporaries are new files
(``safe_files``), links inside the export tree are refused (never followed), the
clean-up removes only regular files under the real folder, and a non-empty folder that
is not an earlier export of this project is refused unless ``replace`` is asked for."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np

from ...data.classes import CLASS_COLORS
from ...data.folders import LABEL_COLOR_SUFFIX, LABEL_SUFFIX
from ...data.io import encode_png
from ...safe_files import write_bytes_atomically
from ...store import UNLABELED, Project
from ...store.files import _reason
from ...store.schema import EFFORT_FIELDS
from .folder_data import checked_table

SUFFIXES = ("_leftImg8bit", "_gtFine_labelIds", "_gtFine_labelTrainIds")


def export_name(image_path: str) -> str:
    """``aachen_000000_000019`` from ``.../aachen_000000_000019_leftImg8bit.png``."""
    stem = Path(image_path).stem
    for suffix in SUFFIXES:
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


class ExportError(ValueError):
    """An export folder that cannot be used as asked; the message names it and what to do."""


class NotAnExportFolder(ExportError):
    """A non-empty folder that is not an earlier export of this project (``replace`` writes into it)."""


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
    project_path: str | Path,
    out_dir: str | Path,
    progress: Callable[[int, int], None] | None = None,
    replace: bool = False,
    fmt: str = "cityscapes",
) -> dict:
    """Export into ``out_dir``: an empty or new folder, an earlier export of this project,
    or (``replace``) any folder, whose same-named files are then written over.  ``fmt``:
    ``cityscapes`` (above), or ``mask-png``, ``coco``, ``points`` (``formats.writers``)."""
    from .formats.writers import format_writer  # (the formats import this module's helpers)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _check_folder(out, Path(project_path), replace)
    progress = progress or (lambda step, total: None)
    written: list[str] = []
    taken: set[str] = set()
    with Project.open(project_path, read_only=True) as project:
        warning = project.damage
        colors = np.array(project.settings.colors or CLASS_COLORS.tolist(), np.uint8)
        lut = np.zeros((256, 3), np.uint8)
        lut[: len(colors)] = colors
        to_ids = checked_table(project).class_to_id()
        root = project.settings.target_root
        mirror = project.settings.extra.get("data", {}).get("layout") == "folder"
        suffixes = FOLDER_SUFFIXES if mirror else LABEL_SUFFIXES
        n_stages = max([project.settings.stages, *[h["stage"] for h in project.history()]], default=0)
        per_stage = np.zeros((n_stages + 1, 2), np.int64)  # pixels, images
        writer = format_writer(fmt, project, checked_table(project), colors)
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
                "label_file": (f"{stem}{suffixes[0]}" if writer is None else writer.file_of(i, stem)) if pixels else "",
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
            row["prior_pixels"] = int(counts[0])  # imported (stage 0); the column only when there are any
            for s in range(1, n_stages + 1):
                row[f"stage{s}_pixels"] = int(counts[s]) if s < len(counts) else 0
            for s in range(len(counts)):
                if s <= n_stages and counts[s]:
                    per_stage[s] += (counts[s], 1)
            effort = project.effort(i)
            row.update({name: getattr(effort, name) for name in EFFORT_FIELDS})
            rows.append(row)
            if pixels and writer is not None:
                assert labels is not None and stage is not None  # pixels only on a labeled image
                for name, data in writer.add(i, stem, labels, stage):
                    _write(out, name, data)
                    written.append(name)
            elif pixels:
                assert labels is not None  # pixels only on a labeled image
                for suffix, array, rgb in ((suffixes[0], to_ids[labels], False), (suffixes[1], lut[labels], True)):
                    _write(out, f"{stem}{suffix}", encode_png(array, rgb))
                    written.append(f"{stem}{suffix}")
            progress(i + 1, len(project.images))
        for name, data in writer.finish() if writer is not None else []:
            _write(out, name, data)
            written.append(name)
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
            for s in range(0 if per_stage[0, 0] else 1, n_stages + 1)
        ]
        if not per_stage[0, 0]:
            for row in rows:
                del row["prior_pixels"]
    _write(out, "budget_per_image.csv", _csv_bytes(rows))
    _write(out, "budget_per_stage.csv", _csv_bytes(stages))
    removed = _remove_stale(out, set(written))
    manifest = {"project": str(Path(project_path).resolve()), "format": fmt, "files": written}
    _write(out, MANIFEST, json.dumps(manifest, indent=1).encode())
    return {
        "images": len(rows),
        "labeled_images": sum(1 for r in rows if r["labeled_pixels"]),
        "out": str(out),
        "removed": removed,
        "warning": warning,
        "format": fmt,
        "files": written,
    }


def _blank(value):
    """A CSV cell: empty where nothing was measured (never a made-up number)."""
    return "" if value is None else value


def _check_folder(out: Path, project_path: Path, replace: bool) -> None:
    """Refuse a non-empty folder that is not an earlier export of this project (its
    manifest names this project) unless ``replace``: a person's own files of the same
    names (``budget_per_image.csv``) are never written over without being asked."""
    if replace or not any(os.scandir(out)):
        return
    manifest = _earlier_manifest(out)
    if isinstance(manifest, dict) and manifest.get("project") == str(project_path.resolve()):
        return
    other = isinstance(manifest, dict) and isinstance(manifest.get("project"), str)
    what = "an export of another project" if other else "not an earlier export of this project"
    raise NotAnExportFolder(
        f"{out}: the folder is not empty and is {what}; choose an empty folder, "
        "or export with --replace to write over files of the same names in it"
    )


def _earlier_manifest(out: Path):
    """The folder's manifest, or None (missing, damaged, or not a regular file)."""
    try:
        if not stat.S_ISREG(os.lstat(out / MANIFEST).st_mode):
            return None
        return json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _real_folder(out: Path, parts: tuple[str, ...], make: bool) -> Path | None:
    """``out/parts``, made folder by folder when ``make``; a link (or a file) on the way
    is refused when making and None when not: the export tree's links are never followed."""
    folder = out
    for part in parts:
        folder = folder / part
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            if not make:
                return None
            os.mkdir(folder)
            continue
        if not stat.S_ISDIR(mode):  # lstat: a link to a folder is a link, not a folder
            if not make:
                return None
            raise ExportError(
                f"{folder}: is a link or a file, not a folder, inside the export folder; the export "
                "never writes through links (remove it, or export to an empty folder)"
            )
    return folder


def _write(out: Path, name: str, data: bytes) -> None:
    """Write ``out/name`` whole or not at all (safe_files), its folders made without
    following links; a failure is one line naming the file."""
    rel = PurePosixPath(name)
    folder = _real_folder(out, rel.parts[:-1], make=True)
    assert folder is not None  # made
    path = folder / rel.name
    try:
        write_bytes_atomically(path, data)
    except OSError as e:
        raise OSError(
            f"{path}: could not be written ({_reason(e)}); free space on the disk or choose another folder"
        ) from e


def _remove_stale(out: Path, keep: set[str]) -> int:
    """Remove the label files the previous export listed and this one did not write.  Only
    names an export writes, inside ``out``, are ever removed (the manifest is not trusted)."""
    manifest = _earlier_manifest(out)
    old = manifest.get("files") if isinstance(manifest, dict) else None
    removed = 0
    for name in old if isinstance(old, list) else []:
        if not isinstance(name, str) or name in keep or not _export_name(name):
            continue
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or "\\" in name or ":" in name:
            continue
        if name.endswith(LABEL_SUFFIXES) and rel.parts[:1] != ("gtFine",):
            continue
        folder = _real_folder(out, rel.parts[:-1], make=False)
        if folder is None:  # a link (or a file) on the way: never followed
            continue
        target = folder / rel.name
        try:
            if not stat.S_ISREG(os.lstat(target).st_mode):
                continue  # only regular files are removed, never a link or what it points to
        except OSError:
            continue
        os.unlink(target)
        removed += 1
        while folder != out and not any(folder.iterdir()):  # checked above: real folders
            folder.rmdir()
            folder = folder.parent
    return removed


def _export_name(name: str) -> bool:
    """A name some format's export writes (only those are ever removed)."""
    from .formats.writers import FIXED_NAMES, PER_IMAGE_FOLDER

    rel = PurePosixPath(name)
    if name.endswith(LABEL_SUFFIXES + FOLDER_SUFFIXES) or name in FIXED_NAMES:
        return True
    return rel.parts[:1] == (PER_IMAGE_FOLDER,) and len(rel.parts) > 1 and name.endswith(".png")


def _csv_bytes(rows: list[dict]) -> bytes:
    if not rows:
        return b""
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode()
