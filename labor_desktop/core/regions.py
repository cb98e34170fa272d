"""Region selection and region labels: what the ``regions`` strategies ask for and how
the simulated annotator answers (one class per region, as a person clicking it would).

``sp`` is a superpixel map (``core.superpixels``): int ``[H, W]`` ids 0..R-1.  Ranking is
vectorised torch code (CPU or CUDA); ties are broken by the smaller region id.
"""

from __future__ import annotations

import numpy as np
import torch

IGNORE = 255  # ground truth "void": never a region's label, never counted as noise


def _per_region(sp: torch.Tensor, values: torch.Tensor, r: int) -> torch.Tensor:
    return torch.bincount(sp.flatten(), weights=values.flatten().double(), minlength=r)


def region_count(sp: torch.Tensor) -> int:
    return int(sp.max()) + 1 if sp.numel() else 0


def labeled_regions(sp: torch.Tensor, labeled: torch.Tensor | None) -> torch.Tensor:
    """bool ``[R]``: regions more than half of whose pixels were asked for already."""
    r = region_count(sp)
    if labeled is None:
        return torch.zeros(r, dtype=torch.bool, device=sp.device)
    sizes = torch.bincount(sp.flatten(), minlength=r).double()
    return 2 * _per_region(sp, labeled, r) > sizes


def rank_regions(
    sp: torch.Tensor,
    mask: torch.Tensor,
    n: int,
    discrepancy: torch.Tensor | None = None,
    labeled: torch.Tensor | None = None,
) -> torch.Tensor:
    """Ids of the ``n`` regions to ask first: highest share of the region inside the
    inconsistency ``mask``, ties by the higher mean ``discrepancy`` (float ``[H, W]``),
    then the smaller id.  Only regions the mask touches, none ``labeled_regions``."""
    r = region_count(sp)
    sizes = torch.bincount(sp.flatten(), minlength=r).double()
    share = _per_region(sp, mask, r) / sizes.clamp(min=1)
    disc = _per_region(sp, discrepancy, r) / sizes.clamp(min=1) if discrepancy is not None else torch.zeros_like(share)
    order = torch.arange(r, device=sp.device)
    order = order[torch.sort(disc[order], descending=True, stable=True).indices]
    order = order[torch.sort(share[order], descending=True, stable=True).indices]
    eligible = (share > 0) & ~labeled_regions(sp, labeled)
    return order[eligible[order]][: max(0, n)]


def _majority_votes(sp: torch.Tensor, pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per region: pixels of its most frequent class in ``pred``, that class (the smaller
    on a tie), pixels in all (long ``[R]`` each)."""
    r = region_count(sp)
    k = int(pred.max()) + 1 if pred.numel() else 1
    votes = torch.bincount(sp.flatten() * k + pred.flatten(), minlength=r * k).view(r, k)
    best, cls = votes.max(1)  # the first maximum: the smaller class on a tie
    return best, cls, votes.sum(1)


def predicted_purity(sp: torch.Tensor, pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(double ``[R]``, long ``[R]``): per region, the share of its pixels whose predicted
    class (``pred``, long ``[H, W]``) is the region's most frequent one, and that class (the
    smaller on a tie, as ``region_points`` suggests it).  One click labels a region with one
    class, so this is the model's own estimate of the share a click labels right."""
    best, cls, sizes = _majority_votes(sp, pred)
    return best.double() / sizes.clamp(min=1).double(), cls


def rank_pure_regions(
    sp: torch.Tensor,
    mask: torch.Tensor,
    pred: torch.Tensor,
    n: int,
    discrepancy: torch.Tensor | None = None,
    labeled: torch.Tensor | None = None,
    min_purity: float = 0.0,
) -> torch.Tensor:
    """Ids of the ``n`` regions to ask first when a click labels a region with one class:
    the largest *share of the region inside the mask x its predicted purity*
    (``predicted_purity`` of ``pred``), i.e. the mask pixels asked, discounted by the share
    of the region its one label is expected to get wrong.  Regions of purity at least
    ``min_purity`` come first; the others only fill a budget those cannot.  Ties: the higher
    mean ``discrepancy``, then the smaller id.  Only regions the mask touches, none
    ``labeled_regions``.  The score is a ratio of integers (exact in double), so equal
    fractions tie exactly."""
    r = region_count(sp)
    best, _, sizes = (v.double() for v in _majority_votes(sp, pred))  # one pass counts both
    inside = _per_region(sp, mask, r)
    purity = best / sizes.clamp(min=1)
    score = inside * best / (sizes * sizes).clamp(min=1)
    disc = _per_region(sp, discrepancy, r) / sizes.clamp(min=1) if discrepancy is not None else torch.zeros_like(score)
    order = torch.arange(r, device=sp.device)
    for key in (disc, score, (purity >= min_purity).double()):  # least significant first
        order = order[torch.sort(key[order], descending=True, stable=True).indices]
    eligible = (inside > 0) & ~labeled_regions(sp, labeled)
    return order[eligible[order]][: max(0, n)]


def random_regions(
    sp: torch.Tensor, n: int, generator: torch.Generator | None = None, labeled: torch.Tensor | None = None
) -> torch.Tensor:
    """``n`` regions drawn uniformly without replacement among those not ``labeled_regions``."""
    r = region_count(sp)
    device = generator.device if generator is not None else sp.device
    order = torch.randperm(r, generator=generator, device=device).to(sp.device)
    return order[~labeled_regions(sp, labeled)[order]][: max(0, n)]


def region_points(sp: torch.Tensor, ids: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """long ``[N, 3]`` (y, x, class) per region of ``ids``: its pixel nearest the region's
    centroid (the first in raster order on a tie) and the model's most frequent class there."""
    out = torch.zeros(len(ids), 3, dtype=torch.long, device=sp.device)
    pred = probs.argmax(0)
    for row, rid in enumerate(ids.tolist()):
        ys, xs = torch.nonzero(sp == rid, as_tuple=True)
        d = (ys.double() - ys.double().mean()) ** 2 + (xs.double() - xs.double().mean()) ** 2
        k = int(torch.argmin(d))  # argmin returns the first minimum
        cls = int(torch.bincount(pred[ys, xs]).argmax())
        out[row] = torch.tensor([int(ys[k]), int(xs[k]), cls])
    return out


def majority_labels(sp: np.ndarray, ids: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """uint8 ``[H, W]``: each region of ``ids`` labelled with its most frequent ground-truth
    class (the smaller class on a tie; ``IGNORE`` pixels neither vote nor get a label);
    ``IGNORE`` elsewhere.  Pixels of other classes in a region get a wrong label."""
    out = np.full(sp.shape, IGNORE, np.uint8)
    for rid in np.asarray(ids).tolist():
        inside = (sp == rid) & (truth != IGNORE)
        votes = truth[inside]
        if votes.size:
            out[inside] = np.bincount(votes).argmax()
    return out


def noise_counts(labels: np.ndarray, truth: np.ndarray, where: np.ndarray) -> tuple[int, int]:
    """(pixels labelled, of them with a label other than their truth) inside ``where``."""
    sel = where & (labels != IGNORE) & (truth != IGNORE)
    return int(sel.sum()), int(np.count_nonzero(labels[sel] != truth[sel]))
