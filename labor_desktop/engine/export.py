"""``labor export``: a project's labels as Cityscapes ``*_gtFine_labelTrainIds.png``
(255 = unlabeled) and colour PNGs, and CSVs of the budget and effort per image and
per stage.  Reads the project read-only, so it also works while the application
has it open."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..data.classes import CLASS_COLORS
from ..data.io import write_png
from ..store import UNLABELED, Project
from ..store.schema import EFFORT_FIELDS

SUFFIXES = ("_leftImg8bit", "_gtFine_labelIds", "_gtFine_labelTrainIds")


def export_name(image_path: str) -> str:
    """``aachen_000000_000019`` from ``.../aachen_000000_000019_leftImg8bit.png``."""
    stem = Path(image_path).stem
    for suffix in SUFFIXES:
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def export_project(
    project_path: str | Path, out_dir: str | Path, progress: Callable[[int, int], None] | None = None
) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    progress = progress or (lambda step, total: None)
    with Project.open(project_path, read_only=True) as project:
        colors = np.array(project.settings.colors or CLASS_COLORS.tolist(), np.uint8)
        lut = np.zeros((256, 3), np.uint8)
        lut[: len(colors)] = colors
        n_stages = max([project.settings.stages, *[h["stage"] for h in project.history()]], default=0)
        per_stage = np.zeros((n_stages + 1, 2), np.int64)  # pixels, images
        rows, labeled = [], set(project.labeled_images())
        for i, entry in enumerate(project.images):
            labels, stage = project.labels(i) if i in labeled else (None, None)
            pixels = 0 if labels is None else int((labels != UNLABELED).sum())
            row = {
                "image": i,
                "path": entry.path,
                "height": entry.height,
                "width": entry.width,
                "labeled_pixels": pixels,
                "pixel_share": pixels / (entry.height * entry.width),
            }
            counts = (
                np.bincount(stage[labels != UNLABELED], minlength=n_stages + 1)
                if pixels
                else np.zeros(n_stages + 1, np.int64)
            )
            for s in range(1, n_stages + 1):
                row[f"stage{s}_pixels"] = int(counts[s]) if s < len(counts) else 0
            for s in range(len(counts)):
                if s <= n_stages and counts[s]:
                    per_stage[s] += (counts[s], 1)
            effort = project.effort(i)
            row.update({name: getattr(effort, name) for name in EFFORT_FIELDS})
            rows.append(row)
            if pixels:
                name = export_name(entry.path)
                write_png(out / f"{name}_gtFine_labelTrainIds.png", labels)
                write_png(out / f"{name}_gtFine_color.png", lut[labels], rgb=True)
            progress(i + 1, len(project.images))
        total_pixels = sum(e.height * e.width for e in project.images) or 1
        history = {h["stage"]: h for h in project.history()}
        stages = [
            {
                "stage": s,
                "images_labeled": int(per_stage[s, 1]),
                "labeled_pixels": int(per_stage[s, 0]),
                "pixel_share": per_stage[s, 0] / total_pixels,
                "miou": history.get(s, {}).get("miou", ""),
                **{name: getattr(project.stage_effort(s), name) for name in EFFORT_FIELDS},
            }
            for s in range(1, n_stages + 1)
        ]
    _write_csv(out / "budget_per_image.csv", rows)
    _write_csv(out / "budget_per_stage.csv", stages)
    return {"images": len(rows), "labeled_images": sum(1 for r in rows if r["labeled_pixels"]), "out": str(out)}


def _write_csv(path: Path, rows: list[dict]) -> None:
    if not rows:
        path.write_text("")
        return
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
