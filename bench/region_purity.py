"""What each region ranking asks for at stage 1 of a finished comparison (issue 24): the
regions' share of the pool, their label noise under the one-class-per-region annotator
(pixels whose region's majority truth is not theirs) and the main model's predicted purity,
for ``regions``, ``regions-pure`` at several ``[budget] region_purity`` floors, two rankings
set aside (SPL's capped mask x purity; mean head discrepancy x purity) and RAND-regions, at
PPL's measured clicks per image.

Stage 1 starts every strategy of a comparison from the same warm-up model with the same
selector (seeded by the job's name), so PPL's ``selector-1`` checkpoint gives exactly the
heads every selector strategy ranks with at stage 1; the annotator's answers come from the
ground truth, as in the runs.  No training: about a minute on one core.

    PYTHONPATH=. python bench/region_purity.py RUNS/photo/compare/seed-0 RUNS/photo/data --seed 0
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from labor_desktop.core.checkpoint import load_model
from labor_desktop.core.regions import majority_labels, noise_counts, predicted_purity, rank_pure_regions
from labor_desktop.core.selection import cap_mask, inconsistency_mask
from labor_desktop.core.strategies import propose
from labor_desktop.data.datasets import EvalSet
from labor_desktop.data.readers import Sample, read_sample_label
from labor_desktop.engine.config import load_config
from labor_desktop.engine.jobs.proposals import image_superpixels
from labor_desktop.engine.jobs.runtime import Runtime, seed_job
from labor_desktop.engine.jobs.selector_job import load_selector
from labor_desktop.engine.jobs.training import predict_probs
from labor_desktop.engine.projects.experiment_data import ExperimentData

FLOORS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9)


def _disc(heads):
    return (heads[0].softmax(0) - heads[1].softmax(0)).abs().mean(0)


def _capped_mask_pure(sp, probs, heads, budget):
    """SPL's capped mask (1 % of the pixels, the most discrepant) x purity: the first design,
    set aside (its regions straddle classes nearly as much as ``regions``')."""
    capped = cap_mask(inconsistency_mask(*heads), heads[0], heads[1], 0.01, "top", None)
    return rank_pure_regions(sp, capped, probs.argmax(0), budget.points, _disc(heads), min_purity=budget.region_purity)


def _disc_x_purity(sp, probs, heads, budget):
    """Mean head discrepancy x purity, every region (floor first)."""
    r = int(sp.max()) + 1
    sizes = torch.bincount(sp.flatten(), minlength=r).double()
    disc = torch.bincount(sp.flatten(), weights=_disc(heads).flatten().double(), minlength=r) / sizes
    purity = predicted_purity(sp, probs.argmax(0))[0]
    score = disc * purity + (purity >= budget.region_purity).double()  # disc*purity < 1: the floor first
    return torch.sort(score, descending=True, stable=True).indices[: budget.points]


EXPLORED = {"capped-mask-pure": _capped_mask_pure, "disc-x-purity": _disc_x_purity}


def warm_up_run(folder: Path, data_dir: str, seed: int):
    """(config, data, CPU runtime, warm-up model) of a finished seed folder of `labor demo`,
    on one thread (the benches that read such a folder share this)."""
    torch.set_num_threads(1)
    cfg = load_config(None, base="demo", seed=seed)
    data = ExperimentData.find(cfg.data, data_dir)
    rt = Runtime.create("cpu", amp=False, channels_last=False)
    ledger = json.loads((folder / "shared" / "state.json").read_text())["jobs"]
    return cfg, data, rt, load_model(ledger["warmup"]["result"]["checkpoint"], cfg.model).eval()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("compare", help="a finished seed folder of `labor demo` (holds shared/ and ppl/)")
    ap.add_argument("data", help="the demo data folder it ran on")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--json", help="write the table here too")
    args = ap.parse_args()
    folder = Path(args.compare)
    cfg, data, rt, model = warm_up_run(folder, args.data, args.seed)
    ppl = json.loads((folder / "ppl" / "state.json").read_text())["jobs"]
    selector = load_selector(
        model, cfg.selector, seed_job(cfg.seed, "selector-1"), Path(ppl["selector-1"]["result"]["checkpoint"])
    )
    counts = []  # PPL's stage-1 points per image, recomputed (its project may still be written to)
    names = ["regions", *(f"regions-pure@{f}" for f in FLOORS), "rand-regions"]
    names += [f"capped-mask-pure@{f}" for f in FLOORS] + [f"disc-x-purity@{f}" for f in FLOORS]
    totals = {n: np.zeros(4) for n in names}  # asked pixels, labelled, wrong, predicted-pure pixels
    pool_pixels = 0
    pool = EvalSet([Sample(s.name, s.image) for s in data.target], cfg.data.input_size)
    with torch.no_grad():
        for i, sample in enumerate(data.target):
            image, _, _ = pool[i]
            truth = read_sample_label(sample)
            size = truth.shape
            pool_pixels += truth.size
            probs = predict_probs(model, image[None], size, rt)[0]
            heads = [
                F.interpolate(h.float(), size=size, mode="bilinear", align_corners=False)[0]
                for h in selector(rt.images(image[None]))
            ]
            sp_np = image_superpixels(sample.image, cfg.budget.region_size, size)
            sp = torch.from_numpy(sp_np.astype(np.int64))
            purity = predicted_purity(sp, probs.argmax(0))[0]
            kw = {"mask_share": cfg.selector.target_share, "cap_pick": cfg.selector.cap_pick}
            counts.append(len(propose("ppl", probs, heads=(heads[0], heads[1]), budget=cfg.budget, **kw).points))
            for name in names:
                strategy, _, floor = name.partition("@")
                budget = replace(cfg.budget, points=int(counts[i]), region_purity=float(floor or 0.0))
                gen = torch.Generator().manual_seed(cfg.seed * 7919 + i)
                if strategy in EXPLORED:
                    ids = EXPLORED[strategy](sp, probs, heads, budget)
                else:
                    prop = propose(
                        strategy, probs, heads=(heads[0], heads[1]), budget=budget, generator=gen, superpixels=sp, **kw
                    )
                    ids = (
                        torch.unique(sp[prop.points[:, 0], prop.points[:, 1]])
                        if len(prop.points)
                        else torch.zeros(0, dtype=torch.long)
                    )
                answer = majority_labels(sp_np, ids.numpy(), truth)
                n, wrong = noise_counts(answer, truth, np.ones(size, bool))
                asked = np.isin(sp_np, ids.numpy())
                totals[name] += [asked.sum(), n, wrong, float((purity[ids] * torch.bincount(sp.flatten())[ids]).sum())]
    rows = []
    print(f"stage 1, {len(data.target)} pool images, {sum(counts) / len(counts):.2f} clicks/img (PPL's)")
    print("| ranking | % px asked | noise % | predicted purity % |")
    print("|---|---|---|---|")
    for name in names:
        asked, n, wrong, pure = totals[name]
        row = {
            "ranking": name,
            "px": 100 * asked / pool_pixels,
            "noise": 100 * wrong / max(n, 1),
            "purity": 100 * pure / max(asked, 1),
        }
        rows.append(row)
        print(f"| {name} | {row['px']:.2f} | {row['noise']:.1f} | {row['purity']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
