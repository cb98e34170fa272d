"""Pixel selection: LabOR's inconsistency mask and prototype points, and the
uncertainty baselines the paper compares against.

All functions are vectorised torch code and run on CPU or CUDA tensors alike.
Ties are broken the same way everywhere: the first pixel in raster order (row by
row) wins, so results are exact and reproducible.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

Pick = Literal["nearest", "farthest", "sconf", "ent"]
_EPS = 1e-12


def inconsistency_mask(out1: torch.Tensor, out2: torch.Tensor) -> torch.Tensor:
    """Eq. 3: where the two heads' argmaxes differ.  ``out*``: ``[..., K, H, W]``
    logits or probabilities (argmax is the same); returns bool ``[..., H, W]``."""
    if out1.shape != out2.shape:
        raise ValueError(f"head outputs differ in shape: {tuple(out1.shape)} vs {tuple(out2.shape)}")
    # max().indices, not argmax(): same first-maximum rule, several times faster on CPU
    return out1.max(dim=-3).indices != out2.max(dim=-3).indices


def head_discrepancy(out1: torch.Tensor, out2: torch.Tensor) -> torch.Tensor:
    """MCD's discrepancy per pixel: the L1 distance of the two heads' class
    probabilities (``out*``: logits ``[..., K, H, W]``); in [0, 2]."""
    return (out1.float().softmax(dim=-3) - out2.float().softmax(dim=-3)).abs().sum(dim=-3)


CapPick = Literal["top", "balanced"]


def cap_mask(
    mask: torch.Tensor,
    out1: torch.Tensor,
    out2: torch.Tensor,
    share: float,
    pick: CapPick = "top",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``mask`` kept whole when it holds at most ``floor(share * H * W)`` pixels of the
    image, else that many of its pixels: ``"top"``, those where the heads disagree most
    (``head_discrepancy``; equal scores in raster order); ``"balanced"``, an equal share
    of every class the heads predict inside the mask, drawn at random within each class
    (``balanced_sample``), so a cap of 1 % keeps the mask's spread over classes instead of
    its most ambiguous boundary pixels.  ``share`` <= 0: no cap."""
    if pick not in ("top", "balanced"):
        raise ValueError(f"unknown cap pick {pick!r}: 'top' or 'balanced'")
    if share <= 0:
        return mask
    cap = math.floor(share * mask.numel() + 1e-9)
    if int(mask.sum()) <= cap:
        return mask
    if pick == "balanced":
        classes = (out1.float().softmax(dim=-3) + out2.float().softmax(dim=-3)).max(dim=-3).indices
        return balanced_sample(mask, classes, cap, generator)
    return top_n(head_discrepancy(out1, out2), cap, exclude=~mask)


def class_quotas(counts: torch.Tensor, n: int) -> torch.Tensor:
    """How many of ``n`` picks each class gets: the largest equal quota q with
    sum(min(count, q)) <= n, then one more for the lowest class ids that still have
    pixels until the picks sum to min(n, counts.sum()) (water-filling)."""
    n = int(min(max(n, 0), int(counts.sum())))
    lo, hi = 0, int(counts.max()) if counts.numel() else 0
    while lo < hi:  # the largest q whose total fits
        q = (lo + hi + 1) // 2
        if int(counts.clamp(max=q).sum()) <= n:
            lo = q
        else:
            hi = q - 1
    quota = counts.clamp(max=lo)
    extra = n - int(quota.sum())
    if extra > 0:
        more = (counts > lo).nonzero().squeeze(1)[:extra]
        quota[more] += 1
    return quota


