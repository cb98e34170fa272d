"""How much of the demo's jump from UDA to any labeled strategy is BatchNorm?

The demo's small model trains its BN statistics (no ImageNet weights offline), and
every retraining runs in train mode on target images, so its running statistics
move to the target domain whatever the labels.  This measures that effect alone:
the warm-up model evaluated as is, and after re-estimating BN statistics on the
target pool (forward passes in train mode, no gradient step, no label).

    .venv/bin/python bench/bn_adaptation.py runs/demo/compare [--data runs/demo/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from labor_desktop.core.checkpoint import load_model
from labor_desktop.engine.config import preset
from labor_desktop.engine.jobs.training import batches, evaluate
from labor_desktop.engine.projects.experiment_data import ExperimentData


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", help="compare folder with shared/checkpoints/warmup.pt")
    ap.add_argument("--data", help="demo data (default: RUN/../data)")
    ap.add_argument("--batches", type=int, default=50)
    args = ap.parse_args()
    run = Path(args.run)
    cfg = preset("demo")
    data = ExperimentData.find(cfg.data, args.data or run.parent / "data")
    model = load_model(run / "shared" / "checkpoints" / "warmup.pt", cfg.model)
    before = evaluate(model, data.val_set(), torch.device("cpu")).miou()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over all batches
    model.train()
    stream = batches(data.target_images_set(0), 4, 0)
    with torch.no_grad():
        for _ in range(args.batches):
            model(next(stream)[0])
    after = evaluate(model, data.val_set(), torch.device("cpu")).miou()
    print(f"warm-up model, source BN statistics: {100 * before:.1f} mIoU")
    print(f"same weights, BN statistics re-estimated on {args.batches * 4} target crops: {100 * after:.1f} mIoU")


if __name__ == "__main__":
    main()
