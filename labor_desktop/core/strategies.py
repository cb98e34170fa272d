"""Every labeling strategy behind one call, so the engine and the CLI never branch
on strategy names: ``propose(name, probs, heads=..., labeled=..., budget=...)``.

A ``Proposal`` says what the annotator is asked for: a pixel ``region`` to label
in full (SPL, pixel baselines, RIPU regions, supervised) and/or ``points``
``(y, x, predicted class)`` to label one by one (PPL family, point baselines), or whole superpixels (``regions`` unit: ``region`` is the
union of the asked superpixels, ``points`` one pixel of each, where a person clicks).
``inconsistency`` carries the selector's mask for display where there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import torch

from . import ripu
from .regions import random_regions, rank_pure_regions, rank_regions, region_points
from .selection import (
    CapPick,
    cap_mask,
    entropy_score,
    inconsistency_mask,
    mask_to_points,
    ppl_points,
    random_score,
    sconf_score,
    top_n,
    top_share,
)

Unit = Literal["pixels", "points", "regions", "all", "none"]


@dataclass(frozen=True)
class Budget:
    """Per image and stage, for the strategies whose budget is not set by the mask."""

    pixel_share: float = 0.01  # RAND/SCONF/ENT/RIPU in pixel mode (paper Fig. 5: 1 % per stage)
    points: int = 15  # point baselines (paper Fig. 5: 15 per stage); regions per image and stage
    region_size: int = 32  # px: the width of a superpixel (``regions`` strategies, Region tool)
    # ``regions-pure``: regions whose main-model purity (the share of the region predicted as
    # its majority class) is at least this come first; the rest only fill the budget.  0.9:
    # the lowest stage-1 label noise of 0, 0.5 ... 0.9 on both demo domains (docs/results.md).
    region_purity: float = 0.9
    baseline_unit: Literal["pixels", "points"] = "pixels"  # which of the two RAND/SCONF/ENT use
    ripu_k_region: int = 1
    ripu_k_pixel: int = 32
    # RAND/SCONF/ENT: never re-propose pixels labeled at earlier stages.  The paper's
    # baselines re-select (their picks overlap across stages): False, its default.
    exclude_labeled: bool = False
    # The simulated annotator answers this share of what it is asked (each asked point, or
    # each image's asked region, kept at random, seeded by stage and image): 1 = all, as the
    # paper's experiments; 0.02 = a person who labels 6 of 300 proposed points.
    answer_share: float = 1.0


@dataclass
class Proposal:
    region: torch.Tensor | None = None  # bool [H, W]
    points: torch.Tensor = field(default_factory=lambda: torch.zeros(0, 3, dtype=torch.long))
    inconsistency: torch.Tensor | None = None  # bool [H, W]: the selector's whole mask, for display
    uncapped: int | None = None  # unlabeled mask pixels before the cap (``mask_share``)
    capped: int | None = None  # ... and after it: what SPL asks for, where PPL's points come from


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    needs_selector: bool
    unit: Unit
    run: Callable[..., Proposal]
    self_training: bool = False  # retrains on its own pseudo labels (IAST)


def _spl(probs, heads, labeled, budget, gen, mask=None):
    return Proposal(region=mask)


def _ppl(pick):
    def run(probs, heads, labeled, budget, gen, mask=None):
        return Proposal(points=ppl_points(probs, mask, pick))

    return run


def _baseline(score_fn):
    def run(probs, heads, labeled, budget, gen, mask=None):
        score = score_fn(probs, gen)
        if not budget.exclude_labeled:
            labeled = None
        if budget.baseline_unit == "points":
            chosen = top_n(score, budget.points, labeled)
            return Proposal(points=mask_to_points(chosen, probs))
        return Proposal(region=top_share(score, budget.pixel_share, labeled))

    return run


def _pixel_baseline(score_fn):
    """A baseline that always labels pixels, whatever ``baseline_unit`` says: random pixels
    at SPL's share sit in the main comparison beside the point baselines."""

    def run(probs, heads, labeled, budget, gen, mask=None):
        score = score_fn(probs, gen)
        return Proposal(region=top_share(score, budget.pixel_share, labeled if budget.exclude_labeled else None))

    return run


