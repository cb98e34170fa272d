"""Superpixels per image, measured side by side in one run (the machine is shared: CPU
time of this one-threaded process is printed beside the wall time, and ratios to the
chosen method).

For a 1024x2048 demo target image (with its ground truth): milliseconds per image for
OpenCV-contrib's SEEDS at a few work resolutions and settings, SLICO and LSC, and
scikit-image's slic where it is installed; each with its region count and its label
noise (the share of pixels whose region's majority class differs from theirs: the wrong
labels a one-class-per-region annotator gives), a plain grid of the same size as the floor.
Goal: at most 150 ms per image on one core.
Run: OMP_NUM_THREADS=1 .venv/bin/python bench/superpixels.py [--repeat N] [--region-size PX]
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from labor_desktop.core.superpixels import superpixels
from labor_desktop.data.demo_generator import make_image


def noise(sp: np.ndarray, truth: np.ndarray) -> float:
    valid = truth != 255
    r = int(sp.max()) + 1
    hist = np.bincount(sp[valid].astype(np.int64) * 256 + truth[valid], minlength=r * 256).reshape(r, 256)
    return 1 - hist.max(1).sum() / valid.sum()


def at_scale(fn, image, scale):
    h, w = image.shape[:2]
    small = cv2.resize(image, (w // scale, h // scale), interpolation=cv2.INTER_AREA) if scale > 1 else image
    labels = fn(small).astype(np.int32)
    return cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST) if scale > 1 else labels


def seeds(levels, iterations, side):
    def run(im):
        h, w = im.shape[:2]
        s = cv2.ximgproc.createSuperpixelSEEDS(w, h, 3, round(h * w / side**2), levels, 2, 5, False)
        s.iterate(cv2.cvtColor(im, cv2.COLOR_RGB2Lab), iterations)
        return s.getLabels()

    return run


def slico(side):
    def run(im):
        s = cv2.ximgproc.createSuperpixelSLIC(cv2.cvtColor(im, cv2.COLOR_RGB2Lab), cv2.ximgproc.SLICO, side, 10.0)
        s.iterate(5)
        s.enforceLabelConnectivity(25)
        return s.getLabels()

    return run


def lsc(side):
    def run(im):
        s = cv2.ximgproc.createSuperpixelLSC(cv2.cvtColor(im, cv2.COLOR_RGB2Lab), side)
        s.iterate(5)
        s.enforceLabelConnectivity()
        return s.getLabels()

    return run


def grid(side):
    def run(im):
        h, w = im.shape[:2]
        ys, xs = np.arange(h) // side, np.arange(w) // side
        return ys[:, None] * (-(-w // side)) + xs[None, :]

    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--region-size", type=int, default=32)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    image, truth = make_image("target", "train", 0, (1024, 2048), 0)[:2]
    rs = args.region_size
    methods = {"chosen: core.superpixels": lambda im: superpixels(im, rs)}
    for scale in (1, 2, 4):
        for levels, iters in ((4, 2), (3, 2), (2, 2)):
            methods[f"SEEDS 1/{scale} levels {levels} iter {iters}"] = lambda im, s=scale, lv=levels, it=iters: (
                at_scale(seeds(lv, it, rs / s), im, s)
            )
    methods["SLICO 1/2"] = lambda im: at_scale(slico(rs // 2), im, 2)
    methods["SLICO 1/4"] = lambda im: at_scale(slico(rs // 4), im, 4)
    methods["LSC 1/4"] = lambda im: at_scale(lsc(rs // 4), im, 4)
    try:
        from skimage.segmentation import slic

        n = 1024 * 2048 // rs**2
        methods["skimage slic 1/4"] = lambda im: at_scale(
            lambda s: slic(s, n_segments=n, compactness=10, start_label=0), im, 4
        )
    except ImportError:
        print("(scikit-image not installed: its slic not measured)")
    methods["grid (floor)"] = lambda im: grid(rs)(im)
    rows = []
    for name, fn in methods.items():
        fn(image)
        wall, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            sp = fn(image)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        rows.append((name, 1000 * min(wall), 1000 * min(cpu), int(sp.max()) + 1, 100 * noise(sp, truth)))
    base = rows[0][2]
    print(f"1024x2048, region size {rs} px, best of {args.repeat}, one thread")
    print(f"{'method':34s} {'wall ms':>8s} {'cpu ms':>8s} {'x chosen':>8s} {'regions':>8s} {'noise %':>8s}")
    for name, w, c, r, nz in rows:
        print(f"{name:34s} {w:8.0f} {c:8.0f} {c / base:8.2f} {r:8d} {nz:8.2f}")


if __name__ == "__main__":
    main()
