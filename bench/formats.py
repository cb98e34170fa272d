"""Export and import speed per label format (goal: <= 20 ms per image).

A project of N small images (default 3,000 of 128x256, about 40 % of the pixels labelled in
five classes) is exported in each format, and each import format's export (for labelme, JSON
files of the same rectangles written here) is imported into a fresh project of the same
images (``labor import``'s code path, stage 0).  Prints the
wall time per image of each step, measured in one run on this machine; on a machine that
other jobs share, the figures are upper bounds.
Run: .venv/bin/python bench/formats.py [--images 3000] [--size 128x256]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from labor_desktop.engine.projects.export import export_project
from labor_desktop.engine.projects.formats import EXPORT_FORMATS, IMPORT_FORMATS
from labor_desktop.engine.projects.formats.importing import import_labels
from labor_desktop.store import ImageEntry, Project, ProjectSettings

CLASSES = ["road", "car", "tree", "sky", "person"]
COLORS = [[128, 64, 128], [0, 0, 142], [107, 142, 35], [70, 130, 180], [220, 20, 60]]


def labels(h: int, w: int, seed: int) -> np.ndarray:
    lab = np.full((h, w), 255, np.uint8)
    for y, x, rh, rw, k in rectangles(h, w, seed):  # rectangles of classes: a partial, blocky labelling
        lab[y : y + rh, x : x + rw] = k
    return lab


def rectangles(h: int, w: int, seed: int) -> list[tuple[int, int, int, int, int]]:
    """The rectangles of ``labels`` as (y, x, height, width, class), drawn from the same seed."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(6):
        y, x = int(rng.integers(0, h - 8)), int(rng.integers(0, w - 8))
        rh, rw, k = int(rng.integers(8, h // 2)), int(rng.integers(8, w // 2)), int(rng.integers(0, len(CLASSES)))
        out.append((y, x, min(rh, h - y), min(rw, w - x), k))
    return out


def write_labelme(folder: Path, n: int, h: int, w: int) -> None:
    """labelme JSON files of the same labelling: one rectangle shape per rectangle, in order
    (labelme and the importer draw later shapes over earlier ones)."""
    folder.mkdir(parents=True)
    for i in range(n):
        shapes = [
            {"label": CLASSES[k], "points": [[x, y], [x + rw, y + rh]], "shape_type": "rectangle"}
            for y, x, rh, rw, k in rectangles(h, w, i)
        ]
        doc = {"imagePath": f"img{i:05d}.png", "imageHeight": h, "imageWidth": w, "shapes": shapes}
        (folder / f"img{i:05d}.json").write_text(json.dumps(doc))


def make(path: Path, n: int, h: int, w: int, labelled: bool) -> None:
    images = [ImageEntry(f"images/img{i:05d}.png", h, w) for i in range(n)]
    with Project.create(path, ProjectSettings(classes=CLASSES, colors=COLORS, stages=1), images) as p:
        if labelled:
            for i in range(n):
                p.save_labels(i, labels(h, w, i), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--size", default="128x256", help="HxW")
    args = ap.parse_args()
    h, w = (int(v) for v in args.size.split("x"))
    n = args.images
    root = Path(tempfile.mkdtemp(prefix="labor-bench-formats-"))
    try:
        src = root / "src.labor.h5"
        t = time.perf_counter()
        make(src, n, h, w, labelled=True)
        print(f"{n} images of {w}x{h}, set up in {time.perf_counter() - t:.1f} s")
        for fmt in EXPORT_FORMATS:
            t = time.perf_counter()
            export_project(src, root / fmt, fmt=fmt)
            dt = time.perf_counter() - t
            print(f"export {fmt:<10} {1000 * dt / n:7.2f} ms per image ({dt:.1f} s)")
        write_labelme(root / "labelme", n, h, w)  # nothing in the project writes labelme files
        for fmt in IMPORT_FORMATS:
            dst = root / f"dst-{fmt}.labor.h5"
            make(dst, n, h, w, labelled=False)
            with Project.open(dst) as p, contextlib.redirect_stdout(io.StringIO()):
                t = time.perf_counter()
                plan = import_labels(p, root / fmt, fmt)
                dt = time.perf_counter() - t
            print(f"import {fmt:<10} {1000 * dt / n:7.2f} ms per image ({dt:.1f} s, {plan.written_images} images)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