def _ripu(probs, heads, labeled, budget, gen, mask=None):
    h, w = probs.shape[1:]
    n = ripu.regions_for_share(h, w, budget.pixel_share, budget.ripu_k_region)
    return Proposal(region=ripu.ripu_regions(probs, n, budget.ripu_k_region, labeled))


def _ripu_pixel(probs, heads, labeled, budget, gen, mask=None):
    return Proposal(points=ripu.ripu_points(probs, budget.points, budget.ripu_k_pixel, labeled))


def _regions(chosen):
    """Superpixels ``chosen(sp, mask, probs, heads, labeled, budget, gen)`` picks, never those
    asked before; ``budget.points`` of them."""

    def run(probs, heads, labeled, budget, gen, mask=None, superpixels=None):
        if superpixels is None:
            raise ValueError("the regions strategies need the image's superpixels")
        m = mask if mask is not None else (inconsistency_mask(*heads) if heads is not None else None)
        ids = chosen(superpixels, m, probs, heads, labeled, budget, gen)
        region = torch.isin(superpixels, ids)
        return Proposal(region=region, points=region_points(superpixels, ids, probs), inconsistency=m)

    return run


def _discrepancy(heads):
    return (heads[0].float().softmax(0) - heads[1].float().softmax(0)).abs().mean(0)


def _by_selector(sp, m, probs, heads, labeled, budget, gen):
    return rank_regions(sp, m, budget.points, discrepancy=_discrepancy(heads), labeled=labeled)


def _by_selector_and_purity(sp, m, probs, heads, labeled, budget, gen):
    """The share of the region inside the heads' *whole* unlabeled mask x the main model's
    purity of the region, purity ``budget.region_purity`` and over first
    (``rank_pure_regions``).  Not SPL's capped mask: the cap keeps 1 % of the pixels, the
    most discrepant, which lie on class boundaries, so the regions they touch straddle
    classes and a one-class label is wrong for much of them (issue 24's measurement); a
    region's budget is its click, not its pixels.  The main model's classes are what the
    chooser offers."""
    full = inconsistency_mask(*heads)
    if labeled is not None:
        full = full & ~labeled
    pred = probs.argmax(0)
    return rank_pure_regions(
        sp, full, pred, budget.points, _discrepancy(heads), labeled=labeled, min_purity=budget.region_purity
    )


def _at_random(sp, m, probs, heads, labeled, budget, gen):
    return random_regions(sp, budget.points, gen, labeled=labeled)


def _all(probs, heads, labeled, budget, gen, mask=None):
    return Proposal(region=torch.ones(probs.shape[1:], dtype=torch.bool, device=probs.device))


def _none(probs, heads, labeled, budget, gen, mask=None):
    return Proposal()


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in [
        Strategy("spl", "LabOR segment labeling: every inconsistency-mask pixel", True, "pixels", _spl),
        Strategy(
            "ppl",
            "LabOR point labeling: per class, the mask pixel nearest its prototype",
            True,
            "points",
            _ppl("nearest"),
        ),
        Strategy(
            "ppl-worst",
            "PPL-Sim(worst): per class, the mask pixel farthest from its prototype",
            True,
            "points",
            _ppl("farthest"),
        ),
        Strategy("ppl-sconf", "PPL-SCONF: per class, the least confident mask pixel", True, "points", _ppl("sconf")),
        Strategy("ppl-ent", "PPL-ENT: per class, the highest-entropy mask pixel", True, "points", _ppl("ent")),
        Strategy(
            "regions",
            "LabOR regions: the superpixels most inside the inconsistency mask, one class each",
            True,
            "regions",
            _regions(_by_selector),
        ),
        Strategy(
            "regions-pure",
            "LabOR regions, purity-aware: the heads' whole mask's share x the region's purity",
            True,
            "regions",
            _regions(_by_selector_and_purity),
        ),
        Strategy(
            "rand-regions", "RAND-regions: random superpixels, one class each", False, "regions", _regions(_at_random)
        ),
        Strategy(
            "rand",
            "RAND: uniformly random pixels",
            False,
            "pixels",
            _baseline(lambda p, g: random_score(p.shape[1:], g, p.device)),
        ),
        Strategy(
            "rand-pixels",
            "RAND pixels: uniformly random pixels, as many as SPL's mask held (per image and stage)",
            False,
            "pixels",
            _pixel_baseline(lambda p, g: random_score(p.shape[1:], g, p.device)),
        ),
        Strategy(
            "sconf", "SCONF: lowest max-probability pixels", False, "pixels", _baseline(lambda p, g: sconf_score(p))
        ),
        Strategy("ent", "ENT: highest-entropy pixels", False, "pixels", _baseline(lambda p, g: entropy_score(p))),
        Strategy("ripu", "RIPU regions: impurity x uncertainty, 3x3 windows", False, "pixels", _ripu),
        Strategy("ripu-pixel", "RIPU pixels: entropy x impurity of a 65x65 window", False, "points", _ripu_pixel),
        Strategy("supervised", "Supervised: every target pixel labeled", False, "all", _all),
        Strategy("uda", "UDA: no target labels", False, "none", _none),
        Strategy(
            "iast",
            "IAST: rounds of self-training on class-adaptive pseudo labels, no target labels",
            False,
            "none",
            _none,
            self_training=True,
        ),
    ]
}


