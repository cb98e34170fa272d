"""Points chosen for coverage, for a stage without a trained head (the cold start's stage 1):
the greedy k-centre (farthest-point) selection on the backbone's features, so the first
labels spread over what the pool looks like rather than over what an untrained head says.

``k_centre`` is exact: squared Euclidean distances, and where two candidates are equally far
the first one (lowest index) wins, so a brute-force loop reproduces it with ``==``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def k_centre(features: torch.Tensor, k: int) -> torch.Tensor:
    """Indices (long ``[min(k, N)]``, in the order chosen) of ``k`` rows of ``features``
    ``[N, D]`` picked greedily: the first is the row farthest from the rows' mean, each next
    one the row whose distance to its nearest chosen row is largest.  Ties: lowest index."""
    if features.dim() != 2:
        raise ValueError(f"features must be [N, D], not {tuple(features.shape)}")
    n = features.shape[0]
    k = max(0, min(int(k), n))
    chosen = torch.zeros(k, dtype=torch.long, device=features.device)
    if k == 0:
        return chosen
    x = features.double()
    nearest = ((x - x.mean(0, keepdim=True)) ** 2).sum(1)  # decides the first pick only
    for j in range(k):
        pick = int(torch.argmax(nearest))  # the first maximum: the lowest index on ties
        chosen[j] = pick
        away = ((x - x[pick]) ** 2).sum(1)
        nearest = away if j == 0 else torch.minimum(nearest, away)
        nearest[chosen[: j + 1]] = -1.0  # never again, even where every distance is zero
    return chosen


def cell_features(features: torch.Tensor, max_cells: int) -> torch.Tensor:
    """An image's backbone features ``[C, h, w]`` averaged down to at most ``max_cells``
    cells (keeping the aspect ratio) and L2-normalised per cell: ``[C, h', w']``."""
    c, h, w = features.shape
    if h * w > max_cells:
        scale = (max_cells / (h * w)) ** 0.5
        size = (max(1, int(h * scale)), max(1, int(w * scale)))
        features = F.adaptive_avg_pool2d(features[None], size)[0]
    return F.normalize(features.float(), dim=0)


def cell_centres(cells: tuple[int, int], shape: tuple[int, int]) -> torch.Tensor:
    """The image pixel ``(y, x)`` at the centre of each cell of a ``cells`` = (h, w) grid laid
    over an image of ``shape`` = (H, W), in raster order of the cells: long ``[h * w, 2]``;
    ``y = floor((r + 0.5) * H / h)``, exactly, in integers."""
    h, w = cells
    H, W = shape
    ys = ((2 * torch.arange(h) + 1) * H) // (2 * h)
    xs = ((2 * torch.arange(w) + 1) * W) // (2 * w)
    return torch.stack([ys[:, None].expand(h, w), xs[None, :].expand(h, w)], -1).reshape(-1, 2)
