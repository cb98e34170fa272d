"""Project store speed and size (goals: save <= 20 ms, open of 3,000 images < 1 s).

Prints, measured in one run on this machine:
  * the median time of ``save_labels`` for one 1024x2048 image with about 2 % of its
    pixels labeled in SPL-like thin regions along class boundaries (acknowledged = on disk);
  * the file size per labeled image after compaction;
  * the time to open a 3,000-image project (labels in the file and in the journal).
Run: .venv/bin/python bench/store.py [--images 3000] [--labeled 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from labor_desktop.store import ImageEntry, Project, ProjectSettings

H, W = 1024, 2048


def spl_like_labels(seed: int) -> np.ndarray:
    """About 2 % of the pixels, in thin bands along smooth region boundaries, with region classes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    a, b, c = rng.uniform(60, 120, 3)
    field = np.sin(xx / a + seed) + np.cos(yy / b) + 0.3 * np.sin((xx + yy) / c)
    band = np.abs(field) < 0.028
    lab = np.full((H, W), 255, np.uint8)
    lab[band] = ((xx[band] // 200 + yy[band] // 150 + seed) % 19).astype(np.uint8)
    return lab


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--labeled", type=int, default=200)
    ap.add_argument("--saves", type=int, default=30)
    args = ap.parse_args()
    settings = ProjectSettings(classes=[str(i) for i in range(19)])
    labels = [spl_like_labels(s) for s in range(8)]
    print(f"labeled share of the test maps: {100 * np.mean([(l != 255).mean() for l in labels]):.2f} %")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.labor.h5"
        images = [ImageEntry(f"leftImg8bit/train/c/c_{i:06d}_000019_leftImg8bit.png", H, W) for i in range(args.images)]
        p = Project.create(path, settings, images)
        empty_size = os.path.getsize(path)
        times = []
        for k in range(args.saves):
            t = time.perf_counter()
            p.save_labels(k % args.images, labels[k % len(labels)], 1)
            times.append(time.perf_counter() - t)
        print(
            f"save_labels, 1024x2048, ~2 % labeled: median {1000 * statistics.median(times):.1f} ms "
            f"(min {1000 * min(times):.1f}, max {1000 * max(times):.1f}) over {args.saves} saves (goal <= 20 ms)"
        )
        for k in range(args.saves, args.labeled):
            p.save_labels(k, labels[k % len(labels)], 1 + k % 3)
        t = time.perf_counter()
        p.compact()
        compact_s = time.perf_counter() - t
        size = os.path.getsize(path)
        print(
            f"file size per labeled image after compaction: {(size - empty_size) / args.labeled / 1000:.1f} KB "
            f"(goal <= 50 KB); compaction of {args.labeled} labeled images took {compact_s:.2f} s"
        )
        for k in range(20):  # some saves left in the journal, as after a crash
            p.save_labels(args.labeled + k, labels[k % len(labels)], 2)
        p.close(compact=False)
        opens = []
        for _ in range(5):
            t = time.perf_counter()
            q = Project.open(path)
            opens.append(time.perf_counter() - t)
            q.close(compact=False)
        print(
            f"open a {args.images}-image project ({args.labeled} labeled in the file, 20 in the journal): "
            f"median {1000 * statistics.median(opens):.0f} ms (goal < 1 s)"
        )


if __name__ == "__main__":
    main()
