"""The demo data's domain gap, measured: the same small DeepLab-v2, trained the
same way, once on the source domain only and once on the target's labels, both
evaluated on the target validation set.  A real gap is what makes the demo a
domain-adaptation benchmark (the issue asks for at least 15 mIoU points).

Run: .venv/bin/python bench/domain_gap.py [--data DIR] [--steps 500] [--json OUT]
Without --data it generates the default demo data into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict

import torch
from tqdm import tqdm

from labor_desktop.core.model import DeepLabV2, ModelConfig
from labor_desktop.data.classes import CLASS_NAMES
from labor_desktop.data.datasets import EvalSet, TrainAugment, TrainSet
from labor_desktop.data.demo_generator import DemoDataConfig, generate_demo_data
from labor_desktop.data.readers import cityscapes_samples, gta5_samples
from labor_desktop.engine.jobs.training import TrainConfig, evaluate, train_supervised


def run(data: str, args) -> dict:
    size = tuple(int(v) for v in args.crop.split("x"))
    augment = TrainAugment(crop=size, scale=(0.75, 1.5), flip=True)
    cfg = TrainConfig(steps=args.steps, batch_size=args.batch, lr=args.lr, seed=args.seed)
    val = EvalSet(cityscapes_samples(f"{data}/target", "val", require_labels=True))
    sets = {
        "source-only": TrainSet(gta5_samples(f"{data}/source"), augment, seed=args.seed),
        "target-supervised": TrainSet(
            cityscapes_samples(f"{data}/target", "train", require_labels=True), augment, seed=args.seed
        ),
    }
    results = {"train_config": asdict(cfg), "crop": size, "backbone": args.backbone, "runs": {}}
    for name, ds in sets.items():
        torch.manual_seed(args.seed)
        model = DeepLabV2(ModelConfig(backbone=args.backbone, freeze_bn=False))
        bar = tqdm(total=cfg.steps, desc=f"{name:<18}", unit="step")

        def progress(job, step, total, info, bar=bar):
            bar.set_postfix(loss=f"{info['loss']:.3f}", refresh=False)
            bar.update(step - bar.n)

        t = time.perf_counter()
        train_supervised(model, ds, cfg, torch.device("cpu"), progress)
        bar.close()
        cm = evaluate(model, val, torch.device("cpu"))
        results["runs"][name] = {
            "miou": cm.miou(),
            "iou": dict(zip(CLASS_NAMES, cm.iou().tolist())),
            "train_images": len(ds),
            "seconds": time.perf_counter() - t,
        }
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="demo data folder (default: generate the default set)")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--crop", default="128x256", help="training crop HxW")
    ap.add_argument("--backbone", default="resnet18")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = tmp
            print(f"generating the default demo data ({DemoDataConfig()}) ...")
            generate_demo_data(data, DemoDataConfig(seed=args.seed))
        results = run(data, args)
    src, tgt = results["runs"]["source-only"], results["runs"]["target-supervised"]
    print(f"\n{'class':<14} {'source-only':>12} {'target-sup.':>12}")
    for c in CLASS_NAMES:
        print(f"{c:<14} {100 * src['iou'][c]:12.1f} {100 * tgt['iou'][c]:12.1f}")
    print(f"{'mIoU':<14} {100 * src['miou']:12.1f} {100 * tgt['miou']:12.1f}")
    print(f"gap: {100 * (tgt['miou'] - src['miou']):.1f} mIoU points (goal >= 15)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    sys.exit(0)


if __name__ == "__main__":
    main()
