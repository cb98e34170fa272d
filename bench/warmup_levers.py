"""Which warm-up levers make the UDA model a real starting point (issue 23)?

Each variant is the ``demo`` preset with its issue-23 levers off (``base``: no photometric
augmentation, no AdaBN) and some switched back on or changed, or (``preset+LEVER``) the
preset as it is with one lever changed; it runs the shared warm start (source pre-training,
adversarial warm-up, evaluation) into its own folder and prints UDA's mIoU on the target
validation set, before and after another AdaBN.  Variants run one after another in this
process (one thread), so their numbers compare side by side; variants with the same
pre-training settings share one pre-trained model.  docs/results.md's lever table:

    .venv/bin/python bench/warmup_levers.py --data runs/exp/photo --out runs/exp/levers-photo \
        --variants preset preset+adv0 preset+adv-strong preset+adv-long preset+rcs preset+long \
        > docs/runs/levers/lev-photo-0.log
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import torch

from labor_desktop.core.checkpoint import load_model
from labor_desktop.engine.config import merge, preset
from labor_desktop.engine.jobs.adaptation import adapt_batchnorm
from labor_desktop.engine.jobs.runtime import Runtime
from labor_desktop.engine.jobs.training import evaluate
from labor_desktop.engine.projects.experiment_data import ExperimentData
from labor_desktop.engine.run_jobs import Context
from labor_desktop.engine.warm_start import warm_start

OFF = {"data": {"source_augment": "none", "source_sampling": "uniform"}, "warmup": {"adabn_batches": 0}}
LEVERS: dict[str, dict] = {
    "base": {},
    "photometric": {"data": {"source_augment": "photometric"}},
    "rcs": {"data": {"source_sampling": "rare-class"}},
    "uniform": {"data": {"source_sampling": "uniform"}},
    "long": {"pretrain": {"steps": 800}},
    "adv0": {"warmup": {"adv_weight": 0.0}},
    "adv-strong": {"warmup": {"adv_weight": 0.05}},
    "adv-long": {"warmup": {"steps": 160}},
}


def variant(name: str) -> dict:
    """``a+b``: the union of levers ``a`` and ``b`` on ``base`` (``adabn`` is measured on every
    variant); ``preset+a``: lever ``a`` on the ``demo`` preset as it is (photometric, AdaBN)."""
    parts = name.split("+")
    merged: dict = {} if parts[0] == "preset" else {k: dict(v) for k, v in OFF.items()}
    for part in parts:
        if part in ("adabn", "preset"):
            continue
        for section, values in LEVERS[part].items():
            merged.setdefault(section, {}).update(values)
    return merged


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variants", nargs="+", default=["base", "photometric"])
    ap.add_argument("--adabn-batches", type=int, default=30)
    ap.add_argument(
        "--pretrained",
        help="a source-only checkpoint made with the variant's pre-training settings ({seed} allowed): "
        "pre-training sees no target image, so a run of another domain or of the full preset can lend it",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    rt = Runtime.create("cpu", amp=False, channels_last=False)
    rows = []
    pretrained: dict[str, str] = {}  # a variant's pre-training settings -> its checkpoint
    for name in args.variants:
        cfg = merge(preset("demo"), {**variant(name), "seed": args.seed})
        data = ExperimentData.find(cfg.data, args.data)
        began = time.perf_counter()
        d = cfg.data
        key = repr((cfg.pretrain, d.source_augment, d.photometric, d.source_sampling, d.rare_class_temperature))
        ctx = Context(cfg, data, rt, pretrained=pretrained.get(key, args.pretrained))
        warm = warm_start(Path(args.out) / name / f"seed-{args.seed}", ctx)
        own = Path(args.out) / name / f"seed-{args.seed}" / "checkpoints" / "pretrain.pt"
        pretrained.setdefault(key, args.pretrained or str(own))
        seconds = time.perf_counter() - began
        model = load_model(warm["checkpoint"], cfg.model)
        adapted = copy.deepcopy(model)
        adapt_batchnorm(adapted, data.target_images_set(args.seed + 1), args.adabn_batches, 4, args.seed, rt)
        after = evaluate(adapted, data.val_set(), runtime=rt).miou()
        row = {"variant": name, "uda": warm["evaluation"]["miou"], "uda_adabn": after, "seconds": seconds}
        rows.append(row)
        print(json.dumps(row), flush=True)
        (Path(args.out) / name / f"seed-{args.seed}" / "lever.json").write_text(json.dumps(row, indent=1))
    print(f"{'variant':24s} {'UDA':>6s} {'+AdaBN':>7s} {'s':>6s}")
    for r in rows:
        print(f"{r['variant']:24s} {100 * r['uda']:6.1f} {100 * r['uda_adabn']:7.1f} {r['seconds']:6.0f}")


if __name__ == "__main__":
    main()
