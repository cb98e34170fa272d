"""Confusion matrix and IoU, computed as the official Cityscapes evaluation does.

Per class c: IoU = TP / (TP + FP + FN), NaN when a class is absent from both the
prediction and the ground truth (the official script then skips it in the mean).
Ground-truth pixels equal to ``ignore_index`` are not counted at all; predicted
values outside ``[0, K)`` on valid pixels count as errors (FN of the true class).
"""

from __future__ import annotations

import numpy as np
import torch


def _as_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


class ConfusionMatrix:
    """Accumulates ``matrix[true, pred]`` over images; rows are ground truth."""

    def __init__(self, num_classes: int = 19, ignore_index: int = 255) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        # one extra column collects predictions outside the class range
        self._m = np.zeros((num_classes, num_classes + 1), dtype=np.int64)

    @property
    def matrix(self) -> np.ndarray:
        return self._m[:, : self.num_classes].copy()

    def reset(self) -> None:
        self._m[:] = 0

    def update(self, pred, target) -> None:
        """``pred`` and ``target``: integer label maps of equal shape (tensors or arrays)."""
        k = self.num_classes
        if isinstance(pred, torch.Tensor) and isinstance(target, torch.Tensor):
            if pred.shape != target.shape:
                raise ValueError(
                    f"prediction {tuple(pred.shape)} and ground truth {tuple(target.shape)} differ in shape"
                )
            t, p = target.reshape(-1).long(), pred.reshape(-1).long()
            valid = (t != self.ignore_index) & (t >= 0) & (t < k)
            t, p = t[valid], p[valid]
            p = torch.where((p >= 0) & (p < k), p, torch.full_like(p, k))
            counts = torch.bincount(t * (k + 1) + p, minlength=k * (k + 1)).cpu().numpy()
        else:
            pa, ta = _as_numpy(pred), _as_numpy(target)
            if pa.shape != ta.shape:
                raise ValueError(f"prediction {pa.shape} and ground truth {ta.shape} differ in shape")
            ta, pa = ta.reshape(-1).astype(np.int64), pa.reshape(-1).astype(np.int64)
            valid_a = (ta != self.ignore_index) & (ta >= 0) & (ta < k)
            ta, pa = ta[valid_a], pa[valid_a]
            pa = np.where((pa >= 0) & (pa < k), pa, k)
            counts = np.bincount(ta * (k + 1) + pa, minlength=k * (k + 1))
        self._m += counts.reshape(k, k + 1)

    def merge(self, other: ConfusionMatrix) -> None:
        """Add another matrix (e.g. from another process or data shard)."""
        if other.num_classes != self.num_classes:
            raise ValueError("confusion matrices of different class counts")
        self._m += other._m

    def iou(self) -> np.ndarray:
        """Per-class IoU, float64 ``[K]``; NaN for classes in neither prediction nor truth."""
        k = self.num_classes
        tp = np.diag(self._m[:, :k]).astype(np.float64)
        fn = self._m.sum(axis=1) - tp
        fp = self._m[:, :k].sum(axis=0) - tp
        denom = tp + fp + fn
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denom > 0, tp / np.where(denom > 0, denom, 1), np.nan)

    def miou(self) -> float:
        """Mean over classes with a defined IoU; NaN when none is."""
        iou = self.iou()
        return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")

    def pixel_accuracy(self) -> float:
        total = self._m.sum()
        return float(np.trace(self._m[:, : self.num_classes]) / total) if total else float("nan")
