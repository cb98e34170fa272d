"""The cold start's stage 1 (a new head that knows nothing yet): points chosen for
coverage instead of by the selector, at the usual budget (``[budget] points`` per pool
image), written to the project as any stage's proposals.

``kcentre``: the backbone's features of every pool image (averaged to at most
``MAX_CELLS`` cells an image, L2-normalised), the greedy k-centre over the whole pool
(``core.coverage``): ``points`` x images centres, each a cell's centre pixel.  ``random``:
``points`` uniformly random pixels an image (the RAND baseline): what coverage is measured
against (bench/cold_start.py).  A point's class is the new head's (shown, never stored).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from ...core.coverage import cell_centres, cell_features, k_centre
from ...core.model import DeepLabV2
from ...core.strategies import Budget, propose
from ...data.datasets import EvalSet
from ...data.readers import Sample
from ...store import Project
from .runtime import Runtime
from .training import Progress, StepClock, in_order, predict_probs

PICKS = ("kcentre", "random")
MAX_CELLS = 512  # candidate cells per image: 8x16 at the demo's 128x256 (stride 16); 16x32 at most


@torch.no_grad()
def _candidates(model, pool, input_size, rt, clock, workers):
    """Per image: its cells' features [n, C], centre pixels [n, 2] and the head's class there."""
    out = []
    unlabeled = EvalSet([Sample(s.name, s.image) for s in pool], input_size)  # never reads ground truth
    for image, label, i in in_order(unlabeled, workers, rt):
        clock.check()
        full = (int(label.shape[-2]), int(label.shape[-1]))
        feat = model.extract(rt.images(image[None])).float()[0]
        cells = cell_features(feat, MAX_CELLS)
        centres = cell_centres((int(cells.shape[1]), int(cells.shape[2])), full)
        logits = F.interpolate(model.layer5(feat[None]).float(), size=full, mode="bilinear", align_corners=False)[0]
        classes = logits.argmax(0)[centres[:, 0].to(logits.device), centres[:, 1].to(logits.device)].cpu()
        out.append((int(i), cells.flatten(1).T.cpu(), centres, classes))
        clock.tick(len(out))
    return out


@torch.no_grad()
def write_coverage_proposals(
    project: Project,
    stage: int,
    model: DeepLabV2,
    pool: list[Sample],
    input_size: tuple[int, int] | None,
    budget: Budget,
    unit: str,
    pick: str,
    seed: int,
    rt: Runtime,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    workers: int = 0,
    on_proposal: Callable[[int, np.ndarray | None, np.ndarray], None] | None = None,
) -> dict:
    """Stage ``stage``'s proposals chosen for coverage (``pick``: one of ``PICKS``); ``unit``
    "points" asks for the points, "pixels" for a mask of exactly those pixels;
    ``on_proposal(i, mask, points)`` sees each as it is saved (the window's image status)."""
    if pick not in PICKS:
        raise ValueError(f"cold start: unknown way to choose the first points {pick!r}; choose one of {PICKS}")
    if unit not in ("points", "pixels"):
        raise ValueError(f"a cold start asks for points at stage 1; the strategy labels {unit}")
    rt.place(model).eval()
    chosen: dict[int, np.ndarray] = {}
    if pick == "kcentre":
        cands = _candidates(
            model, pool, input_size, rt, StepClock("coverage: backbone features", len(pool), progress, cancel), workers
        )
        feats = torch.cat([c[1] for c in cands]) if cands else torch.zeros(0, 1)
        owner = (
            torch.cat([torch.full((len(c[1]),), k, dtype=torch.long) for k, c in enumerate(cands)]) if cands else None
        )
        picked = k_centre(feats, budget.points * len(pool))
        starts = np.cumsum([0] + [len(c[1]) for c in cands])
        for k, (i, _, centres, classes) in enumerate(cands):
            assert owner is not None
            local = (picked[owner[picked] == k] - int(starts[k])).sort().values  # raster order in the image
            chosen[i] = torch.cat([centres[local], classes[local, None]], 1).numpy().astype(np.int32)
    else:
        clock = StepClock("coverage: random points", len(pool), progress, cancel)
        unlabeled = EvalSet([Sample(s.name, s.image) for s in pool], input_size)
        for image, label, i in in_order(unlabeled, workers, rt):
            clock.check()
            probs = predict_probs(model, image[None], tuple(label.shape[-2:]), rt)[0]
            gen = torch.Generator(device=rt.device).manual_seed(seed * 7919 + int(i))
            prop = propose("rand", probs, budget=replace(budget, baseline_unit="points"), generator=gen)
            chosen[int(i)] = prop.points.cpu().numpy().astype(np.int32)
            clock.tick(len(chosen))
    points_total = 0
    for i in range(len(pool)):
        points = chosen.get(i, np.zeros((0, 3), np.int32))
        entry = project.images[i]
        mask = None
        if unit == "pixels":
            mask = np.zeros((entry.height, entry.width), bool)
            mask[points[:, 0], points[:, 1]] = True
        project.save_proposal(stage, i, mask, points)
        if on_proposal is not None:
            on_proposal(i, mask, points)
        points_total += len(points)
    return {
        "asked_pixels": points_total,
        "points": points_total,
        "images": len(pool),
        "cold_start": pick,
        "inconsistency_share": None,
        "mask_share_before_cap": None,
        "mask_share_after_cap": None,
    }
