"""The losses of LabOR's equations 1, 2, 4, 5 and 6.

Shapes: logits ``[B, K, H, W]``, labels ``[B, H, W]`` (long, 255 = ignore).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

IGNORE = 255


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, ignore_index: int = IGNORE) -> torch.Tensor:
    """Pixel CE (Eqs. 1, 6). A batch without a single labeled pixel gives 0, not NaN,
    so that a stage with few labels never poisons the weights."""
    valid = target != ignore_index
    if not bool(valid.any()):
        return logits.sum() * 0.0 + 0.0  # a graph-connected zero (+0.0, not -0.0)
    return F.cross_entropy(logits.float(), target.long(), ignore_index=ignore_index)


def pixel_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Per-pixel Shannon entropy (natural log) of the softmax, ``[B, H, W]``."""
    logp = F.log_softmax(logits.float(), dim=1)
    return -(logp.exp() * logp).sum(dim=1)


def entropy_loss(logits: torch.Tensor, where: torch.Tensor | None = None) -> torch.Tensor:
    """Entropy minimisation on the pixels in ``where`` (all when None), normalised by
    ln K so the weight means the same for any class count (Table 2's regulariser)."""
    ent = pixel_entropy(logits) / math.log(logits.shape[1])
    if where is None:
        return ent.mean()
    if not bool(where.any()):
        return logits.sum() * 0.0 + 0.0  # a graph-connected zero (+0.0, not -0.0)
    return ent[where].mean()


def iast_entropy_loss(logits: torch.Tensor, where: torch.Tensor) -> torch.Tensor:
    """IAST's regulariser on pixels without a (pseudo) label: mean per-pixel entropy
    (natural log) divided by the class count K (not ln K), over ``where``."""
    if not bool(where.any()):
        return logits.sum() * 0.0 + 0.0
    return pixel_entropy(logits)[where].mean() / logits.shape[1]


def uniform_kl_loss(logits: torch.Tensor, where: torch.Tensor) -> torch.Tensor:
    """KL(uniform || p) per pixel, ``-ln K - mean_c ln p_c``, averaged over ``where``
    (IAST's 0.1-weighted term on pseudo-labeled pixels: keeps them from saturating)."""
    if not bool(where.any()):
        return logits.sum() * 0.0 + 0.0
    logp = F.log_softmax(logits.float(), dim=1)
    kl = -math.log(logits.shape[1]) - logp.mean(dim=1)
    return kl[where].mean()


class ClassThresholds:
    """IAST's instance-adaptive, class-wise confidence thresholds for pseudo labels.

    theta_c starts at ``init``; each batch, per class c predicted in it, the candidate
    is the percentile ``100 * (1 - alpha * theta_c**gamma)`` of {theta_c} and the max
    probabilities of pixels predicted c; theta_c <- beta*theta_c + (1-beta)*candidate,
    capped at ``cap``.
    """

    def __init__(
        self,
        num_classes: int,
        alpha: float = 0.2,
        gamma: float = 8.0,
        beta: float = 0.9,
        init: float = 0.9,
        cap: float = 0.999,
    ) -> None:
        self.alpha, self.gamma, self.beta, self.cap = alpha, gamma, beta, cap
        self.theta = torch.full((num_classes,), float(init), dtype=torch.float64)

    def update(self, conf: torch.Tensor, pred: torch.Tensor) -> None:
        conf = conf.detach().flatten().double().cpu()
        pred = pred.detach().flatten().cpu()
        for c in torch.unique(pred).tolist():
            if not 0 <= c < len(self.theta):
                continue
            theta = float(self.theta[c])
            values = torch.cat([conf[pred == c], torch.tensor([theta], dtype=torch.float64)])
            q = 1.0 - self.alpha * theta**self.gamma
            candidate = float(torch.quantile(values, min(max(q, 0.0), 1.0)))
            self.theta[c] = min(self.beta * theta + (1 - self.beta) * candidate, self.cap)

    def __call__(self, pred: torch.Tensor) -> torch.Tensor:
        return self.theta.to(pred.device, torch.float32)[pred]


def pseudo_labels(probs: torch.Tensor, threshold: float | ClassThresholds = 0.9, update: bool = True) -> torch.Tensor:
    """Argmax of the main model's probabilities ``[B, K, H, W]``; pixels below their
    confidence threshold become 255 (Eq. 4's target)."""
    conf, pred = probs.max(dim=1)
    if isinstance(threshold, ClassThresholds):
        if update:
            threshold.update(conf, pred)
        thr = threshold(pred)
    else:
        thr = torch.full_like(conf, float(threshold))
    return torch.where(conf >= thr, pred, torch.full_like(pred, IGNORE))


def self_training_loss(logits1: torch.Tensor, logits2: torch.Tensor, pseudo: torch.Tensor) -> torch.Tensor:
    """Eq. 4: both selector heads against the same pseudo labels."""
    return cross_entropy(logits1, pseudo) + cross_entropy(logits2, pseudo)


def discrepancy(logits1: torch.Tensor, logits2: torch.Tensor) -> torch.Tensor:
    """Eq. 5 (MCD): mean absolute difference of the two softmax outputs."""
    return (F.softmax(logits1.float(), dim=1) - F.softmax(logits2.float(), dim=1)).abs().mean()


class OutputDiscriminator(nn.Module):
    """Discriminator on softmax outputs (Eq. 2).  ``first_kernel=3`` is IAST's variant
    (3x3/2 first conv), 4 is AdaptSegNet's; LeakyReLU 0.2 between layers."""

    def __init__(self, num_classes: int, ndf: int = 64, first_kernel: int = 4) -> None:
        super().__init__()
        chans = [num_classes, ndf, ndf * 2, ndf * 4, ndf * 8]
        layers: list[nn.Module] = []
        for i in range(4):
            k = first_kernel if i == 0 else 4
            layers += [nn.Conv2d(chans[i], chans[i + 1], k, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        layers.append(nn.Conv2d(chans[-1], 1, 4, stride=2, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, probs: torch.Tensor) -> torch.Tensor:
        return self.net(probs)


SOURCE_LABEL, TARGET_LABEL = 0.0, 1.0


def _gan_loss(d_out: torch.Tensor, label: float, mode: str) -> torch.Tensor:
    target = torch.full_like(d_out, label)
    if mode == "lsgan":
        return F.mse_loss(d_out, target)
    if mode == "bce":
        return F.binary_cross_entropy_with_logits(d_out, target)
    raise ValueError(f"unknown GAN mode {mode!r}; use 'lsgan' or 'bce'")


def discriminator_loss(d_source: torch.Tensor, d_target: torch.Tensor, mode: str = "lsgan") -> torch.Tensor:
    """D learns source -> 0, target -> 1 (feed it detached predictions)."""
    return 0.5 * (_gan_loss(d_source, SOURCE_LABEL, mode) + _gan_loss(d_target, TARGET_LABEL, mode))


def adversarial_loss(d_target: torch.Tensor, mode: str = "lsgan") -> torch.Tensor:
    """The segmentation model's side of Eq. 2: make target outputs look like source."""
    return _gan_loss(d_target, SOURCE_LABEL, mode)
