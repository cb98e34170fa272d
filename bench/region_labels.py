"""What the region strategies of a finished comparison labelled (issue 24): over the pool, after
the last stage, the pixels labelled, the share of them labelled wrong (the one-class answer),
the share that *corrects* the warm-up model (labelled right where the warm-up model predicted
another class) and how many classes the right labels cover.  Reads the projects and the
ground truth; one forward pass of the warm-up model per pool image.

    PYTHONPATH=. python bench/region_labels.py RUNS/photo/compare/seed-0 RUNS/photo/data --seed 0
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from region_purity import warm_up_run  # bench/ is the script's folder

from labor_desktop.data.datasets import EvalSet
from labor_desktop.data.readers import Sample, read_sample_label
from labor_desktop.engine.jobs.training import predict_probs
from labor_desktop.store import UNLABELED, Project

STRATEGIES = ("regions", "regions-pure", "rand-regions", "ppl", "spl")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("compare", help="a finished seed folder of `labor demo`")
    ap.add_argument("data", help="the demo data folder it ran on")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument(
        "--strategies",
        nargs="+",
        default=list(STRATEGIES),
        help="finished runs only (a project being written is locked)",
    )
    args = ap.parse_args()
    folder = Path(args.compare)
    cfg, data, rt, model = warm_up_run(folder, args.data, args.seed)
    names = [n for n in args.strategies if (folder / n / "project.labor.h5").exists()]
    projects = {n: Project.open(folder / n / "project.labor.h5", read_only=True) for n in names}
    k = cfg.model.num_classes
    stats = {n: {"labelled": 0, "wrong": 0, "corrects": 0, "classes": np.zeros(k, np.int64)} for n in names}
    pool = EvalSet([Sample(s.name, s.image) for s in data.target], cfg.data.input_size)
    pixels = 0
    with torch.no_grad():
        for i, sample in enumerate(data.target):
            truth = read_sample_label(sample)
            pixels += truth.size
            pred = predict_probs(model, pool[i][0][None], truth.shape, rt)[0].argmax(0).numpy()
            for n, p in projects.items():
                labels = p.labels(i)[0]
                given = (labels != UNLABELED) & (truth != UNLABELED)
                right = given & (labels == truth)
                s = stats[n]
                s["labelled"] += int(given.sum())
                s["wrong"] += int((given & ~right).sum())
                s["corrects"] += int((right & (pred != truth)).sum())
                s["classes"] += np.bincount(truth[right], minlength=k)[:k]
    for p in projects.values():
        p.close()
    print("| strategy | % px labelled | wrong % of labelled | corrections % of labelled | classes (>= 0.05 % px) |")
    print("|---|---|---|---|---|")
    for n, s in stats.items():
        lab = max(s["labelled"], 1)
        covered = int((s["classes"] >= 0.0005 * pixels).sum())
        print(
            f"| {n} | {100 * s['labelled'] / pixels:.1f} | {100 * s['wrong'] / lab:.1f} | "
            f"{100 * s['corrects'] / lab:.1f} | {covered} |"
        )


if __name__ == "__main__":
    main()
