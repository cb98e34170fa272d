"""Demo-data generation speed on one core (goal: at least 20 images/s at 256x512).

Measures, per domain, painting alone and painting plus writing the two PNGs, in one run.
Run: taskset -c 0 .venv/bin/python bench/demo_data.py [--size 256x512] [--n 60]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2

from labor_desktop.data.demo_generator import make_image
from labor_desktop.data.io import write_png


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="256x512")
    ap.add_argument("--n", type=int, default=60)
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    cv2.setNumThreads(1)
    print(f"size {size[0]}x{size[1]}, {args.n} images per domain, OpenCV threads {cv2.getNumThreads()}")
    with tempfile.TemporaryDirectory() as tmp:
        for domain in ("source", "target"):
            make_image(domain, "train", 0, size, 0)  # warm caches
            t = time.perf_counter()
            for i in range(args.n):
                make_image(domain, "train", i, size, 0)
            paint = args.n / (time.perf_counter() - t)
            t = time.perf_counter()
            for i in range(args.n):
                img, lab = make_image(domain, "train", i, size, 0)
                write_png(Path(tmp) / f"{domain}{i}.png", img, rgb=True)
                write_png(Path(tmp) / f"{domain}{i}_label.png", lab)
            full = args.n / (time.perf_counter() - t)
            print(f"{domain:<7} paint {paint:6.1f} img/s   paint + write PNGs {full:6.1f} img/s   (goal >= 20)")


if __name__ == "__main__":
    main()
