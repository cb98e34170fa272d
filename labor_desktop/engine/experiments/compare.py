"""``labor compare``: several strategies from one shared warm-up checkpoint, then
the report (tables, Fig. 5-like plot, Fig. 6-like selection figure).

Budgeted baselines are matched to LabOR's measured budget, per image and stage:
point strategies (RAND/SCONF/ENT in point mode, RIPU pixels) ask, on every image
at every stage, for as many points as PPL proposed there; pixel strategies
(RAND/SCONF/ENT in pixel mode, RIPU regions) for as many pixels as SPL's mask
held there; region strategies (``regions``, RAND-regions) for as many regions as PPL
proposed points there (a click each).  PPL and SPL run first, so "at the same cost" holds by construction
rather than by a guessed constant.  What each one then *spent* (the union of the
pixels asked for, overlap across stages counted once) is what the report plots.

``run_seeds`` repeats the whole comparison per seed (warm-up included; only the
data are shared) and reports mean ± std.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

from ...core.strategies import BASELINES, get_strategy, label_unit
from ...data.io import read_image, read_label
from ...safe_files import replace_atomically, write_text_atomically
from ...store import Project
from ..jobs.predict import predict_probs_image, selection_panels
from ..run_jobs import Context
from ..stages import StageEngine
from ..warm_start import warm_start
from .converged import NAME as CONVERGED
from .converged import converged_supervised
from .report import aggregate, write_report


def run_compare(
    ctx: Context, out: str | Path, strategies: list[str], start: str | Path | None = None, match_points: bool = True
) -> dict:
    """``strategies`` may also name the converged supervised reference
    (``supervised-converged``).  UDA (the shared warm-up model) is always reported."""
    out = Path(out)
    labeling = [name for name in strategies if name != CONVERGED]
    for name in labeling:
        get_strategy(name)
    began = time.perf_counter()
    warm = warm_start(out / "shared", ctx, start)
    order = sorted(labeling, key=lambda s: s not in REFERENCE.values()) if match_points else list(labeling)
    results: dict[str, list[dict]] = {}
    budgets: dict[str, dict] = {}
    if "uda" not in labeling:  # the warm-up model's row costs nothing: always there
        results["uda"] = [{"stage": 0, **warm["evaluation"], "budget": None}]
    if CONVERGED in strategies:
        results[CONVERGED] = converged_supervised(out / CONVERGED, ctx, warm)
    for name in order:
        cfg = ctx.cfg
        counts = None
        ref = REFERENCE.get(label_unit(name, cfg.budget)) if name in MATCHED else None
        if match_points and ref in results:
            counts = proposal_counts(out / ref / "project.labor.h5", cfg.stages, label_unit(ref, cfg.budget))
        budgets[name] = dict(cfg.budget.__dict__, matched_to=ref if counts else None)
        engine = StageEngine(out / name, replace(ctx), name, warm, counts=counts)
        results[name] = engine.run()
    if not ctx.rt.is_main:
        return {"results": results}
    figures = []
    if "spl" in results and "ppl" in results:
        figures.append(selection_figure(out / "fig6-selection.png", out, warm["checkpoint"], ctx))
    meta = {
        "strategies": ", ".join(strategies),
        "config": ctx.cfg.name,
        "seed": ctx.cfg.seed,
        "device": str(ctx.rt.device),
        "processes": ctx.rt.world,
        "pool images": len(ctx.data.target),
        "val images": len(ctx.data.val),
        "wall time": f"{(time.perf_counter() - began) / 60:.1f} min (this invocation)",
    }
    report = write_report(out, results, meta, figures)
    write_text_atomically(
        out / "results.json",
        json.dumps({"results": results, "budgets": budgets, "meta": meta, "config": ctx.cfg.to_dict()}, indent=2),
    )
    return {"results": results, "report": str(report)}


REFERENCE = {"points": "ppl", "pixels": "spl", "regions": "ppl"}  # whose measured budget a budgeted baseline gets
MATCHED = (*BASELINES, "rand-pixels", "ripu", "ripu-pixel", "regions", "regions-pure", "rand-regions")


def proposal_counts(project_path: Path, stages: int, unit: str) -> dict[int, list[int]]:
    """Per stage, per pool image: the points (``unit`` "points") or mask pixels
    ("pixels") a finished run's proposals asked for."""
    out: dict[int, list[int]] = {}
    with Project.open(project_path, read_only=True) as p:
        for s in range(1, stages + 1):
            row = []
            for i in range(len(p.images)):
                mask, points = p.proposal(s, i)
                row.append(len(points) if unit == "points" else (0 if mask is None else int(mask.sum())))
            out[s] = row
    return out