def balanced_sample(
    mask: torch.Tensor, classes: torch.Tensor, n: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``n`` pixels of ``mask`` (bool ``[H, W]``), the classes of ``classes`` (long
    ``[H, W]``) sharing them equally (``class_quotas``), uniformly at random within each
    class (one ``randperm`` of the mask's pixels in raster order, so a seed gives one
    answer on any device)."""
    flat = mask.flatten().nonzero().squeeze(1)
    out = torch.zeros(mask.numel(), dtype=torch.bool, device=mask.device)
    if flat.numel() == 0 or n <= 0:
        return out.view(mask.shape)
    cls = classes.flatten().index_select(0, flat).long()
    counts = torch.bincount(cls)
    quota = class_quotas(counts, n)
    m = flat.numel()
    device = generator.device if generator is not None else mask.device
    rank = torch.empty(m, dtype=torch.long, device=device)
    rank[torch.randperm(m, generator=generator, device=device)] = torch.arange(m, device=device)
    order = torch.argsort(cls * m + rank.to(cls.device))  # by class, random within a class
    sorted_cls = cls.index_select(0, order)
    start = torch.cumsum(counts, 0) - counts  # first position of each class in ``order``
    within = torch.arange(m, device=cls.device) - start.index_select(0, sorted_cls)
    keep = order[within < quota.index_select(0, sorted_cls)]
    out[flat.index_select(0, keep)] = True
    return out.view(mask.shape)


def capped_mask(
    out1: torch.Tensor,
    out2: torch.Tensor,
    share: float,
    available: torch.Tensor | None = None,
    pick: CapPick = "top",
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, int]:
    """The inconsistency mask (Eq. 3) restricted to ``available`` pixels and capped
    (``cap_mask``).  Returns the mask and its size before the cap."""
    mask = inconsistency_mask(out1, out2)
    if available is not None:
        mask = mask & available
    return cap_mask(mask, out1, out2, share, pick, generator), int(mask.sum())


def sconf_score(probs: torch.Tensor) -> torch.Tensor:
    """SCONF uncertainty, 1 - max p, over the class axis ``-3``."""
    return 1.0 - probs.amax(dim=-3)


def entropy_score(probs: torch.Tensor) -> torch.Tensor:
    """ENT uncertainty: Shannon entropy (nats) over the class axis ``-3``; 0 log 0 = 0."""
    p = probs.double() if probs.dtype == torch.float64 else probs.float()
    return -torch.special.xlogy(p, p).sum(dim=-3)


def _row_scores(p: torch.Tensor, groups: torch.Tensor, counts: torch.Tensor, pick: Pick) -> torch.Tensor:
    """Per mask pixel, the score to maximise inside its group (higher = picked)."""
    if pick == "sconf":
        return 1.0 - p.amax(dim=1)
    if pick == "ent":
        return -torch.special.xlogy(p, p).sum(dim=1)
    # Eq. 8: prototype = mean probability vector of the group; Eq. 9: cosine distance to it.
    sums = torch.zeros(len(counts), p.shape[1], dtype=p.dtype, device=p.device).index_add_(0, groups, p)
    proto = sums / counts.clamp_min(1).to(p.dtype)[:, None]
    # index_select rather than advanced indexing: the same gather, far less overhead
    dot = (p * proto.index_select(0, groups)).sum(dim=1)
    norms = p.norm(dim=1) * proto.norm(dim=1).index_select(0, groups)
    dist = 1.0 - dot / norms.clamp_min(_EPS)
    return -dist if pick == "nearest" else dist


def ppl_points(probs: torch.Tensor, mask: torch.Tensor, pick: Pick = "nearest") -> torch.Tensor:
    """Eqs. 7-9: one point per class the model predicts inside the mask.

    ``probs``: ``[K, H, W]`` (or batched ``[B, K, H, W]``), the main model's
    probabilities; ``mask``: bool ``[H, W]`` (``[B, H, W]``).  For each class k,
    D_k = mask pixels predicted k; the point is the pixel of D_k whose probability
    vector is nearest (``"farthest"``: farthest) to D_k's mean by cosine distance,
    or the most uncertain one (``"sconf"``, ``"ent"``: PPL-SCONF / PPL-ENT).
    Returns long ``[N, 3]`` rows ``(y, x, k)`` sorted by k (batched: ``[N, 4]``
    rows ``(b, y, x, k)`` sorted by b then k).  Only mask pixels are read, so the
    work scales with the mask, not the image.
    """
    batched = probs.dim() == 4
    if not batched:
        probs, mask = probs.unsqueeze(0), mask.unsqueeze(0)
    if probs.dim() != 4 or mask.shape != (probs.shape[0],) + probs.shape[2:]:
        raise ValueError(f"probs [B,K,H,W] and mask [B,H,W] expected, got {tuple(probs.shape)} and {tuple(mask.shape)}")
    if pick not in ("nearest", "farthest", "sconf", "ent"):
        raise ValueError(f"unknown pick {pick!r}")
    b, k, h, w = probs.shape
    flat = mask.reshape(-1).nonzero().squeeze(1)  # raster order within each image
    if flat.numel() == 0:
        return torch.zeros(0, 4 if batched else 3, dtype=torch.long, device=probs.device)
    if b == 1:  # the common case, a few ops shorter
        pix = flat
        p = probs.reshape(k, h * w).index_select(1, pix).T.contiguous().double()  # [N, K]: only mask pixels are read
        groups = p.max(dim=1).indices
    else:
        bi, pix = flat // (h * w), flat % (h * w)
        p = probs.reshape(b, k, h * w)[bi, :, pix].double()
        groups = bi * k + p.max(dim=1).indices  # one group per (image, predicted class)
    ngroups = b * k
    counts = torch.bincount(groups, minlength=ngroups)
    score = _row_scores(p, groups, counts, pick)
    best = torch.full((ngroups,), -torch.inf, dtype=score.dtype, device=score.device)
    best = best.scatter_reduce(0, groups, score, reduce="amax")
    n = score.numel()
    order = torch.arange(n, device=score.device)
    candidate = torch.where(score == best.index_select(0, groups), order, n)
    first = torch.full((ngroups,), n, dtype=torch.long, device=score.device).scatter_reduce(
        0, groups, candidate, reduce="amin"
    )
    present = (counts > 0).nonzero().squeeze(1)  # group ids ascending: by image, then class
    sel = first.index_select(0, present)
    at = pix.index_select(0, sel)
    if batched:
        return torch.stack([present // k, at // w, at % w, present % k], dim=1)
    return torch.stack([at // w, at % w, present], dim=1)


def top_n(score: torch.Tensor, n: int, exclude: torch.Tensor | None = None) -> torch.Tensor:
    """Bool mask of the ``n`` highest scores of a ``[H, W]`` map (excluded pixels
    never chosen); equal scores go in raster order."""
    flat = score.flatten()
    allowed = torch.ones_like(flat, dtype=torch.bool) if exclude is None else ~exclude.flatten()
    n = int(min(max(n, 0), int(allowed.sum())))
    out = torch.zeros_like(flat, dtype=torch.bool)
    if n == 0:
        return out.view(score.shape)
    s = torch.where(allowed, flat.double(), torch.full_like(flat, -torch.inf, dtype=torch.float64))
    kth = torch.topk(s, n, sorted=False).values.min()
    above = allowed & (s > kth)
    ties = (allowed & (s == kth)).nonzero(as_tuple=True)[0]
    out |= above
    out[ties[: n - int(above.sum())]] = True
    return out.view(score.shape)


def top_share(score: torch.Tensor, share: float, exclude: torch.Tensor | None = None) -> torch.Tensor:
    """The highest-scoring ``share`` of all pixels of the image (pixel baselines)."""
    return top_n(score, round(share * score.numel()), exclude)


def mask_to_points(mask: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """``(y, x, k)`` rows, raster order, k the model's class at each selected pixel."""
    ys, xs = mask.nonzero(as_tuple=True)
    ks = probs[:, ys, xs].max(dim=0).indices
    return torch.stack([ys, xs, ks], dim=1)


def random_score(shape: tuple[int, ...], generator: torch.Generator | None = None, device=None) -> torch.Tensor:
    """RAND as a score: uniform noise, so it goes through the same top-n as the others."""
    return torch.rand(shape, generator=generator, device=device if generator is None else generator.device)
