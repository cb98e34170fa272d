"""RIPU (Xie et al., CVPR 2022): region impurity x prediction uncertainty.

Region mode labels (2k+1)^2 windows; pixel mode labels single pixels.  Both pick
greedily: the best remaining centre, then suppress its neighbourhood so picks do
not overlap.  Since suppression only removes candidates and never rescores, the
greedy argmax loop equals one pass over the candidates sorted by score (stable, so
ties go in raster order), which is what runs here.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .selection import entropy_score


def box_sum(x: torch.Tensor, r: int) -> torch.Tensor:
    """Sum over the (2r+1)^2 window around each pixel of ``[..., H, W]``, zero outside
    the image; separable cumulative sums in float64, so the cost is independent of r."""
    x = x.double()
    h, w = x.shape[-2:]
    c = torch.nn.functional.pad(x.cumsum(-1), (1, 0))  # [..., H, W+1]
    lo = torch.arange(w, device=x.device).sub(r).clamp(0, w)
    hi = torch.arange(w, device=x.device).add(r + 1).clamp(0, w)
    x = c[..., hi] - c[..., lo]
    c = torch.nn.functional.pad(x.cumsum(-2), (0, 0, 1, 0))  # [..., H+1, W]
    lo = torch.arange(h, device=x.device).sub(r).clamp(0, h)
    hi = torch.arange(h, device=x.device).add(r + 1).clamp(0, h)
    return c[..., hi, :] - c[..., lo, :]


def region_impurity(pred: torch.Tensor, num_classes: int, r: int, normalize: bool = True) -> torch.Tensor:
    """Entropy of the predicted-class histogram in each pixel's window (inside the image)."""
    count = box_sum(torch.ones_like(pred, dtype=torch.float64), r)
    imp = torch.zeros_like(count)
    for c in range(num_classes):  # one class at a time: memory of one map, not K
        q = box_sum((pred == c).double(), r) / count
        imp -= torch.special.xlogy(q, q)
    return imp / math.log(num_classes) if normalize else imp


def region_scores(probs: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Region mode: impurity x mean normalised entropy in the (2k+1)^2 window."""
    num_classes = probs.shape[0]
    ent = entropy_score(probs).double() / math.log(num_classes)
    count = box_sum(torch.ones_like(ent), k)
    uncertainty = box_sum(ent, k) / count
    return region_impurity(probs.max(0).indices, num_classes, k) * uncertainty


def pixel_scores(probs: torch.Tensor, k: int = 32) -> torch.Tensor:
    """Pixel mode: the pixel's entropy x (unnormalised) impurity of its (2k+1)^2 window."""
    return entropy_score(probs).double() * region_impurity(probs.max(0).indices, probs.shape[0], k, normalize=False)


def greedy_nms(score: torch.Tensor, n: int, radius: int, exclude: torch.Tensor | None = None) -> list[tuple[int, int]]:
    """Up to ``n`` centres, best first; each suppresses centres within Chebyshev
    distance ``radius``; excluded pixels are never centres."""
    h, w = score.shape
    s = score.detach().double().cpu().numpy().ravel()
    order = np.argsort(-s, kind="stable")
    blocked = np.zeros((h, w), dtype=bool) if exclude is None else exclude.detach().cpu().numpy().astype(bool).copy()
    picks: list[tuple[int, int]] = []
    for idx in order:
        if len(picks) >= n:
            break
        y, x = divmod(int(idx), w)
        if blocked[y, x] or not np.isfinite(s[idx]):
            continue
        picks.append((y, x))
        blocked[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1] = True
    return picks


def ripu_regions(probs: torch.Tensor, n_regions: int, k: int = 1, exclude: torch.Tensor | None = None) -> torch.Tensor:
    """Bool ``[H, W]``: the union of the chosen (2k+1)^2 windows (clipped to the image)."""
    picks = greedy_nms(region_scores(probs, k), n_regions, 2 * k, exclude)
    out = torch.zeros(probs.shape[1:], dtype=torch.bool, device=probs.device)
    for y, x in picks:
        out[max(0, y - k) : y + k + 1, max(0, x - k) : x + k + 1] = True
    return out


def ripu_points(probs: torch.Tensor, n_points: int, k: int = 32, exclude: torch.Tensor | None = None) -> torch.Tensor:
    """Long ``[N, 3]`` rows ``(y, x, predicted class)``, best first."""
    picks = greedy_nms(pixel_scores(probs, k), n_points, k, exclude)
    if not picks:
        return torch.zeros(0, 3, dtype=torch.long, device=probs.device)
    yx = torch.tensor(picks, dtype=torch.long, device=probs.device)
    ks = probs[:, yx[:, 0], yx[:, 1]].max(0).indices
    return torch.cat([yx, ks[:, None]], dim=1)


def regions_for_share(height: int, width: int, share: float, k: int = 1) -> int:
    """RIPU's budget: ceil(H*W*share / window area) regions."""
    return math.ceil(height * width * share / (2 * k + 1) ** 2)