def run_seeds(
    ctx: Context,
    out: str | Path,
    strategies: list[str],
    seeds: list[int],
    start: str | Path | None = None,
    match_points: bool = True,
) -> dict:
    """The whole comparison once per seed (``out/seed-N``, each a full run with its
    own pre-training and warm-up; only the data are shared), then one report of
    mean ± std over the seeds (``out/report.md``)."""
    out = Path(out)
    began = time.perf_counter()
    per_seed: dict[int, dict[str, list[dict]]] = {}
    for seed in seeds:
        sctx = replace(ctx, cfg=replace(ctx.cfg, seed=seed))
        per_seed[seed] = run_compare(sctx, out / f"seed-{seed}", strategies, start, match_points)["results"]
    if not ctx.rt.is_main:
        return {"results": per_seed}
    results = aggregate(per_seed)
    meta = {
        "strategies": ", ".join(strategies),
        "config": ctx.cfg.name,
        "seeds": " ".join(str(s) for s in seeds) + " (mean ± sample std over seeds; per-seed reports in seed-N/)",
        "device": str(ctx.rt.device),
        "pool images": len(ctx.data.target),
        "val images": len(ctx.data.val),
        "target": str(ctx.data.target_root),
        "wall time": f"{(time.perf_counter() - began) / 60:.1f} min (this invocation)",
    }
    report = write_report(out, results, meta)
    write_text_atomically(
        out / "results.json",
        json.dumps({"results": results, "per_seed": per_seed, "meta": meta, "config": ctx.cfg.to_dict()}, indent=2),
    )
    return {"results": results, "per_seed": per_seed, "report": str(report)}


def selection_figure(path: Path, out: Path, warm_checkpoint: str, ctx: Context, n_images: int = 3) -> Path:
    """Like the paper's Fig. 6, on the first pool images: the image, ground truth, an
    ENT selection of the warm-up model (as many pixels as the SPL mask), the SPL
    mask and the PPL points of stage 1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = ["target image", "ground truth", "ENT selection", "SPL: inconsistency mask", "PPL: points"]
    n = min(n_images, len(ctx.data.target))
    fig, axes = plt.subplots(n, 5, figsize=(15, 2.2 * n), dpi=110, squeeze=False)
    with (
        Project.open(out / "spl" / "project.labor.h5", read_only=True) as spl,
        Project.open(out / "ppl" / "project.labor.h5", read_only=True) as ppl,
    ):
        for r in range(n):
            sample = ctx.data.target[r]
            image = read_image(sample.image)
            truth = read_label(sample.label, sample.label_kind, sample.id_map) if sample.label else None
            mask, _ = spl.proposal(1, r)
            _, points = ppl.proposal(1, r)
            probs = predict_probs_image(warm_checkpoint, ctx.cfg.model, image, ctx.cfg.data.input_size)
            panels = [image] + [panel for _, panel in selection_panels(image, probs, mask, points, truth)]
            for c, panel in enumerate(panels):
                ax = axes[r][c]
                ax.imshow(panel)
                ax.set_xticks([])
                ax.set_yticks([])
                if r == 0:
                    ax.set_title(titles[c], fontsize=9)
    fig.tight_layout()
    replace_atomically(path, lambda f: fig.savefig(f, format="png"))
    plt.close(fig)
    return path
