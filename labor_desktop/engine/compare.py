"""``labor compare``: several strategies from one shared warm-up checkpoint, then
the report (tables, Fig. 5-like plot, Fig. 6-like selection figure).

Point baselines (RAND/SCONF/ENT in point mode) get PPL's measured number of
points per image and stage when PPL runs first, so "at the same number of points"
holds by construction rather than by a guessed constant.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

from ..core.strategies import BASELINES, get_strategy
from ..data.io import read_image, read_label
from ..store import Project
from .predict import predict_probs_image, selection_panels
from .report import write_report
from .stages import Context, StageEngine, warm_start


def run_compare(
    ctx: Context, out: str | Path, strategies: list[str], start: str | Path | None = None, match_points: bool = True
) -> dict:
    out = Path(out)
    for name in strategies:
        get_strategy(name)
    began = time.perf_counter()
    warm = warm_start(out / "shared", ctx, start)
    order = sorted(strategies, key=lambda s: s != "ppl") if match_points else list(strategies)
    results: dict[str, list[dict]] = {}
    budgets: dict[str, dict] = {}
    for name in order:
        cfg = ctx.cfg
        if match_points and name in BASELINES and cfg.budget.baseline_unit == "points" and "ppl" in results:
            per_stage = results["ppl"][-1]["budget"]["points_per_image"] / cfg.stages
            cfg = replace(cfg, budget=replace(cfg.budget, points=max(1, round(per_stage))))
        budgets[name] = cfg.budget.__dict__
        engine = StageEngine(out / name, Context(cfg, ctx.data, ctx.rt, ctx.progress, ctx.cancel), name, warm)
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
    (out / "results.json").write_text(
        json.dumps({"results": results, "budgets": budgets, "meta": meta, "config": ctx.cfg.to_dict()}, indent=2)
    )
    return {"results": results, "report": str(report)}


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
            truth = read_label(sample.label, sample.label_kind) if sample.label else None
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
    fig.savefig(path)
    plt.close(fig)
    return path