BASELINES = ("rand", "sconf", "ent")  # label pixels or points, as ``Budget.baseline_unit`` says


def get_strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}") from None


def label_unit(name: str, budget: Budget = Budget()) -> Unit:
    """What the annotator labels for a strategy's proposal: the ``pixels`` of its
    region, its ``points``, its ``regions`` (one class each), ``all`` pixels, or ``none``.  RAND/SCONF/ENT label
    pixels or points as the budget says."""
    strategy = get_strategy(name)
    return budget.baseline_unit if name in BASELINES else strategy.unit


def propose(
    name: str,
    probs: torch.Tensor,
    heads: tuple[torch.Tensor, torch.Tensor] | None = None,
    labeled: torch.Tensor | None = None,
    budget: Budget = Budget(),
    generator: torch.Generator | None = None,
    superpixels: torch.Tensor | None = None,
    mask_share: float = 0.0,
    cap_pick: CapPick = "top",
) -> Proposal:
    """What strategy ``name`` asks the annotator to label on one image.

    ``probs``: the main model's probabilities ``[K, H, W]``; ``heads``: the selector's
    two outputs ``[K, H, W]`` each (needed by the LabOR strategies); ``labeled``: bool
    ``[H, W]`` of pixels labeled in earlier stages, never proposed again (RIPU: never
    a region's centre, though its window may overlap them); ``superpixels``: the image's
    region ids ``[H, W]`` (``core.superpixels``), needed by the ``regions`` unit.
    ``mask_share`` > 0 caps
    the selector's mask on unlabeled pixels at that share of the image (``capped_mask``:
    the most discrepant pixels are kept, or with ``cap_pick`` "balanced" a class-balanced
    random sample drawn with ``generator``), so SPL's budget is held on any domain.
    """
    strategy = get_strategy(name)
    if strategy.needs_selector and heads is None:
        raise ValueError(f"strategy {name!r} needs the pixel selector's two head outputs")
    if strategy.unit in ("pixels", "points") and budget.baseline_unit not in ("pixels", "points"):
        raise ValueError(f"budget unit must be 'pixels' or 'points', not {budget.baseline_unit!r}")
    extra = {"superpixels": superpixels} if strategy.unit == "regions" else {}
    if not strategy.needs_selector:
        return strategy.run(probs, heads, labeled, budget, generator, **extra)
    assert heads is not None  # checked above
    full = inconsistency_mask(*heads)  # once: shown whole, asked for unlabeled and capped
    unlabeled = full if labeled is None else full & ~labeled
    mask = cap_mask(unlabeled, heads[0], heads[1], mask_share, cap_pick, generator)
    proposal = strategy.run(probs, heads, labeled, budget, generator, mask=mask, **extra)
    proposal.inconsistency = full
    proposal.uncapped, proposal.capped = int(unlabeled.sum()), int(mask.sum())
    return proposal
